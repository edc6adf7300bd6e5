package org.racro4j.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.racro4j.bench.report.RawResults.Row;

/**
 * The GPU part of docs/PERFORMANCE.md. The rows are the shapes bench/gpu-bench.sh measures; a cell holds a number
 * only when a raw GPU result line for it was given to the report, and says "not yet measured" otherwise, with the
 * command that measures it. The raw lines are those of {@code GemmBench}, {@code AttentionBench},
 * {@code BandwidthBench} ({@code tools/racro4j bench kernels}), {@code DecodeBench} and their PyTorch peers, as
 * gpu-bench.sh keeps them under bench-results/&lt;date&gt;/.
 */
final class GpuSection {
    static final String NOT_MEASURED = "not yet measured";

    /**
     * A GEMM row: GemmBench's shape name, a short label, its M x N x K at GemmBench's default --tokens 4096 (shown
     * until a result line gives the measured one) and the goal for the best rung's ratio to cuBLAS.
     */
    record GemmShape(String name, String label, String defaultDims, double goal) {}

    static final List<GemmShape> GEMM = List.of(
            new GemmShape("square_4096", "", "4096 x 4096 x 4096", 0.70),
            new GemmShape("qwen2_0.5b_q_o_proj", "q/o_proj ", "4096 x 896 x 896", 0.50),
            new GemmShape("qwen2_0.5b_k_v_proj", "k/v_proj ", "4096 x 128 x 896", 0.50),
            new GemmShape("qwen2_0.5b_gate_up_proj", "gate/up ", "4096 x 4864 x 896", 0.50),
            new GemmShape("qwen2_0.5b_down_proj", "down ", "4096 x 896 x 4864", 0.50),
            new GemmShape("qwen2_0.5b_lm_head", "lm_head ", "4096 x 151936 x 896", 0.50));

    static final String[] GEMM_RUNGS = {"v0", "v1", "v2", "v3"};

    /** An attention row: AttentionBench's default shapes. */
    record AttentionShape(int batch, int heads, int seq, int headDim, boolean causal) {}

    static final List<AttentionShape> ATTENTION = List.of(
            new AttentionShape(4, 16, 4096, 128, false), new AttentionShape(4, 16, 4096, 128, true),
            new AttentionShape(4, 32, 4096, 64, false), new AttentionShape(4, 32, 4096, 64, true));

    /** BandwidthBench's ops (op, dtype); the copy is version 0. */
    static final List<String[]> KERNELS = List.of(new String[] {"copy_d2d", "f32"}, new String[] {"elementwise_add", "f32"},
            new String[] {"elementwise_silu", "bf16"}, new String[] {"softmax", "f32"}, new String[] {"softmax", "bf16"},
            new String[] {"rmsnorm", "f32"}, new String[] {"rmsnorm", "bf16"}, new String[] {"adamw", "f32"});

    private GpuSection() {}

