#!/usr/bin/env bash
# Speed comparison, not part of CI: our Collect (go test -bench
# BenchmarkCollectMNIST ./probe) against ONNX Runtime (bench/ort/bench.js, 2
# intra-op threads) on the 10,000 MNIST test images through the paper's CNN
# with hooks on /Relu_2_output_0 and /fc2/Gemm_output_0, batch 256.
# The two alternate ROUNDS times so both see the same machine load; each
# round times the whole test set three times (ONNX Runtime after a warm-up;
# the median of its three, the mean of ours) and records CPU time too.
#
#   bench/compare.sh [ROUNDS]      (needs node, npm install in bench/ort, python3-onnx once)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
bin=$(mktemp -d)/probe.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" ./probe
if [ ! -f bench/ort/out/mnist_cnn_hooks.onnx ]; then (cd bench/ort && /usr/bin/python3 make_model.py >/dev/null); fi
echo "load before: $(uptime)"
go_s=() ort_s=() go_c=() ort_c=()
for ((r = 1; r <= rounds; r++)); do
	oj=$(cd bench/ort && node bench.js --reps 3)
	o=$(sed -n 's/.*"median_seconds": \([0-9.]*\).*/\1/p' <<<"$oj")
	oc=$(sed -n 's/.*"median_cpu_seconds": \([0-9.]*\).*/\1/p' <<<"$oj")
	gl=$("$bin" -test.run '^$' -test.bench 'CollectMNIST$' -test.benchtime 3x | grep '^BenchmarkCollectMNIST')
	g=$(awk '{printf "%.4f", $3/1e9}' <<<"$gl")
	gc=$(awk '{for (i = 1; i < NF; i++) if ($(i+1) == "cpu-s/op") printf "%.4f", $i}' <<<"$gl")
	ort_s+=("$o") go_s+=("$g") ort_c+=("$oc") go_c+=("$gc")
	echo "round $r: onnxruntime ${o}s (cpu ${oc}s)  conceptcells ${g}s (cpu ${gc}s)"
done
echo "load after:  $(uptime)"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mo=$(median "${ort_s[@]}") mg=$(median "${go_s[@]}")
echo "median onnxruntime ${mo}s, conceptcells ${mg}s, ratio $(awk -v g="$mg" -v o="$mo" 'BEGIN {printf "%.2f", g/o}')x"
mco=$(median "${ort_c[@]}") mcg=$(median "${go_c[@]}")
echo "median CPU time onnxruntime ${mco}s, conceptcells ${mcg}s"
/usr/bin/time -v "$bin" -test.run '^$' -test.bench 'CollectMNIST$' -test.benchtime 2x 2>&1 | grep -E 'Maximum resident' | sed 's/^[[:space:]]*/conceptcells peak RSS: /'
