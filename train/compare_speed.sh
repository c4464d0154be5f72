#!/usr/bin/env bash
# Epoch time of `conceptcells train` against PyTorch (train/pytorch_ref.py,
# Debian python3-torch, 2 threads), same recipe, one epoch each, alternating
# ROUNDS times so both see the same machine load. Not part of CI.
#
#   train/compare_speed.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/cc" .
echo "load before: $(uptime)"
go_s=() py_s=()
for ((r = 1; r <= rounds; r++)); do
	/usr/bin/time -v "$tmp/cc" train --epochs 1 --quiet=false --out "$tmp/m.onnx" --force --checkpoint "$tmp/ckpt" \
		>"$tmp/go.out" 2>"$tmp/go.err" </dev/null
	g=$(sed -n 's/^epoch 1\/1: .*(\([0-9.]*\) s, .*/\1/p' "$tmp/go.err")
	grss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/go.err")
	/usr/bin/time -v /usr/bin/python3 train/pytorch_ref.py --epochs 1 >"$tmp/py.out" 2>"$tmp/py.err"
	p=$(sed -n 's/^epoch 1\/1: .*(\([0-9.]*\) s)/\1/p' "$tmp/py.out")
	prss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/py.err")
	go_s+=("$g") py_s+=("$p")
	echo "round $r: go ${g}s (peak RSS $((grss / 1024)) MiB)  pytorch ${p}s (peak RSS $((prss / 1024)) MiB)  load $(cut -d' ' -f1-3 /proc/loadavg)"
	rm -rf "$tmp/ckpt"
done
echo "load after:  $(uptime)"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mg=$(median "${go_s[@]}") mp=$(median "${py_s[@]}")
echo "median epoch: go ${mg}s, pytorch ${mp}s, ratio $(awk -v g="$mg" -v p="$mp" 'BEGIN {printf "%.2f", g/p}')x"
