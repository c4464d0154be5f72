// Speed comparison, not part of CI: the cold-process peer of
// `conceptcells activations` in bench/peers.sh row 2. One run of ONNX
// Runtime (npm onnxruntime-node, CPU, 2 intra-op threads) over the 10,000
// MNIST test images through the paper's CNN (out/mnist_cnn_hooks.onnx from
// make_model.py), batch 256, fetching /Relu_2_output_0 and
// /fc2/Gemm_output_0, written as float32 .npy files (N×units) with
// labels.npy into --out DIR, as the activations command does. Time the whole
// process.
//
//   node cold.js --out DIR [--model out/mnist_cnn_hooks.onnx] [--batch 256] [--threads 2]
'use strict';

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
const { arg, mnistTest } = require('./mnist');

// npy returns a version-1.0 .npy file of a C-order array.
function npy(descr, shape, bytes) {
  let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  h += ' '.repeat(63 - ((10 + h.length) % 64)) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(head);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(h.length, 8);
  return Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
}

async function main() {
  const out = arg('out', '');
  if (!out) throw new Error('--out DIR is required');
  const model = arg('model', path.join(__dirname, 'out', 'mnist_cnn_hooks.onnx'));
  const batch = parseInt(arg('batch', '256'), 10);
  const threads = parseInt(arg('threads', '2'), 10);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const { n, px, x, labels } = mnistTest();
  const fetches = ['/Relu_2_output_0', '/fc2/Gemm_output_0'];
  const units = [50, 10];
  const outs = units.map((u) => new Float32Array(n * u));
  for (let s = 0; s < n; s += batch) {
    const b = Math.min(batch, n - s);
    const t = new ort.Tensor('float32', x.subarray(s * px, (s + b) * px), [b, 1, 28, 28]);
    const r = await session.run({ input: t }, fetches);
    fetches.forEach((f, k) => outs[k].set(r[f].data, s * units[k]));
  }
  fs.mkdirSync(out, { recursive: true });
  fetches.forEach((f, k) => {
    fs.writeFileSync(path.join(out, f.replace(/^\//, '').replace(/\//g, '_') + '.npy'), npy('<f4', [n, units[k]], outs[k]));
  });
  fs.writeFileSync(path.join(out, 'labels.npy'), npy('<i8', [n], BigInt64Array.from(labels, (v) => BigInt(v))));
}

main().catch((e) => {
  console.error('cold.js: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
