// elementwise.cu: unary and binary maps and where, contiguous (16-byte vectors) or over any strides.
//
// Math (CPU reference: core/cpu/CpuElementwise.java and CpuMath.java)
//   unary:  out = f(x; p0, p1) for the UnaryOp f (op codes below are the enum's ordinals). Computed in float;
//           the CPU evaluates some functions in double and rounds once, so transcendental results differ by an
//           ulp or two, never more than the dtype tolerances of the tests.
//   binary: out = a (op) b; comparisons give 1 or 0. Float inputs compute in float; integer inputs (I32/I64)
//           compute exactly in int64. BF16 results of the contiguous kernels use the fast transcendentals of
//           common.cuh (their error is far below a BF16 ulp); everything else the accurate ones.
//   where:  out = cond != 0 ? a : b, copying a's or b's raw element (a, b and out share a dtype).
//
// Launch
//   *_contig_<dtype>: every operand contiguous and 16-byte aligned: one 16-byte vector (4 floats or 8 halves)
//   per thread per grid-stride step, 256 threads, ceil(vectors / 256) blocks (capped by the host). The op is
//   switched on once per launch, outside the loop, so the loop body is straight-line code.
//   *_strided: StridedSpace launch (common.cuh), 256 threads, op switched per element.
//
// Bytes moved
//   unary: numel * 2 * size; binary: numel * 3 * size (numel * 2 * size when b is a broadcast scalar);
//   where: numel * (cond size + 2 * size) at most.

#include "common.cuh"
#include "ops.cuh"   // U_* (UnaryOp) and B_* (BinaryOp) codes

#define SQRT_2_OVER_PI 0.7978845608028654f
#define GELU_C 0.044715f
#define INV_SQRT_2 0.7071067811865476f
#define INV_SQRT_2PI 0.3989422804014327f

template <typename T>
__device__ __forceinline__ float sigmoid_for(float x) { return div_for<T>(1.0f, 1.0f + exp_for<T>(-x)); }

// x^p with the small integer powers done by multiplication, as the CPU does.
__device__ __forceinline__ float pow_like_cpu(float v, float p) {
    if (p == 2.0f) return v * v;
    if (p == 1.0f) return v;
    if (p == 3.0f) return v * v * v;
    if (p == 0.5f) return sqrtf(v);
    return powf(v, p);
}

// T is the storage type the result is rounded to: it picks accurate or fast transcendentals (common.cuh).
template <int OP, typename T>
__device__ __forceinline__ float unary_op(float v, float p0, float p1) {
    switch (OP) {
        case U_NEG: return -v;
        case U_ABS: return fabsf(v);
        case U_SIGN: return v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : v;   // keeps 0, -0 and NaN, as Math.signum
        case U_EXP: return exp_for<T>(v);
        case U_LOG: return log_for<T>(v);
        case U_SQRT: return sqrtf(v);
        case U_RSQRT: return 1.0f / sqrtf(v);
        case U_RECIPROCAL: return 1.0f / v;
        case U_RELU: return v > 0.0f ? v : 0.0f;
        case U_TANH: return tanhf(v);
        case U_SIGMOID: return sigmoid_for<T>(v);
        case U_GELU_TANH: {
            float inner = SQRT_2_OVER_PI * (v + GELU_C * v * v * v);
            return 0.5f * v * (1.0f + tanhf(inner));
        }
        case U_GELU_ERF: return 0.5f * v * (1.0f + erff(v * INV_SQRT_2));
        case U_SILU: return v * sigmoid_for<T>(v);
        case U_GELU_TANH_GRAD: {
            float x2 = v * v;
            float inner = SQRT_2_OVER_PI * (v + GELU_C * x2 * v);
            float th = tanhf(inner);
            float d_inner = SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_C * x2);
            return 0.5f * (1.0f + th) + 0.5f * v * (1.0f - th * th) * d_inner;
        }
        case U_GELU_ERF_GRAD: return 0.5f * (1.0f + erff(v * INV_SQRT_2)) + v * INV_SQRT_2PI * exp_for<T>(-0.5f * v * v);
        case U_SILU_GRAD: {
            float s = sigmoid_for<T>(v);
            return s * (1.0f + v * (1.0f - s));
        }
        case U_STEP: return v > 0.0f ? 1.0f : 0.0f;
        case U_POW_SCALAR: return pow_like_cpu(v, p0);
        case U_ADD_SCALAR: return v + p0;
        case U_MUL_SCALAR: return v * p0;
        case U_RDIV_SCALAR: return p0 / v;
        case U_CLAMP: return v != v ? v : fminf(fmaxf(v, p0), p1);   // NaN stays NaN, as Math.min/max
        case U_IN_RANGE: return v >= p0 && v <= p1 ? 1.0f : 0.0f;
        // The accurate functions for every T: __sinf/__cosf lose all relative accuracy near the zeros and past
        // |x| = pi, and log1p/expm1 exist to keep relative accuracy near 0.
        case U_SIN: return sinf(v);
        case U_COS: return cosf(v);
        case U_LOG1P: return log1pf(v);
        case U_EXPM1: return expm1f(v);
        case U_ERF: return erff(v);
        default: return v;
    }
}

