package org.racro4j.models.chat;

import java.util.List;

/** The statements of the template language; {@code pos} is the source offset used in error messages. */
sealed interface Node {
    int pos();

    record Text(String text, int pos) implements Node { }

    record Print(Expr value, int pos) implements Node { }

    record If(List<Expr> tests, List<List<Node>> bodies, List<Node> otherwise, int pos) implements Node { }

    /** {@code for targets in iterable [if filter]}; with several targets each item is unpacked. */
    record For(List<String> targets, Expr iterable, Expr filter, List<Node> body, List<Node> otherwise, int pos)
        implements Node { }

    /** {@code set name = value}, {@code set a, b = value} or {@code set ns.attr = value} (attr non-null). */
    record Set(List<String> names, String attr, Expr value, int pos) implements Node { }

    /** {@code {% set name %}body{% endset %}}. */
    record SetBlock(String name, List<Node> body, int pos) implements Node { }

    record Macro(String name, List<String> params, List<Expr> defaults, List<Node> body, int pos) implements Node { }

    record Break(int pos) implements Node { }

    record Continue(int pos) implements Node { }

    /** {@code {% generation %}...{% endgeneration %}} (Hugging Face's assistant-mask marker): renders its body. */
    record Block(List<Node> body, int pos) implements Node { }
}
