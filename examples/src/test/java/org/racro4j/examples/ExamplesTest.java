package org.racro4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.io.Safetensors;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.CausalLM;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.Tokenizers;

/** Runs both example programs through their main methods, as a user would, and checks what they print and write. */
class ExamplesTest {
    @TempDir
    Path tmp;

    @Test
    void trainMlpLowersTheLossAndItsFileHoldsTheTrainedWeights() throws IOException {
        Path file = tmp.resolve("mlp.safetensors");
        String out = stdoutOf(() -> TrainMlp.main(new String[] {file.toString()}));

        List<Float> losses = new ArrayList<>();
        Matcher m = Pattern.compile("loss (\\d+\\.\\d+)").matcher(out);
        while (m.find()) losses.add(Float.parseFloat(m.group(1)));
        assertEquals(TrainMlp.STEPS / TrainMlp.PRINT_EVERY + 1, losses.size(), out);
        // two balanced classes: an untrained model is near ln 2 = 0.69; the trained one separates the arms
        assertTrue(losses.get(0) > 0.5f, "first loss " + losses.get(0));
        assertTrue(losses.get(losses.size() - 1) < 0.25f * losses.get(0), "the loss did not fall enough: " + losses);
        assertTrue(out.contains("read back: every tensor matches"), out);

        // Independently of the program's own check: the file loads into a fresh model (strict names and shapes)
        // that separates a spiral drawn again from the same seed, so it holds the trained weights, not the initial ones.
        try (TrainMlp.Mlp fresh = new TrainMlp.Mlp(new Generator(7))) {
            fresh.load(file);
            try (Scope s = Scope.open(); Autograd.Mode off = Autograd.noGrad()) {
                TrainMlp.Spiral data = TrainMlp.spiral(new Generator(42));
                float accuracy = TrainMlp.accuracy(fresh.forward(data.points()), data.labels());
                assertTrue(accuracy > 0.95f, "accuracy of the saved model " + accuracy);
            }
        }
        Map<String, Tensor> saved = Safetensors.read(file);
        assertEquals(List.of("hidden1.bias", "hidden1.weight", "hidden2.bias", "hidden2.weight", "out.bias", "out.weight"),
                saved.keySet().stream().sorted().toList());
        assertArrayEquals(new int[] {32, 2}, saved.get("hidden1.weight").shape());
        saved.values().forEach(Tensor::close);
    }

    @Test
    void generateTextPrintsTheRequestedNumberOfNewTokens() throws IOException {
        Path modelDir = tinyCheckpoint(tmp.resolve("tiny-qwen2"));
        String prompt = "hello world";
        int newTokens = 12;
        String out = stdoutOf(() -> GenerateText.main(new String[] {modelDir.toString(), prompt, String.valueOf(newTokens)}));

        // no end-of-text token exists in this vocabulary, so generation runs to the requested length
        String countLine = "\n(" + newTokens + " new tokens)\n";
        assertTrue(out.endsWith(countLine), out);
        // the text itself may hold any byte the random model picked, a newline too: it is all that comes before
        String text = out.substring(0, out.length() - countLine.length());

        // Reference: greedy decoding the slow way, the whole sequence through the model for every new token
        // (no KV cache, no generation code), then the same decode of prompt + continuation.
        Tokenizer tok = Tokenizers.load(modelDir.resolve("tokenizer.json"));
        List<Integer> ids = new ArrayList<>();
        for (int id : tok.encode(prompt)) ids.add(id);
        try (CausalLM model = CausalLM.load(modelDir, DType.F32, Device.CPU); Autograd.Mode off = Autograd.noGrad()) {
            for (int step = 0; step < newTokens; step++) {
                try (Scope s = Scope.open()) {
                    long[] seq = ids.stream().mapToLong(Integer::longValue).toArray();
                    Tensor logits = model.forward(Tensor.ofLongs(seq, 1, seq.length), null, null);
                    ids.add((int) logits.select(1, seq.length - 1).argmax(-1, false).toLongArray()[0]);
                }
            }
        }
        String expected = tok.decode(ids.stream().mapToInt(Integer::intValue).toArray(), true);
        assertEquals(expected, text);
        assertTrue(text.startsWith(prompt) && text.length() > prompt.length(), text);
    }

    /**
     * A Hugging Face style Qwen2 checkpoint directory with random weights: config.json and model.safetensors written
     * by the model itself, and a GPT-2 style byte-level BPE tokenizer.json (every byte a token, plus four merges) with
     * no special tokens.
     */
    static Path tinyCheckpoint(Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(byteLevelChar(b)), b);
        String[] merges = {"h e", "l l", "he ll", "\u0120 w"};   // \u0120 is the byte-level form of a space
        for (String merge : merges) vocab.put(merge.replace(" ", ""), vocab.size());
        writeTokenizerJson(dir.resolve("tokenizer.json"), vocab, merges);

        DecoderConfig config = new DecoderConfig(DecoderConfig.QWEN2, vocab.size(), 16, 24, 2, 2, 1, 8, 64, 10000.0, 1e-6,
                true, true, -1, List.of());
        try (CausalLM model = CausalLM.create(config, 3, DType.F32, Device.CPU);
             Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            // larger than the usual 0.02 initialisation, so the logits differ clearly and greedy choices are no near-ties
            Generator gen = new Generator(11);
            for (Tensor t : model.stateDict().values()) t.copyFrom(Tensor.randn(gen, t.shape()).mul(0.5f));
            model.save(dir, Map.of());
        }
        return dir;
    }

    /** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the others map to code points from 256 up. */
    static char byteLevelChar(int b) {
        boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable) return (char) b;
        int n = 0;
        for (int i = 0; i < b; i++) {
            if (!((i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF))) n++;
        }
        return (char) (256 + n);
    }

    static void writeTokenizerJson(Path file, Map<String, Integer> vocab, String[] merges) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putArray("added_tokens");
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        var m = model.putArray("merges");
        for (String merge : merges) m.add(merge);
        json.writeValue(file.toFile(), root);
    }

    interface Program {
        void run() throws IOException;
    }

    /** What the program prints on standard output (newlines as \n). */
    static String stdoutOf(Program program) throws IOException {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            program.run();
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n");
        original.print(out);   // still shown in the test log
        return out;
    }
}
