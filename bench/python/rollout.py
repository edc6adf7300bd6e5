#!/usr/bin/env python3
"""PyTorch peer of `tools/racro4j bench rollout`: same flags, same model (random weights), same JSON line.

Prefill of [batch, prompt_len] random tokens, then new_tokens - 1 decode steps with a KV cache for the whole
batch, sampling at temperature 1 (the Hugging Face generate() loop: one forward per step, cache concatenated).
With --group G the batch is batch / G prompts with G samples each: each prompt is prefilled once and its cache rows
repeated G times (repeat_interleave), as racro4j forks its cache; the plain times are not measured here.

With --stop-spread A:B it runs --requests sequences (default 4 x batch), sequence i generating a number of tokens
drawn from [A, B] by splitmix64(i) exactly as racro4j does (SpreadRolloutBench.newTokens), its simple best way: in
consecutive batches of --batch, each batch decoded with the KV cache until its longest sequence. It reports useful
tokens/s: each sequence's own new tokens (not the steps a batch runs past a sequence's end) over the whole time.
"""
import argparse, json, os, statistics, time
import torch
from qwen2_peer import Qwen2Peer, add_shape_args, torch_dtype

p = argparse.ArgumentParser()
add_shape_args(p)
p.add_argument("--batch", type=int, required=True)
p.add_argument("--prompt-len", type=int, required=True)
p.add_argument("--new-tokens", type=int, required=True)
p.add_argument("--group", type=int, default=1)
p.add_argument("--stop-spread", default=None, help="A:B: sequences generate a number of tokens drawn from [A, B]")
p.add_argument("--requests", type=int, default=0, help="sequences in a --stop-spread run (0 = 4 x batch)")
p.add_argument("--warmup", type=int, default=1)
p.add_argument("--repeats", type=int, default=3)
a = p.parse_args()
torch.set_num_threads(a.threads or os.cpu_count())
torch.manual_seed(2)
dev = torch.device(a.device)
model = Qwen2Peer(a.layers, a.dim, a.heads, a.kv_heads, a.vocab, a.intermediate or None).to(dev, torch_dtype(a.dtype)).eval()
if a.group < 1 or a.batch % a.group:
    raise SystemExit(f"rollout: --group {a.group} must be at least 1 and divide --batch {a.batch}")


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()


def splitmix_tokens(i, lo, hi):
    """Sequence i's number of new tokens, uniform in [lo, hi]: the same numbers as racro4j's SpreadRolloutBench."""
    m = (1 << 64) - 1
    z = (i + 0x9E3779B97F4A7C15) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    z ^= z >> 31
    return lo + z % (hi - lo + 1)


def generate(prompts, new_tokens):
    """The KV-cache loop: prefill, then one forward per new token for the whole batch until new_tokens."""
    caches = [[None, None] for _ in model.layers]
    logits = model(prompts, 0, caches)[:, -1]
    tok = torch.multinomial(logits.float().softmax(-1), 1)
    for step in range(1, new_tokens):
        logits = model(tok, a.prompt_len + step - 1, caches)[:, -1]
        tok = torch.multinomial(logits.float().softmax(-1), 1)


if a.stop_spread:
    try:
        lo, hi = (int(x) for x in a.stop_spread.split(":"))
    except ValueError:
        raise SystemExit(f"rollout: --stop-spread must be A:B (two integers), got {a.stop_spread!r}")
    if not 1 <= lo <= hi <= a.new_tokens:
        raise SystemExit(f"rollout: --stop-spread {lo}:{hi} must satisfy 1 <= A <= B <= --new-tokens ({a.new_tokens})")
    if a.group != 1:
        raise SystemExit("rollout: --stop-spread and --group cannot be combined")
    n = a.requests or 4 * a.batch
    lengths = [splitmix_tokens(i, lo, hi) for i in range(n)]
    prompts = torch.randint(0, a.vocab, (n, a.prompt_len), device=dev)
    times = []
    with torch.no_grad():
        for r in range(a.warmup + a.repeats):
            t0 = time.perf_counter()
            for start in range(0, n, a.batch):
                generate(prompts[start:start + a.batch], max(lengths[start:start + a.batch]))
            sync()
            if r >= a.warmup:
                times.append(time.perf_counter() - t0)
    tot = statistics.median(times)
    print(json.dumps({"threads": torch.get_num_threads(), "bench": "rollout", "impl": "pytorch " + torch.__version__, "device": a.device,
                      "dtype": a.dtype, "intermediate": a.intermediate or 3 * a.dim, "layers": a.layers, "dim": a.dim, "heads": a.heads,
                      "kv_heads": a.kv_heads, "vocab": a.vocab, "batch": a.batch, "prompt_len": a.prompt_len,
                      "new_tokens": a.new_tokens, "stop_spread": f"{lo}:{hi}", "requests": n, "useful_tokens": sum(lengths),
                      "useful_tokens_per_s": round(sum(lengths) / tot, 1), "seconds": round(tot, 3)}, separators=(",", ":")))
    raise SystemExit(0)

prompts = torch.randint(0, a.vocab, (a.batch // a.group, a.prompt_len), device=dev)


prefill_t, total_t = [], []
with torch.no_grad():
    for r in range(a.warmup + a.repeats):
        caches = [[None, None] for _ in model.layers]
        t0 = time.perf_counter()
        logits = model(prompts, 0, caches)[:, -1]
        if a.group > 1:
            caches = [[k.repeat_interleave(a.group, 0), v.repeat_interleave(a.group, 0)] for k, v in caches]
            logits = logits.repeat_interleave(a.group, 0)
        sync()
        t1 = time.perf_counter()
        tok = torch.multinomial(logits.float().softmax(-1), 1)
        for step in range(1, a.new_tokens):
            logits = model(tok, a.prompt_len + step - 1, caches)[:, -1]
            tok = torch.multinomial(logits.float().softmax(-1), 1)
        sync()
        t2 = time.perf_counter()
        if r >= a.warmup:
            prefill_t.append(t1 - t0)
            total_t.append(t2 - t0)
pre, tot = statistics.median(prefill_t), statistics.median(total_t)
print(json.dumps({"threads": torch.get_num_threads(), "bench": "rollout", "impl": "pytorch " + torch.__version__, "device": a.device, "dtype": a.dtype,
                  "intermediate": a.intermediate or 3 * a.dim, "layers": a.layers,
                  "dim": a.dim, "heads": a.heads, "kv_heads": a.kv_heads, "vocab": a.vocab, "batch": a.batch,
                  "prompt_len": a.prompt_len, "new_tokens": a.new_tokens,
                  "prefill_tokens_per_s": round(a.batch * a.prompt_len / pre, 1),
                  "decode_tokens_per_s": round(a.batch * (a.new_tokens - 1) / max(tot - pre, 1e-9), 1),
                  "seconds": round(tot, 3), **({"group": a.group} if a.group > 1 else {})}, separators=(",", ":")))