// The UCASE lists here and in unary_contig name every op code; a code missing from them would silently copy x.
static_assert(U_COUNT == 29, "list every UnaryOp code in unary_dynamic's and unary_contig's UCASE lines");

__device__ __forceinline__ float unary_dynamic(int op, float v, float p0, float p1) {
    switch (op) {
#define UCASE(n) case n: return unary_op<n, float>(v, p0, p1);
        UCASE(0) UCASE(1) UCASE(2) UCASE(3) UCASE(4) UCASE(5) UCASE(6) UCASE(7) UCASE(8) UCASE(9) UCASE(10)
        UCASE(11) UCASE(12) UCASE(13) UCASE(14) UCASE(15) UCASE(16) UCASE(17) UCASE(18) UCASE(19) UCASE(20)
        UCASE(21) UCASE(22) UCASE(23) UCASE(24) UCASE(25) UCASE(26) UCASE(27) UCASE(28)
#undef UCASE
        default: return v;
    }
}

template <int OP>
__device__ __forceinline__ float binary_op(float x, float y) {
    switch (OP) {
        case B_ADD: return x + y;
        case B_SUB: return x - y;
        case B_MUL: return x * y;
        case B_DIV: return x / y;
        case B_MAXIMUM: return x != x || y != y ? __int_as_float(0x7fc00000) : fmaxf(x, y);
        case B_MINIMUM: return x != x || y != y ? __int_as_float(0x7fc00000) : fminf(x, y);
        case B_POW: return pow_like_cpu(x, y);
        case B_EQ: return x == y ? 1.0f : 0.0f;
        case B_NE: return x != y ? 1.0f : 0.0f;
        case B_LT: return x < y ? 1.0f : 0.0f;
        case B_LE: return x <= y ? 1.0f : 0.0f;
        case B_GT: return x > y ? 1.0f : 0.0f;
        case B_GE: return x >= y ? 1.0f : 0.0f;
        default: return x;
    }
}

__device__ __forceinline__ float binary_dynamic(int op, float x, float y) {
    switch (op) {
#define BCASE(n) case n: return binary_op<n>(x, y);
        BCASE(0) BCASE(1) BCASE(2) BCASE(3) BCASE(4) BCASE(5) BCASE(6) BCASE(7) BCASE(8) BCASE(9) BCASE(10)
        BCASE(11) BCASE(12)
#undef BCASE
        default: return x;
    }
}

// Exact integer version; DIV and POW never reach it (core promotes them to F32).
__device__ __forceinline__ i64 binary_integer(int op, i64 x, i64 y) {
    switch (op) {
        case B_ADD: return x + y;
        case B_SUB: return x - y;
        case B_MUL: return x * y;
        case B_MAXIMUM: return x > y ? x : y;
        case B_MINIMUM: return x < y ? x : y;
        case B_EQ: return x == y;
        case B_NE: return x != y;
        case B_LT: return x < y;
        case B_LE: return x <= y;
        case B_GT: return x > y;
        case B_GE: return x >= y;
        default: return (i64)binary_dynamic(op, (float)x, (float)y);
    }
}

// ------------------------------------------------------------------------------------------ contiguous

template <typename T, int OP>
__device__ __forceinline__ void unary_loop(const T* __restrict__ x, T* __restrict__ y, i64 n, float p0, float p1) {
    constexpr int V = 16 / sizeof(T);
    const i64 vecs = n / V;
    const i64 tid = blockIdx.x * (i64)blockDim.x + threadIdx.x;
    const i64 step = (i64)gridDim.x * blockDim.x;
    for (i64 i = tid; i < vecs; i += step) {
        Pack16<T> v = load16(x, i);
#pragma unroll
        for (int j = 0; j < V; ++j) v.e[j] = from_f32<T>(unary_op<OP, T>(to_f32(v.e[j]), p0, p1));
        store16(y, i, v);
    }
    for (i64 i = vecs * V + tid; i < n; i += step) y[i] = from_f32<T>(unary_op<OP, T>(to_f32(x[i]), p0, p1));
}

template <typename T>
__device__ __forceinline__ void unary_contig(int op, const T* x, T* y, i64 n, float p0, float p1) {
    switch (op) {
#define UCASE(k) case k: unary_loop<T, k>(x, y, n, p0, p1); break;
        UCASE(0) UCASE(1) UCASE(2) UCASE(3) UCASE(4) UCASE(5) UCASE(6) UCASE(7) UCASE(8) UCASE(9) UCASE(10)
        UCASE(11) UCASE(12) UCASE(13) UCASE(14) UCASE(15) UCASE(16) UCASE(17) UCASE(18) UCASE(19) UCASE(20)
        UCASE(21) UCASE(22) UCASE(23) UCASE(24) UCASE(25) UCASE(26) UCASE(27) UCASE(28)
#undef UCASE
        default: break;
    }
}

