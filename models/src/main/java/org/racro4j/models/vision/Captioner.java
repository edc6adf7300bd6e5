package org.racro4j.models.vision;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;
import org.racro4j.core.io.StrictJson;
import org.racro4j.core.nn.Module;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.CheckpointFiles;
import org.racro4j.models.decoder.DecoderConfig;

/**
 * A vision-language captioner, LLaVA-style: vision_tower (ViT) → multi_modal_projector → language_model (a
 * Qwen2/Llama decoder), with the projected image patches placed before the text prompt. Saved as a Hugging
 * Face-style directory: config.json ({"architectures": ["Racro4jCaptioner"], "vision_config", "text_config"})
 * and model.safetensors.
 */
public final class Captioner extends Module {
    public static final String ARCHITECTURE = "Racro4jCaptioner";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final VisionConfig visionConfig;
    private final VisionEncoder vision;
    private final Projector projector;
    private final CausalLM language;
    private final ImageProcessor processor;

    private Captioner(VisionConfig vc, CausalLM language, long seed, DType dtype, Device device) {
        this.visionConfig = vc;
        Generator gen = new Generator(seed);
        this.vision = registerModule("vision_tower", new VisionEncoder(vc, 0.02f, gen, dtype, device));
        this.projector = registerModule("multi_modal_projector",
                new Projector(vc.hiddenSize(), language.config().hiddenSize(), 0.02f, gen, dtype, device));
        this.language = registerModule("language_model", language);
        this.processor = new ImageProcessor(vc);
    }

    /** A freshly initialised captioner. */
    public static Captioner create(VisionConfig vision, DecoderConfig text, long seed, DType dtype, Device device) {
        return new Captioner(vision, CausalLM.create(text, seed, dtype, device), seed + 1, dtype, device);
    }

    /** Builds a captioner around an existing language model (which it then owns). */
    public static Captioner around(VisionConfig vision, CausalLM language, long seed) {
        return new Captioner(vision, language, seed, language.dtype(), language.device());
    }

    public static boolean isCaptionerDir(Path dir) throws IOException {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) return false;
        JsonNode a = JSON.readTree(Files.readString(cfg)).path("architectures");
        return a.isArray() && a.size() > 0 && a.get(0).asText().equals(ARCHITECTURE);
    }

    public static Captioner load(Path dir, DType dtype, Device device) throws IOException {
        Path cfgPath = dir.resolve("config.json");
        if (!Files.isRegularFile(cfgPath)) throw new IOException(dir + ": no config.json (is this a model directory?)");
        JsonNode root;
        try {
            root = StrictJson.parse(Files.readAllBytes(cfgPath));   // repeated keys are errors, as in every config.json
        } catch (StrictJson.Problem p) {
            throw new IOException(cfgPath + ": " + p.getMessage(), p);
        }
        VisionConfig vc;
        DecoderConfig tc;
        try {
            String arch = root.path("architectures").path(0).asText("");
            if (!arch.equals(ARCHITECTURE)) {
                throw new IllegalArgumentException("architecture is '" + arch + "', expected " + ARCHITECTURE);
            }
            vc = VisionConfig.fromJson(root.get("vision_config"));
            tc = DecoderConfig.fromJson(root.get("text_config"));
        } catch (IllegalArgumentException e) {
            throw new IOException(cfgPath + ": " + e.getMessage(), e);
        }
        try {
            tc.checkAgainstCheckpoint(CheckpointFiles.shapes(dir), "language_model.");   // before allocating anything of its size
        } catch (IllegalArgumentException e) {
            throw new IOException(cfgPath + ": text_config: " + e.getMessage(), e);
        }
        // the decoder is not drawn at random only to be overwritten (seconds for a pretrained one); the small vision
        // tower and projector are
        Captioner c = new Captioner(vc, CausalLM.unloaded(tc, dtype, device), 1, dtype, device);
        try {
            CheckpointFiles.load(dir, c.stateDict(), name -> false);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    public void save(Path dir, Map<String, String> metadata) throws IOException {
        Files.createDirectories(dir);
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add(ARCHITECTURE);
        root.put("model_type", "racro4j_captioner");
        root.set("vision_config", visionConfig.toJson());
        root.set("text_config", language.config().toJson());
        Path cfg = dir.resolve("config.json");
        Path tmp = dir.resolve("config.json.tmp");
        Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        Files.move(tmp, cfg, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.putIfAbsent("format", "pt");
        Safetensors.write(dir.resolve(CheckpointFiles.SINGLE), stateDict(), meta);
    }

    public VisionConfig visionConfig() {
        return visionConfig;
    }

    public CausalLM languageModel() {
        return language;
    }

    public VisionEncoder visionTower() {
        return vision;
    }

    /** The vision → text projector (multi_modal_projector). */
    public Projector projector() {
        return projector;
    }

    public ImageProcessor processor() {
        return processor;
    }

    /** Number of image tokens placed before the prompt. */
    public int imageTokens() {
        return visionConfig.numPatches();
    }

    /** Image embeddings in the decoder's space, [B, P, D], from patches [B, P, 3·p·p]. */
    public Tensor embedImages(Tensor patches) {
        return projector.forward(vision.forward(patches.to(language.device()).to(language.dtype())));
    }
}
