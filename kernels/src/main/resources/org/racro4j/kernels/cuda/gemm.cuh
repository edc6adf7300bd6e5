// gemm.cuh: what the tensor-core GEMM families (gemm_mma.cu, gemm_wgmma.cu) share.
//
// - The problem: C[b] = epilogue(A[b] B[b]) for row-major C [M, N] (contiguous, batch stride M N), A [M, K] and
//   B [K, N] each stored either K-major (A row-major, B as the rows of B^T) or M/N-major (A a transposed view, B
//   row-major). The host (GemmPlan.java) guarantees 16-byte aligned rows for the cp.async / TMA loads.
// - The fused epilogue, applied to the F32 accumulator before the one rounding to the output dtype:
//       y = alpha * acc + bias[col] + beta * C_old[row, col];  y = act(y);  y += residual[row, col]
//   (bias, beta and residual optional). That covers Linear (+bias), MLP up-projections (+GELU/SiLU) and the
//   residual stream (h = x + o_proj(a)) in one pass over C.
// - PTX helpers: cp.async (sm_80), ldmatrix, mma.sync, mbarrier, TMA, wgmma (sm_90a).

#pragma once
#include "common.cuh"
#include "ops.cuh"   // ACT_* activation codes: GemmEpilogue.Activation's ordinals

// Passed by value; GemmEpilogue.pack() writes the same 64 bytes.
struct GemmEpilogue {
    const void* bias;      // [N] of bias_dtype, or null
    const void* residual;  // [batch, M, N] of the output dtype with row stride res_row and batch stride res_batch, or null
    i64 res_batch;
    i64 res_row;
    float alpha;
    float beta;            // 0: C is never read
    int act;
    int bias_dtype;        // DT_F32 or the output dtype
};
static_assert(sizeof(GemmEpilogue) == 48, "GemmEpilogue must match GemmEpilogue.java's packing");

__device__ __forceinline__ float gemm_activate(float v, int act) {
    switch (act) {
        case ACT_RELU: return v > 0.0f ? v : 0.0f;
        case ACT_GELU_TANH: {
            const float inner = 0.7978845608028654f * (v + 0.044715f * v * v * v);
            return 0.5f * v * (1.0f + tanhf(inner));
        }
        case ACT_GELU_ERF: return 0.5f * v * (1.0f + erff(v * 0.7071067811865476f));
        case ACT_SILU: return v / (1.0f + expf(-v));
        default: return v;
    }
}

// The epilogue for the element (row, col) of batch matrix bi, whose accumulator is acc; c points at batch bi's C.
template <typename T>
__device__ __forceinline__ float gemm_epilogue_value(const GemmEpilogue& ep, float acc, const T* c, int bi, int row, int col,
                                                     int n) {
    float v = ep.alpha * acc;
    if (ep.bias != nullptr) v += load_as_float(ep.bias, col, ep.bias_dtype);
    if (ep.beta != 0.0f) v += ep.beta * to_f32(c[(i64)row * n + col]);
    v = gemm_activate(v, ep.act);
    if (ep.residual != nullptr) {
        const T* r = reinterpret_cast<const T*>(ep.residual);
        v += to_f32(r[bi * ep.res_batch + (i64)row * ep.res_row + col]);
    }
    return v;
}

// The fused epilogue of one pair. Out of line where a kernel's registers allow a call (the tiled and wgmma kernels:
// inlining tanhf/erff/expf at each of their fragments multiplies code size and compile time several times over);
// gemm_mma.cu inlines it, because a call there makes ptxas spill accumulators.
template <typename T>
__device__ __forceinline__ void gemm_store_pair_fused_inline(T* c, const GemmEpilogue& ep, int bi, int row, int col, int n, int count,
                                                            float a0, float a1) {
    const float v0 = gemm_epilogue_value<T>(ep, a0, c, bi, row, col, n);
    c[(i64)row * n + col] = from_f32<T>(v0);
    if (count == 2) c[(i64)row * n + col + 1] = from_f32<T>(gemm_epilogue_value<T>(ep, a1, c, bi, row, col + 1, n));
}

template <typename T>
__device__ __noinline__ void gemm_store_pair_fused(T* c, const GemmEpilogue& ep, int bi, int row, int col, int n, int count, float a0,
                                                   float a1) {
    const float v0 = gemm_epilogue_value<T>(ep, a0, c, bi, row, col, n);
    c[(i64)row * n + col] = from_f32<T>(v0);
    if (count == 2) c[(i64)row * n + col + 1] = from_f32<T>(gemm_epilogue_value<T>(ep, a1, c, bi, row, col + 1, n));
}

// Writes the pair (row, col), (row, col + 1) of one accumulator fragment: a single 4-byte store for 16-bit types
// when both columns exist and the address is 4-byte aligned (n even), else element by element.
template <typename T, bool OUTLINE_FUSED>
__device__ __forceinline__ void gemm_store_pair(T* c, const GemmEpilogue& ep, int bi, int row, int col, int m, int n, float a0,
                                                float a1) {
    if (row >= m || col >= n) return;
    if (ep.bias != nullptr || ep.act != ACT_NONE || ep.residual != nullptr) {
        if (OUTLINE_FUSED) gemm_store_pair_fused<T>(c, ep, bi, row, col, n, col + 1 < n ? 2 : 1, a0, a1);
        else gemm_store_pair_fused_inline<T>(c, ep, bi, row, col, n, col + 1 < n ? 2 : 1, a0, a1);
        return;
    }
    T* at = c + (i64)row * n + col;
    float v0 = ep.alpha * a0, v1 = ep.alpha * a1;
    if (col + 1 < n) {
        if (ep.beta != 0.0f) {
            v0 += ep.beta * to_f32(at[0]);
            v1 += ep.beta * to_f32(at[1]);
        }
        if (sizeof(T) == 2 && (n & 1) == 0) {
            T p[2] = {from_f32<T>(v0), from_f32<T>(v1)};
            *reinterpret_cast<u32*>(at) = *reinterpret_cast<const u32*>(p);
        } else {
            at[0] = from_f32<T>(v0);
            at[1] = from_f32<T>(v1);
        }
    } else {
        if (ep.beta != 0.0f) v0 += ep.beta * to_f32(at[0]);
        at[0] = from_f32<T>(v0);
    }
}

