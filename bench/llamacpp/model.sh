#!/usr/bin/env bash
# The random-weight model `tools/racro4j bench rollout` times, as a checkpoint and an F32 GGUF file, made once per shape
# and kept under bench/llamacpp/build/models/:
#
#   bench/llamacpp/model.sh --layers L --dim D --heads H --kv-heads K --vocab V
#
# Prints the checkpoint directory; the GGUF file is that path with .gguf appended.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
(( $# == 10 )) || { echo "llamacpp/model.sh: need --layers L --dim D --heads H --kv-heads K --vocab V" >&2; exit 2; }
name=$(printf '%s' "$*" | tr -d '-' | tr ' ' '_')
dir=$here/build/models/$name
if [[ ! -f $dir.gguf ]]; then
  mkdir -p "$here/build/models"
  rm -rf "$dir"
  "$root/tools/racro4j" bench make-model "$@" --out "$dir" >&2
  "$root/tools/racro4j" export-gguf --model "$dir" --out "$dir.gguf" >&2
fi
echo "$dir"
