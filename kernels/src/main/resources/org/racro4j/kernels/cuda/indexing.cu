// indexing.cu: index_select (embedding lookup), index_add, gather and scatter_add over any strides.
//
// Math (CPU reference: core/cpu/CpuIndexing.java)
//   index_select: out[.., i, ..] = src[.., index[i], ..]                      (index 1-D, dim d)
//   index_add:    dst[.., index[i], ..] += src[.., i, ..]
//   gather:       out[i][j][k] = src[i][index[i][j][k]][k]                    (d = 1; index has out's shape)
//   scatter_add:  dst[i][index[i][j][k]][k] += src[i][j][k]                   (index has src's shape)
//   Indices are I32 or I64; one outside [0, size of dim d) is skipped and reported through the error word
//   (common.cuh), which the host turns into the CPU backend's IndexOutOfBoundsException. Selects copy raw
//   elements (any dtype); adds accumulate in float into F32, BF16 or F16 with atomics, so repeated indices are
//   summed in an unspecified order (the CPU: in index order; results agree to float rounding).
//
// Launch
//   StridedSpace launch (common.cuh), 256 threads, over out's shape (selects) or src's shape (adds). The
//   coordinate along dim d is itself an operand of the space, with stride 1 along d and 0 elsewhere, so each
//   thread learns it without any division of its own. The indexed tensor's stride along d is set to 0 in the
//   space and applied to the looked-up index instead.
//
// Bytes moved
//   select: numel(out) * (2 * size + index size); add: numel(src) * (size + index size) + the atomics' traffic.

#include "common.cuh"

__device__ __forceinline__ void copy_element(void* dst, i64 d, const void* src, i64 s, int elem_bytes) {
    if (elem_bytes == 4) ((u32*)dst)[d] = ((const u32*)src)[s];
    else if (elem_bytes == 2) ((unsigned short*)dst)[d] = ((const unsigned short*)src)[s];
    else ((u64*)dst)[d] = ((const u64*)src)[s];
}

// Adds v to a 16-bit float in place with a compare-and-swap on its aligned 32-bit word.
__device__ __forceinline__ void atomic_add_half(unsigned short* addr, float v, bool bf16) {
    u32* word = (u32*)((u64)addr & ~3ull);
    const bool high = ((u64)addr & 2ull) != 0;
    u32 old = *word, assumed;
    do {
        assumed = old;
        unsigned short h = high ? (unsigned short)(assumed >> 16) : (unsigned short)(assumed & 0xffffu);
        float f = (bf16 ? bf16_bits_to_float(h) : f16_bits_to_float(h)) + v;
        u32 nh = bf16 ? float_to_bf16_bits(f) : float_to_f16_bits(f);
        u32 updated = high ? (assumed & 0x0000ffffu) | (nh << 16) : (assumed & 0xffff0000u) | nh;
        old = atomicCAS(word, assumed, updated);
    } while (old != assumed);
}

__device__ __forceinline__ void atomic_add_as(void* dst, i64 i, int dt, float v) {
    if (dt == DT_F32) atomicAdd((float*)dst + i, v);
    else atomic_add_half((unsigned short*)dst + i, v, dt == DT_BF16);
}

// Operands: 0 = out, 1 = src (stride 0 along dim), 2 = coordinate along dim.
extern "C" __global__ void index_select(StridedSpace s, i64 numel, void* out, const void* src, int elem_bytes, i64 src_dim_stride,
                                        i64 src_dim_size, const void* index, int index_dt, i64 index_stride, u64* err) {
    for_each_strided<3>(s, numel, [&](const i64* off) {
        const i64 at = off[2] * index_stride;
        const i64 j = load_index(index, at, index_dt);
        if (j < 0 || j >= src_dim_size) {
            report_bad_index(err, at);
            return;
        }
        copy_element(out, off[0], src, off[1] + j * src_dim_stride, elem_bytes);
    });
}

// Operands: 0 = src, 1 = dst (stride 0 along dim), 2 = coordinate along dim.
extern "C" __global__ void index_add(StridedSpace s, i64 numel, void* dst, int dst_dt, i64 dst_dim_stride, i64 dst_dim_size,
                                     const void* src, int src_dt, const void* index, int index_dt, i64 index_stride, u64* err) {
    for_each_strided<3>(s, numel, [&](const i64* off) {
        const i64 at = off[2] * index_stride;
        const i64 j = load_index(index, at, index_dt);
        if (j < 0 || j >= dst_dim_size) {
            report_bad_index(err, at);
            return;
        }
        atomic_add_as(dst, off[1] + j * dst_dim_stride, dst_dt, load_as_float(src, off[0], src_dt));
    });
}

// Operands: 0 = out, 1 = index, 2 = src (stride 0 along dim).
extern "C" __global__ void gather(StridedSpace s, i64 numel, void* out, const void* src, int elem_bytes, i64 src_dim_stride,
                                  i64 src_dim_size, const void* index, int index_dt, u64* err) {
    for_each_strided<3>(s, numel, [&](const i64* off) {
        const i64 j = load_index(index, off[1], index_dt);
        if (j < 0 || j >= src_dim_size) {
            report_bad_index(err, off[1]);
            return;
        }
        copy_element(out, off[0], src, off[2] + j * src_dim_stride, elem_bytes);
    });
}

// Operands: 0 = src, 1 = index, 2 = dst (stride 0 along dim).
extern "C" __global__ void scatter_add(StridedSpace s, i64 numel, void* dst, int dst_dt, i64 dst_dim_stride, i64 dst_dim_size,
                                       const void* src, int src_dt, const void* index, int index_dt, u64* err) {
    for_each_strided<3>(s, numel, [&](const i64* off) {
        const i64 j = load_index(index, off[1], index_dt);
        if (j < 0 || j >= dst_dim_size) {
            report_bad_index(err, off[1]);
            return;
        }
        atomic_add_as(dst, off[2] + j * dst_dim_stride, dst_dt, load_as_float(src, off[0], src_dt));
    });
}
