package org.racro4j.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.racro4j.core.GradCheck.check;
import static org.racro4j.core.GradCheck.in;
import static org.racro4j.core.TestSupport.normal;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The gradient checker must be able to fail: it is fed functions whose autograd gradient is wrong on purpose. */
class GradCheckSelfTest {

    @Test
    void rejectsAGradientThatIsHalfTheTrueOne() {
        // x.detach() * x has derivative 2x, but autograd only sees the second factor and reports x.
        assertThrows(AssertionFailedError.class, () -> check("x.detach() * x", x -> x[0].detach().mul(x[0]), in(normal(1, 12), 3, 4)));
    }

    @Test
    void rejectsAGradientThatIgnoresOneInput() {
        // a * b with b detached: db is reported as 0 (no gradient at all reaches b)
        assertThrows(AssertionFailedError.class,
                () -> check("a * b.detach()", x -> x[0].mul(x[1].detach()).add(x[1].mul(0f)), in(normal(2, 12), 3, 4), in(normal(3, 12), 3, 4)));
    }

    @Test
    void rejectsAFunctionWithNoGradientAnywhere() {
        assertThrows(AssertionFailedError.class, () -> check("0 * x", x -> x[0].mul(0f), in(normal(4, 12), 3, 4)));
    }

    @Test
    void acceptsACorrectGradient() {
        check("x * x", x -> x[0].mul(x[0]), in(normal(5, 12), 3, 4));
    }
}
