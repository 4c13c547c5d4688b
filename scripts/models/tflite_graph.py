"""A TFLite model of a float (or float16-weight) CNN, MediaPipe style, as an eager PyTorch
module that takes NCHW input and any batch size (for tracing by tsconv.export).

Activations stay NCHW throughout; weights are turned to PyTorch's layout once, at load;
float16 weights behind DEQUANTIZE become float32 parameters; a global AVERAGE_POOL_2D
becomes a mean (no size baked in). Covers CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D,
MAX_POOL_2D, ADD, MUL, RELU, RELU6, HARD_SWISH, LOGISTIC, RESIZE_BILINEAR and MediaPipe's
custom Convolution2DTransposeBias; any other op is an error naming it.
"""
import struct

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import tflite_reader
import tsconv

# ActivationFunctionType (schema.fbs).
ACTIVATIONS = {0: lambda y: y, 1: F.relu, 3: F.relu6, 4: torch.tanh}
SAME, VALID = 0, 1  # tflite Padding


def _activation(code):
    if code not in ACTIVATIONS:
        raise NotImplementedError(f"fused activation {code}")
    return ACTIVATIONS[code]


class TfliteGraph(nn.Module):
    def __init__(self, path):
        super().__init__()
        g = tflite_reader.load(path)
        self.g = g
        tensors = g["tensors"]
        if len(g["inputs"]) != 1:
            raise ValueError(f"{path}: {len(g['inputs'])} inputs; one is supported")
        n, h, w, c = tensors[g["inputs"][0]]["shape"]
        self.input_nchw = [c, h, w]
        self.params = nn.ParameterDict()
        self.consts = {}  # tensor index -> parameter (float) or numpy (ints)
        for i, t in enumerate(tensors):
            if t["data"] is not None:
                self.consts[i] = t["data"]
        # DEQUANTIZE of a constant is a constant: resolve it now.
        self.ops = []
        for o in g["ops"]:
            if o["op"] == "DEQUANTIZE" and o["inputs"][0] in self.consts:
                self.consts[o["outputs"][0]] = self.consts[o["inputs"][0]].astype(np.float32)
            else:
                self.ops.append(o)
        for o in self.ops:
            self._prepare(o)
        self.resizers = nn.ModuleDict()
        self.loaded = False
        with torch.no_grad():  # dry run: makes the resizers, checks every op is supported
            self.forward(torch.zeros([1] + self.input_nchw))
        self.loaded = True

    def _param(self, index, array):
        p = nn.Parameter(torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)), requires_grad=False)
        self.params[str(index)] = p
        return p

    def _prepare(self, o):
        op, ins = o["op"], o["inputs"]
        o["w"] = {}
        if op == "CONV_2D":  # [O, kh, kw, I] -> [O, I, kh, kw]
            o["w"][1] = self._param(f"{ins[1]}", self.consts[ins[1]].transpose(0, 3, 1, 2))
        elif op == "DEPTHWISE_CONV_2D":  # [1, kh, kw, C*mult] -> [C*mult, 1, kh, kw]
            o["w"][1] = self._param(f"{ins[1]}", self.consts[ins[1]].transpose(3, 0, 1, 2))
        elif op == "Convolution2DTransposeBias":  # [O, kh, kw, I] -> [I, O, kh, kw]
            o["w"][1] = self._param(f"{ins[1]}", self.consts[ins[1]].transpose(3, 0, 1, 2))
        if op in ("CONV_2D", "DEPTHWISE_CONV_2D", "Convolution2DTransposeBias") and len(ins) > 2 and ins[2] >= 0:
            o["w"][2] = self._param(f"{ins[2]}", self.consts[ins[2]])
        if op in ("ADD", "MUL"):
            for k, i in enumerate(ins):
                if i in self.consts:
                    c = self.consts[i]
                    if c.size == 1:
                        o["w"][k] = float(c.reshape(-1)[0])
                    elif c.shape[-1] == c.size:
                        o["w"][k] = self._param(f"{i}", c.reshape(1, -1, 1, 1))
                    else:
                        raise NotImplementedError(f"{op} with a constant of shape {c.shape}")

    def forward(self, x):
        env = {self.g["inputs"][0]: x}
        for o in self.ops:
            op, opt = o["op"], o["options"]
            ins = [o["w"][k] if k in o["w"] else env.get(i, self.consts.get(i)) for k, i in enumerate(o["inputs"])]
            if op == "CONV_2D":
                # Conv2DOptions: padding 0, stride_w 1, stride_h 2, activation 3, dilation_w 4, dilation_h 5
                stride, dil = (opt.int(2, 1), opt.int(1, 1)), (opt.int(5, 1), opt.int(4, 1))
                y = self._conv(ins, opt.byte(0), stride, dil, 1)
                y = _activation(opt.byte(3))(y)
            elif op == "DEPTHWISE_CONV_2D":
                # DepthwiseConv2DOptions: padding 0, stride_w 1, stride_h 2, multiplier 3,
                # activation 4, dilation_w 5, dilation_h 6
                stride, dil = (opt.int(2, 1), opt.int(1, 1)), (opt.int(6, 1), opt.int(5, 1))
                y = self._conv(ins, opt.byte(0), stride, dil, ins[0].shape[1])
                y = _activation(opt.byte(4))(y)
            elif op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
                # Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_w 3, filter_h 4, activation 5
                pad, stride = opt.byte(0), (opt.int(2, 1), opt.int(1, 1))
                k = (opt.int(4), opt.int(3))
                x0 = ins[0]
                if op == "AVERAGE_POOL_2D" and pad == VALID and tuple(x0.shape[2:]) == k:
                    y = x0.mean(dim=(2, 3), keepdim=True)  # global: no size baked in
                elif pad == VALID:
                    y = (F.avg_pool2d if op == "AVERAGE_POOL_2D" else F.max_pool2d)(x0, k, stride)
                elif op == "MAX_POOL_2D":
                    y = tsconv.max_pool_same(x0, k, stride)
                else:
                    raise NotImplementedError("AVERAGE_POOL_2D with SAME padding")
                y = _activation(opt.byte(5))(y)
            elif op in ("ADD", "MUL"):
                y = ins[0] + ins[1] if op == "ADD" else ins[0] * ins[1]
                y = _activation(opt.byte(0))(y)
            elif op == "RELU":
                y = F.relu(ins[0])
            elif op == "RELU6":
                y = F.relu6(ins[0])
            elif op == "HARD_SWISH":
                y = ins[0] * F.relu6(ins[0] + 3.0) / 6.0
            elif op == "LOGISTIC":
                y = torch.sigmoid(ins[0])
            elif op == "RESIZE_BILINEAR":
                # ResizeBilinearOptions: align_corners 2, half_pixel_centers 3
                size = [int(v) for v in np.asarray(ins[1]).reshape(-1)]
                if opt.bool(3):
                    y = F.interpolate(ins[0], size=size, mode="bilinear", align_corners=False)
                else:
                    y = self._resizer(o, tuple(ins[0].shape[2:]), tuple(size), opt.bool(2))(ins[0])
            elif op == "Convolution2DTransposeBias":
                # custom options: TfLiteTransposeConvParams {padding (1 = SAME), stride_w, stride_h}
                padding, sw, sh = struct.unpack("<3i", o["custom"][:12])
                y = F.conv_transpose2d(ins[0], ins[1], ins[2] if len(ins) > 2 else None, (sh, sw))
                if padding == 1:  # SAME: output = input * stride
                    oh, ow = ins[0].shape[2] * sh, ins[0].shape[3] * sw
                    ph, pw = (y.shape[2] - oh) // 2, (y.shape[3] - ow) // 2
                    if (ph, pw) != (0, 0) or y.shape[2] != oh or y.shape[3] != ow:
                        y = y[:, :, ph:ph + oh, pw:pw + ow]
            else:
                raise NotImplementedError(f"TFLite op {op}")
            env[o["outputs"][0]] = y
        return tuple(env[i] for i in self.g["outputs"])

    def _conv(self, ins, padding, stride, dil, groups):
        bias = ins[2] if len(ins) > 2 else None
        if padding == SAME:
            return tsconv.conv2d_same(ins[0], ins[1], bias, stride, dil, groups)
        return tsconv.conv2d(ins[0], ins[1], bias, stride, 0, dil, groups)

    def _resizer(self, o, in_hw, out_hw, align):
        key = str(o["outputs"][0])
        if key not in self.resizers:
            if self.loaded:
                raise RuntimeError("input size differs from the graph's own")
            self.resizers[key] = tsconv.LegacyBilinear(in_hw, out_hw, align)
        return self.resizers[key]
