// attention.cu: fused attention: flash-attention forward and backward (mma.sync, sm_80+), and flash decoding over
// a KV cache.
//
// Math (CPU reference: core/Functional.scaledDotProductAttention, the composite of matmul, mask and softmax)
//   q [B, Hq, T, D], k and v [B, Hkv, S, D], Hq a multiple of Hkv (query head h reads key/value head h / (Hq/Hkv)),
//   D = 64 or 128, BF16 or F16, F32 accumulation. Key s is visible to query t unless causal and s > t + S - T
//   (end-aligned, as the composite) or key_mask[b, s] == 0. p = softmax over visible keys of scale q k^T;
//   out = p v; lse = log sum exp(scale q k^T) over visible keys (-inf, and out 0, when none is visible).
//   Softmax runs online in base 2 (x = scale log2(e) q k), never storing scores.
//   Backward (FlashAttention-2): delta_t = sum_d dO o; per key block, for every query head of its group and
//   every query tile: P = exp(scale q k - lse), dV += P^T dO, dP = dO V^T, dS = P (dP - delta),
//   dK += scale dS^T Q (registers, no atomics), dQ += scale dS K (F32 atomics into dq_acc, converted after).
//   Decode: one query per row against the cache, keys 0 .. lengths[b] - 1 (read on the device), split over the
//   keys (flash decoding): each split writes an unnormalised partial (o, m, l), attn_decode_combine merges them.
//
// Launch
//   attn_fwd_<dtype>_d<D>: grid (ceil(T/64), Hq, B), 128 threads = 4 warps x 16 query rows; heaviest (causal)
//     query tiles first. Shared: Q, K, V tiles of 64 rows, rows padded by 16 bytes (ldmatrix without bank
//     conflicts): 27 KiB (D 64) / 52 KiB (D 128). Q fragments stay in registers; per key tile the V copy
//     (cp.async) overlaps Q K^T and the next K copy overlaps P V.
//   attn_bwd_delta: one warp per (b, h, t) row. attn_bwd_<dtype>_d<D>: grid (ceil(S/64), Hkv, B), 4 warps x 16
//     keys, query tiles of 32; shared K, V (64 rows), Q, dO (32 rows), dS (64 x 32): 31 / 58 KiB.
//   attn_decode_<dtype>_d<D>: grid (splits, Hkv, B), 128 threads; a split's scores live in shared memory
//     (G x chunk floats for G = min(Hq/Hkv, 16) query heads per round). attn_decode_combine_<dtype>: grid
//     (Hq, B), D threads; only when splits > 1 (one split writes the output itself).
//
// Bytes moved
//   Forward: Q, O once; K and V once per query tile (from L2: T/64 times); 4 B Hq T S D flops (half when causal):
//   compute bound. Backward: ~2.5x the forward's flops, plus B Hq T D F32 atomics. Decode: K and V of every
//   row once (B Hkv L D 2 size bytes, L the lengths), memory bound: the roofline is the cache read time.

#include "gemm.cuh"

// Passed by value; CudaAttention.java packs the same 248 bytes.
struct AttnParams {
    const void* q;
    const void* k;
    const void* v;
    void* o;
    float* lse;
    const float* key_mask;   // [B, S] (row stride mask_b, 0 = shared), or null
    const void* dout;        // backward
    void* dk;                // [B, Hkv, S, D] contiguous
    void* dv;
    float* dq_acc;           // [B, Hq, T, D] contiguous, zeroed
    float* delta;            // [B, Hq, T]
    i64 q_b, q_h, q_t;
    i64 k_b, k_h, k_t;
    i64 v_b, v_h, v_t;
    i64 o_b, o_h, o_t;
    i64 do_b, do_h, do_t;
    i64 mask_b;
    int B, Hq, Hkv, T, S;
    int causal;
    float scale;
    float scale_log2;        // scale * log2(e)
};
static_assert(sizeof(AttnParams) == 248, "AttnParams must match AttentionParams.java's packing");

#define FA_BR 64
#define FA_BC 64
#define FA_THREADS 128
#define FA_BWD_BR 32
#define NEG_INF (-__int_as_float(0x7f800000))
#define POS_INF (__int_as_float(0x7f800000))
#define LN2 0.6931471805599453f
#define LOG2E 1.4426950408889634f

__device__ __forceinline__ float fast_exp2(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
    return y;
}

