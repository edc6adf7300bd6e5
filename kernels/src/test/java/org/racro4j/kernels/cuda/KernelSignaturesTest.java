package org.racro4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.racro4j.core.Backend;
import org.racro4j.core.Backend.AdamWHyper;
import org.racro4j.core.BinaryOp;
import org.racro4j.core.DType;
import org.racro4j.core.Device;
import org.racro4j.core.ReduceOp;
import org.racro4j.core.Tensor;
import org.racro4j.core.UnaryOp;

/**
 * Every kernel launch the CUDA launchers can make, held against the C parameter list of the kernel of that name
 * in its family's .cu source: the count, and the kind and size of each argument, in order. On a GPU a mismatch is
 * garbage or an illegal address at the first run (and a wrong name CUDA_ERROR_NOT_FOUND); here it fails without one.
 *
 * <p>The launchers run against a device that only records what it is asked to queue, on CPU tensors given fake,
 * aligned device addresses, over their dtype variants and paths; every kernel declared in the sources must be
 * launched at least once, so that a kernel added without a launcher, or a path this test misses, shows up.
 */
class KernelSignaturesTest {
    /** One recorded launch. */
    record Launch(String family, String kernel, List<KernelArgs.Arg> args) {}

    /** A device that records launches and otherwise does nothing; downloads read as all-ones (no index error). */
    static final class RecordingDevice implements DeviceOps {
        final List<Launch> launches = new ArrayList<>();
        private final CachingAllocator allocator = new CachingAllocator(new CachingAllocatorTest.FakeDevice(1L << 40), () -> {});

        @Override
        public void launch(String family, String kernel, LaunchShape shape, KernelArgs args) {
            launches.add(new Launch(family, kernel, args.layout()));
        }

        @Override
        public CachingAllocator allocator() {
            return allocator;
        }

        @Override
        public long errorWord() {
            return 0x7f00_0000_0000L;
        }

        @Override
        public boolean capturing() {
            return false;
        }

        @Override
        public void copyDeviceToDevice(long dst, long src, long bytes) {}

        @Override
        public void upload(long dst, ByteBuffer src) {}

        @Override
        public void download(long src, ByteBuffer dst) {
            while (dst.hasRemaining()) dst.put((byte) 0xFF);
        }

        @Override
        public void memset32(long dst, int value, long count) {}

        @Override
        public void makeCurrent() {}

        @Override
        public boolean finishesWithin(long timeoutMillis) {
            return true;
        }

        @Override
        public int major() {
            return 9;
        }

        @Override
        public int minor() {
            return 0;
        }

        @Override
        public int multiprocessors() {
            return 132;
        }
    }

    /** Fake device addresses: each storage at its own 16 MiB-aligned base, a tensor at base + offset * element size. */
    static final class FakeAddresses {
        private final Map<Object, Long> bases = new IdentityHashMap<>();

        long of(Tensor t) {
            long base = bases.computeIfAbsent(t.storage(), s -> (bases.size() + 1L) << 24);
            return base + (long) t.offset() * t.dtype().byteSize();
        }
    }

    private static final Map<String, Map<String, List<KernelSignatures.Param>>> KERNELS = new LinkedHashMap<>();

