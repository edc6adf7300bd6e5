#!/usr/bin/env bash
# Builds .devbundle/ for bench/gpu-bringup.sh: the project, its test classes and JUnit's console launcher, on a
# jlinked Java runtime that also has java.xml (JUnit writes its XML reports with it; the bundle script's default
# runtime leaves it out, and every test class would then end before its first test). Needs the workplace's
# bundle script (../shared/gpu/make-bundle.sh, or MAKE_BUNDLE=path) and the network or a filled ~/.m2 the first time
# (junit-platform-console-standalone).
#
#   bench/gpu-bundle.sh            # from the project root; then carry .devbundle to the GPU machine
set -euo pipefail
cd "$(dirname "$0")/.."
MAKE_BUNDLE=${MAKE_BUNDLE:-../shared/gpu/make-bundle.sh}
[[ -x "$MAKE_BUNDLE" ]] || { echo "gpu-bundle: no bundle script at $MAKE_BUNDLE (set MAKE_BUNDLE=path/to/make-bundle.sh)" >&2; exit 3; }
export WITH_TESTS=1
export JLINK_BASE=${JLINK_BASE:-java.base,java.logging,java.management,jdk.management,jdk.unsupported,jdk.incubator.vector,java.xml}
"$MAKE_BUNDLE" . "$@"
