package org.racro4j.training.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import org.racro4j.training.roles.Answer;
import org.racro4j.training.roles.AnswerSource;
import org.racro4j.training.roles.Role;
import org.racro4j.training.roles.Rollout;
import org.racro4j.training.tasks.Split;
import org.racro4j.training.tasks.TaskGenerator;
import org.racro4j.training.tasks.TaskItem;

/**
 * The rewards of responses that give evidence before their answer (Thinker, Describer): accuracy and format of the
 * answer line, and the three evidence terms (description, facts, evidence_utility). Expected values are recomputed
 * here by plain loops over words, from how each random response was built, not from the classes under test.
 */
class EvidenceRewardsTest {
    /** Items of all families (the generator's default mix), from several seeds. */
    static final List<TaskItem> ITEMS = items();

    static List<TaskItem> items() {
        List<TaskItem> out = new ArrayList<>();
        for (long seed : new long[] {3, 17, 42}) out.addAll(new TaskGenerator(seed).generate(Split.TRAIN, 60));
        return out;
    }

    static Rollout rollout(TaskItem t, Role role, String text, boolean stopped) {
        return new Rollout(t, role, role.seesImage() ? 0 : -1, new int[] {2}, new int[] {4, 5}, text, stopped, null);
    }

    /** An answer no item accepts. */
    static final String WRONG = "zzz";

    /** An item with the same question and answer as {@code t} but no facts, as an external dataset's item. */
    static TaskItem withoutFacts(TaskItem t) {
        return new TaskItem(t.id() + "-ext", "external", t.category(), t.image(), t.question(), t.answer(), t.answerType(),
                t.choices(), "a free text description", List.of(), List.of(), t.seed());
    }

    /** A random response's parts, as it was built. */
    record Built(String evidence, String text) {}

    /**
     * Random evidence for item {@code t}: true facts, facts of other items (mostly invented for this one), repeats of
     * earlier sentences, sometimes a last sentence cut off before its " ."; then the answer line, sometimes after an
     * extra answer marker (the evidence is what precedes the first marker).
     */
    static Built randomResponse(TaskItem t, SplittableRandom random) {
        List<String> sentences = new ArrayList<>();
        int n = random.nextInt(7);
        for (int s = 0; s < n; s++) {
            int kind = random.nextInt(4);
            if (kind == 0 && !t.facts().isEmpty()) sentences.add(t.facts().get(random.nextInt(t.facts().size())));
            else if (kind == 1 && !sentences.isEmpty()) sentences.add(sentences.get(random.nextInt(sentences.size())));
            else {
                TaskItem other = ITEMS.get(random.nextInt(ITEMS.size()));
                if (!other.facts().isEmpty()) sentences.add(other.facts().get(random.nextInt(other.facts().size())));
            }
        }
        if (random.nextInt(3) == 0 && !t.facts().isEmpty()) {
            String fact = t.facts().get(random.nextInt(t.facts().size()));
            sentences.add(fact.substring(0, fact.length() - 2)); // the fact without its closing " ."
        }
        String evidence = String.join(" ", sentences);
        String answer = random.nextBoolean() ? t.answer() : WRONG;
        String extra = random.nextInt(4) == 0 ? "answer : " + WRONG + " " : "";
        String text = (evidence.isEmpty() ? "" : evidence + " ") + extra + "answer : " + answer;
        return new Built(evidence, text);
    }

    /** Sentences of a text by its own loop: words up to and including each "." word; a trailing fragment is one. */
    static List<String> sentencesOf(String text) {
        List<String> out = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (String word : text.trim().split("\\s+")) {
            if (word.isEmpty()) continue;
            current.add(word);
            if (word.equals(".")) {
                out.add(String.join(" ", current));
                current.clear();
            }
        }
        if (!current.isEmpty()) out.add(String.join(" ", current));
        return out;
    }

    /** Distinct sentences that are facts of the item, minus distinct ones that are not. */
    static double expectedFacts(TaskItem t, String evidence) {
        if (t.facts().isEmpty()) return 0;
        int score = 0;
        for (String s : new LinkedHashSet<>(sentencesOf(evidence))) score += t.facts().contains(s) ? 1 : -1;
        return score;
    }

