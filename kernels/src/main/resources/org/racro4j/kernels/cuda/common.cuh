// common.cuh: what every racro4j kernel family shares.
//
// - Storage types and their conversions to and from float, bit-exact with core's HalfFloats (round to nearest
//   even; NaN stays NaN, though not always with the same payload). No CUDA header is included anywhere, so NVRTC needs no include path and nvcc and
//   NVRTC see the same source.
// - StridedSpace: an iteration space over up to 4 operands with arbitrary element strides (stride 0 where
//   broadcast), collapsed on the host (size-1 dims dropped, runs contiguous in every operand merged) and
//   stored innermost dim first, so that the innermost size and strides sit at fixed positions.
// - Warp and block reductions.
//
// dtype codes (DT_*) are the ordinals of org.racro4j.core.DType, in ops.cuh (generated from the enum).
#pragma once
#include "ops.cuh"

#define RACRO_MAX_DIMS 8
#define RACRO_MAX_OPERANDS 4

typedef long long i64;
typedef unsigned long long u64;
typedef unsigned int u32;

struct bf16_t { unsigned short bits; };
struct f16_t { unsigned short bits; };

// ------------------------------------------------------------------------------------------ conversions

__device__ __forceinline__ float bf16_bits_to_float(unsigned short h) {
    return __uint_as_float(((u32)h) << 16);
}

// Round to nearest even, as HalfFloats.floatToBf16: one cvt instruction from sm_80 on (NaN becomes the canonical
// NaN there, a NaN all the same), the same bit trick as the Java code before.
__device__ __forceinline__ unsigned short float_to_bf16_bits(float f) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    u32 packed;
    asm("cvt.rn.bf16x2.f32 %0, %1, %1;" : "=r"(packed) : "f"(f));
    return (unsigned short)(packed & 0xffffu);
#else
    u32 bits = __float_as_uint(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((bits >> 16) | 0x0040u);
    u32 rounding_bias = 0x7fffu + ((bits >> 16) & 1u);
    return (unsigned short)((bits + rounding_bias) >> 16);
#endif
}