// Copies rows [row0, row0 + nrows) of a [*, D] matrix (row stride ld elements, 16-byte aligned rows) into shared
// rows of pitch D + 8; rows at or past limit are zero-filled (so masked keys never bring NaN garbage into P V).
template <typename T, int D, int NROWS>
__device__ __forceinline__ void attn_load_rows(T* dst, const T* src, i64 ld, int row0, int limit) {
    constexpr int CPR = D / 8;   // 16-byte chunks per row
    constexpr int PITCH = D + 8;
#pragma unroll
    for (int it = 0; it < NROWS * CPR / FA_THREADS; ++it) {
        const int i = threadIdx.x + it * FA_THREADS;
        const int r = i / CPR, c = i % CPR;
        const int row = row0 + r;
        const bool ok = row < limit;
        cp_async16(smem_u32(dst + r * PITCH + c * 8), ok ? (const void*)(src + row * ld + c * 8) : (const void*)src, ok ? 16 : 0);
    }
}

// ================================================================================================ forward

template <typename T, int D>
__device__ __forceinline__ void attn_fwd(const AttnParams& p) {
    constexpr int PITCH = D + 8;
    constexpr int KS = D / 16;   // k-steps of Q K^T
    constexpr int DB = D / 8;    // 8-wide column blocks of O
    extern __shared__ __align__(128) unsigned char attn_smem[];
    T* sQ = reinterpret_cast<T*>(attn_smem);
    T* sK = sQ + FA_BR * PITCH;
    T* sV = sK + FA_BC * PITCH;

    const int qtile = gridDim.x - 1 - blockIdx.x;   // heaviest (causal) tiles first
    const int h = blockIdx.y, b = blockIdx.z;
    const int hk = h / (p.Hq / p.Hkv);
    const int q0 = qtile * FA_BR;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int g = lane >> 2, qd = lane & 3, j8 = lane >> 3, r8 = lane & 7;
    const T* Q = reinterpret_cast<const T*>(p.q) + b * p.q_b + h * p.q_h;
    const T* K = reinterpret_cast<const T*>(p.k) + b * p.k_b + hk * p.k_h;
    const T* V = reinterpret_cast<const T*>(p.v) + b * p.v_b + hk * p.v_h;
    const float* mask = p.key_mask != nullptr ? p.key_mask + b * p.mask_b : nullptr;
    const int diag = p.S - p.T;

    int tiles = (p.S + FA_BC - 1) / FA_BC;
    if (p.causal) {
        const int last_key = q0 + FA_BR - 1 + diag;
        tiles = last_key < 0 ? 0 : min(tiles, last_key / FA_BC + 1);
    }

    attn_load_rows<T, D, FA_BR>(sQ, Q, p.q_t, q0, p.T);
    if (tiles > 0) attn_load_rows<T, D, FA_BC>(sK, K, p.k_t, 0, p.S);
    cp_async_commit();

    const int row0 = q0 + warp * 16 + g;   // this thread's rows: row0 (fragment elements 0, 1) and row0 + 8 (2, 3)
    float o[DB][4];
#pragma unroll
    for (int i = 0; i < DB; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.0f;
    float m0 = NEG_INF, m1 = NEG_INF, l0 = 0.0f, l1 = 0.0f;
    u32 qf[KS][4];

    for (int j = 0; j < tiles; ++j) {
        cp_async_wait<0>();
        __syncthreads();   // K_j (and Q) resident; every warp is done with V_{j-1}
        if (j == 0) {
#pragma unroll
            for (int ks = 0; ks < KS; ++ks) {
                ldmatrix_x4(qf[ks], smem_u32(sQ + (warp * 16 + (lane & 15)) * PITCH + ks * 16 + (lane >> 4) * 8));
            }
        }
        const int kbase = j * FA_BC;
        attn_load_rows<T, D, FA_BC>(sV, V, p.v_t, kbase, p.S);
        cp_async_commit();

        // S = Q K_j^T: 16 rows x 64 keys per warp.
        float s[8][4];
#pragma unroll
        for (int nb = 0; nb < 8; ++nb) s[nb][0] = s[nb][1] = s[nb][2] = s[nb][3] = 0.0f;
#pragma unroll
        for (int ks = 0; ks < KS; ++ks) {
#pragma unroll
            for (int np = 0; np < 4; ++np) {
                u32 t[4];
                ldmatrix_x4(t, smem_u32(sK + (np * 16 + (j8 >> 1) * 8 + r8) * PITCH + ks * 16 + (j8 & 1) * 8));
                const u32 b0[2] = {t[0], t[1]};
                const u32 b1[2] = {t[2], t[3]};
                mma_16816<T>(s[2 * np], qf[ks], b0);
                mma_16816<T>(s[2 * np + 1], qf[ks], b1);
            }
        }

        // Scale into base 2 and mask; only tiles at the sequence end, on the causal diagonal or with a key mask.
        const bool need_mask = kbase + FA_BC > p.S || mask != nullptr || (p.causal && kbase + FA_BC - 1 > q0 + diag);
        float mx0 = NEG_INF, mx1 = NEG_INF;
#pragma unroll
        for (int nb = 0; nb < 8; ++nb) {
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                float x = s[nb][e] * p.scale_log2;
                if (need_mask) {
                    const int key = kbase + nb * 8 + 2 * qd + (e & 1);
                    const int row = row0 + (e >> 1) * 8;
                    if (key >= p.S || (p.causal && key > row + diag) || (mask != nullptr && mask[key] == 0.0f)) x = NEG_INF;
                }
                s[nb][e] = x;
            }
            mx0 = fmaxf(mx0, fmaxf(s[nb][0], s[nb][1]));
            mx1 = fmaxf(mx1, fmaxf(s[nb][2], s[nb][3]));
        }
        mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 1));
        mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 2));
        mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 1));
        mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 2));
        const float n0 = fmaxf(m0, mx0), n1 = fmaxf(m1, mx1);
        // Rows with nothing visible yet keep a finite base, so that no -inf - -inf appears.
        const float base0 = n0 == NEG_INF ? 0.0f : n0, base1 = n1 == NEG_INF ? 0.0f : n1;
        const float alpha0 = fast_exp2(m0 - base0), alpha1 = fast_exp2(m1 - base1);
        m0 = n0;
        m1 = n1;
        float sum0 = 0.0f, sum1 = 0.0f;
