// softmax.cu: softmax and log-softmax over the last dim, forward and backward.
//
// Math (CPU reference: core/cpu/CpuRows.softmax / softmaxBackward)
//   m = max_j x_j (0 for an all -inf row), s = sum_j exp(x_j - m)
//   softmax:      y_j = exp(x_j - m) * (1 / s)
//   log-softmax:  y_j = x_j - (m + log s)
//   backward, softmax:      gx_j = y_j (gy_j - sum_k gy_k y_k)
//   backward, log-softmax:  gx_j = gy_j - exp(y_j) sum_k gy_k
//   The forward finds (m, s) in one pass with the online rescaling s <- s exp(m_old - m_new); the CPU sums in
//   double, here in float. BF16 rows use the fast exp of common.cuh.
//
// Launch
//   One block per row (grid.x = rows), threads = a multiple of 32 up to 1024 chosen by the host so each thread
//   handles ~16 elements. VEC variants (row length and row starts 16-byte aligned) read and write 16-byte
//   vectors. Pass 1 reads the row, pass 2 re-reads it (from L1/L2: a block's row is at most a few hundred KB and
//   was just read) and writes.
//
// Bytes moved
//   forward: rows * C * 2 * size from DRAM (the re-read hits cache); backward: rows * C * 3 * size.

#include "common.cuh"

#define NEG_INF (-__int_as_float(0x7f800000))

// The running (max, sum of exp(x - max)) of a set of values.
struct MaxSum {
    float m;
    float s;
};

#define QNAN __int_as_float(0x7fc00000)

// A NaN anywhere makes (m, s) NaN for good, as it makes the CPU's max and sum NaN (and so the whole row).
template <typename T>
__device__ __forceinline__ void online_add(MaxSum& a, float v) {
    if (v == NEG_INF) return;   // contributes exp(-inf) = 0; skipping avoids -inf - -inf
    if (v != v) {
        a.m = QNAN;
        a.s = QNAN;
    } else if (v > a.m) {
        a.s = a.s * exp_for<T>(a.m - v) + 1.0f;
        a.m = v;
    } else {
        a.s += exp_for<T>(v - a.m);   // a NaN m stays NaN: v > NaN is false and s becomes NaN
    }
}

__device__ __forceinline__ MaxSum online_merge(MaxSum a, MaxSum b) {
    if (a.m != a.m || b.m != b.m) {
        MaxSum nan;
        nan.m = QNAN;
        nan.s = QNAN;
        return nan;
    }
    if (a.m == NEG_INF) return b;   // an empty side: s = 0
    if (b.m == NEG_INF) return a;
    MaxSum r;
    r.m = fmaxf(a.m, b.m);
    r.s = a.s * expf(a.m - r.m) + b.s * expf(b.m - r.m);
    return r;
}

__device__ __forceinline__ MaxSum block_max_sum(MaxSum v) {
    __shared__ float sm[32];
    __shared__ float ss[32];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = (blockDim.x + 31) >> 5;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        MaxSum other;
        other.m = __shfl_xor_sync(0xffffffffu, v.m, o);
        other.s = __shfl_xor_sync(0xffffffffu, v.s, o);
        v = online_merge(v, other);
    }
    if (lane == 0) {
        sm[warp] = v.m;
        ss[warp] = v.s;
    }
    __syncthreads();
    MaxSum r;
    r.m = NEG_INF;
    r.s = 0.0f;
    for (int w = 0; w < warps; ++w) {
        MaxSum other;
        other.m = sm[w];
        other.s = ss[w];
        r = online_merge(r, other);
    }
    return r;
}

