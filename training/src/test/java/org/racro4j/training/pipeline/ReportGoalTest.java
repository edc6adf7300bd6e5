package org.racro4j.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.racro4j.training.eval.Evaluator;

/**
 * The perception gap and the goal in report.json, on accuracies written as counts out of n test items (as the
 * evaluator computes them). The rule, by hand: gain = rl − sft, gap before = oracle − sft, after = oracle − rl,
 * closed = (before − after) / before; the goal is met when gain >= 15 points and closed >= 1/2. Each boundary is
 * tested on both sides, by one item where n = 1000.
 */
class ReportGoalTest {
    static Evaluator.Result result(int correct, int n) {
        return new Evaluator.Result("reasoner", "x", correct / (double) n, Map.of(), List.of());
    }

    static ObjectNode report(int sft, int rl, int oracle, int n) throws IOException {
        Report.Row row = new Report.Row(result(n / 10, n), result(sft, n), result(rl, n), result(oracle, n));
        return Report.build(ConfigLoader.load(null), row, null, n, Map.of(), 0);
    }

    @ParameterizedTest(name = "sft {0}, rl {1}, oracle {2} of {3}: met {4}")
    @CsvSource({
            // exactly 15 points and exactly half the gap: met
            "4, 7, 10, 20, true",
            "200, 350, 500, 1000, true",
            // one item short of 15 points, half the gap closed
            "200, 349, 498, 1000, false",
            // 15 points, one item short of half the gap
            "200, 350, 501, 1000, false",
            // one item above both
            "200, 351, 501, 1000, true",
            // RL beyond the oracle: the gap closes by more than all of it
            "100, 400, 300, 1000, true",
            // RL worse than SFT
            "500, 300, 900, 1000, false"})
    void goalIsMetAtAndAboveBothThresholdsOnly(int sft, int rl, int oracle, int n, boolean met) throws IOException {
        ObjectNode r = report(sft, rl, oracle, n);
        double before = (oracle - sft) / (double) n;
        double after = (oracle - rl) / (double) n;
        assertEquals(before, r.path("perception_gap").path("before").asDouble(), 1e-12);
        assertEquals(after, r.path("perception_gap").path("after").asDouble(), 1e-12);
        assertEquals(100.0 * (rl - sft) / n, r.path("goal").path("rl_gain_points").asDouble(), 1e-9);
        assertEquals((rl - sft) / (double) (oracle - sft), r.path("goal").path("gap_closed_fraction").asDouble(), 1e-12);
        assertEquals(met, r.path("goal").path("met").asBoolean(), r.path("goal").toString());
        assertEquals(rl / (double) n, r.path("accuracy").path("rl_captioner").asDouble(), 0.0);
        assertTrue(Report.markdown(r).contains("Goal (>= 15 points and >= half the gap): " + (met ? "met." : "NOT met.")));
    }

    /** The oracle no better than the SFT captioner: no gap, nothing to close, so no goal, however much RL gains. */
    @ParameterizedTest(name = "sft = oracle = {0}, rl {1} of 40")
    @CsvSource({"12, 12", "12, 30", "12, 5"})
    void noGapMeansGapZeroAndTheGoalUnmet(int sft, int rl) throws IOException {
        ObjectNode r = report(sft, rl, sft, 40);
        assertEquals(0.0, r.path("perception_gap").path("before").asDouble(), 0.0);
        assertEquals((sft - rl) / 40.0, r.path("perception_gap").path("after").asDouble(), 1e-12);
        assertTrue(Double.isNaN(r.path("goal").path("gap_closed_fraction").asDouble()), r.toString());
        assertFalse(r.path("goal").path("met").asBoolean());
        assertTrue(Report.markdown(r).contains(", no gap to close. Goal (>= 15 points and >= half the gap): NOT met."), Report.markdown(r));
    }

    /** The sentence of report.md, with numbers by hand: 7 − 4 of 20 is +15.0 points and 3 of a 6-item gap is 50%. */
    @org.junit.jupiter.api.Test
    void markdownStatesGapGainAndGoal() throws IOException {
        String md = Report.markdown(report(4, 7, 10, 20));
        assertTrue(md.contains("Perception gap (oracle − captioner): 0.300 before RL, 0.150 after; RL gain +15.0 points, 50% of the gap closed. "
                + "Goal (>= 15 points and >= half the gap): met."), md);
    }
}
