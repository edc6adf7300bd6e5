// sampling.cu: one token per row of logits: greedy, or temperature with top-k and top-p.
//
// Math (specification: Backend.sampleTokens; CPU reference: core/cpu/CpuSampling.java)
//   temperature <= 0: the first index of the maximum (NaN never wins, except at index 0 as with the CPU's loop).
//   Otherwise, in double: p_j = exp((l_j - l_max) / T) / sum_k exp((l_k - l_max) / T); candidates sorted by p
//   descending, ties by index ascending; keep the first top_k (all when top_k <= 0); then the shortest prefix
//   whose mass reaches top_p times the top-k mass, i.e. top-p on the top-k distribution renormalised, the order
//   Hugging Face and vLLM apply them (all when top_p >= 1); kept = that prefix's mass; take the first candidate whose
//   cumulative mass exceeds u * kept, where u is word (b mod 4) of Philox block (offset + b / 4) as a uniform.
//   p is monotone in the logit, so sorting the logits (descending, -0 as +0, stable by index) gives the CPU's
//   order; candidates whose p underflows to 0 may order differently, but they carry no mass and are never
//   chosen. Sums are parallel (tree) sums in double where the CPU adds left to right: the choice differs from
//   the CPU's only if u * kept or top_p lies within double rounding (~1e-16) of a cumulative-mass boundary.
//
// Launch
//   One block of 1024 threads per row. The sort is a block-wide stable LSD radix sort of (key, index) pairs,
//   4 passes of 8 bits over global scratch (keys and indices, double-buffered: 16 bytes per logit); each pass
//   ranks a 1024-element tile at a time with __match_any_sync (stable within a warp) and per-warp digit counts
//   in shared memory (stable across warps). Then one or two sweeps in sorted order with a block-wide double
//   prefix scan, stopping as soon as the answer is known.
//
// Bytes moved
//   per row: V * size to find the maximum and the sum, V * (8 + 4 passes * 24) for the sort (mostly L2),
//   up to 2 * V * (4 + size) for the sweeps.

#include "philox.cuh"

#define SAMPLE_THREADS 1024
#define RADIX 256

// A key whose ascending unsigned order is the float's descending order; -0 sorts as +0.
__device__ __forceinline__ u32 descending_key(float f) {
    if (f == 0.0f) f = 0.0f;
    const u32 bits = __float_as_uint(f);
    const u32 ascending = (bits & 0x80000000u) ? ~bits : bits | 0x80000000u;
    return ~ascending;
}

// One stable counting pass on digit (key >> shift) & 255, from (kin, vin) to (kout, vout).
__device__ void radix_pass(const u32* __restrict__ kin, const int* __restrict__ vin, u32* __restrict__ kout,
                           int* __restrict__ vout, int V, int shift) {
    __shared__ u32 hist[RADIX];
    __shared__ u32 base[RADIX];
    __shared__ u32 warp_counts[SAMPLE_THREADS / 32][RADIX];
    const int tid = threadIdx.x;
    const int lane = tid & 31;
    const int warp = tid >> 5;
    const int warps = blockDim.x >> 5;
    for (int d = tid; d < RADIX; d += blockDim.x) hist[d] = 0;
    __syncthreads();
    for (int i = tid; i < V; i += blockDim.x) atomicAdd(&hist[(kin[i] >> shift) & 255u], 1u);
    __syncthreads();
    if (warp == 0) {   // exclusive scan of the histogram: 8 digits per lane
        u32 local[RADIX / 32];
        u32 sum = 0;
#pragma unroll
        for (int q = 0; q < RADIX / 32; ++q) {
            local[q] = hist[lane * (RADIX / 32) + q];
            sum += local[q];
        }
        u32 inclusive = sum;
#pragma unroll
        for (int o = 1; o < 32; o <<= 1) {
            u32 t = __shfl_up_sync(0xffffffffu, inclusive, o);
            if (lane >= o) inclusive += t;
        }
        u32 run = inclusive - sum;
#pragma unroll
        for (int q = 0; q < RADIX / 32; ++q) {
            base[lane * (RADIX / 32) + q] = run;
            run += local[q];
        }
    }
    __syncthreads();
    for (int tile = 0; tile < V; tile += blockDim.x) {
        const int i = tile + tid;
        const bool valid = i < V;
        const u32 key = valid ? kin[i] : 0u;
        const int val = valid ? vin[i] : 0;
        const u32 digit = valid ? (key >> shift) & 255u : (u32)RADIX;   // invalid lanes group among themselves
        for (int d = lane; d < RADIX; d += 32) warp_counts[warp][d] = 0;
        __syncwarp();
        const u32 peers = __match_any_sync(0xffffffffu, digit);
        const u32 rank = __popc(peers & ((1u << lane) - 1u));
        if (valid && rank == 0) warp_counts[warp][digit] = __popc(peers);
        __syncthreads();
        if (tid < RADIX) {   // per digit: where each warp's run starts
            u32 run = base[tid];
            for (int w = 0; w < warps; ++w) {
                u32 c = warp_counts[w][tid];
                warp_counts[w][tid] = run;
                run += c;
            }
            base[tid] = run;
        }
        __syncthreads();
        if (valid) {
            const u32 pos = warp_counts[warp][digit] + rank;
            kout[pos] = key;
            vout[pos] = val;
        }
        __syncthreads();
    }
}

