"""A TensorFlow.js graph model (model.json + weight shards) of a CNN (convolutions, then
perhaps dense layers on pooled features) as an eager PyTorch module that takes NCHW input
and any batch size (for tracing by tsconv.export).

The graph is NHWC; this module keeps every 4-D activation NCHW instead (no permute
around each convolution): convolution weights are turned to PyTorch's layout once, at
load, axis attributes on 4-D tensors are mapped (NHWC axis 1,2,3 -> NCHW 2,3,1) and
per-channel constants are reshaped to [1, C, 1, 1]. Only the nodes the requested outputs
depend on are run, so a graph's own batch-1 post-processing can be left out and done by
a batch-aware module instead (see convert_models.CenterNetDecode, MoveNetDecode), and the
graph may start at an inner node (input_node), after its own batch-1 preprocessing. Any op
outside the set below is an error naming it.

    /usr/bin/python3 tfjs_graph.py MODEL.json     # prints the ops, inputs and outputs
"""
import base64
import collections
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import tsconv

NHWC_TO_NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1, -1: 1, -2: 3, -3: 2, -4: 0}


def load_weights(model_json):
    """{name: numpy array} from a tfjs graph model's weight manifest (float16 and uint8/uint16
    affine-quantised weights are dequantised to float32)."""
    j = json.load(open(model_json))
    folder = os.path.dirname(model_json)
    weights = {}
    for group in j["weightsManifest"]:
        buf = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            shape = w["shape"]
            n = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            if q:
                qtype = {"float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}[q["dtype"]]
                a = np.frombuffer(buf, qtype, n, off)
                off += n * a.itemsize
                a = a.astype(np.float32) if q["dtype"] == "float16" else a.astype(np.float32) * q["scale"] + q["min"]
            else:
                dtype = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}[w["dtype"]]
                a = np.frombuffer(buf, dtype, n, off)
                off += n * a.itemsize
            weights[w["name"]] = a.reshape(shape).copy()
        if off != len(buf):
            raise ValueError(f"{model_json}: weight manifest covers {off} of {len(buf)} bytes")
    return j, weights


def attr(node, key, default=None):
    v = node.get("attr", {}).get(key)
    if v is None:
        return default
    if "s" in v:
        return base64.b64decode(v["s"]).decode()
    if "i" in v:
        return int(v["i"])
    if "f" in v:
        return float(v["f"])
    if "b" in v:
        return bool(v["b"])
    if "list" in v:
        lst = v["list"]
        if "i" in lst:
            return [int(x) for x in lst["i"]]
        if "s" in lst:
            return [base64.b64decode(x).decode() for x in lst["s"]]
        if "f" in lst:
            return [float(x) for x in lst["f"]]
        return []
    return default


