package org.racro4j.models.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The two papers' prompts for pretrained chat models, as system + user messages to render with a checkpoint's
 * {@link ChatTemplate}. The image is not part of these messages: the captioner's (Observer's) vision input is
 * supplied by the vision pipeline.
 *
 * <ul>
 *   <li>RACRO (arXiv 2506.04559, github.com/gyhdog99/RACRO2): the captioner prompt of
 *       {@code examples/data_preprocess/virl39k.py} and the reasoner prompt of {@code ray_trainer_caption.fit},
 *       quoted exactly. The reasoner is asked to put its final answer in {@code \boxed{}}, which is what RACRO's
 *       reward extracts and what racro4j's answer verifier reads first.</li>
 *   <li>PRCO (arXiv 2603.28618, github.com/Dtc7w3PQ/PRCO): its Observer and Solver prompts live in
 *       {@code VLMEvalKit/vlmeval/format_prompt/Observer.jinja} and {@code Solver.jinja}, which racro4j's notes
 *       describe but do not quote. The texts here <b>paraphrase that description</b>: the Observer writes a
 *       question-focused bullet list with labels and numbers transcribed and no answer; the Solver uses the
 *       description first, looks at the image only when needed, reasons in {@code <think>...</think>} and answers in
 *       {@code \boxed{}}. They are not PRCO's exact wording.</li>
 * </ul>
 * A config names a prompt with {@link Prompt#named(String)}: {@code racro-captioner}, {@code racro-reasoner},
 * {@code prco-observer}, {@code prco-solver}.
 */
public final class PaperPrompts {
    private PaperPrompts() {
    }

    static final String RACRO_CAPTIONER_SYSTEM = "You are given an image and a relevant question. Based on the query, "
                                                 + "please describe the image in detail. Do not try to answer the question.";
    static final String RACRO_REASONER_SYSTEM = "You are a helpful assistant.";
    static final String PRCO_OBSERVER_SYSTEM = "You are the Observer. You can see the image; another model, the Solver, "
                                               + "will answer the question from your description alone.";
    static final String PRCO_SOLVER_SYSTEM = "You are the Solver. Answer the question from the description of the image "
                                             + "first, and look at the image itself only when the description is not "
                                             + "enough.";

    /** RACRO's captioner: describe the image for the question, do not answer it. */
    public static List<Message> racroCaptioner(String question) {
        return List.of(Message.system(RACRO_CAPTIONER_SYSTEM),
                       Message.user("Question: " + required(question, "question")
                                    + "\nPlease describe the image. DO NOT try to answer the question!"));
    }

    /** RACRO's reasoner: caption + question, think step by step, the final answer in \boxed{}. */
    public static List<Message> racroReasoner(String caption, String question) {
        return List.of(Message.system(RACRO_REASONER_SYSTEM),
                       Message.user("### The detailed caption of the provided image: " + required(caption, "caption")
                                    + "\n\n### Question: " + required(question, "question")
                                    + " Please think step by step. The final answer MUST BE put in \\boxed{}."));
    }

    /** PRCO's Observer (a paraphrase of its described prompt): a question-focused bullet list, no answer. */
    public static List<Message> prcoObserver(String question) {
        return List.of(Message.system(PRCO_OBSERVER_SYSTEM),
                       Message.user("Question: " + required(question, "question")
                                    + "\nDescribe the parts of the image this question depends on, as a bullet list. "
                                    + "Transcribe every label, number and piece of text exactly as shown. Do not solve "
                                    + "the problem and do not state the answer."));
    }

    /** PRCO's Solver (a paraphrase of its described prompt): description first, reasoning in think tags, \boxed{}. */
    public static List<Message> prcoSolver(String caption, String question) {
        return List.of(Message.system(PRCO_SOLVER_SYSTEM),
                       Message.user("### Description of the image:\n" + required(caption, "caption")
                                    + "\n\n### Question: " + required(question, "question")
                                    + "\nReason step by step inside <think> </think>, then give the final answer in "
                                    + "\\boxed{}."));
    }

    private static String required(String value, String what) {
        return Objects.requireNonNull(value, () -> "the " + what + " is null");
    }

    /** A paper prompt chosen by its config name. */
    public enum Prompt {
        RACRO_CAPTIONER("racro-captioner", false),
        RACRO_REASONER("racro-reasoner", true),
        PRCO_OBSERVER("prco-observer", false),
        PRCO_SOLVER("prco-solver", true);

        private final String configName;
        private final boolean readsCaption;

        Prompt(String configName, boolean readsCaption) {
            this.configName = configName;
            this.readsCaption = readsCaption;
        }

        /** The name a config uses, e.g. {@code racro-reasoner}. */
        public String configName() {
            return configName;
        }

        /** Whether the prompt reads a caption (the reasoner and the Solver) or writes one. */
        public boolean readsCaption() {
            return readsCaption;
        }

        /**
         * The messages for this question (and caption, for the prompts that read one).
         *
         * @param caption null for the captioner and the Observer, required for the reasoner and the Solver
         * @throws IllegalArgumentException when a caption is given to a prompt that writes one, or missing
         */
        public List<Message> messages(String caption, String question) {
            if (readsCaption && caption == null) {
                throw new IllegalArgumentException(configName + " needs a caption");
            }
            if (!readsCaption && caption != null) {
                throw new IllegalArgumentException(configName + " writes the caption; it takes none");
            }
            return switch (this) {
                case RACRO_CAPTIONER -> racroCaptioner(question);
                case RACRO_REASONER -> racroReasoner(caption, question);
                case PRCO_OBSERVER -> prcoObserver(question);
                case PRCO_SOLVER -> prcoSolver(caption, question);
            };
        }

        /**
         * The prompt a config names (case does not matter; '_' may stand for '-').
         *
         * @throws IllegalArgumentException naming the unknown name and the known ones
         */
        public static Prompt named(String name) {
            String wanted = Objects.requireNonNull(name, "prompt name").trim().toLowerCase(Locale.ROOT).replace('_', '-');
            List<String> names = new ArrayList<>();
            for (Prompt p : values()) {
                if (p.configName.equals(wanted)) {
                    return p;
                }
                names.add(p.configName);
            }
            throw new IllegalArgumentException("unknown paper prompt \"" + name + "\" (known: "
                                               + String.join(", ", names) + ")");
        }
    }
}