// b_scalar: b is one element broadcast over all of a (stride 0).
template <typename T, int OP>
__device__ __forceinline__ void binary_loop(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ out, i64 n,
                                            int b_scalar) {
    constexpr int V = 16 / sizeof(T);
    const i64 vecs = n / V;
    const i64 tid = blockIdx.x * (i64)blockDim.x + threadIdx.x;
    const i64 step = (i64)gridDim.x * blockDim.x;
    if (b_scalar) {
        const float y = to_f32(b[0]);
        for (i64 i = tid; i < vecs; i += step) {
            Pack16<T> va = load16(a, i);
#pragma unroll
            for (int j = 0; j < V; ++j) va.e[j] = from_f32<T>(binary_op<OP>(to_f32(va.e[j]), y));
            store16(out, i, va);
        }
        for (i64 i = vecs * V + tid; i < n; i += step) out[i] = from_f32<T>(binary_op<OP>(to_f32(a[i]), y));
    } else {
        for (i64 i = tid; i < vecs; i += step) {
            Pack16<T> va = load16(a, i);
            Pack16<T> vb = load16(b, i);
#pragma unroll
            for (int j = 0; j < V; ++j) va.e[j] = from_f32<T>(binary_op<OP>(to_f32(va.e[j]), to_f32(vb.e[j])));
            store16(out, i, va);
        }
        for (i64 i = vecs * V + tid; i < n; i += step) out[i] = from_f32<T>(binary_op<OP>(to_f32(a[i]), to_f32(b[i])));
    }
}

// Arithmetic ops only: comparisons write F32 whatever the input dtype, so they take the strided path.
template <typename T>
__device__ __forceinline__ void binary_contig(int op, const T* a, const T* b, T* out, i64 n, int b_scalar) {
    switch (op) {
#define BCASE(k) case k: binary_loop<T, k>(a, b, out, n, b_scalar); break;
        BCASE(0) BCASE(1) BCASE(2) BCASE(3) BCASE(4) BCASE(5) BCASE(6)
#undef BCASE
        default: break;
    }
}

#define DEFINE_CONTIG(SUFFIX, T)                                                                                      \
    extern "C" __global__ void unary_contig_##SUFFIX(int op, const T* x, T* y, i64 n, float p0, float p1) {          \
        unary_contig<T>(op, x, y, n, p0, p1);                                                                         \
    }                                                                                                                 \
    extern "C" __global__ void binary_contig_##SUFFIX(int op, const T* a, const T* b, T* out, i64 n, int b_scalar) { \
        binary_contig<T>(op, a, b, out, n, b_scalar);                                                                 \
    }

DEFINE_CONTIG(f32, float)
DEFINE_CONTIG(bf16, bf16_t)
DEFINE_CONTIG(f16, f16_t)

// ------------------------------------------------------------------------------------------ strided

// Operands: 0 = out, 1 = x.
extern "C" __global__ void unary_strided(int op, StridedSpace s, i64 numel, void* out, int out_dt, const void* x, int x_dt,
                                         float p0, float p1) {
    for_each_strided<2>(s, numel, [&](const i64* off) {
        store_from_float(out, off[0], out_dt, unary_dynamic(op, load_as_float(x, off[1], x_dt), p0, p1));
    });
}

// Operands: 0 = out, 1 = a, 2 = b.
extern "C" __global__ void binary_strided(int op, StridedSpace s, i64 numel, void* out, int out_dt, const void* a, int a_dt,
                                          const void* b, int b_dt) {
    if (a_dt >= DT_I32 && b_dt >= DT_I32) {
        for_each_strided<3>(s, numel, [&](const i64* off) {
            i64 r = binary_integer(op, load_index(a, off[1], a_dt), load_index(b, off[2], b_dt));
            if (out_dt == DT_I64) ((i64*)out)[off[0]] = r;
            else if (out_dt == DT_I32) ((int*)out)[off[0]] = (int)r;
            else store_from_float(out, off[0], out_dt, (float)r);
        });
    } else {
        for_each_strided<3>(s, numel, [&](const i64* off) {
            float r = binary_dynamic(op, load_as_float(a, off[1], a_dt), load_as_float(b, off[2], b_dt));
            store_from_float(out, off[0], out_dt, r);
        });
    }
}

// Operands: 0 = out, 1 = cond, 2 = a, 3 = b. a, b and out share one dtype of elem_bytes bytes.
extern "C" __global__ void where_strided(StridedSpace s, i64 numel, void* out, const void* cond, int cond_dt, const void* a,
                                         const void* b, int elem_bytes) {
    for_each_strided<4>(s, numel, [&](const i64* off) {
        const bool take_a = cond_dt >= DT_I32 ? load_index(cond, off[1], cond_dt) != 0
                                              : load_as_float(cond, off[1], cond_dt) != 0.0f;
        if (elem_bytes == 4) {
            ((u32*)out)[off[0]] = take_a ? ((const u32*)a)[off[2]] : ((const u32*)b)[off[3]];
        } else if (elem_bytes == 2) {
            ((unsigned short*)out)[off[0]] = take_a ? ((const unsigned short*)a)[off[2]] : ((const unsigned short*)b)[off[3]];
        } else {
            ((u64*)out)[off[0]] = take_a ? ((const u64*)a)[off[2]] : ((const u64*)b)[off[3]];
        }
    });
}
