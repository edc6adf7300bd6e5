package org.racro4j.training.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.racro4j.core.Autograd;
import org.racro4j.core.NonFiniteException;
import org.racro4j.core.Scope;
import org.racro4j.core.Tensor;
import org.racro4j.models.generation.Generated;
import org.racro4j.training.reward.CaptionUtilityReward;
import org.racro4j.training.roles.Answer;
import org.racro4j.training.roles.AnswerSource;
import org.racro4j.training.roles.CaptionPolicy;
import org.racro4j.training.roles.Role;
import org.racro4j.training.tasks.TaskItem;
import org.racro4j.training.text.Explained;

/**
 * Held-out accuracy of a model answering from some description of each image: none (blind), a captioner's greedy
 * caption, or the gold description of what the question needs (the oracle: the item's needed facts, i.e. the
 * perfect question-focused caption). The perception gap is oracle − captioner.
 */
public final class Evaluator {
    private Evaluator() {}

    public record ItemResult(String id, String category, String description, String answer, String expected, boolean correct) {}

    /** @param reader who answered: a reasoner's name or the policy's role (the key eval/*.json files have) */
    public record Result(String reader, String descriptions, double accuracy, Map<String, int[]> perCategory, List<ItemResult> items) {
        public double categoryAccuracy(String category) {
            int[] c = perCategory.get(category);
            return c == null || c[1] == 0 ? Double.NaN : c[0] / (double) c[1];
        }
    }

    /** Greedy captions of a captioner for the items, in batches. */
    public static List<String> captions(CaptionPolicy policy, List<TaskItem> items, long seed) {
        return policyTexts(policy, items, "evaluation: captioning", (patches, questions, start) -> {
            List<String> out = new ArrayList<>();
            for (Generated g : policy.caption(patches, questions, 0f, seed)) out.add(policy.captionText(g.tokens()));
            return out;
        });
    }

    /**
     * The policy's own greedy answers, scored: from the image alone (captions null: the Answerer) or, as PRCO's Solver,
     * from the image and the item's caption.
     */
    public static Result policyAnswers(CaptionPolicy policy, List<TaskItem> items, List<String> captions, String what) {
        List<String> answers = policyTexts(policy, items, "evaluation: the policy answering " + what, (patches, questions, start) -> {
            List<List<Answer>> a = captions == null ? policy.answerDirectly(patches, questions, 1, 0f, 0)
                    : policy.solve(patches, captions.subList(start, start + questions.size()), questions, 1, 0f, 0);
            List<String> out = new ArrayList<>();
            for (List<Answer> row : a) out.add(row.get(0).text());
            return out;
        });
        return score(captions == null ? "policy (direct)" : "policy (Solver)", items, captions == null ? blind(items) : captions, answers, what);
    }

    /**
     * The policy's greedy responses in a role that answers from the image and the question alone (Answerer, Thinker,
     * Describer), scored on their answers; each item's description is the evidence the response wrote before its
     * answer ("" for the Answerer).
     */
    public static Result policyResponses(CaptionPolicy policy, List<TaskItem> items, Role role, String what) {
        List<String> texts = policyTexts(policy, items, "evaluation: the policy as " + role.name().toLowerCase(java.util.Locale.ROOT) + " (" + what + ")",
                (patches, questions, start) -> {
                    List<String> out = new ArrayList<>();
                    for (List<Answer> row : policy.respond(patches, role, questions, 1, 0f, 0)) out.add(row.get(0).text());
                    return out;
                });
        List<String> evidence = new ArrayList<>(texts.size());
        List<String> answers = new ArrayList<>(texts.size());
        for (String t : texts) {
            Explained e = role.explains() ? Explained.parse(t) : new Explained("", t, 0);
            evidence.add(e.evidence());
            answers.add(e.answer());
        }
        return score("policy (" + role.name().toLowerCase(java.util.Locale.ROOT) + ")", items, evidence, answers, what);
    }

    /** What the policy writes for one batch of items: their images [n, P, F], their questions, the batch's first index. */
    private interface PolicyBatch {
        List<String> texts(Tensor patches, List<String> questions, int start);
    }

    /** One text per item from the policy, 128 items at a time, each batch's tensors freed after it; {@code pass} names it in errors. */
    private static List<String> policyTexts(CaptionPolicy policy, List<TaskItem> items, String pass, PolicyBatch batch) {
        List<String> out = new ArrayList<>(items.size());
        for (int start = 0; start < items.size(); start += 128) {
            List<TaskItem> part = items.subList(start, Math.min(items.size(), start + 128));
            try (Autograd.Mode off = Autograd.noGrad(); Scope s = Scope.open()) {
                List<String> qs = new ArrayList<>(part.size());
                for (TaskItem t : part) qs.add(t.question());
                out.addAll(batch.texts(policy.patches(part), qs, start));
            } catch (NonFiniteException e) {
                throw at(e, pass, items, start + e.row());
            }
        }
        return out;
    }

    /** The greedy answers of {@code source} (a reasoner), scored, given one description per item ("" = blind). */
    public static Result read(AnswerSource source, List<TaskItem> items, List<String> descriptions, String what) {
        List<String> qs = new ArrayList<>(items.size());
        for (TaskItem t : items) qs.add(t.question());
        List<List<Answer>> answers;
        try {
            answers = source.answer(descriptions, qs, 1, 0f, 0);
        } catch (NonFiniteException e) {
            throw at(e, "evaluation: " + source.name() + " reading " + what + " descriptions", items, e.row());
        }
        List<String> texts = new ArrayList<>(items.size());
        for (List<Answer> a : answers) texts.add(a.get(0).text());
        return score(source.name(), items, descriptions, texts, what);
    }

    /** Scores one answer per item; {@code descriptions} are what each answer was written from ("" = none). */
    public static Result score(String reader, List<TaskItem> items, List<String> descriptions, List<String> answers, String what) {
        Map<String, int[]> per = new TreeMap<>();
        List<ItemResult> results = new ArrayList<>(items.size());
        int correct = 0;
        for (int i = 0; i < items.size(); i++) {
            TaskItem t = items.get(i);
            String a = answers.get(i);
            boolean ok = CaptionUtilityReward.isCorrect(t, a);
            if (ok) correct++;
            int[] c = per.computeIfAbsent(t.category(), k -> new int[2]);
            if (ok) c[0]++;
            c[1]++;
            results.add(new ItemResult(t.id(), t.category(), descriptions.get(i), a, t.answer(), ok));
        }
        return new Result(reader, what, items.isEmpty() ? Double.NaN : correct / (double) items.size(), per, results);
    }

    /**
     * Non-finite logits while evaluating stop the evaluation (an accuracy computed from the tokens of NaN logits would
     * be a wrong number that looks like a real one); the error names the pass and the item it arose at.
     */
    private static NonFiniteException at(NonFiniteException e, String pass, List<TaskItem> items, int row) {
        String item = row >= 0 && row < items.size() ? ", item " + items.get(row).id() + " (" + (row + 1) + " of " + items.size() + ")" : "";
        return e.within(pass + item, row);
    }

    public static List<String> blind(List<TaskItem> items) {
        List<String> d = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) d.add("");
        return d;
    }

    /**
     * The question-focused gold description of each item: its needed facts. An item of an external dataset has no
     * facts, only the dataset's description (possibly empty), which is then the gold one.
     */
    public static List<String> gold(List<TaskItem> items) {
        List<String> d = new ArrayList<>(items.size());
        for (TaskItem t : items) d.add(t.neededDescription());
        return d;
    }
}
