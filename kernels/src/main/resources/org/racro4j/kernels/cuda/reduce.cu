// reduce.cu: sum, max and min over one dim, with the index of the first extreme element.
//
// Math (CPU reference: core/cpu/CpuReduce.java)
//   out[o] = reduce_{k < n} x[base(o) + k * step], base(o) the offset of output o in x with the reduced dim at 0.
//   SUM: floating inputs accumulate in float (the CPU in double: tolerances scale with sqrt(n)); integer
//        inputs accumulate exactly in int64 and write I64.
//   MAX/MIN: the first NaN if there is one (NaN propagates), else the extreme value at its smallest index;
//        indices[o] (I64) gets that position. Integer inputs compare exactly.
//
// Launch (the host picks one)
//   reduce_per_thread: one thread per output, a sequential loop over its slice of n (Kahan-compensated sums);
//     for many outputs with a strided reduced dim: neighbouring threads read neighbouring addresses. 256 threads,
//     blockIdx.y splits n into slices when there are too few outputs to fill the GPU.
//   reduce_per_block: blockIdx.x walks the outputs (grid-stride), blockIdx.y splits n into `splits` slices;
//     256 threads stride over the slice and combine with warp shuffles. splits == 1 writes out directly,
//     otherwise partial (value, index) pairs go to scratch. For few outputs with long rows, and for any
//     unit-stride reduced dim.
//   reduce_finish: combines the partials of either kernel in slice order (deterministic), one thread per output.
//
// Bytes moved
//   numel(x) * size(x) + outputs * (size(out) + 8 if indices), plus 16 bytes per partial when split.

#include "common.cuh"
#include "ops.cuh"   // R_* (ReduceOp) codes

// Operands of the output space: 0 = out, 1 = x (offset of the run's first element), 2 = indices.

// Is (v, i) a better extreme than (bv, bi)? An empty slot has bi < 0. NaN beats numbers (the first NaN wins),
// then the larger (MAX) or smaller (MIN) value, then the smaller index.
__device__ __forceinline__ bool better_float(float v, i64 i, float bv, i64 bi, bool is_max) {
    if (bi < 0) return true;
    const bool vn = v != v;
    const bool bn = bv != bv;
    if (vn || bn) return vn && bn ? i < bi : vn;
    if (v == bv) return i < bi;
    return is_max ? v > bv : v < bv;
}

__device__ __forceinline__ bool better_int(i64 v, i64 i, i64 bv, i64 bi, bool is_max) {
    if (bi < 0) return true;
    if (v == bv) return i < bi;
    return is_max ? v > bv : v < bv;
}

__device__ __forceinline__ void store_result_float(void* out, i64 o_off, int out_dt, float v) {
    store_from_float(out, o_off, out_dt, v);
}

__device__ __forceinline__ void store_result_int(void* out, i64 o_off, int out_dt, i64 v) {
    if (out_dt == DT_I64) ((i64*)out)[o_off] = v;
    else ((int*)out)[o_off] = (int)v;
}

__device__ __forceinline__ void write_final(int op, bool integer, const i64* off, void* out, int out_dt, i64* indices, u64 value,
                                            i64 index) {
    if (integer) store_result_int(out, off[0], out_dt, (i64)value);
    else store_result_float(out, off[0], out_dt, __uint_as_float((u32)value));
    if (op != R_SUM && indices != nullptr) indices[off[2]] = index;
}

// partial_value / partial_index: [num_out, splits], used when splits > 1 (blockIdx.y is the slice of n).
extern "C" __global__ void reduce_per_thread(int op, StridedSpace outs, i64 num_out, const void* x, int x_dt, i64 n, i64 step,
                                             int splits, void* out, int out_dt, i64* indices, u64* partial_value,
                                             i64* partial_index) {
    const bool integer = x_dt >= DT_I32;
    const i64 slice = (n + splits - 1) / splits;
    const i64 k0 = blockIdx.y * slice;
    const i64 k1 = min(n, k0 + slice);
    for (i64 o = blockIdx.x * (i64)blockDim.x + threadIdx.x; o < num_out; o += (i64)gridDim.x * blockDim.x) {
        i64 off[3];
        strided_offsets<3>(outs, o, off);
        u64 value;
        i64 index = 0;
        if (op == R_SUM) {
            if (integer) {
                i64 s = 0;
                for (i64 k = k0; k < k1; ++k) s += load_index(x, off[1] + k * step, x_dt);
                value = (u64)s;
            } else {
                float s = 0.0f, c = 0.0f;   // Kahan: a long sequential float sum stays close to the CPU's double
                for (i64 k = k0; k < k1; ++k) {
                    float y = load_as_float(x, off[1] + k * step, x_dt) - c;
                    float t = s + y;
                    c = (t - s) - y;
                    s = t;
                }
                value = __float_as_uint(s);
            }
        } else {
            const bool is_max = op == R_MAX;
            i64 best_i = -1;
            if (integer) {
                i64 best = 0;
                for (i64 k = k0; k < k1; ++k) {
                    i64 v = load_index(x, off[1] + k * step, x_dt);
                    if (better_int(v, k, best, best_i, is_max)) { best = v; best_i = k; }
                }
                value = (u64)best;
            } else {
                float best = 0.0f;
                for (i64 k = k0; k < k1; ++k) {
                    float v = load_as_float(x, off[1] + k * step, x_dt);
                    if (better_float(v, k, best, best_i, is_max)) { best = v; best_i = k; }
                    if (best != best) break;   // the first NaN of this slice is final for it
                }
                value = __float_as_uint(best);
            }
            index = best_i;
        }
        if (splits == 1) {
            write_final(op, integer, off, out, out_dt, indices, value, index);
        } else {
            partial_value[o * splits + blockIdx.y] = value;
            partial_index[o * splits + blockIdx.y] = index;
        }
    }
}

