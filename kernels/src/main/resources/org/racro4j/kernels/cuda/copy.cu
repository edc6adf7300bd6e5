// copy.cu: copy with dtype conversion over arbitrary strides, and fill.
//
// Math
//   copy:  dst[i] = convert(src[i]) for every element i of dst's shape. Same dtype: the raw bits. Integer to
//          integer: exact through int64. Anything with a float side: through float (Java's casts: float to int
//          truncates and saturates, NaN becomes 0).
//   fill:  dst[i] = bits, the element's bit pattern computed on the host exactly as the CPU backend rounds it.
//   (A contiguous same-dtype copy never gets here: the host uses cuMemcpyDtoDAsync.)
//
// Launch
//   copy_strided, fill_strided: StridedSpace launch (common.cuh): rows mode grid (ceil(inner/256) capped, outer
//   capped at 65535), else a flat grid-stride loop; 256 threads.
//   fill_contig: one 16-byte store per thread (grid-stride), 256 threads.
//
// Bytes moved
//   copy: numel * (src size + dst size); fill: numel * dst size.

#include "common.cuh"

extern "C" __global__ void copy_strided(StridedSpace s, i64 numel, void* dst, int dst_dt, const void* src, int src_dt) {
    if (dst_dt == src_dt) {
        const int bytes = dtype_size(dst_dt);
        if (bytes == 4) {
            for_each_strided<2>(s, numel, [&](const i64* off) { ((u32*)dst)[off[0]] = ((const u32*)src)[off[1]]; });
        } else if (bytes == 2) {
            for_each_strided<2>(s, numel, [&](const i64* off) {
                ((unsigned short*)dst)[off[0]] = ((const unsigned short*)src)[off[1]];
            });
        } else {
            for_each_strided<2>(s, numel, [&](const i64* off) { ((u64*)dst)[off[0]] = ((const u64*)src)[off[1]]; });
        }
    } else if (dst_dt >= DT_I32 && src_dt >= DT_I32) {
        for_each_strided<2>(s, numel, [&](const i64* off) {
            i64 v = load_index(src, off[1], src_dt);
            if (dst_dt == DT_I64) ((i64*)dst)[off[0]] = v;
            else ((int*)dst)[off[0]] = (int)v;
        });
    } else {
        for_each_strided<2>(s, numel, [&](const i64* off) {
            store_from_float(dst, off[0], dst_dt, load_as_float(src, off[1], src_dt));
        });
    }
}

extern "C" __global__ void fill_strided(StridedSpace s, i64 numel, void* dst, int elem_bytes, u64 bits) {
    if (elem_bytes == 4) {
        const u32 v = (u32)bits;
        for_each_strided<1>(s, numel, [&](const i64* off) { ((u32*)dst)[off[0]] = v; });
    } else if (elem_bytes == 2) {
        const unsigned short v = (unsigned short)bits;
        for_each_strided<1>(s, numel, [&](const i64* off) { ((unsigned short*)dst)[off[0]] = v; });
    } else {
        for_each_strided<1>(s, numel, [&](const i64* off) { ((u64*)dst)[off[0]] = bits; });
    }
}

// dst is 16-byte aligned; n elements of elem_bytes each.
extern "C" __global__ void fill_contig(void* dst, i64 n, int elem_bytes, u64 bits) {
    // Replicate the element's bits over 16 bytes.
    u64 word = bits;
    if (elem_bytes == 2) {
        word &= 0xffffull;
        word |= word << 16;
        word |= word << 32;
    } else if (elem_bytes == 4) {
        word &= 0xffffffffull;
        word |= word << 32;
    }
    uint4 pattern = make_uint4((u32)word, (u32)(word >> 32), (u32)word, (u32)(word >> 32));
    const i64 total_bytes = n * elem_bytes;
    const i64 vecs = total_bytes / 16;
    const i64 tid = blockIdx.x * (i64)blockDim.x + threadIdx.x;
    const i64 step = (i64)gridDim.x * blockDim.x;
    for (i64 i = tid; i < vecs; i += step) reinterpret_cast<uint4*>(dst)[i] = pattern;
    // The tail: fewer than 16 bytes, element by element.
    const i64 first = vecs * 16 / elem_bytes;
    for (i64 i = first + tid; i < n; i += step) {
        if (elem_bytes == 2) ((unsigned short*)dst)[i] = (unsigned short)bits;
        else if (elem_bytes == 4) ((u32*)dst)[i] = (u32)bits;
        else ((u64*)dst)[i] = bits;
    }
}
