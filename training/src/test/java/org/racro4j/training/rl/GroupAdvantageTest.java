package org.racro4j.training.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GroupAdvantageTest {
    /**
     * Group 1: rewards 1, 0, 0, 1 → mean 0.5, sample std sqrt((4 × 0.25) / 3) = 0.5773503 → ±0.5 / 0.5773503 = ±0.8660254.
     * Group 2: 0.25, 0.75, 1, 0 → mean 0.5; deviations −0.25, 0.25, 0.5, −0.5; std sqrt(0.625 / 3) = 0.4564355.
     * Group 3: all equal → zero advantages (the +eps keeps it finite).
     */
    @Test
    void grpoNormalisesByTheGroupsSampleStd() {
        double[] r = {1, 0, 0, 1, 0.25, 0.75, 1, 0, 1, 1, 1, 1};
        double[] a = GroupAdvantage.compute(r, 4, true);
        double s2 = 0.4564355;
        assertArrayEquals(new double[] {0.8660254, -0.8660254, -0.8660254, 0.8660254,
                -0.25 / s2, 0.25 / s2, 0.5 / s2, -0.5 / s2, 0, 0, 0, 0}, a, 1e-5);
    }

    @Test
    void drGrpoOnlyCentres() {
        double[] r = {1, 0, 0, 1, 0.25, 0.75, 1, 0};
        assertArrayEquals(new double[] {0.5, -0.5, -0.5, 0.5, -0.25, 0.25, 0.5, -0.5}, GroupAdvantage.compute(r, 4, false), 1e-12);
    }

    @Test
    void degenerateGroupsAreThoseWithOneRewardValue() {
        double[] r = {1, 1, 0, 0, 0.5, 0.5};
        assertTrue(GroupAdvantage.isDegenerate(r, 2, 0));
        assertTrue(GroupAdvantage.isDegenerate(r, 2, 1));
        assertTrue(GroupAdvantage.isDegenerate(r, 2, 2));
        assertFalse(GroupAdvantage.isDegenerate(new double[] {1, 0}, 2, 0));
    }

    @Test
    void rewardsMustFillWholeGroups() {
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantage.compute(new double[5], 4, true));
    }

    /** A group of one has nothing to be compared with: its advantage is 0 under both rules, never NaN. */
    @Test
    void groupsOfOneHaveZeroAdvantage() {
        double[] r = {0.3, 1, -2};
        assertArrayEquals(new double[] {0, 0, 0}, GroupAdvantage.compute(r, 1, false), 0);
        assertArrayEquals(new double[] {0, 0, 0}, GroupAdvantage.compute(r, 1, true), 0);
        assertThrows(IllegalArgumentException.class, () -> GroupAdvantage.compute(r, 0, false));
    }
}
