package org.racro4j.models.chat;

import java.util.List;

/** The expressions of the template language; {@code pos} is the source offset used in error messages. */
sealed interface Expr {
    int pos();

    record Literal(Object value, int pos) implements Expr { }

    record Name(String name, int pos) implements Expr { }

    record ListLit(List<Expr> items, int pos) implements Expr { }

    /** A tuple evaluates to a list: the templates only iterate, index or unpack them. */
    record TupleLit(List<Expr> items, int pos) implements Expr { }

    record DictLit(List<Expr> keys, List<Expr> values, int pos) implements Expr { }

    record GetAttr(Expr target, String name, int pos) implements Expr { }

    record GetItem(Expr target, Expr key, int pos) implements Expr { }

    /** {@code target[start:stop:step]}; absent parts are null. */
    record Slice(Expr target, Expr start, Expr stop, Expr step, int pos) implements Expr { }

    record Call(Expr callee, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int pos) implements Expr { }

    record Filter(Expr value, String name, List<Expr> args, List<String> kwNames, List<Expr> kwValues, int pos)
        implements Expr { }

    record Test(Expr value, String name, List<Expr> args, boolean negated, int pos) implements Expr { }

    /** {@code op} is one of "not", "-", "+". */
    record Unary(String op, Expr operand, int pos) implements Expr { }

    /** Arithmetic ({@code + - * / // % **}) and the short-circuit {@code and}, {@code or}. */
    record Binary(String op, Expr left, Expr right, int pos) implements Expr { }

    /** {@code a ~ b ~ c}: the operands' str() joined. */
    record Concat(List<Expr> parts, int pos) implements Expr { }

    /** A chain {@code a < b <= c}, each op one of {@code == != < <= > >= in notin}. */
    record Compare(Expr first, List<String> ops, List<Expr> rest, int pos) implements Expr { }

    /** {@code then if test else otherwise}; otherwise may be null (undefined). */
    record Conditional(Expr test, Expr then, Expr otherwise, int pos) implements Expr { }
}