#pragma unroll
        for (int nb = 0; nb < 8; ++nb) {
            s[nb][0] = fast_exp2(s[nb][0] - base0);
            s[nb][1] = fast_exp2(s[nb][1] - base0);
            s[nb][2] = fast_exp2(s[nb][2] - base1);
            s[nb][3] = fast_exp2(s[nb][3] - base1);
            sum0 += s[nb][0] + s[nb][1];
            sum1 += s[nb][2] + s[nb][3];
        }
        l0 = l0 * alpha0 + sum0;   // per-thread partial sums: the quad is reduced once, at the end
        l1 = l1 * alpha1 + sum1;
#pragma unroll
        for (int db = 0; db < DB; ++db) {
            o[db][0] *= alpha0;
            o[db][1] *= alpha0;
            o[db][2] *= alpha1;
            o[db][3] *= alpha1;
        }
        // P as A fragments of P V: the accumulator layout of two adjacent 8-key blocks is the A layout of k16.
        u32 pa[4][4];
#pragma unroll
        for (int kk = 0; kk < 4; ++kk) {
            pa[kk][0] = pack2<T>(s[2 * kk][0], s[2 * kk][1]);
            pa[kk][1] = pack2<T>(s[2 * kk][2], s[2 * kk][3]);
            pa[kk][2] = pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]);
            pa[kk][3] = pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3]);
        }

        cp_async_wait<0>();
        __syncthreads();   // V_j resident; every warp is done with K_j
        if (j + 1 < tiles) attn_load_rows<T, D, FA_BC>(sK, K, p.k_t, kbase + FA_BC, p.S);
        cp_async_commit();

        // O += P V_j.
#pragma unroll
        for (int kk = 0; kk < 4; ++kk) {
#pragma unroll
            for (int dp = 0; dp < D / 16; ++dp) {
                u32 t[4];
                ldmatrix_x4_trans(t, smem_u32(sV + (kk * 16 + (j8 & 1) * 8 + r8) * PITCH + (2 * dp + (j8 >> 1)) * 8));
                const u32 b0[2] = {t[0], t[1]};
                const u32 b1[2] = {t[2], t[3]};
                mma_16816<T>(o[2 * dp], pa[kk], b0);
                mma_16816<T>(o[2 * dp + 1], pa[kk], b1);
            }
        }
    }
    cp_async_wait<0>();

    l0 += __shfl_xor_sync(0xffffffffu, l0, 1);
    l0 += __shfl_xor_sync(0xffffffffu, l0, 2);
    l1 += __shfl_xor_sync(0xffffffffu, l1, 1);
    l1 += __shfl_xor_sync(0xffffffffu, l1, 2);
    const float inv0 = l0 > 0.0f ? 1.0f / l0 : 0.0f, inv1 = l1 > 0.0f ? 1.0f / l1 : 0.0f;
    T* O = reinterpret_cast<T*>(p.o) + b * p.o_b + h * p.o_h;
#pragma unroll
    for (int half = 0; half < 2; ++half) {
        const int row = row0 + half * 8;
        if (row >= p.T) continue;
        const float inv = half ? inv1 : inv0;
#pragma unroll
        for (int db = 0; db < DB; ++db) {
            const u32 v = pack2<T>(o[db][2 * half] * inv, o[db][2 * half + 1] * inv);
            *reinterpret_cast<u32*>(O + row * p.o_t + db * 8 + 2 * qd) = v;
        }
        if (qd == 0) {
            const float l = half ? l1 : l0, m = half ? m1 : m0;
            p.lse[((i64)b * p.Hq + h) * p.T + row] = l > 0.0f ? m * LN2 + logf(l) : NEG_INF;
        }
    }
}