    /** Recall of the needed facts minus the share of distinct sentences that are no fact; 0 where undefined. */
    static double expectedDescription(TaskItem t, String evidence) {
        if (t.neededFacts().isEmpty()) return 0;
        Set<String> said = new HashSet<>(sentencesOf(evidence));
        int stated = 0;
        for (int index : t.neededFacts()) if (said.contains(t.facts().get(index))) stated++;
        int unknown = 0;
        for (String s : said) if (!t.facts().contains(s)) unknown++;
        return stated / (double) t.neededFacts().size() - (said.isEmpty() ? 0 : unknown / (double) said.size());
    }

    @Test
    void accuracyReadsTheAnswerAfterTheLastMarkerForExplainingRoles() {
        for (TaskItem t : ITEMS) {
            String facts = t.neededDescription();
            List<Rollout> rs = List.of(
                    rollout(t, Role.THINKER, facts + " answer : " + t.answer(), true),
                    rollout(t, Role.DESCRIBER, facts + " answer : " + WRONG, true),
                    // the last marker's answer counts, not the first
                    rollout(t, Role.THINKER, "answer : " + WRONG + " answer : " + t.answer(), true),
                    rollout(t, Role.DESCRIBER, facts + " answer : " + t.answer() + " answer : " + WRONG, true),
                    // an empty last answer is no answer, though the verifier would find the gold one before it
                    rollout(t, Role.THINKER, facts + " answer : " + t.answer() + " answer :", true),
                    // no marker: no answer, even when the whole text is the gold answer
                    rollout(t, Role.THINKER, t.answer(), true),
                    // an Answerer's whole text is its answer
                    rollout(t, Role.ANSWERER, t.answer(), true),
                    rollout(t, Role.ANSWERER, WRONG, true));
            assertArrayEquals(new double[] {1, 0, 1, 0, 0, 0, 1, 0}, new AnswerAccuracyReward().score(rs, 0), t.id() + " " + t.question());
        }
    }

    @Test
    void formatOfExplainingResponses() {
        for (TaskItem t : ITEMS) {
            String ev = t.goldDescription(); // ends with " ."
            String a = t.answer();
            Object[][] cases = {
                    {ev + " answer : " + a, true, 1},
                    {ev + " answer : " + WRONG, true, 1},             // format, not correctness
                    {ev + " answer : " + a, false, 0},                // cut off by the length limit
                    {"answer : " + a, true, 0},                       // no evidence
                    {ev.substring(0, ev.length() - 2) + " answer : " + a, true, 0}, // last sentence not closed
                    {ev + " answer : 1 answer : " + a, true, 0},      // two markers
                    {ev + " answer :", true, 0},                       // no answer
                    {ev + " answer : .", true, 0},                     // an answer that is only a full stop
                    {ev, true, 0},                                     // no marker at all
            };
            for (Role role : new Role[] {Role.THINKER, Role.DESCRIBER}) {
                for (Object[] c : cases) {
                    Rollout r = rollout(t, role, (String) c[0], (Boolean) c[1]);
                    assertEquals(((Integer) c[2]).doubleValue(), new FormatReward().score(List.of(r), 0)[0], role + ": " + c[0]);
                }
            }
        }
    }

    /** The roles that existed before keep their format: captions end with " .", answers are one answer line. */
    @Test
    void formatOfOtherRolesIsUnchanged() {
        TaskItem t = ITEMS.get(0);
        List<Rollout> rs = List.of(
                rollout(t, Role.CAPTIONER, t.goldDescription(), true),
                rollout(t, Role.CAPTIONER, t.goldDescription() + " answer : 2", true),   // a caption is not an explained response
                rollout(t, Role.CAPTIONER, "red circle at top", true),
                rollout(t, Role.ANSWERER, t.answer(), true),
                rollout(t, Role.ANSWERER, t.answer(), false),
                rollout(t, Role.ANSWERER, t.goldDescription() + " answer : 2", true),  // two answer lines once prefixed
                rollout(t, Role.SOLVER, "2", true),
                rollout(t, Role.READER, "2", true),
                rollout(t, Role.READER, " ", true));
        assertArrayEquals(new double[] {1, 0, 0, 1, 0, 0, 1, 1, 0}, new FormatReward().score(rs, 0));
    }

