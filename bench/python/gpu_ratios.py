#!/usr/bin/env python3
"""Reads the JSON lines of racro4j's GPU benchmarks and of their PyTorch peers (any number of files, or stdin) and
prints racro4j against its peers, side by side, with the issue's goals:

  gemm       each rung's TFLOP/s, its ratio to cuBLAS (version 0, same run) and to torch.matmul; goals: >= 0.70 of
             cuBLAS at 4096^3 BF16, >= 0.50 at Qwen2-0.5B layer shapes (the best racro4j rung of rungs 1-3)
  attention  fused forward/backward TFLOP/s against PyTorch SDPA; goal: forward >= 0.60 at seq 4096, head dim 128
  decode     tokens/s of graph and eager decoding against the PyTorch KV-cache loop (rollout.py)
Needs only the standard library.
"""
import json, sys


def load(paths):
    rows = []
    streams = [open(p) for p in paths] if paths else [sys.stdin]
    for f in streams:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    return rows


def ours(r):
    return r.get("impl") == "racro4j"


def gemm(rows):
    g = [r for r in rows if r.get("bench") == "gemm" and "tflops" in r]
    if not g:
        return
    print("GEMM (TFLOP/s)")
    print(f"{'shape':28} {'m x n x k':22} {'rung':34} {'TFLOP/s':>8} {'/cuBLAS':>8} {'/torch':>7}  goal")
    for name in dict.fromkeys(r["name"] for r in g):
        mine = [r for r in g if ours(r) and r["name"] == name]
        peer = next((r for r in g if not ours(r) and r["name"] == name), None)
        cublas = next((r for r in mine if r["version"].startswith("v0")), None)
        best = max((r for r in mine if not r["version"].startswith("v0")), key=lambda r: r["tflops"], default=None)
        goal = 0.70 if name == "square_4096" else 0.50
        for r in mine:
            vs_cublas = r["tflops"] / cublas["tflops"] if cublas else None
            vs_torch = r["tflops"] / peer["tflops"] if peer else None
            mark = ""
            if r is best and vs_cublas is not None:
                mark = f">= {goal:.2f}: {'met' if vs_cublas >= goal else 'NOT met'}"
            print(f"{name:28} {str(r['m']) + 'x' + str(r['n']) + 'x' + str(r['k']):22} {r['version'] + ' ' + r.get('kernel', ''):34} "
                  f"{r['tflops']:8.1f} {fmt(vs_cublas):>8} {fmt(vs_torch):>7}  {mark}")
        if peer:
            print(f"{name:28} {'':22} {peer['impl']:34} {peer['tflops']:8.1f}")
    print()


def attention(rows):
    a = [r for r in rows if r.get("bench") == "attention" and "tflops" in r]
    if not a:
        return
    print("Attention (TFLOP/s, FlashAttention's flop count)")
    print(f"{'pass':5} {'B x H x T x D':20} {'causal':7} {'racro4j':>8} {'torch':>8} {'ratio':>6}  goal")
    for r in (r for r in a if ours(r)):
        key = (r["pass"], r["batch"], r["heads"], r["seq"], r["head_dim"], r["causal"])
        peer = next((p for p in a if not ours(p) and (p["pass"], p["batch"], p["heads"], p["seq"], p["head_dim"], p["causal"]) == key), None)
        ratio = r["tflops"] / peer["tflops"] if peer else None
        goal = ""
        if r["pass"] == "fwd" and r["seq"] == 4096 and r["head_dim"] == 128 and ratio is not None:
            goal = f">= 0.60: {'met' if ratio >= 0.60 else 'NOT met'}"
        shape = f"{r['batch']}x{r['heads']}x{r['seq']}x{r['head_dim']}"
        print(f"{r['pass']:5} {shape:20} {str(r['causal']):7} {r['tflops']:8.1f} {(peer['tflops'] if peer else float('nan')):8.1f} {fmt(ratio):>6}  {goal}")
    print()


def decode(rows):
    d = [r for r in rows if r.get("bench") == "decode"]
    peer = [r for r in rows if r.get("bench") == "rollout" and not ours(r) and r.get("device") == "cuda"]
    if not d:
        return
    print("Decode (tokens/s, batch x new tokens per second, prefill excluded)")
    for r in d:
        p = next((p for p in peer if p.get("batch") == r["batch"] and p.get("new_tokens") == r["new_tokens"]), None)
        ratio = r["decode_tokens_per_s"] / p["decode_tokens_per_s"] if p else None
        print(f"racro4j {r['mode']:6} batch {r['batch']:3} prompt {r['prompt_len']:4} new {r['new_tokens']:4}: "
              f"{r['decode_tokens_per_s']:10.1f} tok/s ({r['ms_per_step']:.2f} ms/step)"
              + (f"   torch {p['decode_tokens_per_s']:10.1f} tok/s   ratio {ratio:.2f}" if p else ""))
    print()


def fmt(x):
    return "" if x is None else f"{x:.2f}"


if __name__ == "__main__":
    rows = load(sys.argv[1:])
    gemm(rows)
    attention(rows)
    decode(rows)