// ================================================================================================ backward

// delta[b, h, t] = sum_d dO[b, h, t, d] o[b, h, t, d]: one warp per row.
template <typename T>
__device__ __forceinline__ void attn_bwd_delta(const AttnParams& p, int d) {
    const i64 row = (i64)blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    const i64 rows = (i64)p.B * p.Hq * p.T;
    if (row >= rows) return;
    const int t = (int)(row % p.T);
    const int h = (int)((row / p.T) % p.Hq);
    const int b = (int)(row / ((i64)p.T * p.Hq));
    const T* o = reinterpret_cast<const T*>(p.o) + b * p.o_b + h * p.o_h + t * p.o_t;
    const T* dout = reinterpret_cast<const T*>(p.dout) + b * p.do_b + h * p.do_h + t * p.do_t;
    float acc = 0.0f;
    for (int i = threadIdx.x & 31; i < d; i += 32) acc += to_f32(o[i]) * to_f32(dout[i]);
    acc = warp_sum(acc);
    if ((threadIdx.x & 31) == 0) p.delta[row] = acc;
}

template <typename T, int D>
__device__ __forceinline__ void attn_bwd(const AttnParams& p) {
    constexpr int PITCH = D + 8;
    constexpr int DSP = FA_BWD_BR + 8;   // pitch of the dS^T tile
    constexpr int KS = D / 16;
    constexpr int DB = D / 8;
    extern __shared__ __align__(128) unsigned char attn_smem[];
    T* sK = reinterpret_cast<T*>(attn_smem);
    T* sV = sK + FA_BC * PITCH;
    T* sQ = sV + FA_BC * PITCH;
    T* sdO = sQ + FA_BWD_BR * PITCH;
    T* sdS = sdO + FA_BWD_BR * PITCH;
    float* sL = reinterpret_cast<float*>(sdS + FA_BC * DSP);   // lse (base 2) of the query tile; +inf hides a row
    float* sDelta = sL + FA_BWD_BR;

    const int kblock = blockIdx.x, hk = blockIdx.y, b = blockIdx.z;
    const int group = p.Hq / p.Hkv;
    const int k0 = kblock * FA_BC;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int g = lane >> 2, qd = lane & 3, j8 = lane >> 3, r8 = lane & 7;
    const int diag = p.S - p.T;
    const T* K = reinterpret_cast<const T*>(p.k) + b * p.k_b + hk * p.k_h;
    const T* V = reinterpret_cast<const T*>(p.v) + b * p.v_b + hk * p.v_h;
    const float* mask = p.key_mask != nullptr ? p.key_mask + b * p.mask_b : nullptr;

    attn_load_rows<T, D, FA_BC>(sK, K, p.k_t, k0, p.S);
    attn_load_rows<T, D, FA_BC>(sV, V, p.v_t, k0, p.S);
    cp_async_commit();

    // This thread's two keys (accumulator rows g and g + 8 of its warp's 16) and whether they may be attended.
    const int key0 = k0 + warp * 16 + g, key1 = key0 + 8;
    const bool kvis0 = key0 < p.S && (mask == nullptr || mask[key0] != 0.0f);
    const bool kvis1 = key1 < p.S && (mask == nullptr || mask[key1] != 0.0f);

    float dk[DB][4], dv[DB][4];
#pragma unroll
    for (int i = 0; i < DB; ++i) {
        dk[i][0] = dk[i][1] = dk[i][2] = dk[i][3] = 0.0f;
        dv[i][0] = dv[i][1] = dv[i][2] = dv[i][3] = 0.0f;
    }
    // Causal: query t sees key k0 only if t >= k0 - diag; earlier query tiles contribute nothing.
    const int first_tile = p.causal ? max(0, k0 - diag) / FA_BWD_BR : 0;
    const int qtiles = (p.T + FA_BWD_BR - 1) / FA_BWD_BR;

    for (int hh = 0; hh < group; ++hh) {
        const int h = hk * group + hh;
        const T* Q = reinterpret_cast<const T*>(p.q) + b * p.q_b + h * p.q_h;
        const T* dO = reinterpret_cast<const T*>(p.dout) + b * p.do_b + h * p.do_h;
        const float* lse = p.lse + ((i64)b * p.Hq + h) * p.T;
        const float* delta = p.delta + ((i64)b * p.Hq + h) * p.T;
        float* dq = p.dq_acc + ((i64)b * p.Hq + h) * p.T * D;
        for (int it = first_tile; it < qtiles; ++it) {
            const int t0 = it * FA_BWD_BR;
            __syncthreads();   // the previous tile's Q, dO and dS are no longer read
            attn_load_rows<T, D, FA_BWD_BR>(sQ, Q, p.q_t, t0, p.T);
            attn_load_rows<T, D, FA_BWD_BR>(sdO, dO, p.do_t, t0, p.T);
            cp_async_commit();
            if (threadIdx.x < FA_BWD_BR) {
                const int t = t0 + threadIdx.x;
                const float l = t < p.T ? lse[t] : NEG_INF;
                sL[threadIdx.x] = l == NEG_INF ? POS_INF : l * LOG2E;   // no visible key: P = 0 for the whole row
                sDelta[threadIdx.x] = t < p.T ? delta[t] : 0.0f;
            }
            cp_async_wait<0>();
            __syncthreads();

            // S^T = K Q^T (16 keys x 32 queries per warp) and dP^T = V dO^T.
            float st[4][4], dpt[4][4];
#pragma unroll
            for (int nb = 0; nb < 4; ++nb) {
                st[nb][0] = st[nb][1] = st[nb][2] = st[nb][3] = 0.0f;
                dpt[nb][0] = dpt[nb][1] = dpt[nb][2] = dpt[nb][3] = 0.0f;
            }
#pragma unroll
            for (int ks = 0; ks < KS; ++ks) {
                u32 ka[4], va[4];
                ldmatrix_x4(ka, smem_u32(sK + (warp * 16 + (lane & 15)) * PITCH + ks * 16 + (lane >> 4) * 8));
                ldmatrix_x4(va, smem_u32(sV + (warp * 16 + (lane & 15)) * PITCH + ks * 16 + (lane >> 4) * 8));
#pragma unroll
                for (int np = 0; np < 2; ++np) {
                    u32 t[4], u[4];
                    ldmatrix_x4(t, smem_u32(sQ + (np * 16 + (j8 >> 1) * 8 + r8) * PITCH + ks * 16 + (j8 & 1) * 8));
                    ldmatrix_x4(u, smem_u32(sdO + (np * 16 + (j8 >> 1) * 8 + r8) * PITCH + ks * 16 + (j8 & 1) * 8));
                    const u32 q0b[2] = {t[0], t[1]}, q1b[2] = {t[2], t[3]};
                    const u32 d0b[2] = {u[0], u[1]}, d1b[2] = {u[2], u[3]};
                    mma_16816<T>(st[2 * np], ka, q0b);
                    mma_16816<T>(st[2 * np + 1], ka, q1b);
                    mma_16816<T>(dpt[2 * np], va, d0b);
                    mma_16816<T>(dpt[2 * np + 1], va, d1b);
                }
            }
            // P^T and dS^T = P^T (dP^T - delta).
#pragma unroll
            for (int nb = 0; nb < 4; ++nb) {
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    const int ql = nb * 8 + 2 * qd + (e & 1);
                    const int query = t0 + ql;
                    const int key = (e >> 1) ? key1 : key0;
                    const bool vis = ((e >> 1) ? kvis1 : kvis0) && !(p.causal && key > query + diag);
                    const float pv = vis ? fast_exp2(st[nb][e] * p.scale_log2 - sL[ql]) : 0.0f;
                    st[nb][e] = pv;
                    dpt[nb][e] = pv * (dpt[nb][e] - sDelta[ql]);
                }
            }
            // dV += P^T dO and dK += dS^T Q (k = the tile's 32 queries).
#pragma unroll
            for (int kk = 0; kk < 2; ++kk) {
                u32 pa[4], da[4];
                pa[0] = pack2<T>(st[2 * kk][0], st[2 * kk][1]);
                pa[1] = pack2<T>(st[2 * kk][2], st[2 * kk][3]);
                pa[2] = pack2<T>(st[2 * kk + 1][0], st[2 * kk + 1][1]);
                pa[3] = pack2<T>(st[2 * kk + 1][2], st[2 * kk + 1][3]);
                da[0] = pack2<T>(dpt[2 * kk][0], dpt[2 * kk][1]);
                da[1] = pack2<T>(dpt[2 * kk][2], dpt[2 * kk][3]);
                da[2] = pack2<T>(dpt[2 * kk + 1][0], dpt[2 * kk + 1][1]);
                da[3] = pack2<T>(dpt[2 * kk + 1][2], dpt[2 * kk + 1][3]);
#pragma unroll
                for (int dp = 0; dp < D / 16; ++dp) {
                    u32 t[4], u[4];
                    ldmatrix_x4_trans(t, smem_u32(sdO + (kk * 16 + (j8 & 1) * 8 + r8) * PITCH + (2 * dp + (j8 >> 1)) * 8));
                    ldmatrix_x4_trans(u, smem_u32(sQ + (kk * 16 + (j8 & 1) * 8 + r8) * PITCH + (2 * dp + (j8 >> 1)) * 8));
                    const u32 t0b[2] = {t[0], t[1]}, t1b[2] = {t[2], t[3]};
                    const u32 u0b[2] = {u[0], u[1]}, u1b[2] = {u[2], u[3]};
                    mma_16816<T>(dv[2 * dp], pa, t0b);
                    mma_16816<T>(dv[2 * dp + 1], pa, t1b);
                    mma_16816<T>(dk[2 * dp], da, u0b);
                    mma_16816<T>(dk[2 * dp + 1], da, u1b);
                }
            }
            // dS^T to shared memory for dQ = dS K, which needs every warp's keys.
#pragma unroll
            for (int nb = 0; nb < 4; ++nb) {
#pragma unroll
                for (int half = 0; half < 2; ++half) {
                    const int kl = warp * 16 + g + half * 8;
                    *reinterpret_cast<u32*>(sdS + kl * DSP + nb * 8 + 2 * qd) = pack2<T>(dpt[nb][2 * half], dpt[nb][2 * half + 1]);
                }
            }
            __syncthreads();
            // dQ (32 queries x D) += scale dS K: warp w takes columns [w D/4, (w+1) D/4).
            constexpr int WN = D / 32;   // 8-wide column blocks per warp
            float dqa[2][WN][4];
#pragma unroll
            for (int mi = 0; mi < 2; ++mi)
#pragma unroll
                for (int nb = 0; nb < WN; ++nb) dqa[mi][nb][0] = dqa[mi][nb][1] = dqa[mi][nb][2] = dqa[mi][nb][3] = 0.0f;
#pragma unroll
            for (int kk = 0; kk < FA_BC / 16; ++kk) {
                u32 a[2][4];
#pragma unroll
                for (int mi = 0; mi < 2; ++mi) {
                    ldmatrix_x4_trans(a[mi], smem_u32(sdS + (kk * 16 + (j8 >> 1) * 8 + r8) * DSP + mi * 16 + (j8 & 1) * 8));
                }
#pragma unroll
                for (int dp = 0; dp < WN / 2; ++dp) {
                    u32 t[4];
                    ldmatrix_x4_trans(t, smem_u32(sK + (kk * 16 + (j8 & 1) * 8 + r8) * PITCH + warp * (D / 4) + (2 * dp + (j8 >> 1)) * 8));
                    const u32 b0[2] = {t[0], t[1]}, b1[2] = {t[2], t[3]};
#pragma unroll
                    for (int mi = 0; mi < 2; ++mi) {
                        mma_16816<T>(dqa[mi][2 * dp], a[mi], b0);
                        mma_16816<T>(dqa[mi][2 * dp + 1], a[mi], b1);
                    }
                }
            }
#pragma unroll
            for (int mi = 0; mi < 2; ++mi) {
#pragma unroll
                for (int half = 0; half < 2; ++half) {
                    const int t = t0 + mi * 16 + g + half * 8;
                    if (t >= p.T) continue;
#pragma unroll
                    for (int nb = 0; nb < WN; ++nb) {
                        const int col = warp * (D / 4) + nb * 8 + 2 * qd;
                        atomicAdd(dq + (i64)t * D + col, p.scale * dqa[mi][nb][2 * half]);
                        atomicAdd(dq + (i64)t * D + col + 1, p.scale * dqa[mi][nb][2 * half + 1]);
                    }
                }
            }
        }
    }

    // dK (times the softmax scale) and dV of this block's keys: [B, Hkv, S, D] contiguous.
    T* gk = reinterpret_cast<T*>(p.dk) + (((i64)b * p.Hkv + hk) * p.S) * D;
    T* gv = reinterpret_cast<T*>(p.dv) + (((i64)b * p.Hkv + hk) * p.S) * D;
