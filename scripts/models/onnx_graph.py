"""An ONNX graph of a small CNN as an eager PyTorch module that takes NCHW input and any
batch size (for tracing by tsconv.export). It covers the ops of the BlazeFace graphs:
Conv, Relu, Add, Mul, Sigmoid, MaxPool, Transpose, Reshape, Concat, and ConstantOfShape
where it only pads channels with zeros; any other op is an error naming it.

Batch-agnostic by construction: a graph whose input is NHWC and goes straight into a
Transpose to NCHW takes NCHW directly (the Transpose is dropped); Reshape keeps dim 0 as
-1 (the graph's constant shapes say 1); zeros concatenated along channels become F.pad.

    /usr/bin/python3 onnx_graph.py MODEL.onnx      # prints the ops, inputs and outputs
"""
import collections
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper
from torch import nn

import tsconv


class _Zeros:
    """A ConstantOfShape result, kept symbolic until Concat turns it into padding."""

    def __init__(self, shape, value):
        self.shape, self.value = shape, value


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _dims(value_info):
    return [d.dim_value if d.HasField("dim_value") else -1 for d in value_info.type.tensor_type.shape.dim]


class OnnxGraph(nn.Module):
    def __init__(self, path):
        super().__init__()
        model = onnx.load(path)
        g = model.graph
        init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        inputs = [i for i in g.input if i.name not in init]
        if len(inputs) != 1:
            raise ValueError(f"{path}: {len(inputs)} inputs; one is supported")
        self.input_name = inputs[0].name
        self.input_dims = _dims(inputs[0])
        self.output_names = [o.name for o in g.output]
        self.nodes = list(g.node)
        self.consts = {}  # name -> parameter (float) or numpy array (shapes, ints)
        self.params = nn.ParameterList()
        for name, a in init.items():
            if a.dtype in (np.float32, np.float16, np.float64):
                p = nn.Parameter(torch.from_numpy(a.astype(np.float32).copy()), requires_grad=False)
                self.consts[name] = p
                self.params.append(p)
            else:
                self.consts[name] = a
        # NHWC input straight into Transpose(0,3,1,2): take NCHW and drop that Transpose.
        self.alias = {}
        first = [n for n in self.nodes if self.input_name in n.input]
        if (len(first) == 1 and first[0].op_type == "Transpose"
                and list(_attrs(first[0])["perm"]) == [0, 3, 1, 2]):
            self.alias[first[0].output[0]] = self.input_name
            self.skip = {id(first[0])}
            self.nchw_input = True
        else:
            self.skip = set()
            self.nchw_input = False

    def forward(self, x):
        env = {self.input_name: x}
        for a, b in self.alias.items():
            env[a] = x
        for n in self.nodes:
            if id(n) in self.skip:
                continue
            ins = [env[k] if k in env else self.consts.get(k) for k in n.input]
            env[n.output[0]] = self._op(n, _attrs(n), ins)
        return tuple(env[k] for k in self.output_names)

    def _op(self, n, a, i):
        op = n.op_type
        if op == "Conv":
            pads = list(a.get("pads", [0, 0, 0, 0]))
            stride = list(a.get("strides", [1, 1]))
            dil = list(a.get("dilations", [1, 1]))
            x = i[0]
            if pads[0] != pads[2] or pads[1] != pads[3]:
                x = F.pad(x, (pads[1], pads[3], pads[0], pads[2]))
                pads = [0, 0]
            return tsconv.conv2d(x, i[1], i[2] if len(i) > 2 else None, stride, pads[:2], dil, a.get("group", 1))
        if op == "Relu":
            return F.relu(i[0])
        if op == "Sigmoid":
            return torch.sigmoid(i[0])
        if op == "Add":
            return i[0] + i[1]
        if op == "Mul":
            return i[0] * i[1]
        if op == "MaxPool":
            k = list(a["kernel_shape"])
            pads = list(a.get("pads", [0, 0, 0, 0]))
            x = i[0]
            if any(pads):
                x = F.pad(x, (pads[1], pads[3], pads[0], pads[2]), value=float("-inf"))
            return F.max_pool2d(x, k, list(a.get("strides", k)))
        if op == "Transpose":
            perm = list(a["perm"])
            if perm[0] != 0:
                raise NotImplementedError(f"Transpose {perm} moves the batch dimension")
            return i[0].permute(*perm)
        if op == "Reshape":
            shape = [int(v) for v in np.asarray(i[1]).reshape(-1)]
            if shape[0] not in (1, -1, 0):
                raise NotImplementedError(f"Reshape to {shape}: dim 0 is not the batch")
            rest = shape[1:]
            return i[0].reshape([-1] + rest) if -1 not in rest else i[0].reshape([i[0].shape[0]] + rest)
        if op == "ConstantOfShape":
            value = numpy_helper.to_array(a["value"]).reshape(-1)[0] if "value" in a else 0.0
            return _Zeros([int(v) for v in np.asarray(i[0]).reshape(-1)], float(value))
        if op == "Concat":
            axis = a["axis"]
            if any(isinstance(t, _Zeros) for t in i):
                # [x, zeros(1, C, H, W)] along channels: pad C zero channels after x.
                if (axis != 1 or len(i) != 2 or not isinstance(i[1], _Zeros) or i[1].value != 0.0
                        or i[1].shape[2:] != list(i[0].shape[2:])):
                    raise NotImplementedError("ConstantOfShape used other than to pad channels with zeros")
                return F.pad(i[0], (0, 0, 0, 0, 0, i[1].shape[1]))
            return torch.cat(i, dim=axis)
        raise NotImplementedError(f"ONNX op {op} ({n.name})")


def main():
    m = onnx.load(sys.argv[1])
    g = m.graph
    init = {t.name for t in g.initializer}
    print("opset:", [(o.domain or "ai.onnx", o.version) for o in m.opset_import])
    print("ops:", dict(collections.Counter(n.op_type for n in g.node)))
    print("inputs:", [(i.name, _dims(i)) for i in g.input if i.name not in init])
    print("outputs:", [(o.name, _dims(o)) for o in g.output])


if __name__ == "__main__":
    main()
