package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.racro4j.core.DType;

/** The decision of cuBLAS's smoke product, with synthetic cuBLAS answers instead of a GPU. */
class CublasSmokeTest {
    /** The product from the operands' logical layout, written out independently of Case.want. */
    private static float[] reference(CublasSmoke.Case c) {
        float[] a = c.a(), b = c.b(), out = new float[c.batch() * c.m() * c.n()];
        for (int t = 0; t < c.batch(); t++) {
            for (int i = 0; i < c.m(); i++) {
                for (int j = 0; j < c.n(); j++) {
                    float s = 0;
                    for (int p = 0; p < c.k(); p++) {
                        float av = a[t * c.m() * c.k() + i * c.k() + p];
                        float bv = c.bTransposed() ? b[t * c.n() * c.k() + j * c.k() + p] : b[t * c.k() * c.n() + p * c.n() + j];
                        s += av * bv;
                    }
                    out[(t * c.m() + i) * c.n() + j] = s;
                }
            }
        }
        return out;
    }

    @Test
    void theCasesAreAwkwardExactAndCoverEveryDtypeAndLayout() {
        List<DType> dtypes = new ArrayList<>();
        boolean transposed = false, rowMajor = false;
        for (CublasSmoke.Case c : CublasSmoke.cases()) {
            dtypes.add(c.dtype());
            transposed |= c.bTransposed();
            rowMajor |= !c.bTransposed();
            assertTrue(c.m() != c.n() && c.n() != c.k() && c.m() != c.k(), "distinct sizes catch a swapped dimension: " + c);
            assertNotNull(c.layout(), "cuBLAS can express " + c);
            float[] want = c.want();
            assertArrayEquals(reference(c), want, c.toString());
            boolean nonZero = false;
            for (float w : want) {
                nonZero |= w != 0;
                // Exact in every 16-bit format: a bit-for-bit comparison is fair.
                assertEquals(w, org.racro4j.core.HalfFloats.bf16ToFloat(org.racro4j.core.HalfFloats.floatToBf16(w)), c.toString());
                assertEquals(w, org.racro4j.core.HalfFloats.f16ToFloat(org.racro4j.core.HalfFloats.floatToF16(w)), c.toString());
            }
            assertTrue(nonZero, "never all zeros");
            float[] packed = CublasSmoke.unpack(c.dtype(), CublasSmoke.pack(c.dtype(), c.a()), c.a().length);
            assertArrayEquals(c.a(), packed, "the operands survive the trip through " + c.dtype());
        }
        assertTrue(dtypes.containsAll(List.of(DType.F32, DType.BF16, DType.F16)), dtypes.toString());
        assertTrue(transposed && rowMajor);
        assertTrue(CublasSmoke.cases().stream().anyMatch(c -> c.batch() > 1), "a strided batch");
    }

    @Test
    void aCorrectCublasPasses() {
        assertNull(CublasSmoke.check(CublasSmoke.cases(), CublasSmokeTest::reference));
    }

    @Test
    void oneWrongElementSwitchesCublasOffAndSaysWhere() {
        CublasSmoke.Case bf16 = CublasSmoke.cases().get(1);
        String why = CublasSmoke.check(CublasSmoke.cases(), c -> {
            float[] r = reference(c);
            if (c.equals(bf16)) r[r.length - 2] += 1;   // batch 1, row 2, column 3
            return r;
        });
        assertNotNull(why);
        assertTrue(why.contains("BF16 3x5x7 batch 2") && why.contains("element [1, 2, 3]"), why);
        assertFalse(why.contains("\n"));
        // A result cuBLAS never wrote (the NaN the output is filled with) fails too, as does the transposed result.
        assertNotNull(CublasSmoke.check(CublasSmoke.cases(), c -> {
            float[] r = reference(c);
            r[0] = Float.NaN;
            return r;
        }));
        CublasSmoke.Case f16 = CublasSmoke.cases().get(2);
        float[] r = reference(f16), t = new float[r.length];
        for (int i = 0; i < f16.m(); i++) for (int j = 0; j < f16.n(); j++) t[j * f16.m() + i] = r[i * f16.n() + j];
        assertNotNull(CublasSmoke.verdict(f16, t), "C written column-major");
    }

    @Test
    void aThrowingCublasIsSwitchedOffButADeadContextIsRethrown() {
        String why = CublasSmoke.check(CublasSmoke.cases(), c -> {
            throw new CublasGemm.Failure("cublasGemmStridedBatchedEx(F32) failed: CUBLAS_STATUS_NOT_SUPPORTED", 15);
        });
        assertTrue(why != null && why.contains("F32 3x5x7") && why.contains("CUBLAS_STATUS_NOT_SUPPORTED"), why);
        String link = CublasSmoke.check(CublasSmoke.cases(), c -> {
            throw new UnsatisfiedLinkError("undefined symbol: cublasGemmStridedBatchedEx_64");
        });
        assertTrue(link != null && link.contains("UnsatisfiedLinkError"), link);
        CudaException dead = new CudaException("cuEventSynchronize(download) failed: CUDA_ERROR_ILLEGAL_ADDRESS", 700);
        assertSame(dead, assertThrows(CudaException.class, () -> CublasSmoke.check(CublasSmoke.cases(), c -> {
            throw dead;
        })));
    }
}
