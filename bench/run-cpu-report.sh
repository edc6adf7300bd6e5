#!/usr/bin/env bash
# Measures racro4j against its peers on this machine's CPU, one after the other, keeps every JSON line in ONE raw file
# (with a description of the machine and the command before each block of lines), then writes the report from that
# file alone: docs/PERFORMANCE.md, docs/perf-ratios.png and docs/perf-scaling.png (`tools/racro4j bench report`).
#
#   bench/run-cpu-report.sh            # the full run; raw file bench/results/<date>-cpu.jsonl, JMH's log beside it
#   bench/run-cpu-report.sh --quick    # tiny sizes, few iterations: tests the pipeline end to end in well under a
#                                      # minute; writes under bench/results/quick/ (ignored by git), never docs/
#   bench/run-cpu-report.sh --no-jmh   # leave out the JMH suites (the longest part of the full run)
#
# Run it from a quiet machine: anything else using the CPU lowers both sides, unevenly. What it runs, in order:
# matmul (256, 512, 1024) racro4j vs numpy; a training step racro4j vs PyTorch on two Qwen2-shaped models; rollout
# (prefill + KV-cache decode) racro4j vs PyTorch and vs llama.cpp on the same models, plain and in GRPO groups (64
# sequences as 8 prompts of 8 samples, each prompt prefilled once), and with spread lengths (64 sequences of 8 to 64 new
# tokens, 16 at a time: racro4j with and without continuous batching, PyTorch in batches run until their longest);
# llama.cpp's logits against racro4j's on the larger rollout model; the training-step scaling sweep; the JMH suites.
#
# llama.cpp (bench/llamacpp/) is installed first by bench/llamacpp/setup.sh (npm, git, gcc); when that fails, its rows are
# left out and the failed setup is listed among the commands.
#
# Every comparison runs at each thread count from 1 to the machine's cores, on both sides, and the report takes each
# side at its best thread count (named in the row): small models often run fastest on one thread, and comparing at a
# count that suits only one side would flatter it. The whole sweep runs ROUNDS times (default 2), the sides taking
# turns, and each side counts at its best run: on the 2-core VMs this project runs on, one command's timing moves by
# 10-50% from run to run (PyTorch's larger training step took 147, 155 and 196 ms in three runs on one day), so a
# single slow run of either side would decide a ratio.
#
# Environment:
#   PYTHON           the Python with torch and numpy (default /usr/bin/python3; bench/python/setup.sh installs them)
#   RACRO4J_THREADS  one thread count for both sides instead of the sweep 1..cores (racro4j's launcher reads it; the
#                    peers get it as --threads)
#   ROUNDS           how many times the comparisons run (default 2; 1 with --quick)
#   RESULTS          the raw file to write (default above)
#   OUT              the report to write (default docs/PERFORMANCE.md; bench/results/quick/PERFORMANCE.md with --quick)
#   GPU_RESULTS      GPU result files from bench/gpu-bench.sh to add to the report's GPU section (space-separated)
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
jmh=1
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --no-jmh) jmh=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-cpu-report.sh: unknown argument $arg (expected --quick, --no-jmh)" >&2; exit 2 ;;
  esac
done

PY=${PYTHON:-/usr/bin/python3}
[[ -x "$PY" ]] || PY=python3
RUN=tools/racro4j
stamp=$(date -u +%Y-%m-%dT%H%MZ)
if (( quick )); then
  RAW=${RESULTS:-bench/results/quick/$stamp-cpu-quick.jsonl}
  OUT=${OUT:-bench/results/quick/PERFORMANCE.md}
else
  RAW=${RESULTS:-bench/results/$stamp-cpu.jsonl}
  OUT=${OUT:-docs/PERFORMANCE.md}
fi
LOG=${RAW%.jsonl}.log
mkdir -p "$(dirname "$RAW")"
: > "$RAW"
: > "$LOG"
if [[ -n "${RACRO4J_THREADS:-}" ]]; then THREAD_COUNTS=("$RACRO4J_THREADS"); else mapfile -t THREAD_COUNTS < <(seq 1 "$(nproc)"); fi
if (( quick )); then ROUNDS=${ROUNDS:-1}; else ROUNDS=${ROUNDS:-2}; fi
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "run-cpu-report.sh: ROUNDS must be a positive integer, got '$ROUNDS'" >&2; exit 2; }

json() { # a JSON string
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# Runs one command from the repository root: its stdout (JSON lines) goes to the raw file, between a "command" line
# and a "done" line with its exit status and duration; its stderr goes to the log. A failure is recorded and the run
# goes on, so one missing peer does not lose the other results (the report lists failed commands).
step() {
  local cmd="$*" rc=0 t0 t1
  echo "{\"bench\":\"command\",\"cmd\":$(json "$cmd")}" >> "$RAW"
  echo ">> $cmd" | tee -a "$LOG" >&2
  t0=$(date +%s.%N)
  "$@" >> "$RAW" 2>> "$LOG" || rc=$?
  t1=$(date +%s.%N)
  echo "{\"bench\":\"done\",\"cmd\":$(json "$cmd"),\"rc\":$rc,\"seconds\":$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")}" >> "$RAW"
  (( rc == 0 )) || echo "   failed (exit $rc); see $LOG" >&2
}