    /** The size of each struct a kernel takes by value, as the Java side packs it. */
    static Map<String, Integer> structBytes() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("StridedSpace", StridedSpace.STRUCT_BYTES);
        m.put("GemmEpilogue", GemmEpilogue.BYTES);
        m.put("AdamWScalars", AdamWLauncher.scalars(new AdamWHyper(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 3)).length);
        m.put("AttnParams", CudaAttention.PARAMS_BYTES);
        m.put("DecodeParams", CudaAttention.DECODE_PARAMS_BYTES);
        m.put("TensorMap", TensorMapSpec.BYTES);
        return m;
    }

    @BeforeAll
    static void parseSources() {
        for (String family : KernelSources.FAMILIES) KERNELS.put(family, KernelSignatures.parse(KernelSources.source(family), structBytes()));
    }

    @Test
    void structSizesAgreeWithTheStaticAssertsOfTheSources() {
        Map<String, Integer> asserted = new LinkedHashMap<>();
        for (String h : KernelSources.HEADERS) asserted.putAll(KernelSignatures.assertedSizes(KernelSources.resource(h)));
        for (String f : KernelSources.FAMILIES) asserted.putAll(KernelSignatures.assertedSizes(KernelSources.source(f)));
        int compared = 0;
        for (Map.Entry<String, Integer> e : structBytes().entrySet()) {
            Integer c = asserted.get(e.getKey());
            if (c == null) continue;
            assertEquals(c, e.getValue(), "sizeof(" + e.getKey() + ") in the sources vs the bytes Java packs");
            compared++;
        }
        // StridedSpace, AdamWScalars, AttnParams and DecodeParams carry a static_assert.
        assertTrue(compared >= 4, "only " + compared + " struct sizes were asserted in the sources: " + asserted);
    }

    @Test
    void theParserReadsPlainAndMacroDeclaredKernels() {
        List<KernelSignatures.Param> copy = KERNELS.get("copy").get("copy_strided");
        assertNotNull(copy, "copy_strided in copy.cu");
        assertEquals(List.of(KernelArgs.Kind.STRUCT, KernelArgs.Kind.I64, KernelArgs.Kind.PTR, KernelArgs.Kind.I32, KernelArgs.Kind.PTR,
                KernelArgs.Kind.I32), copy.stream().map(KernelSignatures.Param::kind).toList());
        assertEquals(StridedSpace.STRUCT_BYTES, copy.get(0).bytes());
        // Pasted names from nested macros, types substituted: const bf16_t* logits, ..., int* idx_b.
        List<KernelSignatures.Param> sample = KERNELS.get("sampling").get("sample_tokens_bf16");
        assertNotNull(sample, "sample_tokens_bf16 in sampling.cu");
        assertEquals(13, sample.size());
        assertEquals("const bf16_t* logits", sample.get(0).declaration());
        assertEquals(KernelArgs.Kind.F32, sample.get(2).kind());
        assertEquals(KernelArgs.Kind.I64, sample.get(5).kind());
        assertNotNull(KERNELS.get("gemm_wgmma").get("gemm_wgmma_bf16_64x128_ambn"), "nested DEFINE_GEMM_WGMMA_LAYOUTS");
        assertEquals(List.of(new KernelSignatures.Param("AttnParams p", KernelArgs.Kind.STRUCT, CudaAttention.PARAMS_BYTES)),
                KERNELS.get("attention").get("attn_fwd_f16_d128"));
        assertEquals("int d", KERNELS.get("attention").get("attn_decode_combine_f32").get(1).declaration());
    }

    @Test
    void aMismatchIsNamed() {
        KernelArgs swapped = new KernelArgs().struct(new byte[StridedSpace.STRUCT_BYTES]).i32(7).ptr(256).i32(0).ptr(512).i32(0);
        String why = mismatch(new Launch("copy", "copy_strided", swapped.layout()));
        assertNotNull(why);
        assertTrue(why.contains("copy_strided") && why.contains("parameter 1") && why.contains("i64 numel") && why.contains("i32"), why);
        assertNotNull(mismatch(new Launch("copy", "copy_strided", new KernelArgs().struct(new byte[8]).layout())));
        assertTrue(mismatch(new Launch("copy", "copy_strided_f32", swapped.layout())).contains("no kernel"));
    }

    /** Why a launch does not fit its kernel, or null when it does. */
    static String mismatch(Launch l) {
        Map<String, List<KernelSignatures.Param>> family = KERNELS.get(l.family());
        if (family == null) return "no kernel family " + l.family();
        List<KernelSignatures.Param> params = family.get(l.kernel());
        if (params == null) return "no kernel " + l.kernel() + " in " + l.family() + ".cu (it has " + family.keySet() + ")";
        for (int i = 0; i < Math.max(params.size(), l.args().size()); i++) {
            KernelSignatures.Param p = i < params.size() ? params.get(i) : null;
            KernelArgs.Arg a = i < l.args().size() ? l.args().get(i) : null;
            if (p == null || a == null || p.kind() != a.kind() || p.bytes() != a.bytes()) {
                return l.kernel() + " parameter " + i + ": the kernel takes " + (p == null ? "nothing more" : "'" + p.declaration() + "' ("
                        + new KernelArgs.Arg(p.kind(), p.bytes()) + ")") + ", the launcher packed " + (a == null ? "nothing" : a)
                        + " (" + params.size() + " parameters, " + l.args().size() + " arguments packed)";
            }
        }
        return null;
    }

    @Test
    void everyLaunchFitsItsKernel() {
        RecordingDevice gpu = new RecordingDevice();
        FakeAddresses addresses = new FakeAddresses();
        Backend cpu = Device.CPU.backend();
        LaunchSupport support = new LaunchSupport(gpu, addresses::of);
        IndexChecks checks = new IndexChecks(support, false);
        ElementwiseLaunchers elementwise = new ElementwiseLaunchers(support);
        new Drive(elementwise, new ReduceLaunchers(support, elementwise), new RowLaunchers(support, elementwise, checks),
                new IndexLaunchers(support, checks), new RandomLaunchers(support, elementwise), new AdamWLauncher(support),
                new CudaAttention(cpu, gpu, addresses::of), new CudaGemm(cpu, gpu, null, spec -> new byte[TensorMapSpec.BYTES], addresses::of))
                .all();

        List<String> bad = new ArrayList<>();
        TreeSet<String> launched = new TreeSet<>();
        for (Launch l : gpu.launches) {
            String why = mismatch(l);
            if (why != null && !bad.contains(why)) bad.add(why);
            launched.add(l.family() + "/" + l.kernel());
        }
        System.out.println("KernelSignaturesTest: " + gpu.launches.size() + " launches of " + launched.size() + " kernels: " + launched);
        if (!bad.isEmpty()) fail(bad.size() + " launches do not fit their kernel:\n" + String.join("\n", bad));

        TreeSet<String> never = new TreeSet<>();
        KERNELS.forEach((family, kernels) -> kernels.keySet().forEach(k -> never.add(family + "/" + k)));
        never.removeAll(launched);
        assertEquals(new TreeSet<String>(), never, "kernels declared in the sources that no launch of this test reached");
        assertTrue(launched.size() > 100, "only " + launched.size() + " kernels launched");
    }

    /** Drives every launcher method over its dtype variants and paths. */
    private record Drive(ElementwiseLaunchers elementwise, ReduceLaunchers reduce, RowLaunchers rows, IndexLaunchers index,
                         RandomLaunchers random, AdamWLauncher adamw, CudaAttention attention, CudaGemm gemm) {
        static final DType[] FLOATS = {DType.F32, DType.BF16, DType.F16};

        static Tensor t(DType dt, int... shape) {
            return Tensor.zeros(dt, Device.CPU, shape);
        }

        void all() {
            everyElementwise();
            everyReductions();
            everyRowKernels();
            everyIndexing();
            everyRandomness();
            everyAdamw();
            everyAttention();
            everyGemm();
        }

        void everyElementwise() {
            for (DType dt : DType.values()) {
                Tensor x = t(dt, 7, 24);
                elementwise.copy(x, t(dt == DType.F32 ? DType.BF16 : DType.F32, 7, 24));   // copy_strided with a conversion
                elementwise.copy(x.transpose(0, 1), t(dt, 24, 7));
                elementwise.fill(x, 1.5);                                                   // fill_contig
                elementwise.fill(x.transpose(0, 1), 2);                                     // fill_strided
                elementwise.unary(UnaryOp.EXP, x, t(dt, 7, 24), 0.5f, 2f);                  // contig for floats, else strided
                elementwise.unary(UnaryOp.NEG, x.transpose(0, 1), t(dt, 24, 7), 0f, 0f);
                elementwise.binary(BinaryOp.ADD, x, t(dt, 7, 24), t(dt, 7, 24));
                elementwise.binary(BinaryOp.MUL, x, t(dt, 1, 1).expand(7, 24), t(dt, 7, 24));   // scalar b
                elementwise.binary(BinaryOp.SUB, x.transpose(0, 1), t(dt, 24, 7), t(dt, 24, 7));
                elementwise.where(t(DType.I32, 7, 24), x, t(dt, 7, 24), t(dt, 7, 24));
            }
            elementwise.contiguousCopy(t(DType.BF16, 5, 3).transpose(0, 1), DType.F32);
        }

        void everyReductions() {
            for (ReduceOp op : ReduceOp.values()) {
                Tensor indices = op == ReduceOp.SUM ? null : t(DType.I64, 9000);
                reduce.reduce(op, t(DType.F32, 37, 9000), 0, t(DType.F32, 9000), indices);                                  // per thread
                reduce.reduce(op, t(DType.BF16, 200, 2048), 0, t(DType.F32, 2048), op == ReduceOp.SUM ? null : t(DType.I64, 2048));  // split
                reduce.reduce(op, t(DType.F32, 5, 10000), 1, t(DType.F32, 5), op == ReduceOp.SUM ? null : t(DType.I64, 5));   // per block, split
                reduce.reduce(op, t(DType.I32, 5, 100), 1, t(DType.I32, 5), op == ReduceOp.SUM ? null : t(DType.I64, 5));     // per block
            }
        }

        void everyRowKernels() {
            for (DType dt : FLOATS) {
                for (boolean log : new boolean[] {false, true}) {
                    rows.softmax(t(dt, 3, 100), t(dt, 3, 100), log);
                    rows.softmaxBackward(t(dt, 3, 64), t(dt, 3, 64), t(dt, 3, 64), log);
                }
                for (DType w : dt == DType.F32 ? new DType[] {DType.F32} : new DType[] {dt, DType.F32, dt == DType.BF16 ? DType.F16 : DType.BF16}) {
                    rows.layerNorm(t(dt, 5, 96), t(w, 96), t(w, 96), 1e-5f, t(dt, 5, 96), t(DType.F32, 5), t(DType.F32, 5));
                    rows.layerNorm(t(dt, 5, 95), t(w, 95), null, 1e-5f, t(dt, 5, 95), t(DType.F32, 5), t(DType.F32, 5));
                    rows.rmsNorm(t(dt, 5, 96), t(w, 96), 1e-6f, t(dt, 5, 96), t(DType.F32, 5));
                    rows.layerNormBackward(t(dt, 5, 96), t(dt, 5, 96), t(w, 96), t(DType.F32, 5), t(DType.F32, 5), t(dt, 5, 96), t(w, 96),
                            t(w, 96));
                    rows.layerNormBackward(t(DType.F32, 5, 96), t(dt, 5, 96), t(w, 96), t(DType.F32, 5), t(DType.F32, 5), t(dt, 5, 96),
                            t(w, 96, 2).select(1, 0), null);   // gy of another dtype; a strided weight gradient
                    rows.rmsNormBackward(t(dt, 5, 96), t(dt, 5, 96), t(w, 96), t(DType.F32, 5), t(dt, 5, 96), t(w, 96));
                }
                for (DType target : new DType[] {DType.I64, DType.I32}) {
                    rows.crossEntropy(t(dt, 4, 1000), t(target, 4), -100, t(DType.F32, 4), t(DType.F32, 4));
                    rows.crossEntropyBackward(t(dt, 4, 1000), t(target, 4), t(DType.F32, 4), t(DType.F32, 4), -100, t(dt, 4, 1000));
                    rows.crossEntropyBackward(t(dt, 4, 1000), t(target, 4), t(DType.F32, 4), t(DType.BF16), -100, t(dt, 4, 1000));
                }
                rows.rope(t(dt, 2, 3, 6, 64), t(DType.F32, 6, 32), t(DType.F32, 6, 32), t(dt, 2, 3, 6, 64), false);
                rows.rope(t(dt, 2, 6, 64), t(dt, 6, 32), t(dt, 6, 32), t(dt, 2, 6, 64), true);
            }
        }

        void everyIndexing() {
            for (DType dt : FLOATS) {
                for (DType ix : new DType[] {DType.I64, DType.I32}) {
                    index.indexSelect(t(dt, 11, 5), 0, t(ix, 3), t(dt, 3, 5));
                    index.indexAdd(t(dt, 11, 5), 0, t(ix, 3), t(dt, 3, 5));
                    index.gather(t(dt, 4, 7), 1, t(ix, 4, 2), t(dt, 4, 2));
                    index.scatterAdd(t(dt, 4, 7), 1, t(ix, 4, 2), t(DType.F32, 4, 2));
                }
            }
        }

        void everyRandomness() {
            for (DType dt : FLOATS) {
                random.random(t(dt, 3, 333), 42, 7, false, -1f, 1f);
                random.random(t(dt, 1001), 42, 7, true, 0f, 1f);
                for (float temperature : new float[] {0f, 0.8f}) {
                    random.sampleTokens(t(dt, 3, 1000), temperature, 50, 0.9f, 42, 3, t(DType.I64, 3));
                    random.sampleTokens(t(dt, 3, 1000), temperature, 0, 1f, 42, 3, t(DType.I32, 3));
                }
            }
        }

        void everyAdamw() {
            List<Tensor> p = List.of(t(DType.F32, 33, 7), t(DType.BF16, 100), t(DType.F16, 5));
            List<Tensor> g = List.of(t(DType.F32, 33, 7), t(DType.F32, 100), t(DType.F16, 5));
            List<Tensor> m = List.of(t(DType.F32, 33, 7), t(DType.F32, 100), t(DType.F32, 5));
            List<Tensor> v = List.of(t(DType.F32, 33, 7), t(DType.F32, 100), t(DType.F32, 5));
            adamw.adamw(p, g, m, v, new AdamWHyper(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1));
            adamw.adamw(p, g, m, v, new AdamWHyper(1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 2));   // the table already on the device
        }

        void everyAttention() {
            for (int d : new int[] {64, 128}) {
                for (DType dt : FLOATS) {
                    if (CudaAttention.supports(dt, d)) {
                        int b = 2, hq = 4, hkv = 2, tq = 70, s = 70;
                        Tensor q = t(dt, b, hq, tq, d), k = t(dt, b, hkv, s, d), v = t(dt, b, hkv, s, d), out = t(dt, b, hq, tq, d);
                        Tensor lse = t(DType.F32, b, hq, tq);
                        attention.forward(q, k, v, null, true, 0.125f, out, lse);
                        attention.forward(q, k, v, t(DType.F32, b, s), false, 0.125f, out, lse);
                        attention.backward(q, k, v, null, true, 0.125f, out, lse, t(dt, b, hq, tq, d), t(dt, b, hq, tq, d), t(dt, b, hkv, s, d),
                                t(dt, b, hkv, s, d));
                    }
                    for (int c : new int[] {1000, 64}) {   // split over blocks and combined, and one split
                        attention.decode(t(dt, 1, 4, 1, d), t(dt, 1, 2, c, d), t(dt, 1, 2, c, d), t(DType.I32, 1), c == 64 ? null : t(DType.F32, 1, c),
                                0.1f, t(dt, 1, 4, 1, d));
                    }
                }
            }
        }

        void everyGemm() {
            int batch = 2, m = 40, n = 72, k = 48;
            for (DType dt : FLOATS) {
                for (boolean aK : new boolean[] {true, false}) {
                    for (boolean bK : new boolean[] {true, false}) {
                        Tensor a = aK ? t(dt, batch, m, k) : t(dt, batch, k, m).transpose(1, 2);
                        Tensor b = bK ? t(dt, batch, n, k).transpose(1, 2) : t(dt, batch, k, n);
                        Tensor out = t(dt, batch, m, n);
                        GemmEpilogue ep = GemmEpilogue.plain(1f, 0f);
                        GemmPlan.Problem p = gemm.problem(a, b, out, ep);
                        List<GemmPlan.Choice> choices = new ArrayList<>();
                        choices.add(GemmPlan.plan(GemmPlan.Rung.TILED, p, gemm.caps(), false));
                        choices.add(GemmPlan.plan(GemmPlan.Rung.MMA, p, gemm.caps(), true));
                        if (dt == DType.BF16) {
                            for (GemmPlan.WgmmaConfig cfg : GemmPlan.WgmmaConfig.values()) choices.add(GemmPlan.wgmma(p, gemm.caps(), cfg));
                        }
                        for (GemmPlan.Choice c : choices) {
                            assertNotNull(c, dt + " " + (aK ? "ak" : "am") + (bK ? "bk" : "bn") + ": a rung refused the test's product");
                            gemm.launch(c, p, ep);
                        }
                    }
                }
            }
            assertNull(GemmPlan.plan(GemmPlan.Rung.CUBLAS, gemm.problem(t(DType.F32, 1, 8, 8), t(DType.F32, 1, 8, 8), t(DType.F32, 1, 8, 8),
                    GemmEpilogue.plain(1f, 0f)), gemm.caps(), false), "cuBLAS is off in this test");
        }
    }
}
