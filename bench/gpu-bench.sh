#!/usr/bin/env bash
# Runs racro4j's GPU benchmarks and their PyTorch peers on this machine, one after the other, keeps every JSON line
# under $RESULTS (default bench-results/<date>), then prints the side-by-side ratios (bench/python/gpu_ratios.py).
# Those files fill the GPU section of docs/PERFORMANCE.md: bring them back and add them to the report command,
#   tools/racro4j bench report --out docs/PERFORMANCE.md bench/results/<cpu run>.jsonl bench-results/<date>/*.jsonl
#
#   bench/gpu-bench.sh                 # from the project root, after building .devbundle (shared/gpu/README.md)
#   RACRO4J_RUN="tools/racro4j" ...     # any launcher that takes a main class and its arguments
#   TOKENS=4096 DECODE_BATCH=64 ...     # the GEMM rows (M) of the Qwen2 layer shapes, the decode batch
#   bench/gpu-bench.sh --list           # the steps, in order; bench/gpu-bench.sh STEP... runs only those
#                                       # (bench/gpu-bringup.sh runs them one by one, each under its own timeout)
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${RACRO4J_RUN:-.devbundle/run.sh}
PY=${PYTHON:-python3}
TOKENS=${TOKENS:-4096}
DECODE_BATCH=${DECODE_BATCH:-64}
PROMPT=${PROMPT:-128}
NEW=${NEW:-128}
STEPS=(machine gemm_racro4j gemm_torch attention_racro4j attention_torch kernels_racro4j decode_racro4j decode_torch ratios)
if [[ "${1:-}" == --list ]]; then printf '%s\n' "${STEPS[@]}"; exit 0; fi
RESULTS=${RESULTS:-bench-results/$(date -u +%Y-%m-%dT%H%MZ)}
mkdir -p "$RESULTS"

step() {
    case $1 in
    machine)
        nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv | tee "$RESULTS/gpu.txt"
        # The machine as a JSON line, which the report shows beside the GPU numbers.
        $PY -c 'import json, sys; print(json.dumps({"bench": "machine", "scope": "gpu", "gpu": sys.argv[1], "date": sys.argv[2]}))' \
            "$(nvidia-smi --id=0 --query-gpu=name,driver_version --format=csv,noheader)" "$(date -u '+%Y-%m-%d %H:%M UTC')" \
            > "$RESULTS/machine.jsonl";;
    gemm_racro4j) $RUN org.racro4j.kernels.bench.GemmBench --tokens "$TOKENS" | tee "$RESULTS/gemm_racro4j.jsonl";;
    gemm_torch) $PY bench/python/gemm_peer.py --tokens "$TOKENS" | tee "$RESULTS/gemm_torch.jsonl";;
    attention_racro4j) $RUN org.racro4j.kernels.bench.AttentionBench | tee "$RESULTS/attention_racro4j.jsonl";;
    attention_torch) $PY bench/python/attention_peer.py | tee "$RESULTS/attention_torch.jsonl";;
    kernels_racro4j) $RUN org.racro4j.kernels.bench.BandwidthBench | tee "$RESULTS/kernels_racro4j.jsonl";;
    decode_racro4j)
        $RUN org.racro4j.bench.DecodeBench --batch "$DECODE_BATCH" --prompt-len "$PROMPT" --new-tokens "$NEW" \
            | tee "$RESULTS/decode_racro4j.jsonl";;
    decode_torch)
        $PY bench/python/rollout.py --layers 24 --dim 896 --heads 14 --kv-heads 2 --vocab 151936 --intermediate 4864 --dtype bf16 \
            --device cuda --batch "$DECODE_BATCH" --prompt-len "$PROMPT" --new-tokens "$NEW" | tee "$RESULTS/decode_torch.jsonl";;
    ratios) $PY bench/python/gpu_ratios.py "$RESULTS"/*.jsonl | tee "$RESULTS/ratios.txt";;
    *) echo "gpu-bench.sh: no step '$1' (--list lists them)" >&2; return 2;;
    esac
}

if (( $# == 0 )); then set -- "${STEPS[@]}"; fi
for s in "$@"; do step "$s"; done
