#!/usr/bin/env python3
"""PyTorch peer of racro4j's attention bench (org.racro4j.kernels.bench.AttentionBench): the same shapes, the same
JSON line.

torch.nn.functional.scaled_dot_product_attention on q, k, v [B, H, T, D] (BF16), causal or not, forward and
backward, whichever SDPA backend PyTorch picks on this GPU (printed as "sdpa_backends": the ones enabled). TFLOP/s
as FlashAttention counts them: forward 4 B H T S D (half when causal), backward 2.5 x the forward. CUDA events
around a batch of calls, warm-up, median over --iters batches, inputs random normal rotated over two sets.
"""
import argparse, json, math, statistics
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--iters", type=int, default=20)
p.add_argument("--dtype", default="bf16", choices=["bf16", "f16"])
p.add_argument("--no-backward", action="store_true")
p.add_argument("--shape", action="append", default=[], help="BxHxTxD, 'c' appended for causal (repeatable)")
a = p.parse_args()
dt = torch.bfloat16 if a.dtype == "bf16" else torch.float16
dev = torch.device("cuda")
shapes = []
for d in (128, 64):
    for causal in (False, True):
        shapes.append((4, 2048 // d, 4096, d, causal))
if a.shape:
    shapes = []
    for s in a.shape:
        causal = s.endswith("c")
        b, h, t, d = map(int, (s[:-1] if causal else s).split("x"))
        shapes.append((b, h, t, d, causal))
backends = [n for n, on in (("flash", torch.backends.cuda.flash_sdp_enabled()), ("mem_efficient", torch.backends.cuda.mem_efficient_sdp_enabled()),
                            ("cudnn", getattr(torch.backends.cuda, "cudnn_sdp_enabled", lambda: False)()), ("math", torch.backends.cuda.math_sdp_enabled())) if on]


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


def line(pass_, b, h, t, d, causal, ms, flops):
    return json.dumps({"bench": "attention", "impl": "pytorch " + torch.__version__, "pass": pass_, "dtype": a.dtype, "batch": b,
                       "heads": h, "kv_heads": h, "seq": t, "head_dim": d, "causal": causal, "median_ms": round(ms, 4),
                       "tflops": round(flops / (ms * 1e-3) / 1e12, 1), "sdpa_backends": backends,
                       "device": torch.cuda.get_device_name()}, separators=(",", ":"))


for b, h, t, d, causal in shapes:
    qs = [torch.randn(b, h, t, d, device=dev, dtype=dt, requires_grad=True) for _ in range(2)]
    ks = [torch.randn(b, h, t, d, device=dev, dtype=dt, requires_grad=True) for _ in range(2)]
    vs = [torch.randn(b, h, t, d, device=dev, dtype=dt, requires_grad=True) for _ in range(2)]
    fwd_flops = 4.0 * b * h * t * t * d * (0.5 if causal else 1.0)
    i = [0]

    def fwd():
        j = i[0] % 2
        i[0] += 1
        with torch.no_grad():
            F.scaled_dot_product_attention(qs[j], ks[j], vs[j], is_causal=causal)

    print(line("fwd", b, h, t, d, causal, median_ms_per_call(fwd), fwd_flops), flush=True)
    if not a.no_backward:
        outs = [F.scaled_dot_product_attention(qs[j], ks[j], vs[j], is_causal=causal) for j in range(2)]
        grads = [torch.randn_like(o) for o in outs]

        def bwd():
            j = i[0] % 2
            i[0] += 1
            torch.autograd.grad(outs[j], (qs[j], ks[j], vs[j]), grads[j], retain_graph=True)

        print(line("bwd", b, h, t, d, causal, median_ms_per_call(bwd), 2.5 * fwd_flops), flush=True)
    del qs, ks, vs
    torch.cuda.empty_cache()
