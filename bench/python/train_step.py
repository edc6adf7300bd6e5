#!/usr/bin/env python3
"""PyTorch peer of `tools/racro4j bench train-step`: same flags, same model, same JSON line.

One step = forward over [batch, seq] random tokens + next-token cross-entropy + backward + AdamW; median of the
timed steps after warm-up, batches rotated among three.
"""
import argparse, json, os, statistics, time
import torch
import torch.nn.functional as F
from qwen2_peer import Qwen2Peer, add_shape_args, torch_dtype

p = argparse.ArgumentParser()
add_shape_args(p)
p.add_argument("--seq", type=int, required=True)
p.add_argument("--batch", type=int, required=True)
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--steps", type=int, default=10)
a = p.parse_args()
torch.set_num_threads(a.threads or os.cpu_count())
torch.manual_seed(1)
dev = torch.device(a.device)
model = Qwen2Peer(a.layers, a.dim, a.heads, a.kv_heads, a.vocab, a.intermediate or None).to(dev, torch_dtype(a.dtype))
decay = [p for p in model.parameters() if p.dim() >= 2]
no_decay = [p for p in model.parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                        lr=1e-4, betas=(0.9, 0.95), eps=1e-8)
batches = [torch.randint(0, a.vocab, (a.batch, a.seq), device=dev) for _ in range(3)]
times = []
for s in range(a.warmup + a.steps):
    ids = batches[s % 3]
    t0 = time.perf_counter()
    logits = model(ids)
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, a.vocab), ids[:, 1:].reshape(-1))
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    if s >= a.warmup:
        times.append((time.perf_counter() - t0) * 1000)
ms = statistics.median(times)
print(json.dumps({"threads": torch.get_num_threads(), "bench": "train_step", "impl": "pytorch " + torch.__version__, "device": a.device, "layers": a.layers,
                  "dim": a.dim, "heads": a.heads, "kv_heads": a.kv_heads, "vocab": a.vocab, "seq": a.seq, "batch": a.batch,
                  "params": sum(p.numel() for p in model.parameters()), "ms_per_step": round(ms, 2),
                  "tokens_per_s": round(a.batch * a.seq / (ms / 1000), 1)}, separators=(",", ":")))
