package org.racro4j.training.sft;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.racro4j.core.Functional;
import org.racro4j.core.Tensor;
import org.racro4j.core.nn.Linear;
import org.racro4j.core.nn.Module;
import org.racro4j.core.optim.AdamW;
import org.racro4j.core.optim.LrSchedule;
import org.racro4j.core.random.Generator;
import org.racro4j.models.vision.Captioner;
import org.racro4j.models.vision.VisionEncoder;
import org.racro4j.training.pipeline.Batches;
import org.racro4j.training.pipeline.Stage;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.SceneLabels;

/**
 * Pre-trains the captioner's vision encoder to parse scenes (object per cell, value per bar, hour, cells) with a
 * linear head on its flattened patch features. Trained jointly with the decoder from scratch, the encoder learns
 * where objects are long before what they are — the decoder must first learn where to look before colour and
 * shape features get any gradient; with this stage (about 150 steps) the captioner's warm start grounds its
 * words in a few minutes on a CPU.
 */
public final class VisionWarmStart implements Stage {
    private final Captioner captioner;
    private final List<TaskItem> train;
    private final Probe probe;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final int steps;
    private final int batch;
    private final long seed;

    public VisionWarmStart(Captioner captioner, List<TaskItem> train, int steps, int batch, double lr, long seed) {
        this.captioner = captioner;
        this.train = train;
        this.steps = steps;
        this.batch = batch;
        this.seed = seed;
        this.probe = new Probe(captioner, seed);
        this.optimizer = new AdamW(probe.parameters(), (float) lr, 0f);
        this.schedule = LrSchedule.warmupCosine((float) lr, Math.min(20, steps), steps, (float) lr * 0.1f);
    }

    /** The vision encoder (shared with the captioner) and the scene-parsing head: what this stage trains and saves. */
    static final class Probe extends Module {
        final VisionEncoder encoder;
        final Linear head;

        Probe(Captioner captioner, long seed) {
            encoder = registerModule("vision_tower", captioner.visionTower());
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
            loss.backward();
            optimizer.setLr(schedule.lr(step));
            optimizer.step();
            optimizer.zeroGrad();
            long[] pred = logits.argmax(-1, false).toLongArray();
            int right = 0;
            int counted = 0;
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] == SceneLabels.IGNORE) continue;
                counted++;
                if (pred[i] == labels[i]) right++;
            }
            m = new java.util.LinkedHashMap<>();
            m.put("loss", (double) loss.item());
            m.put("slot_accuracy", counted == 0 ? Double.NaN : right / (double) counted);
            m.put("images_per_s", items.size() / ((System.nanoTime() - t0) / 1e9));
        }
        return m;
    }
}
