package org.racro4j.training.sft;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.racro4j.core.Device;
import org.racro4j.core.Functional;
import org.racro4j.core.Tensor;
import org.racro4j.core.nn.Linear;
import org.racro4j.core.nn.Module;
import org.racro4j.core.optim.AdamW;
import org.racro4j.core.optim.GradClip;
import org.racro4j.core.optim.LrSchedule;
import org.racro4j.core.random.Generator;
import org.racro4j.models.tokenizer.Tokenizer;
import org.racro4j.models.tokenizer.WordLevelTokenizer;
import org.racro4j.models.vision.Captioner;
import org.racro4j.models.vision.VisionEncoder;
import org.racro4j.training.pipeline.Batches;
import org.racro4j.training.pipeline.NonFiniteSteps;
import org.racro4j.training.pipeline.Stage;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.SceneLabels;

/**
 * Pre-trains the captioner's vision encoder to parse scenes (object per cell, value per bar, hour, cells) with a
 * linear head on its flattened patch features. Trained jointly with the decoder from scratch, the encoder learns
 * where objects are long before what they are — the decoder must first learn where to look before colour and
 * shape features get any gradient; with this stage (about 150 steps) the captioner's warm start grounds its
 * words in a few minutes on a CPU.
 *
 * <p>Where the patch grid refines the scenes' 3×3 cell grid, a second loss aligns each projected patch with the
 * words of its cell's object: the language model's own output embedding, applied to the image token, should
 * name the object's colour, its shape (singular and plural) and its row and column (a cross-entropy for each). An image token then already "reads as"
 * the words a caption must copy, so the decoder's job is to pick the cells the question is about — matching a
 * question word against image tokens is a dot product it gets for free — instead of discovering the visual
 * vocabulary from the caption loss alone.
 */
public final class VisionWarmStart implements Stage {
    private final Captioner captioner;
    private final Tokenizer tok;
    private final List<TaskItem> train;
    private final Probe probe;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final int steps;
    private final int batch;
    private final long seed;
    private final NonFiniteSteps nonFinite = new NonFiniteSteps(name());

    public VisionWarmStart(Captioner captioner, Tokenizer tok, List<TaskItem> train, int steps, int batch, double lr, long seed) {
        this.captioner = captioner;
        this.tok = tok;
        this.train = train;
        this.steps = steps;
        this.batch = batch;
        this.seed = seed;
        this.probe = new Probe(captioner, seed);
        this.optimizer = new AdamW(probe.parameters(), (float) lr, 0f);
        this.schedule = LrSchedule.warmupCosine((float) lr, Math.min(20, steps), steps, (float) lr * 0.1f);
    }

    /**
     * The vision encoder, projector and language model (shared with the captioner; only the word embeddings of the
     * latter get a gradient here) and the scene-parsing head: what this stage trains and saves.
     */
    static final class Probe extends Module {
        final VisionEncoder encoder;
        final Linear head;

        Probe(Captioner captioner, long seed) {
            encoder = registerModule("vision_tower", captioner.visionTower());
            registerModule("multi_modal_projector", captioner.projector());
            registerModule("language_model", captioner.languageModel());
            int features = captioner.visionConfig().numPatches() * captioner.visionConfig().hiddenSize();
            head = registerModule("scene_head", Linear.normal(features, SceneLabels.SLOTS * SceneLabels.CLASSES, true, 0.02f,
                    new Generator(seed), captioner.languageModel().dtype(), captioner.languageModel().device()));
        }
    }

    @Override
    public String name() {
        return "vision_warm_start";
    }

    @Override
    public int steps() {
        return steps;
    }

    @Override
    public Module model() {
        return probe;
    }

    @Override
    public AdamW optimizer() {
        return optimizer;
    }

