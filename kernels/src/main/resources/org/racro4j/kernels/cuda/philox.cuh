// philox.cuh: the Philox4x32-10 block function (specified in core's random/Philox.java), shared by philox.cu and
// sampling.cu. Host-callable too, so that a host program can check it against the Java reference bit for bit.
#pragma once

#include "common.cuh"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

struct PhiloxWords {
    u32 w[4];
};

// Block `counter` under key `seed`: counter (lo32, hi32, 0, 0), key (lo32 seed, hi32 seed), ten rounds, the key
// bumped before every round but the first. hi/lo of the 64-bit products (the compiler emits mul.hi for them).
__host__ __device__ __forceinline__ PhiloxWords philox4x32_10(u64 counter, u64 seed) {
    u32 c0 = (u32)counter, c1 = (u32)(counter >> 32), c2 = 0, c3 = 0;
    u32 k0 = (u32)seed, k1 = (u32)(seed >> 32);
#pragma unroll
    for (int r = 0; r < 10; ++r) {
        if (r > 0) {
            k0 += PHILOX_W0;
            k1 += PHILOX_W1;
        }
        const u64 p0 = (u64)PHILOX_M0 * c0;
        const u64 p1 = (u64)PHILOX_M1 * c2;
        c0 = (u32)(p1 >> 32) ^ c1 ^ k0;
        c1 = (u32)p1;
        c2 = (u32)(p0 >> 32) ^ c3 ^ k1;
        c3 = (u32)p0;
    }
    PhiloxWords out;
    out.w[0] = c0;
    out.w[1] = c1;
    out.w[2] = c2;
    out.w[3] = c3;
    return out;
}

// The 24-bit uniform in [0, 1) of one word, exact in float: (w >> 8) * 2^-24.
__host__ __device__ __forceinline__ float philox_uniform01(u32 w) {
    return (float)(w >> 8) * 5.9604644775390625e-8f;
}