started=$(date +%s)
echo "racro4j: building if needed ..." >&2
$RUN --version >&2

# The llama.cpp peer: installed (or found installed) before the machine line, which names its version.
step bash -c 'bench/llamacpp/setup.sh > /dev/null'
LLAMACPP=0
[[ -x bench/llamacpp/build/peer ]] && LLAMACPP=1

# The machine, one JSON line (Python only for the JSON encoding and the peers' versions).
QUICK=$quick THREADS="${THREAD_COUNTS[*]}" ROUNDS=$ROUNDS "$PY" - >> "$RAW" <<'EOF'
import json, os, platform, re, subprocess, datetime

def out(*cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return re.sub(r"\x1b\[[0-9;]*m", "", (r.stdout + r.stderr)).strip()
    except Exception as e:
        return "unavailable (%s)" % e

def version(module):
    try:
        return __import__(module).__version__
    except Exception as e:
        return "not installed (%s)" % type(e).__name__

def llama_cpp():
    try:
        base = "bench/llamacpp/node_modules/node-llama-cpp/"
        version = json.load(open(base + "package.json"))["version"]
        tag = json.load(open(base + "llama/llama.cpp.info.json"))["tag"]
        return "node-llama-cpp %s (llama.cpp release %s), CPU libraries of @node-llama-cpp/linux-x64" % (version, tag)
    except Exception as e:
        return "not installed (%s)" % type(e).__name__

lscpu = out("lscpu")
model = next((l.split(":", 1)[1].strip() for l in lscpu.splitlines() if l.startswith("Model name")), platform.processor())
mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), None) if os.path.exists("/proc/meminfo") else None
osname = platform.platform()
if os.path.exists("/etc/os-release"):
    osname = next((l.split("=", 1)[1].strip().strip('"') for l in open("/etc/os-release") if l.startswith("PRETTY_NAME")), osname)
commit = out("git", "rev-parse", "--short", "HEAD")
if out("git", "status", "--porcelain", "--untracked-files=no"):
    commit += " (with uncommitted changes)"
java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
print(json.dumps({
    "bench": "machine", "scope": "cpu", "mode": "quick" if os.environ["QUICK"] == "1" else "full",
    "date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
    "cpu_model": model, "cores": os.cpu_count(),
    "memory": "%.1f GiB" % (int(mem) / 2**20) if mem else "unknown",
    "os": osname, "load": " ".join("%.2f" % x for x in os.getloadavg()),
    "java": out(java, "-version").splitlines()[0], "mvn": out("mvn", "-v").splitlines()[0],
    "python": platform.python_version(), "torch": version("torch"), "numpy": version("numpy"), "llama_cpp": llama_cpp(),
    "commit": commit, "threads": os.environ["THREADS"].replace(" ", ", "), "rounds": os.environ["ROUNDS"],
}, separators=(",", ":")))
EOF

if (( quick )); then
  SIZES=(64)
  MM=(--warmup 1 --iters 3)
  SHAPES=("--layers 1 --dim 32 --heads 2 --kv-heads 1 --vocab 64")
  TRAIN=(--seq 16 --batch 2 --warmup 1 --steps 2)
  ROLL=(--batch 2 --prompt-len 4 --new-tokens 4 --warmup 1 --repeats 1)
  ROLL_GROUP=(--batch 4 --group 2 --prompt-len 4 --new-tokens 4 --warmup 1 --repeats 1)
  ROLL_SPREAD=(--batch 2 --requests 5 --prompt-len 4 --new-tokens 6 --stop-spread 1:6 --warmup 1 --repeats 1)
  SCALING=(--quick --warmup 1 --steps 1)
  JMH=(--quick)