    static String render(RawResults raw) {
        StringBuilder md = new StringBuilder();
        md.append("## GPU\n\n");
        Row machine = raw.machine("gpu");
        if (machine == null) {
            md.append("No GPU results were given to this report, so every GPU row below is \"" + NOT_MEASURED + "\" and names the\n"
                    + "command that measures it. The kernels compile for sm_90a and their host logic is tested; the numbers come from\n"
                    + "one run of `bench/gpu-bench.sh` on one machine, never from several runs mixed.\n\n");
        } else {
            md.append("GPU results: ").append(Fmt.cell(machine.str("gpu"))).append(", ").append(Fmt.cell(machine.str("date")))
                    .append(" (").append(Fmt.cell(machine.file())).append("). Rows without a result line say \"" + NOT_MEASURED + "\".\n\n");
        }
        md.append("""
                Target machine: one NVIDIA H200 (sm_90a, 132 SMs, HBM3e). Run on it (shared/gpu/README.md):

                ```
                bench/gpu-bundle.sh                                               # here: build the bundle (with tests)
                bench/gpu-bringup.sh                                              # there: every GPU test class alone, first
                bench/gpu-bench.sh                                                # there: all benchmarks + peers, JSON lines
                                                                                  #   under bench-results/<date>/
                tools/racro4j bench report --out docs/PERFORMANCE.md bench/results/<cpu run>.jsonl bench-results/<date>/*.jsonl
                ```

                `bench/gpu-bench.sh` runs, one after the other, on the same GPU:

                ```
                .devbundle/run.sh org.racro4j.kernels.bench.GemmBench --tokens 4096             # racro4j GEMM ladder (v0 = cuBLAS)
                python3 bench/python/gemm_peer.py --tokens 4096                                  # torch.matmul, same shapes
                .devbundle/run.sh org.racro4j.kernels.bench.AttentionBench                       # fused attention fwd/bwd
                python3 bench/python/attention_peer.py                                           # PyTorch SDPA, same shapes
                .devbundle/run.sh org.racro4j.kernels.bench.BandwidthBench                       # memory-bound kernels vs the copy
                .devbundle/run.sh org.racro4j.bench.DecodeBench --batch 64 --prompt-len 128 --new-tokens 128
                python3 bench/python/rollout.py --layers 24 --dim 896 --heads 14 --kv-heads 2 --vocab 151936 \\
                    --intermediate 4864 --dtype bf16 --device cuda --batch 64 --prompt-len 128 --new-tokens 128
                ```

                `bench/python/gpu_ratios.py bench-results/<date>/*.jsonl` prints the same ratios as a quick text table.

                """);
        gemm(raw, md);
        attention(raw, md);
        kernels(raw, md);
        decode(raw, md);
        wholeSteps(md);
        return md.toString();
    }

    private static void gemm(RawResults raw, StringBuilder md) {
        List<Row> rows = raw.rows(r -> r.is("gemm") && r.num("tflops") != null);
        md.append("""
                ### GEMM (BF16, out = x w^T, F32 accumulation), TFLOP/s

                Goal: the best of rungs 1-3 at >= 0.70 of cuBLAS's TFLOP/s at 4096^3 and >= 0.50 at the Qwen2-0.5B layer shapes
                (moonshot: parity). cuBLAS is version 0 in the same run; `torch.matmul` is the second reference.

                | shape (M x N x K) | v0 cuBLAS | v1 tiled | v2 mma.sync | v3 wgmma+TMA | best v1-v3 / cuBLAS | goal | torch.matmul |
                |---|---|---|---|---|---|---|---|
                """);
        for (GemmShape s : GEMM) {
            Double[] rung = new Double[GEMM_RUNGS.length];
            String dims = s.defaultDims();
            for (int i = 0; i < GEMM_RUNGS.length; i++) {
                String v = GEMM_RUNGS[i] + " ";
                Row r = last(rows, x -> x.ours() && s.name().equals(x.str("name")) && x.str("version") != null && x.str("version").startsWith(v));
                rung[i] = r == null ? null : r.num("tflops");
                if (r != null) dims = r.str("m") + " x " + r.str("n") + " x " + r.str("k");
            }
            Row torch = last(rows, x -> !x.ours() && s.name().equals(x.str("name")));
            Double best = null;
            for (int i = 1; i < rung.length; i++) if (rung[i] != null && (best == null || rung[i] > best)) best = rung[i];
            Double ratio = best == null || rung[0] == null ? null : best / rung[0];
            md.append("| ").append(s.label()).append(dims);
            for (Double t : rung) md.append(" | ").append(measured(t));
            md.append(" | ").append(ratio == null ? Fmt.NONE : Fmt.ratio(ratio))
                    .append(" | ").append(goal(ratio, s.goal()))
                    .append(" | ").append(measured(torch == null ? null : torch.num("tflops"))).append(" |\n");
        }
        md.append("""

                Command: `.devbundle/run.sh org.racro4j.kernels.bench.GemmBench --tokens 4096` and
                `python3 bench/python/gemm_peer.py --tokens 4096` (TFLOP/s = 2 M N K / median time; CUDA events around ~1 ms
                batches of calls; inputs rotated past the L2; `rel_err` of each rung against v0 is in the JSON).
                Other layouts: `--layout nn` (row-major weight, the backward's `g @ w`).

                """);
    }

