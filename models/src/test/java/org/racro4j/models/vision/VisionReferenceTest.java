package org.racro4j.models.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.decoder.DecoderConfig;
import org.racro4j.models.decoder.ReferenceDecoder;
import org.racro4j.models.generation.Generated;
import org.racro4j.models.generation.SamplingConfig;
import org.racro4j.models.generation.TextGeneration;

/**
 * The vision encoder, the projector, {@link Captioner#embedImages} and image-prefixed generation against float64
 * loop-by-loop references ({@link ReferenceVision}, and {@link ReferenceDecoder} for the language model), on random
 * O(1) weights (norms and biases too) and awkward sizes: 15-pixel images in 5-pixel patches (9 patches of 75
 * values), hidden 18 in 3 heads of 6, MLP 29, two blocks; a decoder of hidden 14. A dropped position embedding,
 * norm or bias, a wrong attention scale or head split, a causal mask, a GELU variant, or image tokens put anywhere
 * but before the prompt would each move the outputs far beyond the 1e-4 relative tolerance.
 */
class VisionReferenceTest {
    static final VisionConfig VISION = new VisionConfig(15, 5, 18, 2, 3, 29, 1e-5,
            new float[] {0.47f, 0.41f, 0.39f}, new float[] {0.27f, 0.25f, 0.29f});
    static final DecoderConfig TEXT =
            new DecoderConfig(DecoderConfig.QWEN2, 23, 14, 22, 1, 2, 1, 6, 64, 10000.0, 1e-6, true, true, 0, List.of(1));

    static Captioner captioner;
    static ReferenceVision reference;

