package org.racro4j.core;

/**
 * Elementwise functions of one tensor, with up to two scalar parameters (p0, p1). The *_GRAD entries are
 * derivatives f'(x), so that backward rules stay one fused kernel instead of a chain of small ones.
 */
public enum UnaryOp {
    NEG, ABS, SIGN, EXP, LOG, SQRT, RSQRT, RECIPROCAL,
    RELU, TANH, SIGMOID,
    /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
    GELU_TANH,
    /** 0.5 x (1 + erf(x / sqrt(2))) */
    GELU_ERF,
    /** x sigmoid(x) */
    SILU,
    GELU_TANH_GRAD, GELU_ERF_GRAD, SILU_GRAD,
    /** 1 where x &gt; 0, else 0 (the derivative of relu) */
    STEP,
    /** x^p0 */
    POW_SCALAR,
    /** x + p0 */
    ADD_SCALAR,
    /** x * p0 */
    MUL_SCALAR,
    /** p0 / x */
    RDIV_SCALAR,
    /** min(max(x, p0), p1) */
    CLAMP,
    /** 1 where p0 &lt;= x &lt;= p1, else 0 (the derivative of clamp) */
    IN_RANGE,
    // Appended, so the ordinals above (the CUDA kernels' op codes) stay where they were.
    SIN, COS,
    /** log(1 + x), accurate relative to x near 0 */
    LOG1P,
    /** exp(x) - 1, accurate relative to x near 0 */
    EXPM1,
    /** the error function, 2/sqrt(pi) times the integral of exp(-t^2) from 0 to x */
    ERF,
}