// One (value, index) per thread, combined over the block. Values travel as raw 64-bit words: a float's bits or
// an int64. Result valid in thread 0.
__device__ __forceinline__ void block_combine(int op, bool integer, u64& value, i64& index, u64* s_value, i64* s_index) {
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = (blockDim.x + 31) >> 5;
    const bool is_max = op == R_MAX;
    auto combine = [&](u64 v2, i64 i2) {
        if (op == R_SUM) {
            if (integer) value = (u64)((i64)value + (i64)v2);
            else value = __float_as_uint(__uint_as_float((u32)value) + __uint_as_float((u32)v2));
        } else if (integer) {
            if (i2 >= 0 && better_int((i64)v2, i2, (i64)value, index, is_max)) { value = v2; index = i2; }
        } else {
            if (i2 >= 0 && better_float(__uint_as_float((u32)v2), i2, __uint_as_float((u32)value), index, is_max)) {
                value = v2;
                index = i2;
            }
        }
    };
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        u64 v2 = __shfl_down_sync(0xffffffffu, value, o);
        i64 i2 = __shfl_down_sync(0xffffffffu, index, o);
        if (lane + o < 32) combine(v2, i2);
    }
    __syncthreads();
    if (lane == 0) {
        s_value[warp] = value;
        s_index[warp] = index;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int w = 1; w < warps; ++w) combine(s_value[w], s_index[w]);
    }
}

// Per-thread accumulation over positions k in [k0, k1) of output o's run, stepping by blockDim.
__device__ __forceinline__ void accumulate_slice(int op, bool integer, const void* x, int x_dt, i64 base, i64 step, i64 k0,
                                                 i64 k1, u64& value, i64& index) {
    const bool is_max = op == R_MAX;
    if (op == R_SUM) {
        if (integer) {
            i64 s = 0;
            for (i64 k = k0 + threadIdx.x; k < k1; k += blockDim.x) s += load_index(x, base + k * step, x_dt);
            value = (u64)s;
        } else {
            float s = 0.0f;
            for (i64 k = k0 + threadIdx.x; k < k1; k += blockDim.x) s += load_as_float(x, base + k * step, x_dt);
            value = __float_as_uint(s);
        }
        index = 0;
    } else if (integer) {
        i64 best = 0, best_i = -1;
        for (i64 k = k0 + threadIdx.x; k < k1; k += blockDim.x) {
            i64 v = load_index(x, base + k * step, x_dt);
            if (better_int(v, k, best, best_i, is_max)) { best = v; best_i = k; }
        }
        value = (u64)best;
        index = best_i;
    } else {
        float best = 0.0f;
        i64 best_i = -1;
        for (i64 k = k0 + threadIdx.x; k < k1; k += blockDim.x) {
            float v = load_as_float(x, base + k * step, x_dt);
            if (better_float(v, k, best, best_i, is_max)) { best = v; best_i = k; }
        }
        value = __float_as_uint(best);
        index = best_i;
    }
}


// partial_value / partial_index: [num_out, splits], used when splits > 1.
extern "C" __global__ void reduce_per_block(int op, StridedSpace outs, i64 num_out, const void* x, int x_dt, i64 n, i64 step,
                                            int splits, void* out, int out_dt, i64* indices, u64* partial_value,
                                            i64* partial_index) {
    __shared__ u64 s_value[32];
    __shared__ i64 s_index[32];
    const bool integer = x_dt >= DT_I32;
    const i64 slice = (n + splits - 1) / splits;
    const i64 k0 = blockIdx.y * slice;
    const i64 k1 = min(n, k0 + slice);
    for (i64 o = blockIdx.x; o < num_out; o += gridDim.x) {
        i64 off[3];
        strided_offsets<3>(outs, o, off);
        u64 value;
        i64 index;
        accumulate_slice(op, integer, x, x_dt, off[1], step, k0, k1, value, index);
        block_combine(op, integer, value, index, s_value, s_index);
        if (threadIdx.x == 0) {
            if (splits == 1) {
                write_final(op, integer, off, out, out_dt, indices, value, index);
            } else {
                partial_value[o * splits + blockIdx.y] = value;
                partial_index[o * splits + blockIdx.y] = index;
            }
        }
        __syncthreads();   // s_value is reused by the next output
    }
}

extern "C" __global__ void reduce_finish(int op, StridedSpace outs, i64 num_out, int x_dt, int splits, void* out, int out_dt,
                                         i64* indices, const u64* partial_value, const i64* partial_index) {
    const bool integer = x_dt >= DT_I32;
    const bool is_max = op == R_MAX;
    for (i64 o = blockIdx.x * (i64)blockDim.x + threadIdx.x; o < num_out; o += (i64)gridDim.x * blockDim.x) {
        i64 off[3];
        strided_offsets<3>(outs, o, off);
        u64 value = partial_value[o * splits];
        i64 index = partial_index[o * splits];
        for (int p = 1; p < splits; ++p) {
            u64 v2 = partial_value[o * splits + p];
            i64 i2 = partial_index[o * splits + p];
            if (op == R_SUM) {
                if (integer) value = (u64)((i64)value + (i64)v2);
                else value = __float_as_uint(__uint_as_float((u32)value) + __uint_as_float((u32)v2));
            } else if (i2 >= 0) {
                bool take = integer ? better_int((i64)v2, i2, (i64)value, index, is_max)
                                    : better_float(__uint_as_float((u32)v2), i2, __uint_as_float((u32)value), index, is_max);
                if (take) { value = v2; index = i2; }
            }
        }
        write_final(op, integer, off, out, out_dt, indices, value, index);
    }
}
