#!/usr/bin/env python3
"""numpy/OpenBLAS peer of org.racro4j.bench.MatmulBench: the same method, so the two numbers compare.

C = A @ B in float32 via np.matmul(a, b, out=c) (no output allocation, like the Java harness calling the
kernel directly); warm-up calls (at least one second's worth); then --iters timed samples, each the mean of enough back-to-back calls
to last about 2 ms; inputs rotate over several pre-made (A, B) pairs (together ~64 MB where sizes allow, twice
the L3 here); the MEDIAN sample is reported in GFLOP/s (2*M*N*K flops per matrix).

    python3 bench/python/matmul_numpy.py --size 1024 [--threads T]
    python3 bench/python/matmul_numpy.py --shape 64,48,48,48
    python3 bench/python/matmul_numpy.py --shape 1,2048,256,1024,t     (B as the transpose of a [N, K] array)
"""
import argparse
import json
import os
import sys

POOL_BYTES = 64 << 20
MAX_PAIRS = 8
SAMPLE_SECONDS = 2e-3
WARMUP_SECONDS = 1.0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--shape", type=str, default=None, help="B,M,K,N[,t]")
    p.add_argument("--threads", type=int, default=None, help="BLAS threads (default: all cores)")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--iters", type=int, default=15)
    args = p.parse_args()

    threads = args.threads or os.cpu_count()
    # OpenBLAS reads these when it is loaded, so they must be set before numpy is imported.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    import time
    import numpy as np

    if args.shape:
        f = args.shape.split(",")
        batch, m, k, n = (int(x) for x in f[:4])
        trans_b = len(f) > 4 and f[4] == "t"
    else:
        batch, m, k, n = 1, args.size, args.size, args.size
        trans_b = False

    pair_bytes = 4 * batch * (m * k + k * n)
    pairs = max(2, min(MAX_PAIRS, -(-POOL_BYTES // pair_bytes)))
    rng = np.random.default_rng(1234)

    def operand(rows, cols):
        x = rng.uniform(-1, 1, size=(batch, rows, cols)).astype(np.float32)
        return x if batch > 1 else x[0]

    a_list = [operand(m, k) for _ in range(pairs)]
    b_list = [np.swapaxes(operand(n, k), -1, -2) if trans_b else operand(k, n) for _ in range(pairs)]
    c = np.empty((batch, m, n) if batch > 1 else (m, n), dtype=np.float32)

    # Warm-up: at least --warmup calls and at least WARMUP_SECONDS (the Java harness needs that for its JIT).
    nxt = 0
    warm = 0
    t0 = time.perf_counter()
    while warm < max(1, args.warmup) or time.perf_counter() - t0 < WARMUP_SECONDS:
        np.matmul(a_list[nxt % pairs], b_list[nxt % pairs], out=c)
        nxt += 1
        warm += 1
    # Calls per timed sample, from the speed of the last (warm) calls.
    probe = min(warm, 3)
    t1 = time.perf_counter()
    for _ in range(probe):
        np.matmul(a_list[nxt % pairs], b_list[nxt % pairs], out=c)
        nxt += 1
    per_call = max(1e-9, (time.perf_counter() - t1) / probe)
    reps = int(max(1, min(100_000, SAMPLE_SECONDS / per_call)))

    flops = 2.0 * batch * m * n * k
    samples = []
    for _ in range(args.iters):
        start = time.perf_counter()
        for _ in range(reps):
            np.matmul(a_list[nxt % pairs], b_list[nxt % pairs], out=c)
            nxt += 1
        samples.append(flops * reps / (time.perf_counter() - start) / 1e9)
    g = float(np.median(samples))

    if args.shape:
        line = {"op": "matmul_numpy", "shape": [batch, m, k, n], "transB": trans_b, "gflops": round(g, 1), "threads": threads}
    else:
        line = {"op": "matmul_numpy", "n": args.size, "gflops": round(g, 1), "threads": threads}
    print(json.dumps(line, separators=(",", ":")))


if __name__ == "__main__":
    sys.exit(main())