    private static void attention(RawResults raw, StringBuilder md) {
        List<Row> rows = raw.rows(r -> r.is("attention") && r.num("tflops") != null);
        md.append("""
                ### Attention (BF16), TFLOP/s (FlashAttention's count: fwd 4 B H T S D, half when causal; bwd 2.5x fwd)

                Goal: forward >= 0.60 of PyTorch `scaled_dot_product_attention` at sequence 4096, head dim 128 (moonshot:
                FlashAttention-3 class, which needs a wgmma forward; this one is mma.sync, FlashAttention-2 style).

                | B x H x T x D | causal | racro4j fwd | SDPA fwd | fwd ratio | goal | racro4j bwd | SDPA bwd | bwd ratio |
                |---|---|---|---|---|---|---|---|---|
                """);
        for (AttentionShape s : ATTENTION) {
            Double[] v = new Double[4];
            int i = 0;
            for (String pass : new String[] {"fwd", "bwd"}) {
                for (boolean ours : new boolean[] {true, false}) {
                    Row r = last(rows, x -> x.ours() == ours && pass.equals(x.str("pass")) && matches(x, s));
                    v[i++] = r == null ? null : r.num("tflops");
                }
            }
            Double fwd = ratio(v[0], v[1]);
            md.append("| ").append(s.batch()).append(" x ").append(s.heads()).append(" x ").append(s.seq()).append(" x ").append(s.headDim())
                    .append(" | ").append(s.causal() ? "yes" : "no")
                    .append(" | ").append(measured(v[0])).append(" | ").append(measured(v[1])).append(" | ").append(Fmt.ratio(fwd))
                    .append(" | ").append(s.headDim() == 128 && s.seq() == 4096 ? goal(fwd, 0.60) : Fmt.NONE)
                    .append(" | ").append(measured(v[2])).append(" | ").append(measured(v[3])).append(" | ").append(Fmt.ratio(ratio(v[2], v[3])))
                    .append(" |\n");
        }
        md.append("""

                Command: `.devbundle/run.sh org.racro4j.kernels.bench.AttentionBench` and `python3 bench/python/attention_peer.py`
                (the peer prints which SDPA backends were enabled).

                """);
    }

    private static boolean matches(Row r, AttentionShape s) {
        return Objects.equals(r.num("batch"), (double) s.batch()) && Objects.equals(r.num("heads"), (double) s.heads())
                && Objects.equals(r.num("seq"), (double) s.seq()) && Objects.equals(r.num("head_dim"), (double) s.headDim())
                && r.json().path("causal").asBoolean() == s.causal();
    }

    private static void kernels(RawResults raw, StringBuilder md) {
        List<Row> rows = raw.rows(r -> r.str("op") != null && r.num("gbps") != null && r.json().has("ratio_to_copy"));
        md.append("""
                ### Memory-bound kernels, GB/s against the device-to-device copy in the same run

                Goal: >= 0.80 of the copy's GB/s at a few hundred MB per operand. GB/s counts the bytes an op must move at least.

                | op | dtype | racro4j GB/s | / copy | goal |
                |---|---|---|---|---|
                """);
        Row copy = last(rows, x -> "copy_d2d".equals(x.str("op")));
        for (String[] k : KERNELS) {
            Row r = last(rows, x -> k[0].equals(x.str("op")) && k[1].equals(x.str("dtype")));
            Double gbps = r == null ? null : r.num("gbps");
            boolean isCopy = k[0].equals("copy_d2d");
            Double ratio = isCopy ? null : ratio(gbps, copy == null ? null : copy.num("gbps"));
            md.append("| ").append(k[0]).append(isCopy ? " (version 0)" : "").append(" | ").append(k[1]).append(" | ").append(measured(gbps))
                    .append(" | ").append(Fmt.ratio(ratio)).append(" | ").append(isCopy ? Fmt.NONE : goal(ratio, 0.80)).append(" |\n");
        }
        md.append("""

                Command: `tools/racro4j bench kernels` (on the bundle: `.devbundle/run.sh org.racro4j.kernels.bench.BandwidthBench`;
                256 MiB per operand, CUDA events around one call, median of 50, inputs rotated).

                """);
    }

