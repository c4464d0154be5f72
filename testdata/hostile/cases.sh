#!/bin/bash
# cases.sh BIN MODELS WORK: the issue 14 cases that run in seconds, for the
# conceptcells binary BIN. MODELS holds the models written by
#   CONCEPTCELLS_HOSTILE_DIR=MODELS go test ./engine -run WriteHostileModels
# WORK is a scratch folder, prepared here (a FIFO, a /dev/zero link, a small
# rate map, and a Fashion-MNIST folder whose 1.5 MB gzip claims 2,000,000
# images, made with python3).
B=$1; L=$2; W=$3; R=$(dirname "$(readlink -f "$0")")/run.sh
mkdir -p "$W" && cd "$W" || exit 1
[ -p fifo.npy ] || mkfifo fifo.npy
ln -sfn /dev/zero zero.npy
[ -f map.npy ] || python3 -c '
import struct, random
random.seed(1)
h = "{\x27descr\x27: \x27<f8\x27, \x27fortran_order\x27: False, \x27shape\x27: (8, 8), }"
h += " " * (64 - (10 + len(h) + 1) % 64) + "\n"
open("map.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + struct.pack("<64d", *[random.random() for _ in range(64)]))'
if [ ! -d fdir ]; then mkdir fdir && (cd fdir && python3 -c '
import gzip, struct
n = 2000000
with gzip.open("t10k-images-idx3-ubyte.gz", "wb", compresslevel=9) as f:
    f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, n, 28, 28))
    for i in range(n // 10000):
        f.write(bytes(784 * 10000))
with gzip.open("t10k-labels-idx1-ubyte.gz", "wb", compresslevel=9) as f:
    f.write(struct.pack(">BBBBI", 0, 0, 8, 1, n) + bytes(n))'); fi
rm -rf o && mkdir o
$R $B fifo-data        activations --model $L/reshape_unused.onnx --data fifo.npy --layers y --out o/a1
$R $B devzero-data     activations --model $L/reshape_unused.onnx --data zero.npy --layers y --out o/a2
$R $B fifo-embed       embed --in fifo.npy --out o/e.npy
$R $B fifo-cells-map   cells --map fifo.npy --out o/c.json
$R $B fifo-model       layers fifo.npy
$R $B reshape-used     activations --model $L/reshape_used.onnx --data mnist-test --limit 10 --layers y --out o/a3
$R $B reshape-unused   activations --model $L/reshape_unused.onnx --data mnist-test --limit 10 --layers y --out o/a4
$R $B convT-bomb       activations --model $L/convtranspose_bomb.onnx --data mnist-test --limit 10 --layers y --out o/a5
$R $B gzip-2M-limit10  activations --model $L/reshape_unused.onnx --data fashion-mnist-test --data-dir fdir --limit 10 --layers y --out o/a6
$R $B layers-names     layers $L/names.onnx
$B layers $L/names.onnx 2>/dev/null | grep -c $'\e' | sed 's/^/    raw ESC lines: /'
$R $B secret-extdata   layers $L/secret/m.onnx
$R $B input-default    activations --model $L/input_default.onnx --data mnist-test --limit 10 --layers y --out o/a7
$R $B empty-map-mean   activations --model $L/empty_map.onnx --data mnist-test --limit 10 --layers e --reduce spatial-mean --out o/a8
grep -h '"nan"' o/a8/manifest.json 2>/dev/null | head -1 | sed 's/^/    manifest: /'
echo '{}' > o/keep.json
$R $B alias-force      cells --map map.npy --out o/c.json --csv ./o/c.json --force
head -c 40 o/c.json 2>/dev/null | tr '\n' ' ' | sed 's/^/    o\/c.json starts: /'; echo
