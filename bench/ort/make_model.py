#!/usr/bin/python3
"""Write out/mnist_cnn_hooks.onnx: a copy of the reference paper CNN whose
graph outputs also include the hooked tensors /Relu_2_output_0 (layer 6) and
/fc2/Gemm_output_0 (layer 7), because ONNX Runtime fetches only graph outputs.
Needs Debian's python3-onnx. Not part of CI."""
import os
import sys

import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    HERE, "..", "..", "..", "shared", "reference", "mnist-cnn", "mnist_cnn_op13_dyn.onnx")
m = onnx.load(src)
for name, units in (("/Relu_2_output_0", 50), ("/fc2/Gemm_output_0", 10)):
    m.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", units]))
onnx.checker.check_model(m)
os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
dst = os.path.join(HERE, "out", "mnist_cnn_hooks.onnx")
onnx.save(m, dst)
print(dst)
