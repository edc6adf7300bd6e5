#!/usr/bin/env bash
# Installs what the peer scripts need on a Debian/Ubuntu machine (PyTorch and NumPy from the distribution).
# Debian's numpy and torch call whatever libblas.so.3 the alternatives system points at; with only libblas3
# installed that is the reference BLAS (numpy sgemm 7.8 GFLOP/s at N=1024 here, against 234 with OpenBLAS), so
# OpenBLAS is part of the peer.
set -euo pipefail
if /usr/bin/python3 -c "import torch, numpy" 2>/dev/null && readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu | grep -q openblas; then
  /usr/bin/python3 -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__)"
  exit 0
fi
sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
$sudo_cmd apt-get update -q
$sudo_cmd apt-get install -y -q python3-torch python3-numpy libopenblas0-pthread
