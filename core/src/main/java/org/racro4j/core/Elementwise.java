package org.racro4j.core;

/** Elementwise ops: forward through the backend, backward from {@link Derivatives}. */
final class Elementwise {
    private Elementwise() {}

    static Tensor unary(UnaryOp op, Tensor x, float p0, float p1) {
        x.checkOpen(op.name().toLowerCase());
        DType dt = x.dtype().isFloatingPoint() ? x.dtype() : DType.F32;
        Tensor out = Tensor.empty(dt, x.device(), x.shape());
        x.backend().unary(op, x, out, p0, p1);
        if (!dt.isFloatingPoint() || op == UnaryOp.SIGN || op == UnaryOp.STEP || op == UnaryOp.IN_RANGE) return out;
        return Node.record(out, op.name().toLowerCase(), x, g -> Derivatives.unary(op, g, x, out, p0, p1));
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase();
        a.checkOpen(name);
        b.checkOpen(name);
        checkSameDevice(name, a, b);
        DType dt = DType.promote(a.dtype(), b.dtype());
        if (!dt.isFloatingPoint() && (op == BinaryOp.DIV || op == BinaryOp.POW)) dt = DType.F32;
        Tensor ac = a.to(dt);
        Tensor bc = b.to(dt);
        int[] shape = Shapes.broadcast(name, a.shape(), b.shape());
        DType outType = op.isComparison() ? DType.F32 : dt;
        Tensor out = Tensor.empty(outType, a.device(), shape);
        Tensor ae = ac.expandRaw(shape, name);
        Tensor be = bc.expandRaw(shape, name);
        a.backend().binary(op, ae, be, out);
        if (ae != ac) ae.close();
        if (be != bc) be.close();
        if (op.isComparison() || !dt.isFloatingPoint()) return out;
        return Node.record(out, name, new Tensor[] {ac, bc}, g -> Derivatives.binary(op, g, ac, bc, out));
    }

    static Tensor where(Tensor cond, Tensor a, Tensor b) {
        checkSameDevice("where", cond, a);
        checkSameDevice("where", a, b);
        DType dt = DType.promote(a.dtype(), b.dtype());
        Tensor ac = a.to(dt);
        Tensor bc = b.to(dt);
        int[] shape = Shapes.broadcast("where", Shapes.broadcast("where", cond.shape(), a.shape()), b.shape());
        Tensor out = Tensor.empty(dt, a.device(), shape);
        Tensor ce = cond.expandRaw(shape, "where");
        Tensor ae = ac.expandRaw(shape, "where");
        Tensor be = bc.expandRaw(shape, "where");
        a.backend().where(ce, ae, be, out);
        if (ce != cond) ce.close();
        if (ae != ac) ae.close();
        if (be != bc) be.close();
        if (!dt.isFloatingPoint()) return out;
        return Node.record(out, "where", new Tensor[] {ac, bc}, g -> {
            Tensor zero = Tensor.zeros(g.dtype(), g.device());
            Tensor ga = ac.requiresGrad() ? Tensor.sumToShape(where(cond, g, zero), ac.shape()) : null;
            Tensor gb = bc.requiresGrad() ? Tensor.sumToShape(where(cond, zero, g), bc.shape()) : null;
            return new Tensor[] {ga, gb};
        });
    }

    static void checkSameDevice(String op, Tensor a, Tensor b) {
        if (!a.device().equals(b.device())) {
            throw new IllegalArgumentException(op + ": tensors are on different devices (" + a.device() + " and "
                    + b.device() + "); move one with to()");
        }
    }
}
