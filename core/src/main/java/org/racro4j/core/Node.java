package org.racro4j.core;

/**
 * One recorded op in the autograd graph: the inputs it read and the rule that turns the gradient of its
 * output into gradients of those inputs (written with other ops, so it runs on any backend).
 */
final class Node {
    /** Maps the output gradient to one gradient per input (null where an input needs none). */
    @FunctionalInterface
    interface Rule {
        Tensor[] apply(Tensor grad);
    }

    final String op;
    Tensor[] inputs;
    Rule rule;

    private Node(String op, Tensor[] inputs, Rule rule) {
        this.op = op;
        this.inputs = inputs;
        this.rule = rule;
    }

    /**
     * Attaches a node to {@code out} if autograd is on and any input requires grad; returns {@code out}.
     * Inputs may contain nulls (optional arguments).
     */
    static Tensor record(Tensor out, String op, Tensor[] inputs, Rule rule) {
        if (!Autograd.isEnabled()) return out;
        boolean any = false;
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                any = true;
                break;
            }
        }
        if (!any) return out;
        out.attachGradFn(new Node(op, inputs, rule));
        return out;
    }

    static Tensor record(Tensor out, String op, Tensor input, java.util.function.UnaryOperator<Tensor> rule) {
        return record(out, op, new Tensor[] {input}, g -> new Tensor[] {rule.apply(g)});
    }

    boolean needsGrad(int i) {
        Tensor t = inputs[i];
        return t != null && t.requiresGrad();
    }

    boolean isReleased() {
        return rule == null;
    }

    void release() {
        inputs = null;
        rule = null;
    }
}
