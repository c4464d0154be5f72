#!/usr/bin/env bash
# Epoch time of `conceptcells train` against PyTorch (train/pytorch_ref.py,
# Debian python3-torch, 2 threads), same recipe, one epoch each, alternating
# ROUNDS times so both see the same machine load. Not part of CI. This is
# row 6 of bench/peers.sh, which does the measuring (bench/README.md).
#
#   train/compare_speed.sh [ROUNDS]
set -euo pipefail
exec "$(dirname "$0")/../bench/peers.sh" --rounds "${1:-3}" train
