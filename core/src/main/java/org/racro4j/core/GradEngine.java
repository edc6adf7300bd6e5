package org.racro4j.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reverse-mode differentiation over the recorded graph. Nodes run in reverse topological order; each rule runs
 * with autograd off inside its own scope, so its temporaries are freed as soon as it returns. The engine owns
 * every gradient in flight and frees it once consumed; gradients of leaves are accumulated into
 * {@link Tensor#grad()} and belong to the leaf from then on.
 */
final class GradEngine {
    private GradEngine() {}

    static void backward(Tensor root, Tensor rootGrad, boolean retainGraph) {
        if (!root.requiresGrad()) {
            throw new IllegalStateException("backward: the tensor does not require grad (no input had requiresGrad(true), "
                    + "or it was computed under Autograd.noGrad())");
        }
        if (rootGrad == null) {
            if (root.numel() != 1) {
                throw new IllegalArgumentException("backward: a gradient can be implied only for a single-element tensor, got shape "
                        + Shapes.str(root.shape()) + "; pass the output gradient explicitly");
            }
        } else if (!Arrays.equals(rootGrad.shape(), root.shape())) {
            throw new IllegalArgumentException("backward: gradient shape " + Shapes.str(rootGrad.shape())
                    + " does not match tensor shape " + Shapes.str(root.shape()));
        }
        Scope.unscoped(() -> {
            try (Autograd.Mode off = Autograd.noGrad()) {
                Tensor g = rootGrad == null
                        ? Tensor.full(1f, root.dtype(), root.device(), root.shape())
                        : rootGrad.alias();
                run(root, g, retainGraph);
            }
            return null;
        });
    }

    private static void run(Tensor root, Tensor rootGrad, boolean retainGraph) {
        Node start = root.gradFn();
        if (start == null) { // a leaf
            accumulateIntoLeaf(root, rootGrad);
            return;
        }
        if (start.isReleased()) throw releasedGraph(start);
        List<Node> order = topologicalOrder(start);
        Map<Node, Tensor> pending = new IdentityHashMap<>();
        pending.put(start, rootGrad);
        try {
            for (int n = order.size() - 1; n >= 0; n--) {
                Node node = order.get(n);
                Tensor g = pending.remove(node);
                if (g == null) continue;
                Tensor[] inputGrads = applyRule(node, g);
                g.close();
                for (int i = 0; i < inputGrads.length; i++) {
                    Tensor ig = inputGrads[i];
                    if (ig == null) continue;
                    Tensor input = node.inputs[i];
                    if (input == null || !input.requiresGrad()) {
                        ig.close();
                        continue;
                    }
                    if (!Arrays.equals(ig.shape(), input.shape())) {
                        throw new IllegalStateException("backward of " + node.op + ": gradient for input " + i + " has shape "
                                + Shapes.str(ig.shape()) + ", expected " + Shapes.str(input.shape()));
                    }
                    Node producer = input.gradFn();
                    if (producer == null) {
                        accumulateIntoLeaf(input, ig);
                    } else {
                        Tensor prev = pending.get(producer);
                        if (prev == null) {
                            pending.put(producer, ig);
                        } else {
                            pending.put(producer, prev.add(ig));
                            prev.close();
                            ig.close();
                        }
                    }
                }
                if (!retainGraph) node.release();
            }
        } finally {
            for (Tensor t : pending.values()) t.close();
        }
    }

    /** Runs one rule in its own scope; what it returns is handed to the engine, everything else is freed. */
    private static Tensor[] applyRule(Node node, Tensor g) {
        if (node.isReleased()) throw releasedGraph(node);
        Tensor[] out;
        try (Scope scope = Scope.open()) {
            Tensor[] produced = node.rule.apply(g);
            if (produced.length != node.inputs.length) {
                throw new IllegalStateException("backward of " + node.op + " returned " + produced.length
                        + " gradients for " + node.inputs.length + " inputs");
            }
            out = new Tensor[produced.length];
            for (int i = 0; i < produced.length; i++) {
                Tensor t = produced[i];
                if (t == null || !node.needsGrad(i)) continue;
                // A rule may return its input gradient or a tensor it did not create; the engine then takes its own
                // reference so that closing g (or the scope) cannot free it.
                out[i] = Scope.escape(t.alias());
            }
        }
        return out;
    }

    private static void accumulateIntoLeaf(Tensor leaf, Tensor g) {
        Tensor grad = g;
        if (grad.dtype() != leaf.dtype()) {
            Tensor cast = grad.to(leaf.dtype());
            grad.close();
            grad = cast;
        }
        Tensor existing = leaf.grad();
        if (existing == null) {
            // The leaf keeps this tensor as its grad and later backward calls add into it in place, so it must be
            // contiguous and its memory must be the leaf's alone: a rule may hand one gradient to several inputs
            // (add does), and the root gradient may be the caller's own tensor.
            Storage st = grad.storage();
            if (!grad.isContiguous() || st.refCount() > 1 || st.numel() != grad.numel()) {
                Tensor c = grad.rawCast(grad.dtype());
                grad.close();
                grad = c;
            }
            leaf.setGrad(grad);
        } else {
            existing.addInPlace(grad);
            grad.close();
        }
    }

    /** Post-order DFS without recursion (graphs of deep models overflow the Java stack otherwise). */
    private static List<Node> topologicalOrder(Node start) {
        List<Node> order = new ArrayList<>();
        Map<Node, Boolean> visited = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {start, 0});
        visited.put(start, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Node node = (Node) frame[0];
            int next = (Integer) frame[1];
            Tensor[] inputs = node.inputs;
            if (inputs == null) throw releasedGraph(node);
            boolean pushed = false;
            while (next < inputs.length) {
                Tensor in = inputs[next++];
                Node child = in == null ? null : in.gradFn();
                if (child != null && in.requiresGrad() && !visited.containsKey(child)) {
                    visited.put(child, Boolean.TRUE);
                    frame[1] = next;
                    stack.push(new Object[] {child, 0});
                    pushed = true;
                    break;
                }
            }
            if (!pushed) {
                stack.pop();
                order.add(node);
            }
        }
        // order is post-order: inputs before their consumers; the root is last.
        return order;
    }

    private static IllegalStateException releasedGraph(Node node) {
        return new IllegalStateException("backward: the graph through '" + node.op
                + "' was already freed by an earlier backward(); use backward(grad, true) to keep it");
    }
}