    @BeforeAll
    static void makeCaptioner() {
        captioner = Captioner.create(VISION, TEXT, 5, DType.F32, Device.CPU);
        Generator g = new Generator(6);
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            for (var e : captioner.stateDict().entrySet()) {
                boolean normScale = e.getKey().contains("norm") && e.getKey().endsWith(".weight");
                Tensor r = Tensor.randn(g, e.getValue().shape()).mul(normScale ? 0.3f : 0.35f);
                e.getValue().copyFrom(normScale ? r.add(1f) : r);
            }
        }
        reference = new ReferenceVision(VISION, captioner.stateDict());
    }

    @AfterAll
    static void closeCaptioner() {
        captioner.close();
    }

    static double[][][] randomArray(long seed, int b, int t, int d) {
        Generator g = new Generator(seed);
        double[][][] x = new double[b][t][d];
        for (double[][] row : x) for (double[] v : row) for (int k = 0; k < d; k++) v[k] = 2.5 * (2 * g.nextFloat() - 1);
        return x;
    }

    static Tensor tensorOf(double[][][] x) {
        int b = x.length;
        int t = x[0].length;
        int d = x[0][0].length;
        float[] f = new float[b * t * d];
        for (int r = 0; r < b; r++) for (int i = 0; i < t; i++) for (int k = 0; k < d; k++) f[(r * t + i) * d + k] = (float) x[r][i][k];
        return Tensor.of(f, b, t, d);
    }

    /** Every value within 1e-4 of the largest reference value. */
    static void assertClose(double[][][] want, float[] got, String what) {
        double scale = 0;
        for (double[][] m : want) for (double[] row : m) for (double v : row) scale = Math.max(scale, Math.abs(v));
        int t = want[0].length;
        int d = want[0][0].length;
        assertEquals(want.length * t * d, got.length, what + ": size");
        for (int b = 0; b < want.length; b++) {
            for (int i = 0; i < t; i++) {
                for (int k = 0; k < d; k++) {
                    double err = Math.abs(got[(b * t + i) * d + k] - want[b][i][k]);
                    assertTrue(err <= 1e-4 * scale, what + " [" + b + "][" + i + "][" + k + "] = " + got[(b * t + i) * d + k]
                            + ", float64 reference " + want[b][i][k] + " (max |value| " + scale + ")");
                }
            }
        }
    }

    @Test
    void referenceErfMatchesTabulatedValues() {
        double[][] table = {{0.5, 0.5204998778130465}, {1.0, 0.8427007929497149}, {2.0, 0.9953222650189527},
                {2.5, 0.9995930479825550}, {3.0, 0.9999779095030014}, {-1.3, -0.9340079449406524}};
        for (double[] row : table) assertEquals(row[1], ReferenceVision.erf(row[0]), 1e-13, "erf(" + row[0] + ")");
    }

    @Test
    void encoderMatchesFloat64Reference() {
        double[][][] patches = randomArray(1, 2, VISION.numPatches(), VISION.patchDim());
        float[] got;
        try (Autograd.Mode off = Autograd.noGrad()) {
            got = captioner.visionTower().forward(tensorOf(patches)).toFloatArray();
        }
        double[][][] want = new double[2][][];
        for (int b = 0; b < 2; b++) want[b] = reference.encode(patches[b]);
        assertClose(want, got, "vision features");
    }

    @Test
    void projectorMatchesFloat64Reference() {
        double[][][] features = randomArray(2, 3, 7, VISION.hiddenSize());
        float[] got;
        try (Autograd.Mode off = Autograd.noGrad()) {
            got = captioner.projector().forward(tensorOf(features)).toFloatArray();
        }
        double[][][] want = new double[3][][];
        for (int b = 0; b < 3; b++) want[b] = reference.project(features[b], TEXT.hiddenSize());
        assertClose(want, got, "projected features");
    }

    /**
     * One image's patches worked out here from the processor's documented layout: patches in row-major order, the
     * values of each as (channel, row, column), every pixel (raw / 255 - mean) / std in float64.
     */
    static double[][] referencePatches(BufferedImage img) {
        int p = VISION.patchSize();
        int side = VISION.patchesPerSide();
        double[][] out = new double[VISION.numPatches()][VISION.patchDim()];
        for (int py = 0; py < side; py++) for (int px = 0; px < side; px++) for (int c = 0; c < 3; c++) {
            for (int y = 0; y < p; y++) for (int x = 0; x < p; x++) {
                int rgb = img.getRGB(px * p + x, py * p + y);
                int raw = (rgb >> (16 - 8 * c)) & 0xff;
                out[py * side + px][(c * p + y) * p + x] = (raw / 255.0 - VISION.mean()[c]) / VISION.std()[c];
            }
        }
        return out;
    }

    static List<BufferedImage> randomImages(long seed, int n) {
        Generator g = new Generator(seed);
        List<BufferedImage> images = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(VISION.imageSize(), VISION.imageSize(), BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < VISION.imageSize(); y++) for (int x = 0; x < VISION.imageSize(); x++) img.setRGB(x, y, g.nextInt(1 << 24));
            images.add(img);
        }
        return images;
    }

    /** Image tokens of each image: the projector applied to the encoder's features, from the pixels up. */
    @Test
    void embedImagesIsTheProjectedEncodingOfThePixels() {
        List<BufferedImage> images = randomImages(3, 2);
        float[] got;
        try (Autograd.Mode off = Autograd.noGrad()) {
            got = captioner.embedImages(captioner.processor().patches(images)).toFloatArray();
        }
        double[][][] want = new double[2][][];
        for (int b = 0; b < 2; b++) want[b] = reference.project(reference.encode(referencePatches(images.get(b))), TEXT.hiddenSize());
        assertEquals(VISION.numPatches(), captioner.imageTokens());
        assertClose(want, got, "image tokens");
    }

    /**
     * Greedy captions of two images with prompts of different lengths (so one row is left-padded) equal greedy
     * decoding by the float64 references on [image tokens][prompt][caption so far], token by token, with the same
     * log-probabilities.
     */
    @Test
    void captionsAreGeneratedWithTheImageTokensBeforeThePrompt() {
        List<BufferedImage> images = randomImages(4, 2);
        List<int[]> prompts = List.of(new int[] {4, 17, 9, 2}, new int[] {13});
        List<Generated> out;
        try (Autograd.Mode off = Autograd.noGrad()) {
            Tensor imageTokens = captioner.embedImages(captioner.processor().patches(images));
            out = TextGeneration.generate(captioner.languageModel(), imageTokens, prompts, SamplingConfig.greedy(5, Set.of()));
        }
        ReferenceDecoder decoder = new ReferenceDecoder(TEXT, captioner.languageModel().stateDict());
        for (int r = 0; r < 2; r++) {
            double[][] image = reference.project(reference.encode(referencePatches(images.get(r))), TEXT.hiddenSize());
            List<double[]> input = new ArrayList<>(List.of(image));
            for (int id : prompts.get(r)) input.add(decoder.embedding(id));
            int[] tokens = new int[5];
            double[] logProbs = new double[5];
            for (int step = 0; step < 5; step++) {
                double[][] logits = decoder.logitsOfEmbeddings(input.toArray(new double[0][]));
                double[] last = logits[logits.length - 1];
                int best = 0;
                for (int j = 1; j < last.length; j++) if (last[j] > last[best]) best = j;
                double max = last[best];
                double sum = 0;
                for (double v : last) sum += Math.exp(v - max);
                tokens[step] = best;
                logProbs[step] = -Math.log(sum);
                input.add(decoder.embedding(best));
            }
            assertArrayEquals(tokens, out.get(r).tokens(), "caption of image " + r);
            for (int step = 0; step < 5; step++) {
                assertEquals(logProbs[step], out.get(r).logProbs()[step], 1e-4, "log-probability of token " + step + " of image " + r);
            }
        }
    }
}