    @Test
    void factCountAndDescriptionScoreOfRandomEvidence() {
        List<Double> facts = new ArrayList<>();
        List<Double> descriptions = new ArrayList<>();
        for (long seed = 0; seed < 4; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            List<Rollout> rs = new ArrayList<>();
            List<Double> wantFacts = new ArrayList<>();
            List<Double> wantDescription = new ArrayList<>();
            for (TaskItem item : ITEMS) {
                TaskItem t = random.nextInt(10) == 0 ? withoutFacts(item) : item;
                Built b = randomResponse(t, random);
                Role role = Role.values()[random.nextInt(Role.values().length)];
                rs.add(rollout(t, role, b.text(), true));
                if (role.explains()) {
                    wantFacts.add(expectedFacts(t, b.evidence()));
                    wantDescription.add(expectedDescription(t, b.evidence()));
                } else {
                    // a caption's evidence is its whole text (answer marker included); answers alone have none
                    wantFacts.add(role == Role.CAPTIONER ? expectedFacts(t, b.text()) : 0.0);
                    wantDescription.add(0.0);
                }
            }
            double[] gotFacts = new FactCountReward().score(rs, seed);
            double[] gotDescription = new DescriptionScoreReward().score(rs, seed);
            for (int i = 0; i < rs.size(); i++) {
                String what = rs.get(i).role() + " " + rs.get(i).task().id() + ": " + rs.get(i).text();
                assertEquals(wantFacts.get(i), gotFacts[i], 1e-12, "facts of " + what);
                assertEquals(wantDescription.get(i), gotDescription[i], 1e-12, "description of " + what);
                facts.add(gotFacts[i]);
                descriptions.add(gotDescription[i]);
            }
        }
        // the random responses reach both signs of both terms, and fractional description scores
        assertTrue(facts.stream().anyMatch(v -> v > 0) && facts.stream().anyMatch(v -> v < 0), "facts: " + facts);
        assertTrue(descriptions.stream().anyMatch(v -> v > 0) && descriptions.stream().anyMatch(v -> v < 0), "description");
        assertTrue(descriptions.stream().anyMatch(v -> v != Math.rint(v)), "description: some fractional score");
    }

    /** Worked example: two true facts, one repeated; one invented; a fragment; and an answer after two markers. */
    @Test
    void factCountWorkedExample() {
        TaskItem t = ITEMS.stream().filter(i -> i.facts().size() >= 2 && i.neededFacts().size() >= 1).findFirst().orElseThrow();
        String f0 = t.facts().get(0);
        String f1 = t.facts().get(1);
        String invented = "purple star at the middle .";
        String text = f0 + " " + f1 + " " + f0 + " " + invented + " " + invented + " red circ answer : 1 answer : " + t.answer();
        Rollout r = rollout(t, Role.THINKER, text, true);
        assertEquals(2 - 2, new FactCountReward().score(List.of(r), 0)[0], 1e-12, "2 facts, 1 invented, 1 fragment");
        Rollout caption = rollout(t, Role.CAPTIONER, f0 + " " + f1 + " " + f1, true);
        assertEquals(2, new FactCountReward().score(List.of(caption), 0)[0], 1e-12);
        Rollout answerer = rollout(t, Role.ANSWERER, f0 + " answer : " + t.answer(), true);
        assertEquals(0, new FactCountReward().score(List.of(answerer), 0)[0], 1e-12);
        Rollout external = rollout(withoutFacts(t), Role.DESCRIBER, f0 + " " + invented + " answer : 1", true);
        assertEquals(0, new FactCountReward().score(List.of(external), 0)[0], 1e-12);
        assertEquals(0, new DescriptionScoreReward().score(List.of(external), 0)[0], 1e-12, "no needed facts: NaN becomes 0");
    }

