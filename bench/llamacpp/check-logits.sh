#!/usr/bin/env bash
# Does llama.cpp compute what racro4j computes on the same checkpoint? Exports MODEL_DIR to F32 GGUF, feeds one prompt
# of random token ids (seeded) to both, and compares the logits of its last position:
#
#   bench/llamacpp/check-logits.sh MODEL_DIR [PROMPT_LEN]      (default 9 tokens)
#
# Prints one JSON line: max |difference|, the largest |logit|, the tolerance, whether the argmax agrees, and pass.
# Exit status 0 on pass, 1 on fail. llama.cpp runs with an F32 KV cache and flash attention off (its CPU flash
# attention rounds through F16), so both sides compute in F32 and differ only in the order of their sums.
# Tolerance: 1e-4 x max(1, largest |logit|). F32 sums of K terms in another order differ by about sqrt(K) x 6e-8 of
# their magnitude (measured: 1e-7 on a 2-layer dim-64 model), far below it; a wrong layout (an unpermuted Llama q/k,
# a wrong rope base, norm epsilon or tensor) moves logits by a sizeable fraction of their scale, far above it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
model=${1:?usage: check-logits.sh MODEL_DIR [PROMPT_LEN]}
len=${2:-9}
PY=${PYTHON:-python3}
peer=$("$here/setup.sh")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$root/tools/racro4j" export-gguf --model "$model" --out "$tmp/model.gguf" >&2
ids=$("$PY" -c "import json, random, sys
v = json.load(open(sys.argv[1]))['vocab_size']
r = random.Random(7)
print(','.join(str(r.randrange(v)) for _ in range(int(sys.argv[2]))))" "$model/config.json" "$len")
"$peer" logits "$tmp/model.gguf" --threads 1 ${ids//,/ } > "$tmp/llamacpp.json"
"$root/tools/racro4j" bench logits --model "$model" --ids "$ids" > "$tmp/racro4j.json"
"$PY" - "$tmp/llamacpp.json" "$tmp/racro4j.json" "$model" "$ids" <<'PYEOF'
import json, sys
peer = json.load(open(sys.argv[1]))["logits"]
ours = json.load(open(sys.argv[2]))["logits"]
if len(peer) != len(ours):
    print(json.dumps({"bench": "logits-check", "model": sys.argv[3], "pass": False,
                      "error": "llama.cpp gave %d logits, racro4j %d" % (len(peer), len(ours))}))
    sys.exit(1)
diff = max(abs(a - b) for a, b in zip(peer, ours))
scale = max(abs(b) for b in ours)
tol = 1e-4 * max(1.0, scale)
argmax = max(range(len(ours)), key=ours.__getitem__) == max(range(len(peer)), key=peer.__getitem__)
ok = diff <= tol and argmax
print(json.dumps({"bench": "logits-check", "impl": "llama.cpp", "model": sys.argv[3], "prompt_len": len(sys.argv[4].split(",")),
                  "n_vocab": len(ours), "max_abs_diff": float("%.3g" % diff), "max_abs_logit": round(scale, 4),
                  "tolerance": float("%.3g" % tol), "argmax_agrees": argmax, "pass": ok}, separators=(",", ":")))
sys.exit(0 if ok else 1)
PYEOF
