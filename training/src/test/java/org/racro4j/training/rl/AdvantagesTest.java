package org.racro4j.training.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import org.racro4j.core.NonFiniteException;

class AdvantagesTest {
    @Test
    void nanGroupsAreSkippedAndCountedAndZeroVarianceGroupsDropped() {
        double[] r = {1, 0, Double.NaN, 1, 1, 1, 0.5, 0};
        Advantages.Selection s = Advantages.select(r, 2, false, true, "caption", 3);
        assertEquals(1, s.nan());
        assertEquals(1, s.zeroVariance());
        assertArrayEquals(new int[] {0, 1, 6, 7}, s.kept());
        assertArrayEquals(new double[] {0.5, -0.5, 0.25, -0.25}, s.advantages(), 1e-12);
        Advantages.Selection all = Advantages.select(r, 2, false, false, "caption", 3);
        assertArrayEquals(new int[] {0, 1, 4, 5, 6, 7}, all.kept(), "without dynamic sampling equal groups stay (advantage 0)");
    }

    @Test
    void aRewardThatIsNanEverywhereStopsTheRun() {
        NonFiniteException e = assertThrows(NonFiniteException.class,
                () -> Advantages.select(new double[] {Double.NaN, Double.NaN}, 2, true, true, "caption", 9));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("rl step 9: ") && e.getMessage().contains("NaN"), e.getMessage());
    }

    /** A step without rollouts selects nothing; it is not "every reward is NaN". */
    @Test
    void noRewardsSelectNothing() {
        Advantages.Selection s = Advantages.select(new double[0], 4, true, true, "caption", 1);
        assertEquals(0, s.kept().length);
        assertEquals(0, s.groups());
        assertEquals(0, s.nan());
    }
}
