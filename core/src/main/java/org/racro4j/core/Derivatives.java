package org.racro4j.core;

/**
 * The derivative table of the elementwise ops: each entry maps the output gradient g (and the saved input x,
 * output y) to the input gradient, using other ops so it runs on every backend.
 */
final class Derivatives {
    private Derivatives() {}

    static Tensor unary(UnaryOp op, Tensor g, Tensor x, Tensor y, float p0, float p1) {
        return switch (op) {
            case NEG -> g.neg();
            case ABS -> g.mul(x.sign());
            case EXP -> g.mul(y);
            case LOG -> g.div(x);
            case SQRT -> g.div(y).mul(0.5f);                       // 1 / (2 sqrt x)
            case RSQRT -> g.mul(y.pow(3f)).mul(-0.5f);              // -x^-3/2 / 2
            case RECIPROCAL -> g.mul(y.mul(y)).neg();                // -1/x^2
            case RELU -> g.mul(x.unaryRaw(UnaryOp.STEP));
            case TANH -> g.mul(y.mul(y).rsub(1f));                   // 1 - tanh^2
            case SIGMOID -> g.mul(y.mul(y.rsub(1f)));               // s (1 - s)
            case GELU_TANH -> g.mul(x.unaryRaw(UnaryOp.GELU_TANH_GRAD));
            case GELU_ERF -> g.mul(x.unaryRaw(UnaryOp.GELU_ERF_GRAD));
            case SILU -> g.mul(x.unaryRaw(UnaryOp.SILU_GRAD));
            case POW_SCALAR -> g.mul(x.pow(p0 - 1f)).mul(p0);
            case ADD_SCALAR -> g;
            case MUL_SCALAR -> g.mul(p0);
            case RDIV_SCALAR -> g.mul(y).div(x).neg();              // d(p/x) = -p/x^2 = -y/x (no 1/p: p may be 0)
            case CLAMP -> g.mul(x.unaryRaw(UnaryOp.IN_RANGE, p0, p1));
            case SIN -> g.mul(x.cos());
            case COS -> g.mul(x.sin()).neg();
            case LOG1P -> g.div(x.add(1f));
            case EXPM1 -> g.mul(y.add(1f));                          // d(e^x - 1) = e^x = y + 1
            case ERF -> g.mul(x.mul(x).neg().exp()).mul(1.1283791670955126f);   // 2/sqrt(pi) exp(-x^2)
            case SIGN, STEP, IN_RANGE, GELU_TANH_GRAD, GELU_ERF_GRAD, SILU_GRAD ->
                    throw new UnsupportedOperationException("no derivative for " + op);
        };
    }

    /** Gradients for a (broadcast) binary op; each is summed back down to its input's shape. */
    static Tensor[] binary(BinaryOp op, Tensor g, Tensor a, Tensor b, Tensor y) {
        boolean needA = a.requiresGrad();
        boolean needB = b.requiresGrad();
        Tensor ga = null;
        Tensor gb = null;
        switch (op) {
            case ADD -> {
                ga = g;
                gb = g;
            }
            case SUB -> {
                ga = g;
                gb = needB ? g.neg() : null;
            }
            case MUL -> {
                ga = needA ? g.mul(b) : null;
                gb = needB ? g.mul(a) : null;
            }
            case DIV -> {
                ga = needA ? g.div(b) : null;
                gb = needB ? g.mul(y).div(b).neg() : null;           // -a/b^2 = -y/b
            }
            case MAXIMUM -> {
                // PyTorch's rule: the larger input takes g, a tie gives each input g/2, and where a comparison is
                // false both ways (a NaN) both take g
                Tensor half = a.eq(b).mul(0.5f);
                ga = needA ? g.mul(a.lt(b).add(half).rsub(1f)) : null;
                gb = needB ? g.mul(a.gt(b).add(half).rsub(1f)) : null;
            }
            case MINIMUM -> {
                Tensor half = a.eq(b).mul(0.5f);
                ga = needA ? g.mul(a.gt(b).add(half).rsub(1f)) : null;
                gb = needB ? g.mul(a.lt(b).add(half).rsub(1f)) : null;
            }
            case POW -> {
                ga = needA ? g.mul(b).mul(a.pow(b.sub(1f))) : null;  // b a^(b-1)
                gb = needB ? g.mul(y).mul(a.log()) : null;          // a^b ln a
            }
            default -> throw new UnsupportedOperationException("no derivative for " + op);
        }
        return new Tensor[] {
                needA ? Tensor.sumToShape(ga, a.shape()) : null,
                needB ? Tensor.sumToShape(gb, b.shape()) : null};
    }
}
