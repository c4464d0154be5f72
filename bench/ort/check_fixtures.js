// Cross-check, not part of CI: runs every testdata/models/*/model.onnx with
// ONNX Runtime and compares its graph output with PyTorch's (ref_0.npy), to
// confirm the exported ONNX files mean what PyTorch computed.
//
//   cd bench/ort && node check_fixtures.js
'use strict';

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

// readNpy reads a little-endian float32 C-order .npy.
function readNpy(file) {
  const b = fs.readFileSync(file);
  const hlen = b[6] === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const off = b[6] === 1 ? 10 : 12;
  const header = b.subarray(off, off + hlen).toString('latin1');
  if (!header.includes("'<f4'") || header.includes("'fortran_order': True")) throw new Error(file + ': not little-endian float32 C order');
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim() !== '').map(Number);
  const data = new Float32Array(b.buffer.slice(b.byteOffset + off + hlen, b.byteOffset + b.length));
  return { shape, data };
}

async function main() {
  const root = path.join(__dirname, '..', '..', 'testdata', 'models');
  let worst = 0;
  for (const name of fs.readdirSync(root).sort()) {
    const dir = path.join(root, name);
    if (!fs.existsSync(path.join(dir, 'ref.json'))) continue;
    const ref = JSON.parse(fs.readFileSync(path.join(dir, 'ref.json')));
    const x = readNpy(path.join(dir, ref.input));
    let s;
    try {
      s = await ort.InferenceSession.create(path.join(dir, ref.model), { logSeverityLevel: 4 });
    } catch (e) {
      console.log(`${name.padEnd(18)} opset ${String(ref.opset).padStart(2)}  ONNX Runtime refuses it: ${String(e.message).split('\n')[0].slice(-120)}`);
      continue;
    }
    const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) });
    const want = readNpy(path.join(dir, ref.tensors[0].file));
    const got = r[s.outputNames[0]].data;
    let d = 0;
    for (let i = 0; i < want.data.length; i++) d = Math.max(d, Math.abs(got[i] - want.data[i]));
    worst = Math.max(worst, d);
    console.log(`${name.padEnd(18)} opset ${String(ref.opset).padStart(2)}  max |ORT − PyTorch| = ${d.toExponential(2)}`);
  }
  console.log(`worst ${worst.toExponential(2)}`);
}

main().catch((e) => { console.error('check_fixtures.js: ' + e); process.exit(1); });
