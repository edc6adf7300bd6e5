// norms.cu: layer norm and RMS norm over the last dim, forward and backward.
//
// Math (CPU reference: core/cpu/CpuRows.layerNorm / rmsNorm and their backwards)
//   layer norm:  mu = mean(x), rstd = 1 / sqrt(mean((x - mu)^2) + eps), y = (x - mu) rstd w + b
//   RMS norm:    rstd = 1 / sqrt(mean(x^2) + eps), y = x rstd w
//   backward, with xhat = (x - mu) rstd (RMS: x rstd) and d = gy w:
//     layer norm: gx = rstd (d - mean(d) - xhat mean(d xhat)),  gw = sum_rows gy xhat,  gb = sum_rows gy
//     RMS norm:   gx = rstd (d - xhat mean(d xhat)),             gw = sum_rows gy xhat
//   mean and rstd are saved per row in F32. Statistics accumulate in float (the CPU uses double).
//
// Launch
//   Forward: one block per row, threads as in softmax.cu (~16 elements each, up to 1024). Each pass re-reads
//   the row from cache. VEC variants read x, w (and b) and write y as 16-byte vectors.
//   Backward: grid = min(rows, a few blocks per SM); block g walks rows g, g + grid, ... and, besides gx, keeps
//   its own partial column sums of gw (and gb) in a [grid, C] F32 scratch row that it alone touches (no
//   atomics). column_sums then adds the grid partials per column in a fixed order: deterministic.
//   W (weight dtype) is the row dtype T or F32; the host converts any other weight dtype first.
//
// Bytes moved
//   forward: rows * C * 2 * size(T) + C * size(W) (+ bias) + rows * 8 (mean, rstd)
//   backward: rows * C * 3 * size(T) + grid * C * 8 (partials, mostly cache-resident) + C * size(W) * 2

#include "common.cuh"

// V consecutive weights starting at element vec * V (V = elements of one 16-byte T pack), as floats.
template <typename T, typename W>
__device__ __forceinline__ void load_weights(const W* w, int vec, float* out) {
    constexpr int V = 16 / sizeof(T);
    constexpr int WV = 16 / sizeof(W);   // weights per 16-byte load
#pragma unroll
    for (int q = 0; q < V / WV; ++q) {
        Pack16<W> p = load16(w, (i64)vec * (V / WV) + q);
#pragma unroll
        for (int j = 0; j < WV; ++j) out[q * WV + j] = to_f32(p.e[j]);
    }
}

// ------------------------------------------------------------------------------------------ forward

template <typename T, typename W, bool VEC>
__device__ __forceinline__ void layernorm_row(const T* __restrict__ x, const W* __restrict__ w, const W* __restrict__ b,
                                              T* __restrict__ y, float* mean, float* rstd, int C, float eps) {
    __shared__ float scratch[32];
    constexpr int V = 16 / sizeof(T);
    float s = 0.0f;
    if (VEC) {
        for (int i = threadIdx.x; i < C / V; i += blockDim.x) {
            Pack16<T> p = load16(x, i);
#pragma unroll
            for (int j = 0; j < V; ++j) s += to_f32(p.e[j]);
        }
    } else {
        for (int i = threadIdx.x; i < C; i += blockDim.x) s += to_f32(x[i]);
    }
    const float mu = block_sum(s, scratch) / C;
    float ss = 0.0f;
    if (VEC) {
        for (int i = threadIdx.x; i < C / V; i += blockDim.x) {
            Pack16<T> p = load16(x, i);
#pragma unroll
            for (int j = 0; j < V; ++j) {
                float d = to_f32(p.e[j]) - mu;
                ss += d * d;
            }
        }
    } else {
        for (int i = threadIdx.x; i < C; i += blockDim.x) {
            float d = to_f32(x[i]) - mu;
            ss += d * d;
        }
    }
    const float inv = 1.0f / sqrtf(block_sum(ss, scratch) / C + eps);
    if (threadIdx.x == 0) {
        *mean = mu;
        *rstd = inv;
    }
    if (VEC) {
        for (int i = threadIdx.x; i < C / V; i += blockDim.x) {
            Pack16<T> p = load16(x, i);
            float wv[V], bv[V];
            load_weights<T, W>(w, i, wv);
            if (b != nullptr) load_weights<T, W>(b, i, bv);
#pragma unroll
            for (int j = 0; j < V; ++j) {
                float h = (to_f32(p.e[j]) - mu) * inv * wv[j];
                p.e[j] = from_f32<T>(b != nullptr ? h + bv[j] : h);
            }
            store16(y, i, p);
        }
    } else {
        for (int i = threadIdx.x; i < C; i += blockDim.x) {
            float h = (to_f32(x[i]) - mu) * inv * to_f32(w[i]);
            y[i] = from_f32<T>(b != nullptr ? h + to_f32(b[i]) : h);
        }
    }
}