#pragma unroll
    for (int half = 0; half < 2; ++half) {
        const int key = half ? key1 : key0;
        if (key >= p.S) continue;
#pragma unroll
        for (int db = 0; db < DB; ++db) {
            const int col = db * 8 + 2 * qd;
            *reinterpret_cast<u32*>(gk + (i64)key * D + col) = pack2<T>(p.scale * dk[db][2 * half], p.scale * dk[db][2 * half + 1]);
            *reinterpret_cast<u32*>(gv + (i64)key * D + col) = pack2<T>(dv[db][2 * half], dv[db][2 * half + 1]);
        }
    }
}

// ================================================================================================ decode

#define DEC_THREADS 128
#define DEC_GMAX 16

// Passed by value; CudaAttention.java packs the same 160 bytes.
struct DecodeParams {
    const void* q;           // [B, Hq, 1, D]: strides q_b, q_h
    const void* k;           // [B, Hkv, C, D]
    const void* v;
    const int* lengths;      // [B]
    const float* key_mask;   // [B, C] (row stride mask_b) or null
    void* out;               // [B, Hq, 1, D] contiguous
    float* part_o;           // [B, Hq, splits, D]
    float* part_ml;          // [B, Hq, splits, 2]: max (base 2) and sum
    i64 q_b, q_h;
    i64 k_b, k_h, k_t;
    i64 v_b, v_h, v_t;
    i64 mask_b;
    int Hq, Hkv, C;
    int chunk;               // keys per split
    int splits;
    float scale_log2;
};
static_assert(sizeof(DecodeParams) == 160, "DecodeParams must match CudaAttention.java's packing");