else
  SIZES=(256 512 1024)
  MM=()
  # The small Qwen2-shaped model, and a larger one; both train on batch 8 (seq 64, then 128).
  SHAPES=("--layers 2 --dim 128 --heads 4 --kv-heads 2 --vocab 512" "--layers 4 --dim 256 --heads 8 --kv-heads 2 --vocab 2048")
  TRAIN_SEQ=(64 128)
  # Warm-up in steps, the same for both sides: the JVM compiles its hot loops during the first seconds, so the small
  # model (about 16-20 ms a step) gets 200 untimed steps: the medians of its steps 0-49, 50-99, 100-149, 150-199 and
  # from there on took 27-30, 18-19, 17.3-17.6, 17.1-17.8 and 16.2-17.4 ms (two threads, two runs; the C2 compiler
  # threads still took 13% of a 16 s run's CPU samples), and 50 warm-up steps measured 18.0-19.4 ms where 300 measured
  # 12.1-16.5. The larger one (100-200 ms a step) gets 40: one run's steps 2-18 took 128-179 ms and steps 19-59
  # 98-132 ms (2 threads), so 10 warm-up steps timed the compiler's work as much as the step's.
  TRAIN_TIMING=("--warmup 200 --steps 50" "--warmup 40 --steps 20")
  # A run takes 0.03-0.4 s: warm the JIT, the same for every side. The small model's prefill reaches its steady 2.0 ms
  # only after about 150 calls (a harness calling it in a loop: 13.7 ms at call 10, 3.5 at 40, 2.4 at 160); with 10
  # warm-up runs the report measured it at 0.6x PyTorch, in the steady state it is 1.3x.
  ROLL=(--batch 8 --prompt-len 32 --new-tokens 32 --warmup 60 --repeats 10)
  # GRPO's groups: 8 prompts of 64 tokens, 8 samples each; racro4j also times its own plain path on the same batch.
  # Warm-up: the small model's group generation on two threads settles only after about 15 runs (one JVM, run after
  # run: 1499, 102, 99, 96, 107, 66, 70, 58, 47, 50, 42 ms, and 33-45 ms in most runs from the 17th, with spikes to
  # 90 ms that the VM gives any run), the larger one's after about 4.
  ROLL_GROUP=(--batch 64 --group 8 --prompt-len 64 --new-tokens 32 --warmup 20 --repeats 5)
  # rollouts of spread lengths: 64 sequences of 8 to 64 new tokens, 16 in flight; useful tokens/s (each sequence's own)
  ROLL_SPREAD=(--batch 16 --prompt-len 32 --new-tokens 64 --stop-spread 8:64 --warmup 3 --repeats 5)
  SCALING=()
  JMH=(--forks 1 --warmup-iterations 2 --iterations 3 --iteration-ms 1000)
fi

for round in $(seq "$ROUNDS"); do
  echo "round $round of $ROUNDS" >&2
  for t in "${THREAD_COUNTS[@]}"; do
    for n in "${SIZES[@]}"; do
      step env RACRO4J_THREADS="$t" $RUN bench matmul --size "$n" "${MM[@]}"
      step "$PY" bench/python/matmul_numpy.py --size "$n" "${MM[@]}" --threads "$t"
    done

    for i in "${!SHAPES[@]}"; do
      # word splitting of the shape flags is intended
      # shellcheck disable=SC2206
      shape=(${SHAPES[$i]})
      # shellcheck disable=SC2206
      if (( quick )); then train=("${TRAIN[@]}"); else train=(--seq "${TRAIN_SEQ[$i]}" --batch 8 ${TRAIN_TIMING[$i]}); fi
      step env RACRO4J_THREADS="$t" $RUN bench train-step "${shape[@]}" "${train[@]}"
      step "$PY" bench/python/train_step.py "${shape[@]}" "${train[@]}" --threads "$t"
    done

    for s in "${SHAPES[@]}"; do
      # shellcheck disable=SC2206
      shape=($s)
      for roll in "${ROLL[*]}" "${ROLL_GROUP[*]}" "${ROLL_SPREAD[*]}"; do
        # shellcheck disable=SC2206
        roll=($roll)
        step env RACRO4J_THREADS="$t" $RUN bench rollout "${shape[@]}" "${roll[@]}"
        step "$PY" bench/python/rollout.py "${shape[@]}" "${roll[@]}" --threads "$t"
        # llama.cpp's peer has no --stop-spread mode (its batched loop runs every sequence to the end)
        if (( LLAMACPP )) && [[ "${roll[*]}" != *--stop-spread* ]]; then
          step bench/llamacpp/rollout.sh "${shape[@]}" "${roll[@]}" --threads "$t"
        fi
      done
    done
  done
done

# Once: llama.cpp's logits against racro4j's on the larger rollout model (which rollout.sh has already saved).
if (( LLAMACPP )); then
  # shellcheck disable=SC2206
  shape=(${SHAPES[-1]})
  if model=$(bench/llamacpp/model.sh "${shape[@]}" 2>> "$LOG"); then step bench/llamacpp/check-logits.sh "${model#"$(pwd)/"}"; fi
fi

step $RUN bench scaling "${SCALING[@]}"

if (( jmh )); then step $RUN bench jmh "${JMH[@]}"; fi

# shellcheck disable=SC2086
$RUN bench report --out "$OUT" "$RAW" ${GPU_RESULTS:-}
echo "raw results: $RAW (stderr of every command: $LOG)" >&2
echo "report:      $OUT, with $(dirname "$OUT")/perf-ratios.png and perf-scaling.png" >&2
echo "took $(( $(date +%s) - started )) s" >&2
