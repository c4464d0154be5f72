// Speed comparison, not part of CI: ONNX Runtime (npm onnxruntime-node, CPU,
// 2 intra-op threads) on one ONNX model at batch 1, one image per call, the
// peer of bench/perimage (our engine) in bench/peers.sh rows 3-5.
//
//   node perimage.js --model ../cache/models/resnet50.onnx [--images 20] [--warmup 3] [--threads 2]
//
// The input is noise of the model's input shape (dynamic dimensions set to
// 1), from a fixed-seed generator. After --warmup untimed runs it times
// --images runs and prints one JSON object like bench/perimage's.
'use strict';

const path = require('path');
const ort = require('onnxruntime-node');
const { arg, median } = require('./mnist');

async function main() {
  const model = arg('model', '');
  if (!model) throw new Error('--model is required');
  const images = parseInt(arg('images', '20'), 10);
  const warmup = parseInt(arg('warmup', '3'), 10);
  const threads = parseInt(arg('threads', '2'), 10);
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  if (session.inputNames.length !== 1) {
    throw new Error(`${model}: want one graph input, the model has ${session.inputNames.length}`);
  }
  const name = session.inputNames[0];
  const meta = session.inputMetadata && session.inputMetadata[0];
  const shape = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1)) : [1, 3, 224, 224];
  const n = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n);
  let s = 1; // xorshift32, then a sum of uniforms as rough normal noise
  const u = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
  for (let i = 0; i < n; i++) x[i] = u() + u() + u() + u() - 2;
  const feeds = { [name]: new ort.Tensor('float32', x, shape) };
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const loadSec = Number(process.hrtime.bigint() - t0) / 1e9;
  const secs = [];
  for (let i = 0; i < images; i++) {
    const t = process.hrtime.bigint();
    await session.run(feeds);
    secs.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  const cu = process.cpuUsage();
  console.log(JSON.stringify({
    runtime: 'onnxruntime-node ' + require('onnxruntime-node/package.json').version,
    model: path.basename(model),
    input_shape: shape,
    intra_op_threads: threads,
    warmup,
    images,
    seconds: secs.map((t) => +t.toFixed(6)),
    median_seconds: +median(secs).toFixed(6),
    min_seconds: Math.min(...secs),
    max_seconds: Math.max(...secs),
    load_prepare_warm_seconds: +loadSec.toFixed(4),
    cpu_seconds: (cu.user + cu.system) / 1e6,
  }, null, 1));
}

main().catch((e) => {
  console.error('perimage.js: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