// Elements of D each lane holds when a warp spans one row (D / 32: 2 or 4).
template <typename T, int E>
__device__ __forceinline__ void load_row_slice(const T* row, int lane, float* out) {
#pragma unroll
    for (int e = 0; e < E; ++e) out[e] = to_f32(row[lane * E + e]);
}

template <typename T, int D>
__device__ __forceinline__ void attn_decode(const DecodeParams& p) {
    constexpr int E = D / 32;
    constexpr int WARPS = DEC_THREADS / 32;
    extern __shared__ __align__(16) unsigned char dec_smem[];
    const int split = blockIdx.x, hk = blockIdx.y, b = blockIdx.z;
    const int group = p.Hq / p.Hkv;
    const int GR = min(group, DEC_GMAX);              // heads per round
    float* sq = reinterpret_cast<float*>(dec_smem);   // [GR][D] queries, pre-scaled into base 2
    float* ss = sq + GR * D;                          // [GR][chunk] scores, then probabilities
    float* so = ss + GR * p.chunk;                    // [WARPS][GR][D] partial outputs
    float* sml = so + WARPS * GR * D;                 // [GR][2] max and sum
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int len = min(p.lengths[b], p.C);
    const int s0 = split * p.chunk;
    const int n = min(s0 + p.chunk, len) - s0;   // keys of this split (may be <= 0)
    const T* K = reinterpret_cast<const T*>(p.k) + b * p.k_b + hk * p.k_h;
    const T* V = reinterpret_cast<const T*>(p.v) + b * p.v_b + hk * p.v_h;
    const float* mask = p.key_mask != nullptr ? p.key_mask + b * p.mask_b : nullptr;

    // Query heads hk * group + h0 .. + G - 1, at most DEC_GMAX per round (Qwen2-0.5B: 7 per key/value head).
    for (int h0 = 0; h0 < group; h0 += DEC_GMAX) {
        const int G = min(DEC_GMAX, group - h0);
        const int head0 = hk * group + h0;
        __syncthreads();   // the previous round is done with the shared buffers
        for (int i = threadIdx.x; i < G * D; i += DEC_THREADS) {
            const int hh = i / D, d = i % D;
            const T* q = reinterpret_cast<const T*>(p.q) + b * p.q_b + (head0 + hh) * p.q_h;
            sq[i] = to_f32(q[d]) * p.scale_log2;
        }
        __syncthreads();
        // Scores: one warp per key, lanes across D (coalesced rows), every head of the round at once.
        for (int j = warp; j < n; j += WARPS) {
            const int key = s0 + j;
            float kr[E];
            load_row_slice<T, E>(K + key * p.k_t, lane, kr);
            float acc[DEC_GMAX];
#pragma unroll
            for (int hh = 0; hh < DEC_GMAX; ++hh) {
                acc[hh] = 0.0f;
                if (hh < G) {
#pragma unroll
                    for (int e = 0; e < E; ++e) acc[hh] += kr[e] * sq[hh * D + lane * E + e];
                }
            }
            const bool visible = mask == nullptr || mask[key] != 0.0f;
#pragma unroll
            for (int hh = 0; hh < DEC_GMAX; ++hh) {
                if (hh < G) {
                    const float sc = warp_sum(acc[hh]);
                    if (lane == 0) ss[hh * p.chunk + j] = visible ? sc : NEG_INF;
                }
            }
        }
        __syncthreads();
        // Per head (one warp each, round robin): max, then probabilities and their sum.
        for (int hh = warp; hh < G; hh += WARPS) {
            float m = NEG_INF;
            for (int j = lane; j < n; j += 32) m = fmaxf(m, ss[hh * p.chunk + j]);
            m = warp_max(m);
            const float base = m == NEG_INF ? 0.0f : m;
            float l = 0.0f;
            for (int j = lane; j < n; j += 32) {
                const float e = fast_exp2(ss[hh * p.chunk + j] - base);
                ss[hh * p.chunk + j] = e;
                l += e;
            }
            l = warp_sum(l);
            if (lane == 0) {
                sml[2 * hh] = m;
                sml[2 * hh + 1] = l;
            }
        }
        __syncthreads();
        // Partial outputs: warps take keys round robin, lanes across D.
        float o[DEC_GMAX][E];
#pragma unroll
        for (int hh = 0; hh < DEC_GMAX; ++hh)
#pragma unroll
            for (int e = 0; e < E; ++e) o[hh][e] = 0.0f;
        for (int j = warp; j < n; j += WARPS) {
            float vr[E];
            load_row_slice<T, E>(V + (s0 + j) * p.v_t, lane, vr);
#pragma unroll
            for (int hh = 0; hh < DEC_GMAX; ++hh) {
                if (hh < G) {
                    const float pj = ss[hh * p.chunk + j];
#pragma unroll
                    for (int e = 0; e < E; ++e) o[hh][e] += pj * vr[e];
                }
            }
        }
#pragma unroll
        for (int hh = 0; hh < DEC_GMAX; ++hh) {
            if (hh < G) {
#pragma unroll
                for (int e = 0; e < E; ++e) so[(warp * GR + hh) * D + lane * E + e] = o[hh][e];
            }
        }
        __syncthreads();
        for (int i = threadIdx.x; i < G * D; i += DEC_THREADS) {
            const int hh = i / D, d = i % D;
            float acc = 0.0f;
#pragma unroll
            for (int w = 0; w < WARPS; ++w) acc += so[(w * GR + hh) * D + d];
            const float m = n > 0 ? sml[2 * hh] : NEG_INF;
            const float l = n > 0 ? sml[2 * hh + 1] : 0.0f;
            const i64 bh = (i64)b * p.Hq + head0 + hh;
            if (p.splits == 1) {
                reinterpret_cast<T*>(p.out)[bh * D + d] = from_f32<T>(l > 0.0f ? acc / l : 0.0f);
            } else {
                const i64 at = bh * p.splits + split;
                p.part_o[at * D + d] = acc;
                if (d == 0) {
                    p.part_ml[2 * at] = m;
                    p.part_ml[2 * at + 1] = l;
                }
            }
        }
    }
}

