// rope.cu: rotary position embedding, "rotate half" form (Llama, Qwen2), forward and inverse.
//
// Math (CPU reference: core/cpu/CpuRows.rope)
//   x viewed as [rows, D], position p = row mod T, h = D / 2, c = cos[p, i], s = +-sin[p, i] (- for inverse):
//   out[i]     = x[i] c - x[i + h] s
//   out[i + h] = x[i + h] c + x[i] s
//
// Launch
//   One thread per (row, i < h) pair, grid-stride, 256 threads. The cos/sin tables ([T, h]) may have another
//   dtype than x (F32 tables with BF16 activations); they are read through the cache.
//
// Bytes moved
//   rows * D * 2 * size(x) + T * D * size(table) (once, from cache after that)

#include "common.cuh"

template <typename T>
__device__ __forceinline__ void rope(const T* __restrict__ x, const void* cos_t, int cos_dt, const void* sin_t, int sin_dt, T* __restrict__ out,
                                     i64 rows, int T_len, int D, int inverse) {
    const int h = D / 2;
    const i64 pairs = rows * h;
    const float sign = inverse ? -1.0f : 1.0f;
    for (i64 e = blockIdx.x * (i64)blockDim.x + threadIdx.x; e < pairs; e += (i64)gridDim.x * blockDim.x) {
        const i64 r = e / h;
        const int i = (int)(e - r * h);
        const i64 t = (r % T_len) * h + i;
        const float c = load_as_float(cos_t, t, cos_dt);
        const float s = sign * load_as_float(sin_t, t, sin_dt);
        const i64 base = r * D;
        const float x1 = to_f32(x[base + i]);
        const float x2 = to_f32(x[base + i + h]);
        out[base + i] = from_f32<T>(x1 * c - x2 * s);
        out[base + i + h] = from_f32<T>(x2 * c + x1 * s);
    }
}

#define DEFINE_ROPE(SUFFIX, T)                                                                                           \
    extern "C" __global__ void rope_##SUFFIX(const T* x, const void* cos_t, int cos_dt, const void* sin_t, int sin_dt, T* out,      \
                                             i64 rows, int T_len, int D, int inverse) {                                   \
        rope<T>(x, cos_t, cos_dt, sin_t, sin_dt, out, rows, T_len, D, inverse);                                                \
    }

DEFINE_ROPE(f32, float)
DEFINE_ROPE(bf16, bf16_t)
DEFINE_ROPE(f16, f16_t)
