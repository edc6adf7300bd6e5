package org.racro4j.core;

/** Elementwise functions of two tensors of the same (broadcast) shape. Comparisons yield 1 or 0. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, POW,
    EQ, NE, LT, LE, GT, GE;

    public boolean isComparison() {
        return ordinal() >= EQ.ordinal();
    }
}
