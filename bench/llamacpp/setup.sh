#!/usr/bin/env bash
# Installs the llama.cpp peer (idempotent; run again after a change to package.json or peer.c):
#  1. `npm install` of the locked node-llama-cpp and @node-llama-cpp/linux-x64 3.22.1 (package-lock.json), without
#     node-llama-cpp's optional builds for other platforms. @node-llama-cpp/linux-x64 holds llama.cpp's prebuilt CPU
#     libraries (libllama, libggml and one libggml-cpu-*.so per x86-64 level, picked at run time); install
#     scripts are skipped: nothing is downloaded or built there.
#  2. llama.h and the ggml headers of the very llama.cpp commit those libraries were built from come out of the source
#     bundle node-llama-cpp ships (llama/gitRelease.bundle, a git bundle; llama/llama.cpp.info.json names its tag), so
#     the structs peer.c passes by value match the library.
#  3. gcc compiles peer.c into build/peer against them.
# Needs node and npm (and the npm registry, the first time), git and gcc. Prints the peer's path on success.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
BINS=$here/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
BUNDLE=$here/node_modules/node-llama-cpp/llama/gitRelease.bundle

for tool in node npm git gcc; do
  command -v "$tool" >/dev/null || { echo "llamacpp/setup.sh: $tool is not installed" >&2; exit 3; }
done
if ! ls "$BINS"/libllama*.so >/dev/null 2>&1 || [[ ! -f $BUNDLE ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  # npm install, not npm ci: the lock file cannot list node-llama-cpp's optional builds for other platforms where the
  # registry does not serve them, and npm ci refuses a lock without them; install keeps the locked versions of the rest
  npm install --ignore-scripts --no-audit --no-fund --omit=optional >&2
fi
lib=$(ls "$BINS"/libllama.*so | head -1)
ggml=$(ls "$BINS"/libggml.*so | head -1)

mkdir -p build
if [[ ! -f build/include/llama.h || $BUNDLE -nt build/include/llama.h ]]; then
  rm -rf build/src build/include build/ggml
  git init -q build/src
  git -C build/src fetch -q "$BUNDLE" HEAD
  git -C build/src archive FETCH_HEAD include ggml/include | tar -x -C build
  touch build/include/llama.h
  rm -rf build/src
fi
if [[ ! -x build/peer || peer.c -nt build/peer || build/include/llama.h -nt build/peer ]]; then
  version="(node-llama-cpp $(node -p 'require("./node_modules/node-llama-cpp/package.json").version'), llama.cpp release $(node -p 'require("./node_modules/node-llama-cpp/llama/llama.cpp.info.json").tag'))"
  gcc -O2 -std=gnu11 -Wall -DPEER_LIB_DIR="\"$BINS\"" -DPEER_VERSION="\"$version\"" -o build/peer peer.c -Ibuild/include -Ibuild/ggml/include \
    -L"$BINS" -l:"$(basename "$lib")" -l:"$(basename "$ggml")" -l:libggml-base.so -lm -Wl,-rpath,"$BINS" >&2
fi
echo "$here/build/peer"
