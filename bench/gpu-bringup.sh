#!/usr/bin/env bash
# The first run on a GPU machine, in one call of at most 8 minutes: what the machine is, every GPU test class in a JVM
# of its own (so that one sticky CUDA fault cannot hide the others), then the GPU benchmarks with their PyTorch peers.
# Everything lands under $OUT, and a one-screen summary ends the run (also $OUT/summary.txt).
#
#   bench/gpu-bundle.sh                              # here: build .devbundle/ with the test classes and JUnit
#   bench/gpu-bringup.sh                             # there, from the project root
#   bench/gpu-bringup.sh --summarize DIR             # the summary of an earlier run's DIR again
#
# Phases, each under `timeout`, all within BUDGET seconds (a phase with under 20 s left is skipped, with a note):
#   1. the machine: nvidia-smi, glibc, `.devbundle/run.sh --env`, Python and PyTorch (env.txt);
#   2. the GPU test classes (all their tests: the @Tag("gpu") ones and the host tests beside them; NvrtcCompileTest
#      compiles every kernel family with the machine's NVRTC), each `.devbundle/run.sh --junit` in its own JVM, with
#      CUDA_LAUNCH_BLOCKING=1 (a kernel's fault surfaces at its launch), RACRO4J_GPU_REQUIRED=1 (GpuTestRule: a GPU
#      test that would skip fails instead) and RACRO4J_GPU_OWN_JVM=1 (the class runs alone: StickyFaultGpuTest may
#      kill the CUDA context); log tests/<Class>.log, JUnit XML under tests/<Class>/. Tests tagged "no-gpu" (the
#      benches' "without a GPU it says why") are left out: they could only skip here, and a skip fails the class;
#   3. bench/gpu-bench.sh, one step at a time (RESULTS=$OUT/bench), racro4j's side and PyTorch's, then the ratios.
# Exit status: 0 every class passed and every benchmark ran; 1 something failed, timed out or was skipped;
# 2 no NVIDIA GPU on this machine (checked before anything else); 3 no bundle.
#
# Environment: OUT (default bringup-out/<date>), BUNDLE (.devbundle), BUDGET (450 s in all), TESTS_BUDGET (270 s for
# phase 2, the rest is phase 3's), TEST_TIMEOUT (150 s a class), BENCH_TIMEOUT (150 s a step), CLASSES (the test
# classes, space-separated), LAUNCH_BLOCKING (CUDA_LAUNCH_BLOCKING of the tests, 1; 0 to tell a failure it causes,
# in CUDA graph capture for instance, from a kernel's; a class that fails with a stream-capture error is run again
# without it on its own, as <Class>.nonblocking), GPU_DEVICES (the device nodes that say a GPU is there:
# /dev/nvidia[0-9]*), and gpu-bench.sh's own (TOKENS, DECODE_BATCH, PROMPT, NEW, PYTHON).
set -uo pipefail

# ------------------------------------------------------------------------------------------------ the summary
# summarize DIR: reads DIR/status.tsv (kind, name, state, exit status, seconds, note; one line a phase) and the JUnit
# reports under DIR/tests/<name>/, prints the summary, writes it to DIR/summary.txt; returns 0 when everything passed.
summarize() {
    local dir=$1 kind name state rc secs note
    local classes=0 classes_ok=0 t_run=0 t_failed=0 t_skipped=0 b_done=0 b_failed=0 b_timeout=0 b_skipped=0
    {
        echo "racro4j GPU bring-up: $dir"
        [[ -s "$dir/gpu.txt" ]] && sed 's/^/  /' "$dir/gpu.txt"
        [[ -s "$dir/settings.txt" ]] && sed 's/^/  /' "$dir/settings.txt"
        while IFS=$'\t' read -r kind name state rc secs note; do
            case $kind in
            env)
                # informative only (a missing torch shows again in its benchmarks)
                [[ $state != ran || $rc != 0 ]] && printf '  probe %-22s %s\n' "$name" "$(describe "$state" "$rc" "$secs" "$note")";;
            test)
                (( classes == 0 )) && echo "tests (one JVM a class, GPU required)"
                classes=$((classes + 1))
                local xml run=? failed=? skipped=? verdict
                xml=$(ls "$dir/tests/$name"/TEST-*.xml 2>/dev/null | head -1)
                if [[ $state == ran && -n "$xml" ]]; then
                    run=$(attr tests "$xml"); skipped=$(attr skipped "$xml")
                    failed=$(( $(attr failures "$xml") + $(attr errors "$xml") ))
                    t_run=$((t_run + run)); t_failed=$((t_failed + failed)); t_skipped=$((t_skipped + skipped))
                fi
                if [[ $state == ran && -n "$xml" && $rc == 0 && $failed == 0 && $skipped == 0 && $run -gt 0 ]]; then
                    verdict=PASS; classes_ok=$((classes_ok + 1))
                elif [[ $state == ran && -n "$xml" ]]; then
                    verdict="FAIL"; (( skipped > 0 )) && verdict="FAIL (a GPU test skipped)"; (( run == 0 )) && verdict="FAIL (no test ran)"
                    [[ $rc != 0 && $failed == 0 && $skipped == 0 && $run -gt 0 ]] && verdict="FAIL (exit $rc)"
                else
                    verdict="FAIL: $(describe "$state" "$rc" "$secs" "$note"), no report"
                fi
                local took=""
                [[ $state == ran && -n "$xml" ]] && took=" (${secs} s)"
                printf '  %-36s %4s run %4s failed %4s skipped  %s%s\n' "$name" "$run" "$failed" "$skipped" "$verdict" "$took";;
            bench)
                (( b_done + b_failed + b_timeout + b_skipped == 0 )) && echo "benchmarks (bench/gpu-bench.sh, one step at a time)"
                case $state in
                ran) if [[ $rc == 0 ]]; then b_done=$((b_done + 1)); else b_failed=$((b_failed + 1)); fi;;
                timeout) b_timeout=$((b_timeout + 1));;
                *) b_skipped=$((b_skipped + 1));;
                esac
                printf '  %-28s %s\n' "$name" "$(describe "$state" "$rc" "$secs" "$note")";;
            esac
        done < "$dir/status.tsv"
        echo "totals: tests $t_run run, $t_failed failed, $t_skipped skipped; classes $classes_ok of $classes passed;" \
            "benchmarks $b_done done, $b_failed failed, $b_timeout timed out, $b_skipped skipped"
        local ok=1
        (( classes_ok < classes || classes == 0 || b_failed + b_timeout + b_skipped > 0 )) && ok=0
        echo "verdict: $( (( ok )) && echo PASS || echo FAIL)   (logs: $dir)"
    } | tee "$dir/summary.txt"
    grep -q '^verdict: PASS' "$dir/summary.txt"
}