template <typename T, typename W, bool VEC>
__device__ __forceinline__ void rmsnorm_row(const T* __restrict__ x, const W* __restrict__ w, T* __restrict__ y, float* rstd,
                                            int C, float eps) {
    __shared__ float scratch[32];
    constexpr int V = 16 / sizeof(T);
    float ss = 0.0f;
    if (VEC) {
        for (int i = threadIdx.x; i < C / V; i += blockDim.x) {
            Pack16<T> p = load16(x, i);
#pragma unroll
            for (int j = 0; j < V; ++j) {
                float v = to_f32(p.e[j]);
                ss += v * v;
            }
        }
    } else {
        for (int i = threadIdx.x; i < C; i += blockDim.x) {
            float v = to_f32(x[i]);
            ss += v * v;
        }
    }
    const float inv = 1.0f / sqrtf(block_sum(ss, scratch) / C + eps);
    if (threadIdx.x == 0) *rstd = inv;
    if (VEC) {
        for (int i = threadIdx.x; i < C / V; i += blockDim.x) {
            Pack16<T> p = load16(x, i);
            float wv[V];
            load_weights<T, W>(w, i, wv);
#pragma unroll
            for (int j = 0; j < V; ++j) p.e[j] = from_f32<T>(to_f32(p.e[j]) * inv * wv[j]);
            store16(y, i, p);
        }
    } else {
        for (int i = threadIdx.x; i < C; i += blockDim.x) y[i] = from_f32<T>(to_f32(x[i]) * inv * to_f32(w[i]));
    }
}

// ------------------------------------------------------------------------------------------ backward

// One row of either backward. layer = 1: layer norm (uses mean, gb); layer = 0: RMS norm.
// first_row: this block's first row, which initialises its partial sums instead of adding to them.
template <typename T, typename W>
__device__ __forceinline__ void norm_backward_row(int layer, const T* __restrict__ gy, const T* __restrict__ x,
                                                  const W* __restrict__ w, float mu, float inv, T* __restrict__ gx, int C,
                                                  float* __restrict__ gw_part, float* __restrict__ gb_part, bool first_row) {
    __shared__ float scratch[32];
    float sum_d = 0.0f, sum_dx = 0.0f;
    for (int i = threadIdx.x; i < C; i += blockDim.x) {
        float g = to_f32(gy[i]);
        float xhat = (to_f32(x[i]) - mu) * inv;
        float d = g * to_f32(w[i]);
        sum_d += d;
        sum_dx += d * xhat;
    }
    const float mean_d = layer ? block_sum(sum_d, scratch) / C : 0.0f;
    const float mean_dx = block_sum(sum_dx, scratch) / C;
    for (int i = threadIdx.x; i < C; i += blockDim.x) {
        float g = to_f32(gy[i]);
        float xhat = (to_f32(x[i]) - mu) * inv;
        float d = g * to_f32(w[i]);
        gx[i] = from_f32<T>(inv * (d - mean_d - xhat * mean_dx));
        if (gw_part != nullptr) gw_part[i] = first_row ? g * xhat : gw_part[i] + g * xhat;
        if (gb_part != nullptr) gb_part[i] = first_row ? g : gb_part[i] + g;
    }
}

#define DEFINE_NORMS(SUFFIX, T, W)                                                                                           \
    extern "C" __global__ void layernorm_##SUFFIX(const T* x, const W* w, const W* b, T* y, float* mean, float* rstd, int C,  \
                                                  float eps, int vec) {                                                      \
        const i64 r = blockIdx.x;                                                                                            \
        if (vec) layernorm_row<T, W, true>(x + r * C, w, b, y + r * C, mean + r, rstd + r, C, eps);                          \
        else layernorm_row<T, W, false>(x + r * C, w, b, y + r * C, mean + r, rstd + r, C, eps);                             \
    }                                                                                                                        \
    extern "C" __global__ void rmsnorm_##SUFFIX(const T* x, const W* w, T* y, float* rstd, int C, float eps, int vec) {      \
        const i64 r = blockIdx.x;                                                                                            \
        if (vec) rmsnorm_row<T, W, true>(x + r * C, w, y + r * C, rstd + r, C, eps);                                         \
        else rmsnorm_row<T, W, false>(x + r * C, w, y + r * C, rstd + r, C, eps);                                            \
    }                                                                                                                        \
    /* mean is null for RMS norm. gw_part / gb_part: [gridDim.x, C] F32 scratch, or null when not wanted. */                \
    extern "C" __global__ void norm_backward_##SUFFIX(int layer, const T* gy, const T* x, const W* w, const float* mean,     \
                                                      const float* rstd, T* gx, int rows, int C, float* gw_part,             \
                                                      float* gb_part) {                                                      \
        float* gwp = gw_part == nullptr ? nullptr : gw_part + (i64)blockIdx.x * C;                                           \
        float* gbp = gb_part == nullptr ? nullptr : gb_part + (i64)blockIdx.x * C;                                           \
        for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {                                                                 \
            const float mu = layer ? mean[r] : 0.0f;                                                                         \
            norm_backward_row<T, W>(layer, gy + r * C, x + r * C, w, mu, rstd[r], gx + r * C, C, gwp, gbp,                   \
                                    r == blockIdx.x);                                                                        \
            __syncthreads();                                                                                                 \
        }                                                                                                                    \
    }

DEFINE_NORMS(f32, float, float)
DEFINE_NORMS(bf16, bf16_t, bf16_t)
DEFINE_NORMS(bf16_wf32, bf16_t, float)
DEFINE_NORMS(f16, f16_t, f16_t)
DEFINE_NORMS(f16_wf32, f16_t, float)

// out[j] = sum_p partial[p * C + j] in p order, stored as out_dt. One thread per column.
extern "C" __global__ void column_sums(const float* partial, int parts, int C, void* out, int out_dt) {
    for (i64 j = blockIdx.x * (i64)blockDim.x + threadIdx.x; j < C; j += (i64)gridDim.x * blockDim.x) {
        float s = 0.0f;
        for (int p = 0; p < parts; ++p) s += partial[(i64)p * C + j];
        store_from_float(out, j, out_dt, s);
    }
}