// Merges the splits of one (b, h): out = sum_i o_i 2^(m_i - M) / sum_i l_i 2^(m_i - M), M = max m_i.
template <typename T>
__device__ __forceinline__ void attn_decode_combine(const DecodeParams& p, int d) {
    const int h = blockIdx.x, b = blockIdx.y;
    const i64 base = ((i64)b * p.Hq + h) * p.splits;
    float m = NEG_INF;
    for (int i = 0; i < p.splits; ++i) m = fmaxf(m, p.part_ml[2 * (base + i)]);
    const float mb = m == NEG_INF ? 0.0f : m;
    float l = 0.0f, acc = 0.0f;
    for (int i = 0; i < p.splits; ++i) {
        const float li = p.part_ml[2 * (base + i) + 1];
        if (li == 0.0f) continue;
        const float w = fast_exp2(p.part_ml[2 * (base + i)] - mb);
        l += li * w;
        if ((int)threadIdx.x < d) acc += p.part_o[(base + i) * d + threadIdx.x] * w;
    }
    if ((int)threadIdx.x < d) {
        T* out = reinterpret_cast<T*>(p.out) + ((i64)b * p.Hq + h) * d;
        out[threadIdx.x] = from_f32<T>(l > 0.0f ? acc / l : 0.0f);
    }
}