    /** A frozen reader scripted by caption: records what it was asked and returns a probability fixed per caption. */
    static final class FakeReader implements AnswerSource {
        final Map<String, Double> probability = new HashMap<>();
        final List<String> captions = new ArrayList<>();
        final List<String> questions = new ArrayList<>();
        final List<String> answers = new ArrayList<>();
        int calls;

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public List<List<Answer>> answer(List<String> captions, List<String> questions, int k, float temperature, long seed) {
            throw new AssertionError("the evidence utility is the exact probability, not sampled answers");
        }

        @Override
        public double[] answerProbability(List<String> captions, List<String> questions, List<String> answers) {
            calls++;
            this.captions.addAll(captions);
            this.questions.addAll(questions);
            this.answers.addAll(answers);
            double[] p = new double[captions.size()];
            for (int i = 0; i < p.length; i++) p[i] = probability.computeIfAbsent(captions.get(i), c -> 0.05 + 0.9 * ((c.hashCode() & 0xff) / 255.0));
            return p;
        }
    }

    @Test
    void evidenceUtilityAsksTheReaderAboutTheEvidenceOnly() {
        SplittableRandom random = new SplittableRandom(5);
        FakeReader reader = new FakeReader();
        List<Rollout> rs = new ArrayList<>();
        List<String> wantCaptions = new ArrayList<>();
        List<String> wantQuestions = new ArrayList<>();
        List<String> wantAnswers = new ArrayList<>();
        List<Integer> explaining = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            TaskItem t = ITEMS.get(random.nextInt(ITEMS.size()));
            Built b = randomResponse(t, random);
            // Thinkers and Describers mixed with Answerers (whose text also holds evidence and a marker) and captions
            Role role = new Role[] {Role.THINKER, Role.ANSWERER, Role.DESCRIBER, Role.CAPTIONER}[random.nextInt(4)];
            rs.add(rollout(t, role, b.text(), random.nextBoolean()));
            if (role.explains()) {
                wantCaptions.add(b.evidence());
                wantQuestions.add(t.question());
                wantAnswers.add(t.answer());
                explaining.add(i);
            }
        }
        double[] got = new EvidenceUtilityReward(reader).score(rs, 0);
        assertEquals(wantCaptions, reader.captions, "the reader reads the evidence, neither the whole response nor the answer");
        assertEquals(wantQuestions, reader.questions);
        assertEquals(wantAnswers, reader.answers, "it is asked for the gold answer");
        for (int i = 0; i < rs.size(); i++) {
            double want = explaining.contains(i) ? reader.probability.get(builtEvidence(rs.get(i))) : 0;
            assertEquals(want, got[i], 1e-12, "rollout " + i + " " + rs.get(i).role());
        }
        assertTrue(explaining.size() >= 10 && explaining.size() < rs.size(), "a real mix");
        assertTrue(new HashSet<>(reader.probability.values()).size() > 3, "distinct probabilities, so a mix-up would show");
        assertEquals("evidence_utility", new EvidenceUtilityReward(reader).name());
    }

    /** The evidence of a rollout as the test built it: its text before the first " answer : " (evidence never holds one). */
    private static String builtEvidence(Rollout r) {
        int at = (" " + r.text() + " ").indexOf(" answer : ");
        return r.text().substring(0, Math.max(0, at)).strip();
    }

    @Test
    void evidenceUtilityIsZeroWithoutExplainingRollouts() {
        FakeReader reader = new FakeReader();
        TaskItem t = ITEMS.get(1);
        List<Rollout> rs = List.of(rollout(t, Role.ANSWERER, t.answer(), true), rollout(t, Role.CAPTIONER, t.goldDescription(), true));
        assertArrayEquals(new double[] {0, 0}, new EvidenceUtilityReward(reader).score(rs, 0));
        assertEquals(0, reader.calls);
        assertFalse(reader.captions.stream().anyMatch(c -> c.contains("answer :")));
    }
}