// Grouped raster order: consecutive blocks walk down GROUP tile rows before moving right, so the A rows and B
// columns a wave of blocks touches stay in L2 together.
__device__ __forceinline__ void gemm_tile_of(int pid, int tiles_m, int tiles_n, int& tm, int& tn) {
    const int GROUP = 8;
    const int per_group = GROUP * tiles_n;
    const int first_m = (pid / per_group) * GROUP;
    const int rows = min(tiles_m - first_m, GROUP);
    tm = first_m + (pid % per_group) % rows;
    tn = (pid % per_group) / rows;
}

// ------------------------------------------------------------------------------------------ PTX helpers

__device__ __forceinline__ u32 smem_u32(const void* p) {
    return (u32)__cvta_generic_to_shared(p);
}

// 16 bytes global -> shared, bypassing L1; src_bytes < 16 zero-fills the rest (0 reads nothing).
__device__ __forceinline__ void cp_async16(u32 dst, const void* src, int src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes) : "memory");
}

__device__ __forceinline__ void cp_async_commit() {
    asm volatile("cp.async.commit_group;\n" ::: "memory");
}

template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

__device__ __forceinline__ void ldmatrix_x4(u32* r, u32 addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}

__device__ __forceinline__ void ldmatrix_x4_trans(u32* r, u32 addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}

__device__ __forceinline__ void ldmatrix_x2(u32* r, u32 addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];\n" : "=r"(r[0]), "=r"(r[1]) : "r"(addr));
}

__device__ __forceinline__ void ldmatrix_x2_trans(u32* r, u32 addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0, %1}, [%2];\n" : "=r"(r[0]), "=r"(r[1]) : "r"(addr));
}

// D (16x8, f32) += A (16x16) B (16x8), A row-major fragments, B column-major fragments.
template <typename T>
__device__ __forceinline__ void mma_16816(float* d, const u32* a, const u32* b);

template <>
__device__ __forceinline__ void mma_16816<bf16_t>(float* d, const u32* a, const u32* b) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
                 "{%0, %1, %2, %3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

template <>
__device__ __forceinline__ void mma_16816<f16_t>(float* d, const u32* a, const u32* b) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
                 "{%0, %1, %2, %3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// D (16x8, f32) += A (16x8, tf32) B (8x8, tf32).
__device__ __forceinline__ void mma_1688_tf32(float* d, const u32* a, const u32* b) {
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
                 "{%0, %1, %2, %3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ __forceinline__ u32 to_tf32(float f) {
    u32 r;
    asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(f));
    return r;
}

// Two floats as the packed 16-bit pair an mma A/B register holds (low half = first element).
template <typename T>
__device__ __forceinline__ u32 pack2(float lo, float hi) {
    T p[2] = {from_f32<T>(lo), from_f32<T>(hi)};
    return *reinterpret_cast<const u32*>(p);
}

// ------------------------------------------------------------------------------------------ mbarrier and TMA (sm_90)

__device__ __forceinline__ void mbar_init(u32 bar, u32 count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}

// Makes the initialised barriers visible to the async proxy (the TMA unit completes transactions on them).
__device__ __forceinline__ void mbar_fence_init() {
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

__device__ __forceinline__ void mbar_arrive_expect_tx(u32 bar, u32 bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}

__device__ __forceinline__ void mbar_arrive(u32 bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}

// Spins until the phase with this parity has completed. A fresh barrier counts its (virtual) previous phase,
// parity 1, as complete, so producers start waiting on the "empty" barriers with parity 1.
__device__ __forceinline__ void mbar_wait(u32 bar, u32 parity) {
    u32 done;
    do {
        asm volatile(
            "{\n"
            ".reg .pred p;\n"
            "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
            "selp.u32 %0, 1, 0, p;\n"
            "}\n"
            : "=r"(done)
            : "r"(bar), "r"(parity)
            : "memory");
    } while (!done);
}

// A CUtensorMap: 128 opaque bytes encoded on the host (cuTensorMapEncodeTiled), passed by value as a
// __grid_constant__ parameter so that its address is a constant-bank address the TMA unit can read.
struct __align__(64) TensorMap {
    u64 opaque[16];
};

// A 3-D tile of the tensor map at coordinates (c0 innermost, c1, c2) into shared memory; completes on bar.
__device__ __forceinline__ void tma_load_3d(u32 dst, const TensorMap* map, u32 bar, int c0, int c1, int c2) {
    asm volatile(
        "cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5}], [%2];\n" ::"r"(
            dst),
        "l"(reinterpret_cast<u64>(map)), "r"(bar), "r"(c0), "r"(c1), "r"(c2)
        : "memory");
}

__device__ __forceinline__ void tma_prefetch_descriptor(const TensorMap* map) {
    asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<u64>(map)) : "memory");
}