    private static void decode(RawResults raw, StringBuilder md) {
        List<Row> ours = raw.bench("decode");
        List<Row> peers = raw.rows(r -> r.is("rollout") && !r.ours() && "cuda".equals(r.str("device")));
        md.append("""
                ### Decode (Qwen2-0.5B-shaped, random BF16 weights, batch 64, prompt 128, 128 new tokens)

                | mode | racro4j tokens/s | ms / step | PyTorch loop tokens/s | ratio |
                |---|---|---|---|---|
                """);
        for (String mode : new String[] {"graph", "eager"}) {
            Row r = last(ours, x -> mode.equals(x.str("mode")) && Objects.equals(x.num("batch"), 64.0));
            Row p = r == null ? last(peers, x -> Objects.equals(x.num("batch"), 64.0))
                    : last(peers, x -> Objects.equals(x.num("batch"), r.num("batch")) && Objects.equals(x.num("new_tokens"), r.num("new_tokens"))
                            && Objects.equals(x.num("prompt_len"), r.num("prompt_len")));
            Double tok = r == null ? null : r.num("decode_tokens_per_s");
            Double peerTok = p == null ? null : p.num("decode_tokens_per_s");
            md.append("| ").append(mode.equals("graph") ? "CUDA graph replay" : "eager (one launch per op)")
                    .append(" | ").append(measured(tok)).append(" | ").append(measured(r == null ? null : r.num("ms_per_step")))
                    .append(" | ").append(measured(peerTok)).append(" | ").append(Fmt.ratio(ratio(tok, peerTok))).append(" |\n");
        }
        md.append("""

                Command: `.devbundle/run.sh org.racro4j.bench.DecodeBench --batch 64 --prompt-len 128 --new-tokens 128` and the
                `rollout.py` line above. Tokens/s = batch x (new tokens - 1) / (time of the whole generation - time of a
                one-token generation), medians of 3.

                """);
    }

    private static void wholeSteps(StringBuilder md) {
        md.append("""
                ### Whole steps (GPU tests: pass or fail, not numbers)

                Their results are not in the raw files; run the command and read JUnit's report.

                | check | test |
                |---|---|
                | every GEMM rung and fused epilogue vs the CPU | `FastKernelsGpuTest.everyGemmRungMatchesTheCpu`, `fusedEpiloguesMatchTheCpu` |
                | flash attention forward, lse, backward vs the composite | `FastKernelsGpuTest.flashAttention*` |
                | decode attention, rows of different lengths | `FastKernelsGpuTest.decodeAttention*` |
                | graph replay allocates nothing | `FastKernelsGpuTest.aCapturedGraphReplaysOnNewInputsWithoutAllocating` |
                | graph decoding = eager decoding, token for token | `WholeStepGpuTest.graphDecodingGivesTheTokensOfEagerDecoding` |
                | no driver allocation after warm-up: decode, training step | `WholeStepGpuTest.afterWarmUp*` |
                | no host wait inside a training step (deferred index checks) | `WholeStepGpuTest.afterWarmUpATrainingStep...` |

                Command: `bench/gpu-bringup.sh` (each class in a JVM of its own, a skipped GPU test counted as a failure). On the first GEMM with each tensor-core kernel the backend
                also checks it against the tiled kernel and disables it if they disagree; `CudaBackend.gemmReport()` (printed by
                `everyGemmRungMatchesTheCpu`) lists any kernel that failed.
                """);
    }

    private static String measured(Double x) {
        return x == null ? NOT_MEASURED : Fmt.num(x);
    }

    private static String goal(Double ratio, double goal) {
        if (ratio == null) return Fmt.NONE;
        return ">= " + Fmt.ratio(goal) + ": " + (ratio >= goal ? "met" : "NOT met");
    }

    private static Double ratio(Double ours, Double peer) {
        return ours == null || peer == null || peer == 0 ? null : ours / peer;
    }

    private static Row last(List<Row> rows, java.util.function.Predicate<Row> p) {
        Row found = null;
        for (Row r : rows) if (p.test(r)) found = r;
        return found;
    }
}