class TfjsGraph(nn.Module):
    """Runs the nodes `outputs` depend on; returns those outputs (4-D ones NCHW)."""

    def __init__(self, model_json, outputs, input_node=None, input_nchw=None):
        """`input_node` (with its [C, H, W] as `input_nchw`) starts the graph at that node
        instead of the Placeholder: the module's input is that node's value (NCHW), and
        the nodes before it are left out (a graph's own batch-1 preprocessing, which the
        exported Model's scale and shift then do; see convert_models.MoveNet)."""
        super().__init__()
        j, w = load_weights(model_json)
        nodes = {n["name"]: n for n in j["modelTopology"]["node"]}
        self.outputs = list(outputs)
        self.input_node = input_node
        # The nodes needed, in graph order.
        needed, stack = set(), [o.split(":")[0] for o in self.outputs]
        while stack:
            name = stack.pop()
            if name in needed:
                continue
            if name not in nodes:
                raise ValueError(f"{model_json}: no node {name}")
            needed.add(name)
            if name != input_node:
                stack += [i.lstrip("^").split(":")[0] for i in nodes[name].get("input", [])]
        self.nodes = [n for n in j["modelTopology"]["node"] if n["name"] in needed and n["op"] != "Const"]
        placeholders = [n for n in self.nodes if n["op"] == "Placeholder" or n["name"] == input_node]
        if len(placeholders) != 1:
            raise ValueError(f"{model_json}: {len(placeholders)} inputs; one is supported")
        self.w = w  # numpy constants by name; turned into parameters below where used as weights
        self.params = nn.ParameterDict()
        self.prepared = {}  # (node name, input index) -> parameter or python value
        for n in self.nodes:
            self._prepare(n)
        # The input's [N, H, W, C] from the Placeholder; a dry run at batch 1 makes the
        # resizers and checks that every op is supported.
        if input_node is None:
            dims = [int(d["size"]) for d in placeholders[0]["attr"]["shape"]["shape"]["dim"]]
            self.input_nchw = [dims[3], dims[1], dims[2]]
        else:
            self.input_nchw = list(input_nchw)
        self.resizers = nn.ModuleDict()
        self.loaded = False
        self.debug_env = None
        with torch.no_grad():
            self.forward(torch.zeros([1] + self.input_nchw))
        self.loaded = True

    # -- load time: constants in PyTorch layout --------------------------------------------
    def _param(self, key, array):
        p = nn.Parameter(torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)), requires_grad=False)
        self.params[str(len(self.params))] = p
        self.prepared[key] = p

    def _const(self, name):
        return self.w.get(name.split(":")[0])

    def _prepare(self, n):
        op, ins = n["op"], [i for i in n.get("input", []) if not i.startswith("^")]
        if op in ("_FusedConv2D", "Conv2D"):
            self._param((n["name"], 1), self._const(ins[1]).transpose(3, 2, 0, 1))  # HWIO -> OIHW
            for k, i in enumerate(ins[2:], 2):
                self._param((n["name"], k), self._const(i))
        elif op in ("FusedDepthwiseConv2dNative", "DepthwiseConv2dNative"):
            k = self._const(ins[1])  # [kh, kw, C, mult] -> [C*mult, 1, kh, kw]
            kh, kw, c, mult = k.shape
            self._param((n["name"], 1), k.transpose(2, 3, 0, 1).reshape(c * mult, 1, kh, kw))
            for k, i in enumerate(ins[2:], 2):
                self._param((n["name"], k), self._const(i))
        elif op in ("_FusedMatMul", "MatMul"):
            if attr(n, "transpose_a", False) or attr(n, "transpose_b", False):
                raise NotImplementedError(f"{op} {n['name']}: transposed operands")
            self._param((n["name"], 1), self._const(ins[1]).T)  # [in, out] -> F.linear's [out, in]
            for k, i in enumerate(ins[2:], 2):
                self._param((n["name"], k), self._const(i))
        elif op in ("Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum"):
            for k, i in enumerate(ins):
                c = self._const(i)
                if c is None:
                    continue
                if c.size == 1:
                    self.prepared[(n["name"], k)] = float(c.reshape(-1)[0])
                elif c.ndim in (1, 4) and c.shape[-1] == c.size:  # per channel, NHWC-broadcast
                    self._param((n["name"], k), c.reshape(1, -1, 1, 1))
                else:
                    raise NotImplementedError(f"{op} {n['name']}: constant of shape {c.shape}")

    # -- run time ------------------------------------------------------------------------
    def _conv(self, n, x, wgt, bias, depthwise):
        stride = attr(n, "strides", [1, 1, 1, 1])[1:3]
        dil = attr(n, "dilations", [1, 1, 1, 1])[1:3]
        pad = attr(n, "padding")
        groups = x.shape[1] if depthwise else 1
        if pad == "SAME":
            return tsconv.conv2d_same(x, wgt, bias, stride, dil, groups)
        if pad == "EXPLICIT":
            e = attr(n, "explicit_paddings")
            x = F.pad(x, (e[4], e[5], e[2], e[3]))
        return tsconv.conv2d(x, wgt, bias, stride, 0, dil, groups)

    def _fused(self, n, y):
        ops = attr(n, "fused_ops", [])
        k = 2
        for o in ops:
            if o == "BiasAdd":
                k += 1  # added by the convolution itself
            elif o == "Relu":
                y = F.relu(y)
            elif o == "Relu6":
                y = F.relu6(y)
            elif o == "Prelu":
                y = torch.where(y > 0, y, y * self.prepared[(n["name"], k)].view(1, -1, 1, 1))
                k += 1
            elif o == "LeakyRelu":
                y = F.leaky_relu(y, attr(n, "leakyrelu_alpha", 0.2))
            else:
                raise NotImplementedError(f"fused op {o} in {n['name']}")
        return y

    def forward(self, x):
        env = {}

        def lookup(name):
            base, _, idx = name.partition(":")
            if base in env:
                v = env[base]
                return v[int(idx or 0)] if isinstance(v, tuple) else v
            c = self.w.get(base)
            if c is None:
                raise KeyError(f"input {name} not computed")
            return c

        def get(node, k, name):
            return self.prepared[(node["name"], k)] if (node["name"], k) in self.prepared else lookup(name)

        for n in self.nodes:
            op, name = n["op"], n["name"]
            if op == "Placeholder" or name == self.input_node:
                env[name] = x
                continue
            ins = [get(n, k, i) for k, i in enumerate(i for i in n.get("input", []) if not i.startswith("^"))]
            if op in ("_FusedConv2D", "Conv2D"):
                bias = ins[2] if op == "_FusedConv2D" and "BiasAdd" in attr(n, "fused_ops", []) else None
                y = self._conv(n, ins[0], ins[1], bias, False)
                if op == "_FusedConv2D":
                    y = self._fused(n, y)
            elif op in ("FusedDepthwiseConv2dNative", "DepthwiseConv2dNative"):
                fused = op.startswith("Fused")
                bias = ins[2] if fused and "BiasAdd" in attr(n, "fused_ops", []) else None
                y = self._conv(n, ins[0], ins[1], bias, True)
                if fused:
                    y = self._fused(n, y)
            elif op in ("_FusedMatMul", "MatMul"):
                if ins[0].dim() != 2:
                    raise NotImplementedError(f"{op} on a {ins[0].dim()}-D tensor in {name}")
                bias = ins[2] if op == "_FusedMatMul" and "BiasAdd" in attr(n, "fused_ops", []) else None
                y = F.linear(ins[0], ins[1], bias)
                if op == "_FusedMatMul":
                    y = self._fused(n, y)
            elif op in ("Add", "AddV2"):
                y = ins[0] + ins[1]
            elif op == "Sub":
                y = ins[0] - ins[1]
            elif op == "Mul":
                y = ins[0] * ins[1]
            elif op == "RealDiv":
                y = ins[0] / ins[1]
            elif op == "Maximum":
                y = torch.clamp(ins[0], min=ins[1]) if isinstance(ins[1], float) else torch.maximum(ins[0], ins[1])
            elif op == "Minimum":
                y = torch.clamp(ins[0], max=ins[1]) if isinstance(ins[1], float) else torch.minimum(ins[0], ins[1])
            elif op == "Relu":
                y = F.relu(ins[0])
            elif op == "Relu6":
                # Not F.relu6: LibTorch 1.13's optimize_for_inference runs a relu6 on
                # [N, C, 1, 1] (the squeeze-excite gates) in oneDNN's channel-padded layout
                # and warns at every pass that "an output ... was resized" (72 channels
                # padded to 80). Same values, no warning, same speed.
                y = torch.relu(ins[0]).clamp_max(6.0)
            elif op == "Sigmoid":
                y = torch.sigmoid(ins[0])
            elif op == "Tanh":
                y = torch.tanh(ins[0])
            elif op == "Softmax":
                y = torch.softmax(ins[0], dim=-1) if ins[0].dim() == 2 else torch.softmax(ins[0], dim=1)
            elif op == "Identity":
                y = ins[0]
            elif op == "Mean":
                axes = [int(v) for v in np.asarray(ins[1]).reshape(-1)]
                if ins[0].dim() == 4:
                    axes = [NHWC_TO_NCHW_AXIS[a] for a in axes]
                keep = attr(n, "keep_dims", False)
                y = ins[0].mean(dim=axes, keepdim=keep)
                if ins[0].dim() == 4 and not keep and sorted(axes) != [2, 3]:
                    raise NotImplementedError(f"Mean over {axes} without keep_dims in {name}")
            elif op == "MaxPool":
                k, stride = attr(n, "ksize")[1:3], attr(n, "strides")[1:3]
                if attr(n, "padding") == "SAME":
                    y = tsconv.max_pool_same(ins[0], k, stride)
                else:
                    y = F.max_pool2d(ins[0], k, stride)
            elif op == "AvgPool":
                k, stride = attr(n, "ksize")[1:3], attr(n, "strides")[1:3]
                if attr(n, "padding") != "VALID":
                    raise NotImplementedError(f"AvgPool with {attr(n, 'padding')} padding in {name}")
                y = F.avg_pool2d(ins[0], k, stride)
            elif op == "ResizeBilinear":
                size = [int(v) for v in np.asarray(ins[1]).reshape(-1)]
                if attr(n, "half_pixel_centers", False):
                    y = F.interpolate(ins[0], size=size, mode="bilinear", align_corners=False)
                else:
                    y = self._resizer(name, tuple(ins[0].shape[2:]), tuple(size),
                                      attr(n, "align_corners", False))(ins[0])
            elif op == "ConcatV2":
                axis = int(np.asarray(ins[-1]).reshape(-1)[0])
                tensors = ins[:-1]
                if tensors[0].dim() == 4:
                    axis = NHWC_TO_NCHW_AXIS[axis]
                y = torch.cat(tensors, dim=axis)
            else:
                raise NotImplementedError(f"tfjs op {op} ({name})")
            env[name] = y
        if self.debug_env is not None:  # for debugging a conversion: every node's value
            self.debug_env.update(env)
        return tuple(lookup(o) for o in self.outputs)

    # Legacy-mode resizers are submodules (their index buffers must move with the module),
    # made by the dry run at load time: a graph model does not record intermediate shapes.
    def _resizer(self, node_name, in_hw, out_hw, align):
        key = node_name.replace("/", "_").replace(".", "_")
        if key not in self.resizers:
            if self.loaded:
                raise RuntimeError(f"{node_name}: input size differs from the graph's own")
            self.resizers[key] = tsconv.LegacyBilinear(in_hw, out_hw, align)
        return self.resizers[key]


def main():
    j = json.load(open(sys.argv[1]))
    nodes = j["modelTopology"]["node"]
    print("ops:", dict(collections.Counter(n["op"] for n in nodes)))
    print("inputs:", [(n["name"], attr(n, "shape")) for n in nodes if n["op"] == "Placeholder"])
    sig = j.get("signature") or j.get("userDefinedMetadata", {}).get("signature", {})
    print("outputs:", list(sig.get("outputs", {}).keys()))


if __name__ == "__main__":
    main()