__device__ __forceinline__ float f16_bits_to_float(unsigned short h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

__device__ __forceinline__ unsigned short float_to_f16_bits(float f) {
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}

__device__ __forceinline__ float to_f32(float v) { return v; }
__device__ __forceinline__ float to_f32(bf16_t v) { return bf16_bits_to_float(v.bits); }
__device__ __forceinline__ float to_f32(f16_t v) { return f16_bits_to_float(v.bits); }

template <typename T> __device__ __forceinline__ T from_f32(float f);
template <> __device__ __forceinline__ float from_f32<float>(float f) { return f; }
template <> __device__ __forceinline__ bf16_t from_f32<bf16_t>(float f) { bf16_t r; r.bits = float_to_bf16_bits(f); return r; }
template <> __device__ __forceinline__ f16_t from_f32<f16_t>(float f) { f16_t r; r.bits = float_to_f16_bits(f); return r; }

// Element i of a tensor of runtime dtype dt, as float. Integer to float rounds to nearest, as Java's (float) cast.
__device__ __forceinline__ float load_as_float(const void* p, i64 i, int dt) {
    switch (dt) {
        case DT_F32: return ((const float*)p)[i];
        case DT_BF16: return bf16_bits_to_float(((const unsigned short*)p)[i]);
        case DT_F16: return f16_bits_to_float(((const unsigned short*)p)[i]);
        case DT_I32: return (float)((const int*)p)[i];
        default: return (float)((const i64*)p)[i];
    }
}

// Stores v as dtype dt. Float to integer truncates toward zero, saturates and maps NaN to 0: Java's (int)/(long)
// casts, and what cvt.rzi does.
__device__ __forceinline__ void store_from_float(void* p, i64 i, int dt, float v) {
    switch (dt) {
        case DT_F32: ((float*)p)[i] = v; break;
        case DT_BF16: ((unsigned short*)p)[i] = float_to_bf16_bits(v); break;
        case DT_F16: ((unsigned short*)p)[i] = float_to_f16_bits(v); break;
        case DT_I32: ((int*)p)[i] = __float2int_rz(v); break;
        default: ((i64*)p)[i] = __float2ll_rz(v); break;
    }
}

// Integer element i of an I32/I64 tensor (indices, integer copies), exact.
__device__ __forceinline__ i64 load_index(const void* p, i64 i, int dt) {
    return dt == DT_I64 ? ((const i64*)p)[i] : (i64)((const int*)p)[i];
}

__device__ __forceinline__ int dtype_size(int dt) {
    return dt == DT_F32 || dt == DT_I32 ? 4 : dt == DT_I64 ? 8 : 2;
}

// ------------------------------------------------------------------------------------------ fast math for bf16

// Transcendentals for kernels whose inputs or results are BF16. BF16 keeps 8 significant bits, so the hardware
// approximations __expf, __logf and __fdividef (a few float ulps on BF16 inputs) stay far below the half-ulp of
// the stored value, and they cut the instruction count per element enough for these kernels to stay memory
// bound on an H200 (about 30 instructions per BF16 element at full bandwidth). tanh keeps tanhf everywhere: the
// hardware tanh's 2^-11 relative error becomes a large one in 1 + tanh(x) (GELU's negative tail). F32 and F16
// use the accurate functions.
template <typename T> struct FastMath {
    static constexpr bool fast = false;
};
template <> struct FastMath<bf16_t> {
    static constexpr bool fast = true;
};

template <typename T>
__device__ __forceinline__ float exp_for(float x) {
    return FastMath<T>::fast ? __expf(x) : expf(x);
}

template <typename T>
__device__ __forceinline__ float log_for(float x) {
    return FastMath<T>::fast ? __logf(x) : logf(x);
}

template <typename T>
__device__ __forceinline__ float div_for(float a, float b) {
    return FastMath<T>::fast ? __fdividef(a, b) : a / b;
}

// ------------------------------------------------------------------------------------------ strided spaces

// Dims are stored innermost first: size[0] and stride[k][0] are the innermost dim.
// rows_mode = 1: blockIdx.y walks the outer index, x threads walk the innermost dim (no division per element).
// rows_mode = 0: a flat grid-stride loop over all elements, each decomposed into coordinates.
struct StridedSpace {
    int rank;
    int rows_mode;
    i64 size[RACRO_MAX_DIMS];
    i64 stride[RACRO_MAX_OPERANDS][RACRO_MAX_DIMS];
};
static_assert(sizeof(StridedSpace) == 328, "StridedSpace must match the layout StridedSpace.java packs");

// The element offsets, per operand, of element e (row-major over the space's shape).
template <int K>
__device__ __forceinline__ void strided_offsets(const StridedSpace& s, i64 e, i64* off) {
#pragma unroll
    for (int k = 0; k < K; ++k) off[k] = 0;
#pragma unroll
    for (int d = 0; d < RACRO_MAX_DIMS; ++d) {
        if (d < s.rank) {
            i64 c = e % s.size[d];
            e /= s.size[d];
#pragma unroll
            for (int k = 0; k < K; ++k) off[k] += c * s.stride[k][d];
        }
    }
}

// Calls f(off) for every element of the space, off[k] being operand k's element offset.
template <int K, typename F>
__device__ __forceinline__ void for_each_strided(const StridedSpace& s, i64 numel, F f) {
    const i64 inner = s.size[0];
    if (s.rows_mode) {
        const i64 outer = numel / inner;
        for (i64 o = blockIdx.y; o < outer; o += gridDim.y) {
            i64 base[K];
#pragma unroll
            for (int k = 0; k < K; ++k) base[k] = 0;
            i64 rem = o;
#pragma unroll
            for (int d = 1; d < RACRO_MAX_DIMS; ++d) {
                if (d < s.rank) {
                    i64 c = rem % s.size[d];
                    rem /= s.size[d];
#pragma unroll
                    for (int k = 0; k < K; ++k) base[k] += c * s.stride[k][d];
                }
            }
            for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < inner; i += (i64)gridDim.x * blockDim.x) {
                i64 off[K];
#pragma unroll
                for (int k = 0; k < K; ++k) off[k] = base[k] + i * s.stride[k][0];
                f(off);
            }
        }
    } else {
        for (i64 e = blockIdx.x * (i64)blockDim.x + threadIdx.x; e < numel; e += (i64)gridDim.x * blockDim.x) {
            i64 off[K];
            strided_offsets<K>(s, e, off);
            f(off);
        }
    }
}

// ------------------------------------------------------------------------------------------ 16-byte packs

// 16 bytes of elements for vector loads and stores (ld.global.v4): 4 floats or 8 halves.
template <typename T>
union Pack16 {
    uint4 raw;
    T e[16 / sizeof(T)];
};

template <typename T>
__device__ __forceinline__ Pack16<T> load16(const T* p, i64 vec) {
    Pack16<T> r;
    r.raw = reinterpret_cast<const uint4*>(p)[vec];
    return r;
}

template <typename T>
__device__ __forceinline__ void store16(T* p, i64 vec, const Pack16<T>& v) {
    reinterpret_cast<uint4*>(p)[vec] = v.raw;
}

// ------------------------------------------------------------------------------------------ reductions

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ double warp_sum_d(double v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the block; every thread gets the result. scratch holds 32 floats. Callable repeatedly (it syncs
// before reusing scratch).
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.0f;
    return warp_sum(v);
}

__device__ __forceinline__ double block_sum_d(double v, double* scratch) {
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = (blockDim.x + 31) >> 5;
    v = warp_sum_d(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.0;
    return warp_sum_d(v);
}

__device__ __forceinline__ float block_max(float v, float* scratch) {
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = (blockDim.x + 31) >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : -__int_as_float(0x7f800000);
    return warp_max(v);
}

// ------------------------------------------------------------------------------------------ error word

// Kernels that meet a bad index report it here instead of trapping (a trap would poison the context). The word
// holds 1 + the smallest element offset, within the index tensor, of a bad index (all ones when none): atomicMin
// makes the report independent of thread timing. The host reads the word back, fetches that index element
// itself for the message, and resets the word.
__device__ __forceinline__ void report_bad_index(u64* err, i64 index_offset) {
    atomicMin(err, (u64)index_offset + 1ull);
}