# describe STATE RC SECONDS NOTE: one phase's outcome in words
describe() {
    case $1 in
    ran) if [[ $2 == 0 ]]; then echo "done ($3 s)"; else echo "failed (exit $2, $3 s)"; fi;;
    timeout) echo "timed out ($3 s)";;
    *) echo "skipped: $4";;
    esac
}

# attr NAME FILE: an attribute of the first <testsuite> element of a JUnit XML report (0 when absent)
attr() {
    local v
    v=$(grep -o '<testsuite [^>]*>' "$2" | head -1 | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*')
    echo "${v:-0}"
}

if [[ "${1:-}" == --summarize ]]; then
    summarize "${2:?usage: gpu-bringup.sh --summarize DIR}"
    exit $?
fi

# ------------------------------------------------------------------------------------------------ a GPU, a bundle
no_gpu() {
    echo "gpu-bringup: no NVIDIA GPU on this machine ($1): nothing to bring up." >&2
    exit 2
}
command -v nvidia-smi > /dev/null || no_gpu "no nvidia-smi on the PATH"
SMI_L=$(timeout 30 nvidia-smi -L 2>&1) || no_gpu "nvidia-smi -L failed: $(head -1 <<< "$SMI_L")"
GPU_DEVICES=${GPU_DEVICES:-/dev/nvidia[0-9]*}
compgen -G "$GPU_DEVICES" > /dev/null || no_gpu "no device node $GPU_DEVICES"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 3
BUNDLE=${BUNDLE:-.devbundle}
if [[ ! -x "$BUNDLE/run.sh" || ! -f "$BUNDLE/tools/junit-platform-console-standalone.jar" ]]; then
    echo "gpu-bringup: no bundle with tests at $ROOT/$BUNDLE (run.sh and tools/junit-platform-console-standalone.jar):" \
        "build it with bench/gpu-bundle.sh and bring it along." >&2
    exit 3
fi
if [[ -x "$BUNDLE/jre/bin/java" ]] && ! "$BUNDLE/jre/bin/java" --list-modules 2>/dev/null | grep -q '^java\.xml@'; then
    echo "gpu-bringup: the bundle's Java runtime has no java.xml, which JUnit's XML reports need: rebuild it with" \
        "bench/gpu-bundle.sh." >&2
    exit 3
fi

OUT=${OUT:-bringup-out/$(date -u +%Y-%m-%dT%H%M%SZ)}
mkdir -p "$OUT/tests" "$OUT/bench" || exit 1
OUT=$(cd "$OUT" && pwd)
: > "$OUT/status.tsv"
BUDGET=${BUDGET:-450}
TESTS_BUDGET=${TESTS_BUDGET:-270}
TEST_TIMEOUT=${TEST_TIMEOUT:-150}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-150}
LAUNCH_BLOCKING=${LAUNCH_BLOCKING:-1}
# Each class runs in a JVM of its own, so the order only says what comes first when the budget runs short: the
# primitives, then the fast kernels and the new machinery, whole steps, the bench smoke tests, and NVRTC's compile of
# every family last (the classes before it have compiled, through NVRTC, every family they use).
CLASSES=${CLASSES:-org.racro4j.kernels.cuda.CudaBackendGpuTest org.racro4j.kernels.cuda.FastKernelsGpuTest
    org.racro4j.kernels.cuda.TransfersGpuTest org.racro4j.kernels.cuda.AdamWCaptureGpuTest
    org.racro4j.kernels.cuda.StickyFaultGpuTest org.racro4j.models.generation.WholeStepGpuTest
    org.racro4j.kernels.bench.BandwidthBenchTest org.racro4j.kernels.bench.GemmAndAttentionBenchTest
    org.racro4j.kernels.cuda.NvrtcCompileTest}