template <typename T, bool VEC>
__device__ __forceinline__ void softmax_row(const T* __restrict__ x, T* __restrict__ y, int C, int log_softmax) {
    constexpr int V = 16 / sizeof(T);
    MaxSum acc;
    acc.m = NEG_INF;
    acc.s = 0.0f;
    if (VEC) {
        for (int i = threadIdx.x; i < C / V; i += blockDim.x) {
            Pack16<T> p = load16(x, i);
#pragma unroll
            for (int j = 0; j < V; ++j) online_add<T>(acc, to_f32(p.e[j]));
        }
    } else {
        for (int i = threadIdx.x; i < C; i += blockDim.x) online_add<T>(acc, to_f32(x[i]));
    }
    MaxSum row = block_max_sum(acc);
    const float m = row.m == NEG_INF ? 0.0f : row.m;
    const float inv = 1.0f / row.s;
    const float lse = m + logf(row.s);
    if (VEC) {
        for (int i = threadIdx.x; i < C / V; i += blockDim.x) {
            Pack16<T> p = load16(x, i);
#pragma unroll
            for (int j = 0; j < V; ++j) {
                float v = to_f32(p.e[j]);
                p.e[j] = from_f32<T>(log_softmax ? v - lse : exp_for<T>(v - m) * inv);
            }
            store16(y, i, p);
        }
    } else {
        for (int i = threadIdx.x; i < C; i += blockDim.x) {
            float v = to_f32(x[i]);
            y[i] = from_f32<T>(log_softmax ? v - lse : exp_for<T>(v - m) * inv);
        }
    }
}

template <typename T, bool VEC>
__device__ __forceinline__ void softmax_backward_row(const T* __restrict__ y, const T* __restrict__ gy, T* __restrict__ gx, int C,
                                                     int log_softmax) {
    __shared__ float scratch[32];
    constexpr int V = 16 / sizeof(T);
    float dot = 0.0f;
    if (VEC) {
        for (int i = threadIdx.x; i < C / V; i += blockDim.x) {
            Pack16<T> g = load16(gy, i);
            Pack16<T> p = load16(y, i);
#pragma unroll
            for (int j = 0; j < V; ++j) dot += log_softmax ? to_f32(g.e[j]) : to_f32(g.e[j]) * to_f32(p.e[j]);
        }
    } else {
        for (int i = threadIdx.x; i < C; i += blockDim.x) dot += log_softmax ? to_f32(gy[i]) : to_f32(gy[i]) * to_f32(y[i]);
    }
    dot = block_sum(dot, scratch);
    if (VEC) {
        for (int i = threadIdx.x; i < C / V; i += blockDim.x) {
            Pack16<T> g = load16(gy, i);
            Pack16<T> p = load16(y, i);
#pragma unroll
            for (int j = 0; j < V; ++j) {
                float yv = to_f32(p.e[j]);
                float gv = to_f32(g.e[j]);
                p.e[j] = from_f32<T>(log_softmax ? gv - exp_for<T>(yv) * dot : yv * (gv - dot));
            }
            store16(gx, i, p);
        }
    } else {
        for (int i = threadIdx.x; i < C; i += blockDim.x) {
            float yv = to_f32(y[i]);
            float gv = to_f32(gy[i]);
            gx[i] = from_f32<T>(log_softmax ? gv - exp_for<T>(yv) * dot : yv * (gv - dot));
        }
    }
}

#define DEFINE_SOFTMAX(SUFFIX, T)                                                                                          \
    extern "C" __global__ void softmax_##SUFFIX(const T* x, T* y, int C, int log_softmax, int vec) {                       \
        const i64 row = blockIdx.x;                                                                                        \
        if (vec) softmax_row<T, true>(x + row * C, y + row * C, C, log_softmax);                                           \
        else softmax_row<T, false>(x + row * C, y + row * C, C, log_softmax);                                              \
    }                                                                                                                      \
    extern "C" __global__ void softmax_backward_##SUFFIX(const T* y, const T* gy, T* gx, int C, int log_softmax, int vec) { \
        const i64 row = blockIdx.x;                                                                                        \
        if (vec) softmax_backward_row<T, true>(y + row * C, gy + row * C, gx + row * C, C, log_softmax);                   \
        else softmax_backward_row<T, false>(y + row * C, gy + row * C, gx + row * C, C, log_softmax);                      \
    }

DEFINE_SOFTMAX(f32, float)
DEFINE_SOFTMAX(bf16, bf16_t)
DEFINE_SOFTMAX(f16, f16_t)
