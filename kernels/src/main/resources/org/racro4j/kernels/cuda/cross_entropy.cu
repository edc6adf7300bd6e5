// cross_entropy.cu: per-row cross-entropy of logits against class indices, forward and backward.
//
// Math (CPU reference: core/cpu/CpuRows.crossEntropy / crossEntropyBackward)
//   lse[r]  = max_j l[r,j] + log sum_j exp(l[r,j] - max_j l[r,j])            (saved, F32)
//   loss[r] = lse[r] - l[r, t[r]], or 0 when t[r] == ignore_index
//   gl[r,j] = g[r] exp(l[r,j] - lse[r]) - (j == t[r] ? g[r] : 0), or 0 for ignored rows
//   A target outside [0, V) other than ignore_index is reported through the error word (common.cuh); the
//   host turns it into the CPU backend's IndexOutOfBoundsException. BF16 logits use the fast exp of common.cuh.
//
// Launch
//   One block per row, threads as in softmax.cu (up to 1024, ~16 logits each). The forward makes one pass
//   (online max and sum); the backward one pass that reads and writes (VEC: 16-byte vectors).
//
// Bytes moved
//   forward: rows * V * size + rows * (8 + 8) ; backward: rows * V * 2 * size + rows * 16

#include "common.cuh"

#define NEG_INF (-__int_as_float(0x7f800000))

#define QNAN __int_as_float(0x7fc00000)

// The running max m and sum s of exp(l - m); a NaN logit makes both NaN for good, as on the CPU.
template <typename T>
__device__ __forceinline__ void max_sum_add(float& m, float& s, float v) {
    if (v == NEG_INF) return;   // a masked logit adds exp(-inf) = 0; skipping it avoids -inf - -inf = NaN
    if (v != v) {
        m = QNAN;
        s = QNAN;
    } else if (v > m) {
        s = s * exp_for<T>(m - v) + 1.0f;
        m = v;
    } else {
        s += exp_for<T>(v - m);
    }
}

__device__ __forceinline__ void max_sum_merge(float& m, float& s, float m2, float s2) {
    if (m != m || m2 != m2) {
        m = QNAN;
        s = QNAN;
        return;
    }
    if (m2 == NEG_INF) return;   // the other side is empty (s2 = 0)
    if (m == NEG_INF) {
        m = m2;
        s = s2;
        return;
    }
    const float mm = fmaxf(m, m2);
    s = s * expf(m - mm) + s2 * expf(m2 - mm);
    m = mm;
}

template <typename T, bool VEC>
__device__ __forceinline__ void cross_entropy_row(const T* __restrict__ l, i64 t, int ignore_index, int V, float* loss,
                                                  float* lse_out) {
    __shared__ float sm[32];
    __shared__ float ss[32];
    constexpr int P = 16 / sizeof(T);
    float m = NEG_INF, s = 0.0f;
    if (VEC) {
        for (int i = threadIdx.x; i < V / P; i += blockDim.x) {
            Pack16<T> p = load16(l, i);
#pragma unroll
            for (int j = 0; j < P; ++j) max_sum_add<T>(m, s, to_f32(p.e[j]));
        }
    } else {
        for (int i = threadIdx.x; i < V; i += blockDim.x) max_sum_add<T>(m, s, to_f32(l[i]));
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        float m2 = __shfl_xor_sync(0xffffffffu, m, o);
        float s2 = __shfl_xor_sync(0xffffffffu, s, o);
        max_sum_merge(m, s, m2, s2);
    }
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    if (lane == 0) {
        sm[warp] = m;
        ss[warp] = s;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        float rm = NEG_INF, rs = 0.0f;
        for (int w = 0; w < (int)((blockDim.x + 31) >> 5); ++w) max_sum_merge(rm, rs, sm[w], ss[w]);
        float lse = rm + logf(rs);
        *lse_out = lse;
        *loss = t == ignore_index || t < 0 || t >= V ? 0.0f : lse - to_f32(l[t]);
    }
}

template <typename T, bool VEC>
__device__ __forceinline__ void cross_entropy_backward_row(const T* __restrict__ l, i64 t, int ignore_index, float lse, float g,
                                                           T* __restrict__ gl, int V) {
    constexpr int P = 16 / sizeof(T);
    const bool ignored = t == ignore_index;
    if (VEC) {
        for (int i = threadIdx.x; i < V / P; i += blockDim.x) {
            Pack16<T> p = load16(l, i);
#pragma unroll
            for (int j = 0; j < P; ++j) {
                const i64 col = (i64)i * P + j;
                float v = ignored ? 0.0f : g * exp_for<T>(to_f32(p.e[j]) - lse);
                if (!ignored && col == t) v -= g;
                p.e[j] = from_f32<T>(v);
            }
            store16(gl, i, p);
        }
    } else {
        for (int i = threadIdx.x; i < V; i += blockDim.x) {
            float v = ignored ? 0.0f : g * exp_for<T>(to_f32(l[i]) - lse);
            if (!ignored && i == t) v -= g;
            gl[i] = from_f32<T>(v);
        }
    }
}

#define DEFINE_CE(SUFFIX, T)                                                                                              \
    extern "C" __global__ void cross_entropy_##SUFFIX(const T* logits, const void* target, int target_dt, i64 t_stride,    \
                                                      int ignore_index, float* loss, float* lse, int V, u64* err, int vec) { \
        const i64 r = blockIdx.x;                                                                                         \
        const i64 t = load_index(target, r * t_stride, target_dt);                                                        \
        if (threadIdx.x == 0 && t != ignore_index && (t < 0 || t >= V)) report_bad_index(err, r * t_stride);              \
        if (vec) cross_entropy_row<T, true>(logits + r * V, t, ignore_index, V, loss + r, lse + r);                       \
        else cross_entropy_row<T, false>(logits + r * V, t, ignore_index, V, loss + r, lse + r);                          \
    }                                                                                                                     \
    extern "C" __global__ void cross_entropy_backward_##SUFFIX(const T* logits, const void* target, int target_dt,         \
                                                               i64 t_stride, const float* lse, const float* g_loss,       \
                                                               i64 g_stride, int ignore_index, T* g_logits, int V, int vec) { \
        const i64 r = blockIdx.x;                                                                                         \
        const i64 t = load_index(target, r * t_stride, target_dt);                                                        \
        const float g = g_loss[r * g_stride];                                                                             \
        if (vec) cross_entropy_backward_row<T, true>(logits + r * V, t, ignore_index, lse[r], g, g_logits + r * V, V);    \
        else cross_entropy_backward_row<T, false>(logits + r * V, t, ignore_index, lse[r], g, g_logits + r * V, V);       \
    }

DEFINE_CE(f32, float)
DEFINE_CE(bf16, bf16_t)
DEFINE_CE(f16, f16_t)
