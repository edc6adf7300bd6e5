package org.racro4j.training.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class NumberParserTest {

    private static void parses(double expected, String text) {
        OptionalDouble value = NumberParser.parse(text);
        assertTrue(value.isPresent(), text);
        assertEquals(expected, value.getAsDouble(), 1e-12, text);
    }

    private static void rejects(String text) {
        assertTrue(NumberParser.parse(text).isEmpty(), text);
    }

    @Test
    void wholeNumbers() {
        parses(7, "7");
        parses(-3, "-3");
        parses(-3, "\u22123");
        parses(2.5, "2.5");
        parses(0.5, ".5");
        parses(1234567, "1,234,567");
        parses(0.75, "3/4");
        parses(0.75, "3 / 4");
        parses(0.75, "\\frac{3}{4}");
        parses(0.75, "\\tfrac{3}{4}");
        parses(-0.25, "-\\frac{1}{4}");
        parses(1.5, "\\frac{\\frac{3}{2}}{1}");
        parses(12, "$12$");
        parses(12, "{12}");
        parses(50, "50%");
        parses(1000, "1{,}000");
        rejects("");
        rejects("3 4");
        rejects("1,23");
        rejects("seven");
        rejects("\\frac{1}{0}");
        rejects("\\frac{1}");
        rejects("12abc");
        rejects("--3");
    }

    @Test
    void lastNumberInText() {
        assertEquals(7, NumberParser.last("3 and 4 make 7").getAsDouble());
        assertEquals(4, NumberParser.last("from 3-4").getAsDouble());
        assertEquals(-4, NumberParser.last("from 3 to -4").getAsDouble());
        assertEquals(3.5, NumberParser.last("it is 3.5.").getAsDouble());
        assertEquals(0.5, NumberParser.last("half is \\frac{1}{2}").getAsDouble());
        assertEquals(2000, NumberParser.last("about 2,000 items").getAsDouble());
        assertTrue(NumberParser.last("x2 and y3").isEmpty());
    }
}
