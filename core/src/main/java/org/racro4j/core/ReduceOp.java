package org.racro4j.core;

/** Reductions over one dimension. MAX and MIN can also report the index of the (first) extreme element. */
public enum ReduceOp {
    SUM, MAX, MIN
}