// Inclusive prefix sum over the block (thread order); *total gets the block's sum.
__device__ __forceinline__ double block_inclusive_scan(double v, double* total) {
    __shared__ double warp_sums[32];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = blockDim.x >> 5;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
        double t = __shfl_up_sync(0xffffffffu, v, o);
        if (lane >= o) v += t;
    }
    __syncthreads();
    if (lane == 31) warp_sums[warp] = v;
    __syncthreads();
    double before = 0.0, all = 0.0;
    for (int w = 0; w < warps; ++w) {
        if (w < warp) before += warp_sums[w];
        all += warp_sums[w];
    }
    *total = all;
    return v + before;
}

template <typename T>
__device__ void sample_row(const T* __restrict__ l, int V, float temperature, int top_k, float top_p, float u, i64* out,
                           u32* keys_a, u32* keys_b, int* idx_a, int* idx_b) {
    __shared__ float s_best_v[32];
    __shared__ int s_best_i[32];
    __shared__ double s_scratch[32];
    __shared__ int s_found;
    const int tid = threadIdx.x;
    const int lane = tid & 31;
    const int warp = tid >> 5;
    const int warps = blockDim.x >> 5;

    // Greedy choice: the first maximum, NaN skipped.
    float best_v = 0.0f;
    int best_i = -1;
    for (int j = tid; j < V; j += blockDim.x) {
        float v = to_f32(l[j]);
        if (v != v) continue;
        if (best_i < 0 || v > best_v) {
            best_v = v;
            best_i = j;
        }
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        float v2 = __shfl_xor_sync(0xffffffffu, best_v, o);
        int i2 = __shfl_xor_sync(0xffffffffu, best_i, o);
        if (i2 >= 0 && (best_i < 0 || v2 > best_v || (v2 == best_v && i2 < best_i))) {
            best_v = v2;
            best_i = i2;
        }
    }
    if (lane == 0) {
        s_best_v[warp] = best_v;
        s_best_i[warp] = best_i;
    }
    __syncthreads();
    best_v = 0.0f;
    best_i = -1;
    for (int w = 0; w < warps; ++w) {
        float v2 = s_best_v[w];
        int i2 = s_best_i[w];
        if (i2 >= 0 && (best_i < 0 || v2 > best_v || (v2 == best_v && i2 < best_i))) {
            best_v = v2;
            best_i = i2;
        }
    }
    const float first = to_f32(l[0]);
    if (best_i < 0 || first != first) best_i = 0;   // nothing compares greater than a NaN at index 0
    if (temperature <= 0.0f) {
        if (tid == 0) *out = best_i;
        return;
    }

    const double max_logit = (double)to_f32(l[best_i]);
    const double t = (double)temperature;
    double part = 0.0;
    for (int j = tid; j < V; j += blockDim.x) {
        part += exp(((double)to_f32(l[j]) - max_logit) / t);
        keys_a[j] = descending_key(to_f32(l[j]));
        idx_a[j] = j;
    }
    const double sum = block_sum_d(part, s_scratch);
    __syncthreads();   // keys written by every thread before the sort reads them
    radix_pass(keys_a, idx_a, keys_b, idx_b, V, 0);
    radix_pass(keys_b, idx_b, keys_a, idx_a, V, 8);
    radix_pass(keys_a, idx_a, keys_b, idx_b, V, 16);
    radix_pass(keys_b, idx_b, keys_a, idx_a, V, 24);
    const int* order = idx_a;

    int keep = top_k > 0 ? min(top_k, V) : V;
    // Sweep 0 (top-p only): the top-k mass, so that top_p applies to the top-k distribution renormalised.
    double top_p_threshold = (double)top_p;
    if (top_p < 1.0f) {
        double part_k = 0.0;
        for (int i = tid; i < keep; i += blockDim.x) part_k += exp(((double)to_f32(l[order[i]]) - max_logit) / t) / sum;
        top_p_threshold *= block_sum_d(part_k, s_scratch);
        __syncthreads();   // s_scratch is reused below
    }

    // Sweep 1: how many candidates are kept, and their mass.
    double kept = 0.0;
    double carry = 0.0;
    for (int tile = 0; tile < keep; tile += blockDim.x) {
        const int i = tile + tid;
        const double p = i < keep ? exp(((double)to_f32(l[order[i]]) - max_logit) / t) / sum : 0.0;
        double tile_total;
        const double cumulative = carry + block_inclusive_scan(p, &tile_total);
        if (tid == 0) s_found = 0x7fffffff;
        __syncthreads();
        if (top_p < 1.0f && i < keep && cumulative >= top_p_threshold) atomicMin(&s_found, i);
        __syncthreads();
        const int hit = s_found;
        if (hit != 0x7fffffff) {
            keep = hit + 1;
            if (i == hit) s_scratch[0] = cumulative;
            __syncthreads();
            kept = s_scratch[0];
            break;
        }
        carry += tile_total;
        kept = carry;
        __syncthreads();
    }

    // Sweep 2: the first candidate whose cumulative mass exceeds u * kept.
    const double target = (double)u * kept;
    carry = 0.0;
    int pick = order[keep - 1];
    for (int tile = 0; tile < keep; tile += blockDim.x) {
        const int i = tile + tid;
        const double p = i < keep ? exp(((double)to_f32(l[order[i]]) - max_logit) / t) / sum : 0.0;
        double tile_total;
        const double cumulative = carry + block_inclusive_scan(p, &tile_total);
        if (tid == 0) s_found = 0x7fffffff;
        __syncthreads();
        if (i < keep && cumulative > target) atomicMin(&s_found, i);
        __syncthreads();
        const int hit = s_found;
        if (hit != 0x7fffffff) {
            pick = order[hit];
            break;
        }
        carry += tile_total;
        __syncthreads();
    }
    if (tid == 0) *out = pick;
}

#define DEFINE_SAMPLE(SUFFIX, T)                                                                                           \
    extern "C" __global__ void __launch_bounds__(SAMPLE_THREADS)                                                           \
        sample_tokens_##SUFFIX(const T* logits, int V, float temperature, int top_k, float top_p, u64 seed, u64 offset,     \
                               i64* out, i64 out_stride, u32* keys_a, u32* keys_b, int* idx_a, int* idx_b) {               \
        const i64 b = blockIdx.x;                                                                                          \
        const float u = philox_uniform01(philox4x32_10(offset + (u64)(b / 4), seed).w[b % 4]);     \
        const i64 at = b * (i64)V;                                                                                         \
        sample_row<T>(logits + at, V, temperature, top_k, top_p, u, out + b * out_stride, keys_a + at, keys_b + at,        \
                      idx_a + at, idx_b + at);                                                                             \
    }

DEFINE_SAMPLE(f32, float)
DEFINE_SAMPLE(bf16, bf16_t)
DEFINE_SAMPLE(f16, f16_t)