// ================================================================================================ entry points

#define DEFINE_ATTN(SUFFIX, T, D)                                                                                      \
    extern "C" __global__ void __launch_bounds__(FA_THREADS) attn_fwd_##SUFFIX##_d##D(AttnParams p) { attn_fwd<T, D>(p); } \
    extern "C" __global__ void __launch_bounds__(FA_THREADS) attn_bwd_##SUFFIX##_d##D(AttnParams p) { attn_bwd<T, D>(p); }

DEFINE_ATTN(bf16, bf16_t, 64)
DEFINE_ATTN(bf16, bf16_t, 128)
DEFINE_ATTN(f16, f16_t, 64)
DEFINE_ATTN(f16, f16_t, 128)

#define DEFINE_DELTA(SUFFIX, T) \
    extern "C" __global__ void attn_bwd_delta_##SUFFIX(AttnParams p, int d) { attn_bwd_delta<T>(p, d); }

DEFINE_DELTA(bf16, bf16_t)
DEFINE_DELTA(f16, f16_t)

#define DEFINE_DECODE(SUFFIX, T)                                                                                                  \
    extern "C" __global__ void __launch_bounds__(DEC_THREADS) attn_decode_##SUFFIX##_d64(DecodeParams p) { attn_decode<T, 64>(p); }   \
    extern "C" __global__ void __launch_bounds__(DEC_THREADS) attn_decode_##SUFFIX##_d128(DecodeParams p) { attn_decode<T, 128>(p); } \
    extern "C" __global__ void attn_decode_combine_##SUFFIX(DecodeParams p, int d) { attn_decode_combine<T>(p, d); }

DEFINE_DECODE(f32, float)
DEFINE_DECODE(bf16, bf16_t)
DEFINE_DECODE(f16, f16_t)