echo "settings: CUDA_LAUNCH_BLOCKING=$LAUNCH_BLOCKING RACRO4J_GPU_REQUIRED=1 RACRO4J_GPU_OWN_JVM=1 BUDGET=$BUDGET TESTS_BUDGET=$TESTS_BUDGET" \
    "TEST_TIMEOUT=$TEST_TIMEOUT BENCH_TIMEOUT=$BENCH_TIMEOUT" > "$OUT/settings.txt"
START=$SECONDS
END=$((START + BUDGET))
MIN_PHASE=20

# phase KIND NAME UNTIL CAP LOG COMMAND...: runs COMMAND under timeout (CAP seconds, and never past second UNTIL of
# this script), output to LOG; appends its line to status.tsv. Skipped, with a note, with under MIN_PHASE s left.
phase() {
    local kind=$1 name=$2 until=$3 cap=$4 log=$5; shift 5
    local left=$((until - SECONDS)) t0=$SECONDS rc state
    (( left > END - SECONDS )) && left=$((END - SECONDS))
    if (( left < MIN_PHASE )); then
        printf '%s\t%s\tskipped\t-\t0\tout of time budget (%s s left)\n' "$kind" "$name" "$left" >> "$OUT/status.tsv"
        echo "[bringup] $kind $name: skipped, out of time budget"
        return 0
    fi
    (( cap > left )) && cap=$left
    echo "[bringup] $kind $name (at most $cap s) > ${log#"$OUT"/}"
    timeout -k 10 "$cap" "$@" > "$log" 2>&1
    rc=$?
    state=ran; (( rc == 124 || rc == 137 )) && state=timeout
    printf '%s\t%s\t%s\t%s\t%s\t\n' "$kind" "$name" "$state" "$rc" "$((SECONDS - t0))" >> "$OUT/status.tsv"
    return 0
}

# ------------------------------------------------------------------------------------------------ 1. the machine
echo "$SMI_L" > "$OUT/gpu.txt"
nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total,clocks.sm,clocks.max.sm,clocks.mem --format=csv \
    >> "$OUT/gpu.txt" 2>&1
ENV_END=$((SECONDS + 60))
phase env nvidia-smi "$ENV_END" 30 "$OUT/nvidia-smi.txt" nvidia-smi
phase env glibc "$ENV_END" 10 "$OUT/glibc.txt" bash -c 'ldd --version | head -1'
phase env bundle "$ENV_END" 30 "$OUT/bundle-env.txt" "$BUNDLE/run.sh" --env
phase env python "$ENV_END" 30 "$OUT/python.txt" "${PYTHON:-python3}" -c \
    'import sys, torch; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "cuda available", torch.cuda.is_available())'
cat "$OUT/gpu.txt" "$OUT/glibc.txt" "$OUT/bundle-env.txt" "$OUT/python.txt" > "$OUT/env.txt" 2> /dev/null

# ------------------------------------------------------------------------------------------------ 2. GPU tests
TESTS_END=$((SECONDS + TESTS_BUDGET))
# test_class NAME BLOCKING CLASS: one class in a JVM of its own, its log tests/NAME.log and its report tests/NAME/
test_class() {
    mkdir -p "$OUT/tests/$1"
    phase test "$1" "$TESTS_END" "$TEST_TIMEOUT" "$OUT/tests/$1.log" \
        env CUDA_LAUNCH_BLOCKING="$2" RACRO4J_GPU_REQUIRED=1 RACRO4J_GPU_OWN_JVM=1 "$BUNDLE/run.sh" --junit \
        --include-classname "^${3//./\\.}\$" --exclude-tag no-gpu --fail-if-no-tests --disable-ansi-colors \
        --details=tree --reports-dir "$OUT/tests/$1"
}
for cls in $CLASSES; do
    short=${cls##*.}
    test_class "$short" "$LAUNCH_BLOCKING" "$cls"
    # Launch blocking may not mix with stream capture: a class that failed on a capture error runs again without it,
    # so the summary tells that apart from a kernel's failure.
    if [[ $LAUNCH_BLOCKING == 1 ]] && tail -1 "$OUT/status.tsv" | grep -q $'\tran\t[1-9]' \
        && grep -qE 'CUDA_ERROR_STREAM_CAPTURE|CUDA_ERROR_CAPTURED' "$OUT/tests/$short.log"; then
        test_class "$short.nonblocking" 0 "$cls"
    fi
done

# ------------------------------------------------------------------------------------------------ 3. benchmarks
for s in $(bash bench/gpu-bench.sh --list); do
    phase bench "$s" "$END" "$BENCH_TIMEOUT" "$OUT/bench/$s.log" \
        env RESULTS="$OUT/bench" RACRO4J_RUN="$BUNDLE/run.sh" bash bench/gpu-bench.sh "$s"
done

echo
summarize "$OUT"
