package org.racro4j.training.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.racro4j.core.Autograd;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.core.random.Generator;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.models.vision.Captioner;
import org.racro4j.models.vision.VisionConfig;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.SceneLabels;
import org.racro4j.training.text.TaskTokenizer;

/**
 * The vision warm start's logged loss, word loss and slot accuracy, recomputed in float64 from the encoder's
 * features, the head's weights and the language model's logits of the projected patches: slot loss = mean
 * cross-entropy over the labelled slots; word loss = Σ over the five words (colour, shape, plural, row, column)
 * of the mean cross-entropy over the patches that lie in an occupied cell. A patch's cell is found from its centre
 * pixel, and its words by parsing the item's facts in the test, not through {@link SceneLabels#cellWords}.
 */
class VisionWarmStartObjectiveTest {
    private static final WordLevelTokenizer TOK = TaskTokenizer.create();
    private static final int IMAGE = 48;
    private static final int PATCH = 8;   // 6 x 6 patches: 2 x 2 per cell of the 3 x 3 scene grid
    private static final List<String> ROWS = List.of("top", "middle", "bottom");
    private static final List<String> COLUMNS = List.of("left", "center", "right");

    @Test
    void loggedObjectivesEqualAFloat64Recomputation() {
        List<TaskItem> items = new TaskGenerator(51).generate(Split.TRAIN, 7);
        assertTrue(items.stream().anyMatch(t -> t.family().equals("shapes")), "some scenes");
        assertTrue(items.stream().anyMatch(t -> !t.family().equals("shapes")), "some items without cells");
        Captioner cap = captioner();
        VisionWarmStart stage = stage(cap, items, 3, 1e-3);
        Map<String, Tensor> head = stage.model().namedParameters();

        Expected e = expected(cap, head.get("scene_head.weight").toFloatArray(), head.get("scene_head.bias").toFloatArray(), items);
        Map<String, Object> m = stage.step(0);

        assertEquals(e.slotLoss + e.wordLoss, (double) m.get("loss"), 1e-5 * (e.slotLoss + e.wordLoss));
        assertEquals(e.wordLoss, (double) m.get("word_loss"), 1e-5 * e.wordLoss);
        assertEquals(e.slotAccuracy, (double) m.get("slot_accuracy"), 1e-12);
    }

    /** A captioner over 6 x 6 patches with a randomised projector and language model. */
    static Captioner captioner() {
        Captioner cap = Captioner.create(VisionConfig.small(IMAGE, PATCH, 24, 1, 2), TinyModels.config(TOK.vocabSize(), true, 64), 52,
                DType.F32, Device.CPU);
        TinyModels.randomize(cap.languageModel(), 53);
        TinyModels.randomize(cap.projector(), 54);
        return cap;
    }

    /** The stage over all the items in one batch, with a randomised scene head. */
    static VisionWarmStart stage(Captioner cap, List<TaskItem> items, int steps, double lr) {
        VisionWarmStart stage = new VisionWarmStart(cap, TOK, items, steps, items.size(), lr, 55);
        Map<String, Tensor> head = stage.model().namedParameters();
        try (Autograd.Mode off = Autograd.noGrad()) {
            head.get("scene_head.weight").copyFrom(Tensor.randn(new Generator(56), head.get("scene_head.weight").shape()).mul(0.05f));
            head.get("scene_head.bias").copyFrom(Tensor.randn(new Generator(57), head.get("scene_head.bias").shape()));
        }
        return stage;
    }

    record Expected(double slotLoss, double wordLoss, double slotAccuracy) {}

    private static Expected expected(Captioner cap, float[] w, float[] b, List<TaskItem> items) {
        int n = items.size();
        int patches = (IMAGE / PATCH) * (IMAGE / PATCH);
        int hidden = cap.visionConfig().hiddenSize();
        int vocab = TOK.vocabSize();
        float[] features;
        float[] wordLogits;
        try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
            List<java.awt.image.BufferedImage> images = new ArrayList<>();
            for (TaskItem t : items) images.add(t.image());
            Tensor f = cap.visionTower().forward(cap.processor().patches(images));
            features = f.toFloatArray();
            wordLogits = cap.languageModel().logits(cap.projector().forward(f)).toFloatArray();
        }
        int in = patches * hidden;
        int outs = SceneLabels.SLOTS * SceneLabels.CLASSES;

        double slotNll = 0;
        int slots = 0;
        int right = 0;
        for (int i = 0; i < n; i++) {
            long[] labels = SceneLabels.of(items.get(i));
            double[] z = new double[outs];
            for (int o = 0; o < outs; o++) {
                double acc = b[o];
                for (int k = 0; k < in; k++) acc += (double) w[o * in + k] * features[i * in + k];
                z[o] = acc;
            }
            for (int slot = 0; slot < SceneLabels.SLOTS; slot++) {
                if (labels[slot] == SceneLabels.IGNORE) continue;
                int off = slot * SceneLabels.CLASSES;
                slotNll -= logSoftmax(z, off, SceneLabels.CLASSES, (int) labels[slot]);
                slots++;
                int best = 0;
                for (int c = 1; c < SceneLabels.CLASSES; c++) if (z[off + c] > z[off + best]) best = c;
                if (best == labels[slot]) right++;
            }
        }

        double[] wordNll = new double[5];
        int[] wordCount = new int[5];
        int side = IMAGE / PATCH;
        for (int i = 0; i < n; i++) {
            TaskItem item = items.get(i);
            if (!item.family().equals("shapes")) continue;
            for (int p = 0; p < patches; p++) {
                int cellRow = (int) Math.floor(3.0 * ((p / side) + 0.5) * PATCH / IMAGE);
                int cellColumn = (int) Math.floor(3.0 * ((p % side) + 0.5) * PATCH / IMAGE);
                String[] words = wordsAt(item, ROWS.get(cellRow), COLUMNS.get(cellColumn));
                if (words == null) continue;
                for (int k = 0; k < 5; k++) {
                    int[] id = TOK.encode(words[k]);
                    assertEquals(1, id.length, words[k]);
                    wordNll[k] -= logSoftmax(wordLogits, (i * patches + p) * vocab, vocab, id[0]);
                    wordCount[k]++;
                }
            }
        }
        double wordLoss = 0;
        for (int k = 0; k < 5; k++) wordLoss += wordNll[k] / wordCount[k];
        return new Expected(slotNll / slots, wordLoss, right / (double) slots);
    }

    /** {colour, shape, plural, row, column} of the object the facts place in that cell, or null. */
    private static String[] wordsAt(TaskItem item, String row, String column) {
        for (String fact : item.facts()) {
            String[] f = fact.split(" ");   // "<colour> <shape> at <row> <column> ."
            if (f[3].equals(row) && f[4].equals(column)) return new String[] {f[0], f[1], f[1] + "s", row, column};
        }
        return null;
    }

    private static double logSoftmax(double[] z, int off, int count, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < count; c++) max = Math.max(max, z[off + c]);
        double sum = 0;
        for (int c = 0; c < count; c++) sum += Math.exp(z[off + c] - max);
        return z[off + k] - max - Math.log(sum);
    }

    private static double logSoftmax(float[] z, int off, int count, int k) {
        return TinyModels.logSoftmax(z, off, count, k);
    }
}
