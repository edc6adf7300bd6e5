package org.racro4j.training.pipeline;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.racro4j.training.rl.LossConfig;
import org.racro4j.training.rl.RlConfig;
import org.racro4j.training.text.DescriptionViews;

/**
 * Everything a run needs, read from YAML (see defaults.yaml beside this class for every key, its default and its
 * meaning). Records validate their own values, so an impossible setting fails with the key's name.
 */
public record RunConfig(long seed, String device, Tasks tasks, Reader reasoner, Reader swapReasoner, CaptionerSpec captioner,
                        Rl rl, Logging logging) {

    public record Tasks(int imageSize, int trainItems, int testItems, String mix) {
        public Tasks {
            if (imageSize < 24) throw new IllegalArgumentException("tasks.image_size must be >= 24, got " + imageSize);
            if (trainItems < 1 || testItems < 1) throw new IllegalArgumentException("tasks.train_items and tasks.test_items must be >= 1");
        }
    }

    /** A decoder's shape; architecture is qwen2 or llama. */
    public record Decoder(String architecture, int hidden, int layers, int heads, int kvHeads, int intermediate) {
        public Decoder {
            if (!architecture.equals("qwen2") && !architecture.equals("llama")) {
                throw new IllegalArgumentException("model.architecture must be qwen2 or llama, got " + architecture);
            }
            if (hidden < 1 || layers < 1 || heads < 1 || kvHeads < 1 || intermediate < 1) {
                throw new IllegalArgumentException("model sizes must be >= 1");
            }
            if (hidden % heads != 0 || heads % kvHeads != 0 || (hidden / heads) % 2 != 0) {
                throw new IllegalArgumentException("model: hidden (" + hidden + ") must split into heads (" + heads
                        + ") of even size, and heads into kv_heads (" + kvHeads + ")");
            }
        }
    }

    public record Sft(int steps, int batch, double lr, int warmup, double weightDecay) {
        public Sft {
            if (steps < 1 || batch < 1) throw new IllegalArgumentException("sft.steps and sft.batch must be >= 1");
            if (!(lr > 0)) throw new IllegalArgumentException("sft.lr must be > 0, got " + lr);
            if (warmup < 0 || warmup > steps) throw new IllegalArgumentException("sft.warmup must be in [0, sft.steps], got " + warmup);
        }
    }

    /** A text-only reader trained on (description, question) → answer. */
    public record Reader(Decoder model, Sft sft, double partialFraction, double emptyFraction, int maxAnswerTokens) {
        public Reader {
            if (partialFraction < 0 || emptyFraction < 0 || partialFraction + emptyFraction > 1) {
                throw new IllegalArgumentException("reasoner: partial_fraction and empty_fraction must be >= 0 and add up to at most 1");
            }
            if (maxAnswerTokens < 1) throw new IllegalArgumentException("reasoner.max_answer_tokens must be >= 1");
        }
    }

    public record Vision(int patchSize, int hidden, int layers, int heads) {
        public Vision {
            if (patchSize < 1 || hidden < 1 || layers < 0 || heads < 1 || hidden % heads != 0) {
                throw new IllegalArgumentException("captioner.vision: need patch_size >= 1 and hidden divisible by heads");
            }
        }
    }

    /** Scene-parsing pre-training of the vision encoder before captioning; steps 0 skips it. */
    public record VisionWarmStart(int steps, int batch, double lr) {
        public VisionWarmStart {
            if (steps < 0 || batch < 1 || !(lr > 0)) {
                throw new IllegalArgumentException("captioner.vision_warm_start: need steps >= 0, batch >= 1, lr > 0");
            }
        }
    }

    public record CaptionerSpec(Vision vision, VisionWarmStart visionWarmStart, Decoder model, Sft sft, double focusedDescriptionFraction,
                                List<String> genericViews, int maxCaptionTokens) {
        public CaptionerSpec {
            if (genericViews == null || genericViews.isEmpty()) throw new IllegalArgumentException("captioner.generic_views must name at least one view");
            views(genericViews);
            if (focusedDescriptionFraction < 0 || focusedDescriptionFraction > 1) {
                throw new IllegalArgumentException("captioner.focused_description_fraction must be in [0, 1], got " + focusedDescriptionFraction);
            }
            if (maxCaptionTokens < 4) throw new IllegalArgumentException("captioner.max_caption_tokens must be >= 4");
        }

        /** The generic views the warm start draws besides the focused evidence. */
        public Set<DescriptionViews.View> views() {
            return views(genericViews);
        }

        private static Set<DescriptionViews.View> views(List<String> names) {
            Set<DescriptionViews.View> s = EnumSet.noneOf(DescriptionViews.View.class);
            for (String v : names) {
                DescriptionViews.View view = DescriptionViews.View.parse(v);
                if (view == DescriptionViews.View.FOCUSED) throw new IllegalArgumentException("captioner.generic_views: 'focused' is not a generic view");
                s.add(view);
            }
            return s;
        }
    }

    public record Rl(String algorithm, int steps, int promptsPerStep, int groupSize, double temperature, double lr, int warmupSteps,
                     double weightDecay, int innerEpochs, int minibatch, double clipLow, double clipHigh, String aggregation,
                     String kl, double klCoef, boolean stdNormalize, boolean dynamicSampling, double maxGradNorm, int readerSamples,
                     double readerTemperature, String readerReward, Map<String, Double> rewards, Map<String, Double> solverRewards) {
        public boolean expectedReaderReward() {
            return switch (readerReward) {
                case "expected" -> true;
                case "sampled" -> false;
                default -> throw new IllegalArgumentException("rl.reader_reward must be expected or sampled, got " + readerReward);
            };
        }

        public RlConfig toRlConfig(int maxCaptionTokens) {
            expectedReaderReward();
            LossConfig.Aggregation agg = switch (aggregation) {
                case "token_mean" -> LossConfig.Aggregation.TOKEN_MEAN;
                case "sequence_mean" -> LossConfig.Aggregation.SEQUENCE_MEAN;
                case "token_sum_norm" -> LossConfig.Aggregation.TOKEN_SUM_NORM;
                default -> throw new IllegalArgumentException("rl.aggregation must be token_mean, sequence_mean or token_sum_norm, got " + aggregation);
            };
            LossConfig.KlEstimator est = switch (kl) {
                case "k1" -> LossConfig.KlEstimator.K1;
                case "k3" -> LossConfig.KlEstimator.K3;
                default -> throw new IllegalArgumentException("rl.kl must be k1 or k3, got " + kl);
            };
            return new RlConfig(algorithm, steps, promptsPerStep, groupSize, (float) temperature, maxCaptionTokens, lr, warmupSteps,
                    weightDecay, innerEpochs, minibatch, new LossConfig(clipLow, clipHigh, agg, est, klCoef), stdNormalize,
                    dynamicSampling, maxGradNorm, readerSamples, (float) readerTemperature);
        }
    }

    public record Logging(int logEvery, int checkpointEvery, int evalSamples) {
        public Logging {
            if (logEvery < 1 || checkpointEvery < 1) throw new IllegalArgumentException("logging.log_every and logging.checkpoint_every must be >= 1");
        }
    }
}