    @Override
    public Map<String, Object> step(int step) {
        long t0 = System.nanoTime();
        List<TaskItem> items = Batches.batch(train, batch, step, seed);
        long[] labels = new long[items.size() * SceneLabels.SLOTS];
        List<java.awt.image.BufferedImage> images = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            System.arraycopy(SceneLabels.of(items.get(i)), 0, labels, i * SceneLabels.SLOTS, SceneLabels.SLOTS);
            images.add(items.get(i).image());
        }
        Map<String, Object> m;
        try (org.racro4j.core.Scope s = org.racro4j.core.Scope.open()) {
            Tensor features = probe.encoder.forward(captioner.processor().patches(images).to(captioner.languageModel().device()));
            Tensor logits = probe.head.forward(features.reshape(items.size(), -1)).reshape(items.size() * SceneLabels.SLOTS, SceneLabels.CLASSES);
            Tensor target = Tensor.ofLongs(labels, labels.length).to(logits.device());
            Tensor loss = Functional.crossEntropy(logits, target, SceneLabels.IGNORE);
            Tensor aligned = wordAlignmentLoss(items, features);
            if (aligned != null) loss = loss.add(aligned);
            float lossValue = loss.item();
            String skipped = null;
            if (!Float.isFinite(lossValue)) {
                skipped = "the loss is " + lossValue;   // no backward: its gradients would not be finite either
            } else {
                loss.backward();
                // This stage does not clip; an infinite limit makes clipGradNorm only measure the norm (scale 1).
                float norm = GradClip.clipGradNorm(probe.parameters(), Float.POSITIVE_INFINITY);
                if (!Float.isFinite(norm)) skipped = "the gradient norm is " + norm + " (loss " + lossValue + ")";
            }
            if (skipped == null) {
                optimizer.setLr(schedule.lr(step));
                optimizer.step();
            }
            optimizer.zeroGrad();
            nonFinite.record(step, skipped == null ? 1 : 0, skipped == null ? 0 : 1, skipped);
            long[] pred = logits.argmax(-1, false).toLongArray();
            int right = 0;
            int counted = 0;
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] == SceneLabels.IGNORE) continue;
                counted++;
                if (pred[i] == labels[i]) right++;
            }
            m = new java.util.LinkedHashMap<>();
            m.put("loss", (double) lossValue);
            if (aligned != null) m.put("word_loss", (double) aligned.item());
            m.put("slot_accuracy", counted == 0 ? Double.NaN : right / (double) counted);
            m.put("images_per_s", items.size() / ((System.nanoTime() - t0) / 1e9));
            m.put("skipped_nonfinite", skipped == null ? 0 : 1);
        }
        return m;
    }

    /**
     * Cross-entropy of the language model's logits on each projected patch against each word naming the object in
     * the patch's cell ({@link SceneLabels#cellWords}: colour, shape, plural, row, column), summed over the words;
     * empty cells and non-scene items are ignored. Null where the patch grid does not refine the 3×3 cell grid or
     * the batch has no scenes.
     */
    private Tensor wordAlignmentLoss(List<TaskItem> items, Tensor features) {
        int patches = captioner.visionConfig().numPatches();
        int side = (int) Math.round(Math.sqrt(patches));
        if (side * side != patches || side % 3 != 0) return null;
        long[][] targets = null;
        for (int i = 0; i < items.size(); i++) {
            String[][] cells = SceneLabels.cellWords(items.get(i));
            if (cells == null) continue;
            for (int p = 0; p < patches; p++) {
                String[] words = cells[(p / side) * 3 / side * 3 + (p % side) * 3 / side];
                if (words == null) continue;
                if (targets == null) {
                    targets = new long[words.length][items.size() * patches];
                    for (long[] t : targets) java.util.Arrays.fill(t, SceneLabels.IGNORE);
                }
                for (int w = 0; w < words.length; w++) targets[w][i * patches + p] = wordId(words[w]);
            }
        }
        if (targets == null) return null;
        Tensor logits = captioner.languageModel().logits(captioner.projector().forward(features));
        logits = logits.reshape(items.size() * patches, -1);
        Device device = logits.device();
        Tensor loss = null;
        for (long[] t : targets) {
            Tensor term = Functional.crossEntropy(logits, Tensor.ofLongs(t, t.length).to(device), SceneLabels.IGNORE);
            loss = loss == null ? term : loss.add(term);
        }
        return loss;
    }

    /**
     * The token that names {@code word}: the word itself in the tasks' word-level vocabulary; for a pretrained
     * decoder's subword tokenizer, the first token of the word as it appears within a sentence (after a space), the
     * one an image token must lead the decoder to.
     */
    private long wordId(String word) {
        int[] ids = tok instanceof WordLevelTokenizer ? tok.encode(word) : tok.encode(" " + word);
        if (ids.length == 0 || (tok instanceof WordLevelTokenizer && ids.length != 1)) {
            throw new IllegalStateException("vision warm start: '" + word + "' is not one token");
        }
        return ids[0];
    }
}
