// philox.cu: Philox4x32-10 random fills, the same stream as core's random/Philox.java.
//
// Math (specification and CPU reference: core/random/Philox.java)
//   Block b of a fill (seed s, offset o): key (lo32 s, hi32 s), counter (lo32(o + b), hi32(o + b), 0, 0), ten
//   rounds  c = (hi(M1 c2) ^ c1 ^ k0, lo(M1 c2), hi(M0 c0) ^ c3 ^ k1, lo(M0 c0)), the key bumped by
//   (0x9E3779B9, 0xBB67AE85) before every round but the first. Element i takes word i mod 4 of block i / 4.
//   uniform [a, b):    a + (b - a) * ((w >> 8) * 2^-24), in float with no fused multiply-add (as Java rounds it)
//   normal (a, b):     words (w0, w1) and (w2, w3) pair up: u1 = ((x >> 8) + 1) 2^-24, u2 = (y >> 8) 2^-24,
//                      r = sqrt(-2 ln u1), theta = 2 pi u2 in double; even element a + b (float)(r cos theta),
//                      odd element a + b (float)(r sin theta).
//   Uniform values are bit-identical to the CPU's; normal values differ only where CUDA's double log/sin/cos
//   and Java's round differently in the last double bit and that bit survives the rounding to float.
//
// Launch
//   One thread per Philox block (4 elements), grid-stride, 256 threads.
//
// Bytes moved
//   numel * size (writes only).

#include "philox.cuh"

template <typename T>
__device__ __forceinline__ void philox_fill(T* dst, i64 n, u64 seed, u64 offset, int normal, float a, float b) {
    const i64 blocks = (n + 3) / 4;
    const float width = __fsub_rn(b, a);
    for (i64 blk = blockIdx.x * (i64)blockDim.x + threadIdx.x; blk < blocks; blk += (i64)gridDim.x * blockDim.x) {
        const PhiloxWords words = philox4x32_10(offset + (u64)blk, seed);
        const u32* w = words.w;
        float v[4];
        if (normal) {
#pragma unroll
            for (int p = 0; p < 4; p += 2) {
                const double u1 = (double)((w[p] >> 8) + 1u) * 5.9604644775390625e-8;
                const double u2 = (double)(w[p + 1] >> 8) * 5.9604644775390625e-8;
                const double r = sqrt(-2.0 * log(u1));
                const double theta = 2.0 * 3.141592653589793 * u2;
                v[p] = __fadd_rn(a, __fmul_rn(b, (float)(r * cos(theta))));
                v[p + 1] = __fadd_rn(a, __fmul_rn(b, (float)(r * sin(theta))));
            }
        } else {
#pragma unroll
            for (int e = 0; e < 4; ++e) v[e] = __fadd_rn(a, __fmul_rn(width, philox_uniform01(w[e])));
        }
        const i64 first = blk * 4;
#pragma unroll
        for (int e = 0; e < 4; ++e) {
            if (first + e < n) dst[first + e] = from_f32<T>(v[e]);
        }
    }
}

#define DEFINE_PHILOX(SUFFIX, T)                                                                                     \
    extern "C" __global__ void philox_##SUFFIX(T* dst, i64 n, u64 seed, u64 offset, int normal, float a, float b) { \
        philox_fill<T>(dst, n, seed, offset, normal, a, b);                                                          \
    }

DEFINE_PHILOX(f32, float)
DEFINE_PHILOX(bf16, bf16_t)
DEFINE_PHILOX(f16, f16_t)
