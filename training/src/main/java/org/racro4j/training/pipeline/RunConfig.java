package org.racro4j.training.pipeline;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.racro4j.core.Device;
import org.racro4j.training.roles.CaptionerPrompt;
import org.racro4j.training.roles.ReasonerPrompt;
import org.racro4j.training.rl.RlConfig;
import org.racro4j.training.tasks.TaskMix;
import org.racro4j.training.text.DescriptionViews;

/**
 * Everything a run needs, read from YAML (see defaults.yaml beside this class for every key, its default and its
 * meaning). Records validate their own values, so an impossible setting fails with the key's name; the whole config
 * then checks the settings that must agree with each other, so that nothing a run needs fails minutes into it.
 *
 * <p>A nested record's messages start with its own key (e.g. "heads must be >= 1, got 0"); {@link ConfigLoader}
 * puts the record's place in the file in front ("reasoner.model.heads ..."). The messages of this top-level record,
 * and those of the rl section ({@link RlConfig}, which the RL code uses as it is), name the full keys themselves.
 */
public record RunConfig(long seed, String device, Tasks tasks, ReasonerSpec reasoner, ReasonerSpec swapReasoner, CaptionerSpec captioner,
                        RlConfig rl, Logging logging) {

    /**
     * The context of the text-only reasoners (reasoner and swap reasoner) the pipeline creates: they read the prompt, the
     * question, a caption or gold description, and write the answer, all within these positions.
     */
    public static final int REASONER_CONTEXT = 160;
    /** Room for BOS, a role's prompt template and the longest built-in question (the captioner's is the longer). */
    public static final int PROMPT_TOKENS = 48;

    public RunConfig {
        // Only checks between sections here; a null section is left to the code that reads it (swap_reasoner may be).
        if (tasks != null && captioner != null && tasks.imageSize() % captioner.vision().patchSize() != 0) {
            throw new IllegalArgumentException("captioner.vision.patch_size (" + captioner.vision().patchSize() + ") must divide tasks.image_size ("
                    + tasks.imageSize() + ")");
        }
        if (tasks != null && tasks.fromJsonl() && captioner != null && captioner.visionWarmStart().steps() > 0) {
            throw new IllegalArgumentException("tasks.train_jsonl needs captioner.vision_warm_start.steps: 0, got "
                    + captioner.visionWarmStart().steps() + ": the warm start parses the built-in tasks' scenes, which a dataset's images are not");
        }
        if (captioner != null && captioner.fromCheckpoint() && rl != null && !rl.algorithm().equals("racro")) {
            throw new IllegalArgumentException("captioner.pretrained needs rl.algorithm racro, got " + rl.algorithm() + ": the policy's other roles "
                    + "(Solver, Answerer) are asked in the tasks' words, which only a decoder trained on them reads");
        }
        if (captioner != null) {
            checkReasonerContext(captioner, reasoner, "reasoner");
            checkReasonerContext(captioner, swapReasoner, "swap_reasoner");
        }
    }

    /** This config on another device (the command line's --device wins over the file's). */
    public RunConfig withDevice(String other) {
        return new RunConfig(seed, other, tasks, reasoner, swapReasoner, captioner, rl, logging);
    }

    /**
     * For the studies, whose arms train their models from the built-in tasks' words at every seed: a dataset's JSONL
     * files, or a reasoner or captioner decoder given as a pretrained checkpoint, are refused, naming the key, rather than
     * silently replaced.
     */
    public void requireModelsTrainedHere(String what) {
        if (tasks != null && tasks.fromJsonl()) {
            throw new IllegalArgumentException(what + " runs on the built-in tasks; tasks.train_jsonl is for train and eval");
        }
        refuseCheckpoint(reasoner != null && reasoner.fromCheckpoint(), "reasoner", what);
        refuseCheckpoint(swapReasoner != null && swapReasoner.fromCheckpoint(), "swap_reasoner", what);
        refuseCheckpoint(captioner != null && captioner.fromCheckpoint(), "captioner", what);
    }

    private static void refuseCheckpoint(boolean fromCheckpoint, String key, String what) {
        if (fromCheckpoint) {
            throw new IllegalArgumentException(what + " trains its models from scratch at every seed; " + key + ".pretrained is for train and eval (set "
                    + key + ".model instead)");
        }
    }

    /**
     * The device a config file names: Device.of names a malformed one (cuda:x, cpu:1), and a kind no backend provides
     * is named here. {@link ConfigLoader} checks it when it reads a file; a device given on the command line instead
     * is checked where the pipeline opens it.
     */
    static void checkDevice(String device) {
        String kind = device == null ? null : Device.of(device).kind();
        if (!"cpu".equals(kind) && !"cuda".equals(kind)) throw new IllegalArgumentException("device must be cpu or cuda[:N], got '" + device + "'");
    }

    /** A caption longer than the reasoner's context leaves for it fails at the first evaluation, after all training. */
    private static void checkReasonerContext(CaptionerSpec captioner, ReasonerSpec reasoner, String name) {
        if (reasoner == null || reasoner.fromCheckpoint()) return;   // a checkpoint's context is its own (checked when it is read)
        int room = REASONER_CONTEXT - PROMPT_TOKENS;
        if (captioner.maxCaptionTokens() + reasoner.maxAnswerTokens() > room) {
            throw new IllegalArgumentException("captioner.max_caption_tokens (" + captioner.maxCaptionTokens() + ") + " + name + ".max_answer_tokens ("
                    + reasoner.maxAnswerTokens() + ") must be at most " + room + ": the reasoner reads the prompt and question (up to "
                    + PROMPT_TOKENS + " tokens), the caption and its answer in a context of " + REASONER_CONTEXT + " tokens");
        }
    }

    /**
     * The tasks: built-in ones generated from {@code mix}, or a dataset's JSONL files ({@code train_jsonl} and
     * {@code test_jsonl}, both or neither; see {@link org.racro4j.training.tasks.JsonlTasks}), of which at most
     * train_items and test_items items are read, in file order.
     */
    public record Tasks(int imageSize, int trainItems, int testItems, String mix, String trainJsonl, String testJsonl) {
        public Tasks {
            atLeast("image_size", imageSize, 24);
            atLeast("train_items", trainItems, 1);
            atLeast("test_items", testItems, 1);
            if ((trainJsonl == null) != (testJsonl == null)) {
                throw new IllegalArgumentException("train_jsonl and test_jsonl go together: a dataset's training items and its held-out items");
            }
            if (mix == null) throw new IllegalArgumentException("mix must be set (\"uniform\" or name=weight pairs)");
            try {
                taskMix(mix);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("mix: " + e.getMessage(), e);
            }
        }

        /** Whether the items come from a dataset's JSONL files rather than the built-in generator. */
        public boolean fromJsonl() {
            return trainJsonl != null;
        }

        /** The category weights: "uniform" (every category equally) or {@link TaskMix#parse}'s name=weight pairs. */
        public TaskMix taskMix() {
            return taskMix(mix);
        }

        private static TaskMix taskMix(String mix) {
            return mix.equals("uniform") ? TaskMix.uniform() : TaskMix.parse(mix);
        }
    }

    /** A decoder's shape; architecture is qwen2 or llama. */
    public record Decoder(String architecture, int hidden, int layers, int heads, int kvHeads, int intermediate) {
        public Decoder {
            if (!"qwen2".equals(architecture) && !"llama".equals(architecture)) {
                throw new IllegalArgumentException("architecture must be qwen2 or llama, got " + architecture);
            }
            atLeast("hidden", hidden, 1);
            atLeast("layers", layers, 1);
            atLeast("heads", heads, 1);
            atLeast("kv_heads", kvHeads, 1);
            atLeast("intermediate", intermediate, 1);
            // rotary embeddings turn pairs of a head's dimensions; grouped-query attention shares each kv head
            if (hidden % heads != 0 || (hidden / heads) % 2 != 0) {
                throw new IllegalArgumentException("hidden (" + hidden + ") must split into heads (" + heads + ") of even size");
            }
            if (heads % kvHeads != 0) throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kv_heads (" + kvHeads + ")");
        }
    }

    public record Sft(int steps, int batch, double lr, int warmup, double weightDecay) {
        public Sft {
            atLeast("steps", steps, 1);
            atLeast("batch", batch, 1);
            positiveFinite("lr", lr);
            if (warmup < 0 || warmup > steps) throw new IllegalArgumentException("warmup must be in [0, steps (" + steps + ")], got " + warmup);
            nonNegativeFinite("weight_decay", weightDecay);
        }
    }

    /**
     * A text-only reasoner: trained here from scratch ({@code model} + {@code sft}) on (description, question) → answer,
     * or a pretrained Hugging Face checkpoint directory ({@code pretrained}), frozen as it is or, with {@code sft},
     * fine-tuned first. {@code prompt} is how it is asked ({@link ReasonerPrompt}): "words" for one trained here, and
     * for a checkpoint a paper prompt through its chat template (null: racro-reasoner).
     */
    public record ReasonerSpec(Decoder model, String pretrained, String prompt, Sft sft, double partialFraction, double emptyFraction,
                               int maxAnswerTokens) {
        public ReasonerSpec {
            if (model != null && pretrained != null) {
                throw new IllegalArgumentException("model (a reasoner trained from scratch) and pretrained (a checkpoint directory) exclude each other: "
                        + "give one, not both");
            }
            if (model == null && pretrained == null) {
                throw new IllegalArgumentException("model (a reasoner trained from scratch) or pretrained (a checkpoint directory) must be set");
            }
            if (model != null && sft == null) throw new IllegalArgumentException("sft must be set for a reasoner trained from scratch (model)");
            if (pretrained != null && pretrained.isBlank()) throw new IllegalArgumentException("pretrained must name a checkpoint directory");
            try {
                ReasonerPrompt.checkName(prompt);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("prompt: " + e.getMessage(), e);
            }
            if (model != null && prompt != null && !prompt.equals(ReasonerPrompt.WORDS)) {
                throw new IllegalArgumentException("prompt must be words for a reasoner trained from scratch (its vocabulary is the tasks' words), got "
                        + prompt);
            }
            fraction("partial_fraction", partialFraction);
            fraction("empty_fraction", emptyFraction);
            if (partialFraction + emptyFraction > 1) {
                throw new IllegalArgumentException("partial_fraction (" + partialFraction + ") + empty_fraction (" + emptyFraction + ") must be at most 1");
            }
            atLeast("max_answer_tokens", maxAnswerTokens, 1);
        }

        /** A reasoner trained from scratch with the word-level prompt. */
        public ReasonerSpec(Decoder model, Sft sft, double partialFraction, double emptyFraction, int maxAnswerTokens) {
            this(model, null, null, sft, partialFraction, emptyFraction, maxAnswerTokens);
        }

        /** Whether the reasoner is read from a pretrained checkpoint directory rather than trained from scratch. */
        public boolean fromCheckpoint() {
            return pretrained != null;
        }
    }

    public record Vision(int patchSize, int hidden, int layers, int heads) {
        public Vision {
            atLeast("patch_size", patchSize, 1);
            atLeast("hidden", hidden, 1);
            atLeast("layers", layers, 0);
            atLeast("heads", heads, 1);
            if (hidden % heads != 0) throw new IllegalArgumentException("hidden (" + hidden + ") must be a multiple of heads (" + heads + ")");
        }
    }

    /** Scene-parsing pre-training of the vision encoder before captioning; steps 0 skips it. */
    public record VisionWarmStart(int steps, int batch, double lr) {
        public VisionWarmStart {
            atLeast("steps", steps, 0);
            atLeast("batch", batch, 1);
            positiveFinite("lr", lr);
        }
    }

    /**
     * The captioner: a vision encoder and projector trained here, before a language decoder that is trained here from
     * scratch ({@code model}) or is a pretrained Hugging Face checkpoint ({@code pretrained}, fine-tuned in F32 by the
     * captioner's SFT and RL). {@code prompt} is how it is asked for a caption ({@link CaptionerPrompt}): "words" for a
     * decoder trained here, for a checkpoint a paper prompt through its chat template (null: racro-captioner).
     */
    public record CaptionerSpec(Vision vision, VisionWarmStart visionWarmStart, Decoder model, String pretrained, String prompt, Sft sft,
                                double focusedDescriptionFraction, List<String> genericViews, int maxCaptionTokens) {
        public CaptionerSpec {
            if (model != null && pretrained != null) {
                throw new IllegalArgumentException("model (a decoder trained from scratch) and pretrained (a checkpoint directory) exclude each other: "
                        + "give one, not both");
            }
            if (model == null && pretrained == null) {
                throw new IllegalArgumentException("model (a decoder trained from scratch) or pretrained (a checkpoint directory) must be set");
            }
            if (pretrained != null && pretrained.isBlank()) throw new IllegalArgumentException("pretrained must name a checkpoint directory");
            if (sft == null) throw new IllegalArgumentException("sft must be set: the vision encoder and projector are trained by it");
            try {
                CaptionerPrompt.checkName(prompt);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("prompt: " + e.getMessage(), e);
            }
            if (model != null && prompt != null && !prompt.equals(ReasonerPrompt.WORDS)) {
                throw new IllegalArgumentException("prompt must be words for a decoder trained from scratch (its vocabulary is the tasks' words), got "
                        + prompt);
            }
            if (genericViews == null || genericViews.isEmpty()) throw new IllegalArgumentException("generic_views must name at least one view");
            try {
                views(genericViews);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("generic_views: " + e.getMessage(), e);
            }
            fraction("focused_description_fraction", focusedDescriptionFraction);
            atLeast("max_caption_tokens", maxCaptionTokens, 4);
        }

        /** The same captioner with other SFT settings (a stage of its own, trained on this captioner's descriptions). */
        public CaptionerSpec withSft(Sft other) {
            return new CaptionerSpec(vision, visionWarmStart, model, pretrained, prompt, other, focusedDescriptionFraction, genericViews, maxCaptionTokens);
        }

        /** A captioner whose decoder is trained from scratch, asked with the word-level prompt. */
        public CaptionerSpec(Vision vision, VisionWarmStart visionWarmStart, Decoder model, Sft sft, double focusedDescriptionFraction,
                             List<String> genericViews, int maxCaptionTokens) {
            this(vision, visionWarmStart, model, null, null, sft, focusedDescriptionFraction, genericViews, maxCaptionTokens);
        }

        /** Whether the language decoder starts from a pretrained checkpoint directory rather than from scratch. */
        public boolean fromCheckpoint() {
            return pretrained != null;
        }

        /** The generic views the warm start draws besides the focused evidence. */
        public Set<DescriptionViews.View> views() {
            return views(genericViews);
        }

        private static Set<DescriptionViews.View> views(List<String> names) {
            Set<DescriptionViews.View> s = EnumSet.noneOf(DescriptionViews.View.class);
            for (String v : names) {
                DescriptionViews.View view = DescriptionViews.View.parse(v);
                if (view == DescriptionViews.View.FOCUSED) throw new IllegalArgumentException("'focused' is not a generic view");
                s.add(view);
            }
            return s;
        }
    }

    public record Logging(int logEvery, int checkpointEvery, int evalSamples) {
        public Logging {
            atLeast("log_every", logEvery, 1);
            atLeast("checkpoint_every", checkpointEvery, 1);
            atLeast("eval_samples", evalSamples, 0);
        }
    }

    private static void atLeast(String key, int value, int min) {
        if (value < min) throw new IllegalArgumentException(key + " must be >= " + min + ", got " + value);
    }

    /** Learning rates: NaN or infinity would turn every weight into NaN at the first step. */
    private static void positiveFinite(String key, double value) {
        if (!(value > 0 && value < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException(key + " must be finite and > 0, got " + value);
    }

    private static void nonNegativeFinite(String key, double value) {
        if (!(value >= 0 && value < Double.POSITIVE_INFINITY)) throw new IllegalArgumentException(key + " must be finite and >= 0, got " + value);
    }

    private static void fraction(String key, double value) {
        if (!(value >= 0 && value <= 1)) throw new IllegalArgumentException(key + " must be in [0, 1], got " + value);
    }
}
