#!/usr/bin/env bash
# llama.cpp peer of `tools/racro4j bench rollout` and bench/python/rollout.py, with the same flags:
#
#   bench/llamacpp/rollout.sh --layers L --dim D --heads H --kv-heads K --vocab V --batch B --prompt-len P
#                             --new-tokens N [--group G] [--warmup W] [--repeats R] [--threads T]
#                             [--kv-type f32|f16] [--flash-attn off|on|auto]
#
# Saves the very random-weight model `bench rollout` times and exports it to F32 GGUF (model.sh: `tools/racro4j bench
# make-model` with the same shape flags, then `tools/racro4j export-gguf`; kept under bench/llamacpp/build/models/), and runs
# peer.c's rollout on it: B sequences in one llama.cpp context, decoded together, sampling at temperature 1.
# Prints one JSON line (the schema of rollout.py's). --device and --dtype are accepted for rollout.py's sake;
# only cpu / f32 run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shape=() run=() threads=$(nproc)
while (( $# )); do
  case "$1" in
    --layers|--dim|--heads|--kv-heads|--vocab) shape+=("$1" "$2"); shift 2 ;;
    --batch|--prompt-len|--new-tokens|--group|--warmup|--repeats|--kv-type|--flash-attn) run+=("$1" "$2"); shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --device) [[ $2 == cpu ]] || { echo "llamacpp/rollout.sh: only --device cpu" >&2; exit 2; }; shift 2 ;;
    --dtype) [[ $2 == f32 ]] || { echo "llamacpp/rollout.sh: only --dtype f32" >&2; exit 2; }; shift 2 ;;
    *) echo "llamacpp/rollout.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
(( ${#shape[@]} == 10 )) || { echo "llamacpp/rollout.sh: need --layers --dim --heads --kv-heads --vocab" >&2; exit 2; }
peer=$("$here/setup.sh")
model=$("$here/model.sh" "${shape[@]}")
exec "$peer" rollout "$model.gguf" "${run[@]}" --threads "$threads"
