# Writes small real ONNX models for the onnx plugin's tests: graphs built with onnx.helper
# (exact names, shapes and batch declarations), a small CNN exported by torch.onnx.export
# with a dynamic batch, a graph OpenCV DNN cannot run, and files that are not ONNX.
#   /usr/bin/python3 make_onnx_test_models.py OUT_DIR
import os
import shutil
import sys
import zipfile

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def value(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def const(name, x):
    return numpy_helper.from_array(np.asarray(x, dtype=np.float32), name)


def save(name, nodes, inputs, outputs, initializers=(), check=True):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 7
    if check:  # every file is a valid model, but the one made to be malformed
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name + ".onnx"))


# y = 2x, any batch.
save("double", [helper.make_node("Mul", ["x", "two"], ["y"])], [value("x", ["batch", 2, 2])],
     [value("y", ["batch", 2, 2])], [const("two", 2.0)])

# The same with a fixed batch of 1 (as BlazeFace's original file declares).
save("double_fixed", [helper.make_node("Mul", ["x", "two"], ["y"])], [value("x", [1, 3])],
     [value("y", [1, 3])], [const("two", 2.0)])

# Two inputs: z = a + 10 b (the order of the inputs matters).
save("two_inputs", [helper.make_node("Mul", ["b", "ten"], ["b10"]), helper.make_node("Add", ["a", "b10"], ["z"])],
     [value("a", ["n", 3]), value("b", ["n", 3])], [value("z", ["n", 3])], [const("ten", 10.0)])

# Five outputs, named in a different order than their values: x+1 .. x+5.
nodes, outputs, inits = [], [], []
for i, name in enumerate(["e", "d", "c", "b", "a"]):
    inits.append(const(f"k{i}", float(i + 1)))
    nodes.append(helper.make_node("Add", ["x", f"k{i}"], [name]))
    outputs.append(value(name, ["batch", 2]))
save("five_outputs", nodes, [value("x", ["batch", 2])], outputs, inits)

# An operator OpenCV 4.6's importer does not know.
save("unsupported", [helper.make_node("Det", ["x"], ["y"])], [value("x", ["batch", 3, 3])],
     [value("y", ["batch"])])
# A malformed graph: a node reads a value nothing makes. OpenCV fails on it without saying
# why; ONNX's checker says.
save("dangling", [helper.make_node("Mul", ["x", "nowhere"], ["y"])], [value("x", ["batch", 3])],
     [value("y", ["batch", 3])], check=False)


# A small CNN, exported as scripts/models/export_onnx.py exports: dynamic batch, opset 11.
class Cnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4 * 8 * 8, 5)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.conv(x / 255.0)), 2)
        return self.fc(x.flatten(1))


torch.manual_seed(0)
cnn = Cnn().eval()
example = torch.rand(2, 3, 16, 16) * 255
torch.onnx.export(cnn, example, os.path.join(out, "cnn.onnx"), opset_version=11, input_names=["pixels"],
                  output_names=["logits"], dynamic_axes={"pixels": {0: "batch"}, "logits": {0: "batch"}})
# Its outputs on a known input, for the value check.
x = torch.arange(3 * 16 * 16, dtype=torch.float32).reshape(1, 3, 16, 16) % 256
with torch.no_grad():
    y = cnn(x)
x.numpy().tofile(os.path.join(out, "cnn_input.f32"))
y.numpy().tofile(os.path.join(out, "cnn_output.f32"))

# Files that are not ONNX: text, a zip archive (as a TorchScript .pt is), a cut-off ONNX file.
with open(os.path.join(out, "text.onnx"), "w") as f:
    f.write("this is not a model\n")
with zipfile.ZipFile(os.path.join(out, "archive.onnx"), "w") as z:
    z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
data = open(os.path.join(out, "cnn.onnx"), "rb").read()
with open(os.path.join(out, "truncated.onnx"), "wb") as f:
    f.write(data[: len(data) // 2])
shutil.copyfile(os.path.join(out, "double.onnx"), os.path.join(out, "copy of double.onnx"))
print("wrote the onnx test models to", out)
