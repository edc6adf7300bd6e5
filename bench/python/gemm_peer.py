#!/usr/bin/env python3
"""PyTorch peer of racro4j's GEMM ladder (org.racro4j.kernels.bench.GemmBench): the same products, the same JSON line.

out [M, N] = x [M, K] @ w^T with w [N, K] ("tn", a Linear layer: what torch.nn.functional.linear computes through
cuBLAS/cuBLASLt) or x @ w with w [K, N] ("nn"), BF16 by default. Timed with CUDA events around a batch of calls
(about a millisecond each, so launch gaps vanish), after warm-up, median over --iters batches; inputs random
normal (never zeros) and rotated over enough sets to exceed the L2 cache. Shapes: 4096^3 and the Linear layers of
Qwen2-0.5B over --tokens rows, as GemmBench.defaultShapes.
"""
import argparse, json, math, statistics
import torch

p = argparse.ArgumentParser()
p.add_argument("--tokens", type=int, default=4096)
p.add_argument("--dtype", default="bf16", choices=["bf16", "f16", "f32"])
p.add_argument("--layout", default="tn", choices=["tn", "nn"])
p.add_argument("--iters", type=int, default=20)
p.add_argument("--shape", action="append", default=[], help="MxNxK (repeatable); default: GemmBench's shapes")
a = p.parse_args()

dt = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}[a.dtype]
if a.dtype == "f32":
    torch.backends.cuda.matmul.allow_tf32 = False   # GemmBench's F32 rung 0 is exact FP32 cuBLAS
t = a.tokens
shapes = [("square_4096", 4096, 4096, 4096), ("qwen2_0.5b_q_o_proj", t, 896, 896), ("qwen2_0.5b_k_v_proj", t, 128, 896),
          ("qwen2_0.5b_gate_up_proj", t, 4864, 896), ("qwen2_0.5b_down_proj", t, 896, 4864), ("qwen2_0.5b_lm_head", t, 151936, 896)]
if a.shape:
    shapes = [("custom_" + s, *map(int, s.lower().split("x"))) for s in a.shape]
dev = torch.device("cuda")
L2 = 60 << 20


def median_ms_per_call(call):
    for _ in range(3):
        call()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record(); call(); e.record(); e.synchronize()
    reps = max(1, min(1000, math.ceil(1.0 / max(s.elapsed_time(e), 1e-4))))
    times = []
    for _ in range(a.iters):
        s.record()
        for _ in range(reps):
            call()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e) / reps)
    return statistics.median(times)


for name, m, n, k in shapes:
    set_bytes = (m * k + k * n) * torch.finfo(dt).bits // 8
    rot = max(2, min(8, math.ceil(4 * L2 / set_bytes)))
    xs = [torch.randn(m, k, device=dev, dtype=dt) for _ in range(rot)]
    ws = [torch.randn(n, k, device=dev, dtype=dt) if a.layout == "tn" else torch.randn(k, n, device=dev, dtype=dt) for _ in range(rot)]
    out = torch.empty(m, n, device=dev, dtype=dt)
    i = [0]

    def call():
        j = i[0] % rot
        i[0] += 1
        torch.matmul(xs[j], ws[j].t() if a.layout == "tn" else ws[j], out=out)

    ms = median_ms_per_call(call)
    print(json.dumps({"bench": "gemm", "impl": "pytorch " + torch.__version__, "version": "torch.matmul", "dtype": a.dtype,
                      "layout": a.layout, "name": name, "batch": 1, "m": m, "n": n, "k": k, "median_ms": round(ms, 4),
                      "tflops": round(2 * m * n * k / (ms * 1e-3) / 1e12, 1), "device": torch.cuda.get_device_name()},
                     separators=(",", ":")), flush=True)
    del xs, ws, out
    torch.cuda.empty_cache()
