// adamw.cu: one fused AdamW step over many tensors in one launch (a multi-tensor kernel).
//
// Math (CPU reference: core/cpu/CpuAdamW.java; the host computes the scalars exactly as it does)
//   m = b1 m + (1 - b1) g
//   v = b2 v + (1 - b2) g g
//   p = p decay - step_size m / (sqrt(v) inv_sqrt_bc2 + eps)
//   with step_size = lr / (1 - b1^t), inv_sqrt_bc2 = 1 / sqrt(1 - b2^t), decay = 1 - lr wd. Every operation is
//   an explicitly rounded float op (__fmul_rn and friends) in the CPU's evaluation order, so no multiply-add
//   is fused and the result is bit-identical to the CPU's. p is F32, BF16 or F16 (rounded on store); g is F32
//   or p's dtype; m and v are F32.
//
// Launch
//   A table of tensors (AdamWTensor, below) in device memory, uploaded once per parameter set and reused
//   (AdamWTableCache.java, so a step can be captured in a graph); block b updates elements
//   [(b - first_block) * CHUNK, + CHUNK) of the tensor whose block range holds b (found by binary search).
//   CHUNK = 4096 elements, 256 threads: F32 tensors with 16-byte aligned p, g, m and v move float4s, 4 per
//   thread; others go element by element.
//
// Bytes moved
//   per element: read p, g, m, v and write p, m, v: 28 bytes for F32 parameters and gradients.

#include "common.cuh"

#define ADAMW_CHUNK 4096

struct AdamWTensor {
    u64 p, g, m, v;    // device addresses
    i64 n;             // elements
    i64 first_block;   // the first block of the launch that works on this tensor
    int p_dt, g_dt;
    int vec;           // 1: F32 everywhere and 16-byte aligned
    int pad_;
};
static_assert(sizeof(AdamWTensor) == 64, "AdamWTensor must match the table AdamWTable.pack writes");

struct AdamWScalars {
    float b1, b2, one_minus_b1, one_minus_b2, eps, step_size, inv_sqrt_bc2, decay;
};
static_assert(sizeof(AdamWScalars) == 32, "AdamWScalars must match the struct AdamWLauncher.scalars writes");

__device__ __forceinline__ void adamw_element(float& p, float g, float& m, float& v, const AdamWScalars& h) {
    m = __fadd_rn(__fmul_rn(h.b1, m), __fmul_rn(h.one_minus_b1, g));
    v = __fadd_rn(__fmul_rn(h.b2, v), __fmul_rn(__fmul_rn(h.one_minus_b2, g), g));
    const float denom = __fadd_rn(__fmul_rn(__fsqrt_rn(v), h.inv_sqrt_bc2), h.eps);
    p = __fsub_rn(__fmul_rn(p, h.decay), __fdiv_rn(__fmul_rn(h.step_size, m), denom));
}

extern "C" __global__ void adamw_multi(const AdamWTensor* tensors, int count, AdamWScalars h) {
    // The tensor whose blocks include this one: the last with first_block <= blockIdx.x.
    int lo = 0, hi = count - 1;
    const i64 b = blockIdx.x;
    while (lo < hi) {
        const int mid = (lo + hi + 1) >> 1;
        if (tensors[mid].first_block <= b) lo = mid;
        else hi = mid - 1;
    }
    const AdamWTensor t = tensors[lo];
    const i64 start = (b - t.first_block) * ADAMW_CHUNK;
    const i64 end = min(t.n, start + ADAMW_CHUNK);
    if (t.vec) {
        float4* p4 = (float4*)t.p;
        const float4* g4 = (const float4*)t.g;
        float4* m4 = (float4*)t.m;
        float4* v4 = (float4*)t.v;
        const i64 vec_end = start + ((end - start) / 4) * 4;
        for (i64 i = start / 4 + threadIdx.x; i < vec_end / 4; i += blockDim.x) {
            float4 p = p4[i], g = g4[i], m = m4[i], v = v4[i];
            adamw_element(p.x, g.x, m.x, v.x, h);
            adamw_element(p.y, g.y, m.y, v.y, h);
            adamw_element(p.z, g.z, m.z, v.z, h);
            adamw_element(p.w, g.w, m.w, v.w, h);
            p4[i] = p;
            m4[i] = m;
            v4[i] = v;
        }
        for (i64 i = vec_end + threadIdx.x; i < end; i += blockDim.x) {
            float p = ((float*)t.p)[i], m = ((float*)t.m)[i], v = ((float*)t.v)[i];
            adamw_element(p, ((const float*)t.g)[i], m, v, h);
            ((float*)t.p)[i] = p;
            ((float*)t.m)[i] = m;
            ((float*)t.v)[i] = v;
        }
    } else {
        float* mp = (float*)t.m;
        float* vp = (float*)t.v;
        for (i64 i = start + threadIdx.x; i < end; i += blockDim.x) {
            float p = load_as_float((const void*)t.p, i, t.p_dt);
            float m = mp[i], v = vp[i];
            adamw_element(p, load_as_float((const void*)t.g, i, t.g_dt), m, v, h);
            store_from_float((void*)t.p, i, t.p_dt, p);
            mp[i] = m;
            vp[i] = v;
        }
    }
}
