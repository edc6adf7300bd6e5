package org.racro4j.models.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.optim.AdamW;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.generation.Generated;
import org.racro4j.models.generation.SamplingConfig;
import org.racro4j.models.generation.TeacherForcing;
import org.racro4j.models.generation.TextGeneration;

class CaptionerTest {
    @TempDir
    Path tmp;

    static final VisionConfig VISION = VisionConfig.small(12, 4, 16, 1, 2);
    static final DecoderConfig TEXT =
            new DecoderConfig(DecoderConfig.QWEN2, 12, 16, 32, 1, 2, 1, 8, 64, 10000.0, 1e-6, true, true, 0, List.of(1));

    static BufferedImage quadrants(Color tl, Color tr, Color bl, Color br) {
        BufferedImage img = new BufferedImage(12, 12, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(tl);
        g.fillRect(0, 0, 6, 6);
        g.setColor(tr);
        g.fillRect(6, 0, 6, 6);
        g.setColor(bl);
        g.fillRect(0, 6, 6, 6);
        g.setColor(br);
        g.fillRect(6, 6, 6, 6);
        g.dispose();
        return img;
    }

    /** Patch (py, px), channel c, pixel (y, x) sits at [(c * p + y) * p + x] of patch py * side + px. */
    @Test
    void patchesAreChannelRowColumnPerPatchInRowMajorPatchOrder() {
        BufferedImage img = new BufferedImage(12, 12, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 12; y++) for (int x = 0; x < 12; x++) img.setRGB(x, y, (x * 20) << 16 | (y * 20) << 8 | (x + y));
        float[] p = new ImageProcessor(VISION).patches(List.of(img)).toFloatArray();
        int dim = VISION.patchDim();
        for (int py = 0; py < 3; py++) for (int px = 0; px < 3; px++) for (int c = 0; c < 3; c++) for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) {
            int gx = px * 4 + x;
            int gy = py * 4 + y;
            int raw = c == 0 ? gx * 20 : c == 1 ? gy * 20 : gx + gy;
            float want = (raw / 255f - VISION.mean()[c]) / VISION.std()[c];
            assertEquals(want, p[(py * 3 + px) * dim + (c * 4 + y) * 4 + x], 1e-6f);
        }
    }

    /** Training from scratch: four images whose quadrant colours determine their captions; greedy decoding recovers them. */
    @Test
    void aCaptionerTrainedFromScratchLearnsToDescribeImages() throws IOException {
        Color[] palette = {Color.RED, Color.GREEN, Color.BLUE, Color.YELLOW};
        List<BufferedImage> images = new ArrayList<>();
        List<int[]> captions = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            images.add(quadrants(palette[i], palette[(i + 1) % 4], palette[(i + 2) % 4], palette[(i + 3) % 4]));
            captions.add(new int[] {4 + i, 4 + (i + 1) % 4, 8 + (i % 3), 1});   // three "words" then the stop token
        }
        List<int[]> prompts = List.of(new int[] {2}, new int[] {2}, new int[] {2}, new int[] {2});
        try (Captioner cap = Captioner.create(VISION, TEXT, 3, DType.F32, Device.CPU);
             AdamW opt = new AdamW(cap.parameters(), 3e-3f, 0f)) {
            Tensor patches = cap.processor().patches(images);
            float loss = Float.NaN;
            for (int step = 0; step < 150; step++) {
                try (Scope s = Scope.open()) {
                    TeacherForcing.Scores sc = TeacherForcing.score(cap.languageModel(), cap.embedImages(patches), prompts, captions, 1f, false);
                    Tensor l = sc.logProbs().sum().div(sc.mask().sum()).neg();
                    l.backward();
                    opt.step();
                    opt.zeroGrad();
                    loss = l.item();
                }
            }
            assertTrue(loss < 0.05, "training loss after 150 steps: " + loss);
            List<Generated> out;
            try (Autograd.Mode off = Autograd.noGrad()) {
                out = TextGeneration.generate(cap.languageModel(), cap.embedImages(patches), prompts, SamplingConfig.greedy(6, Set.of(1)));
            }
            for (int i = 0; i < 4; i++) assertArrayEquals(captions.get(i), out.get(i).tokens(), "caption of image " + i);

            Path dir = tmp.resolve("captioner");
            cap.save(dir, Map.of());
            assertTrue(Captioner.isCaptionerDir(dir));
            try (Captioner back = Captioner.load(dir, DType.F32, Device.CPU); Autograd.Mode off = Autograd.noGrad()) {
                for (var e : cap.stateDict().entrySet()) {
                    assertArrayEquals(e.getValue().toFloatArray(), back.stateDict().get(e.getKey()).toFloatArray(), 0f, e.getKey());
                }
                List<Generated> again = TextGeneration.generate(back.languageModel(), back.embedImages(patches), prompts,
                        SamplingConfig.greedy(6, Set.of(1)));
                for (int i = 0; i < 4; i++) assertArrayEquals(out.get(i).tokens(), again.get(i).tokens());
            }
        }
    }

    @Test
    void badCaptionerConfigsAreNamed() throws IOException {
        Path dir = tmp.resolve("bad");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"Racro4jCaptioner\"], \"vision_config\": {\"image_size\": 10, \"patch_size\": 4, \"hidden_size\": 8, \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"intermediate_size\": 8, \"image_mean\": [0,0,0], \"image_std\": [1,1,1]}}");
        IOException e = assertThrows(IOException.class, () -> Captioner.load(dir, DType.F32, Device.CPU));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("image_size"), e.getMessage());
        IOException e2 = assertThrows(IOException.class, () -> ImageProcessor.read(dir.resolve("config.json")));
        assertTrue(e2.getMessage().contains("config.json"), e2.getMessage());
    }
}
