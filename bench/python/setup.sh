#!/usr/bin/env bash
# Installs what the peer scripts need on a Debian/Ubuntu machine (PyTorch and NumPy from the distribution).
set -euo pipefail
if /usr/bin/python3 -c "import torch, numpy" 2>/dev/null; then
  /usr/bin/python3 -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__)"
  exit 0
fi
sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
$sudo_cmd apt-get update -q
$sudo_cmd apt-get install -y -q python3-torch python3-numpy
