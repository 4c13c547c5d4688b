"""A reference for the TensorFlow.js conversions that shares no code with tfjs_graph.py:
runs a graph model (model.json + weight shards) node by node in numpy, as TensorFlow
defines each op, in the graph's own NHWC layout, at batch 1 and in float64, from its
Placeholder (the graph's own input cast and normalisation) to its outputs (including
a graph's own batch-1 post-processing, such as MoveNet's arg-max decoding). Slow and
simple on purpose; convert_models.py compares each converted file with it.

    /usr/bin/python3 tfjs_reference.py MODEL.json [OUTPUT ...]   # runs it on a grey image

Ops: the ones of Human's faceres and movenet-lightning graphs (Conv2D, depthwise, MatMul
with their fused forms, element-wise arithmetic, Mean, Softmax, ResizeBilinear, Reshape,
Pack/Unpack, ExpandDims/Squeeze, Cast, ArgMax, FloorDiv, GatherNd, ConcatV2 ...); any
other is an error naming it.
"""
import base64
import json
import math
import os
import sys

import numpy as np

DTYPES = {"DT_FLOAT": np.float64, "DT_INT32": np.int32, "DT_INT64": np.int64, "DT_BOOL": np.bool_}


def read_weights(model_json):
    """{name: array}: float32 weights (and float16 ones, widened) as float64, integers as
    they are."""
    j = json.load(open(model_json))
    folder = os.path.dirname(model_json)
    out = {}
    for group in j["weightsManifest"]:
        data = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        pos = 0
        for w in group["weights"]:
            count = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            stored = q["dtype"] if q else w["dtype"]
            dt = {"float32": "<f4", "float16": "<f2", "int32": "<i4", "uint8": "u1", "uint16": "<u2",
                  "bool": "?"}[stored]
            a = np.frombuffer(data, dt, count, pos)
            pos += a.nbytes
            if q and stored in ("uint8", "uint16"):
                a = a.astype(np.float64) * q["scale"] + q["min"]
            elif a.dtype.kind == "f":
                a = a.astype(np.float64)
            out[w["name"]] = a.reshape(w["shape"]).copy()
    return j, out


def _attr(node, key, default=None):
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
    if "type" in v:
        return v["type"]
    if "list" in v:
        lst = v["list"]
        if "s" in lst:
            return [base64.b64decode(s).decode() for s in lst["s"]]
        return [int(i) for i in lst.get("i", [])]
    return default


def _same_pad(size, k, stride, dilation):
    eff = (k - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def _pad_input(node, x, kh, kw):
    strides, dil = _attr(node, "strides", [1, 1, 1, 1]), _attr(node, "dilations", [1, 1, 1, 1])
    padding = _attr(node, "padding")
    if padding == "SAME":
        pt = _same_pad(x.shape[1], kh, strides[1], dil[1])
        pl = _same_pad(x.shape[2], kw, strides[2], dil[2])
        x = np.pad(x, ((0, 0), pt, pl, (0, 0)))
    elif padding == "EXPLICIT":
        e = _attr(node, "explicit_paddings")
        x = np.pad(x, ((e[0], e[1]), (e[2], e[3]), (e[4], e[5]), (e[6], e[7])))
    elif padding != "VALID":
        raise NotImplementedError(f"padding {padding} in {node['name']}")
    return x, strides[1:3], dil[1:3]


def _taps(x, kh, kw, stride, dil):
    """(i, j, the input window of tap (i, j) for every output position)."""
    oh = (x.shape[1] - (kh - 1) * dil[0] - 1) // stride[0] + 1
    ow = (x.shape[2] - (kw - 1) * dil[1] - 1) // stride[1] + 1
    for i in range(kh):
        for j in range(kw):
            yield i, j, x[:, i * dil[0]: i * dil[0] + (oh - 1) * stride[0] + 1: stride[0],
                          j * dil[1]: j * dil[1] + (ow - 1) * stride[1] + 1: stride[1], :]


def conv2d(node, x, w):  # w: [kh, kw, in, out]
    x, stride, dil = _pad_input(node, x, w.shape[0], w.shape[1])
    return sum(win @ w[i, j] for i, j, win in _taps(x, w.shape[0], w.shape[1], stride, dil))


def depthwise(node, x, w):  # w: [kh, kw, C, multiplier]; output channel c * mult + m
    x, stride, dil = _pad_input(node, x, w.shape[0], w.shape[1])
    mult = w.shape[3]
    if mult > 1:
        x = np.repeat(x, mult, axis=3)
    flat = w.reshape(w.shape[0], w.shape[1], -1)
    return sum(win * flat[i, j] for i, j, win in _taps(x, w.shape[0], w.shape[1], stride, dil))


def resize_bilinear(node, x, size):
    """tf.image.resize_bilinear with its align_corners and half_pixel_centers flags."""
    align, half = _attr(node, "align_corners", False), _attr(node, "half_pixel_centers", False)

    def weights(n_in, n_out):
        scale = (n_in - 1) / (n_out - 1) if align and n_out > 1 else n_in / n_out
        out = np.arange(n_out, dtype=np.float64)
        src = (out + 0.5) * scale - 0.5 if half else out * scale
        fl = np.floor(src)
        lo = np.maximum(fl, 0).astype(np.int64)
        hi = np.minimum(np.ceil(src), n_in - 1).astype(np.int64)
        return lo, hi, src - fl

    y0, y1, fy = weights(x.shape[1], int(size[0]))
    x0, x1, fx = weights(x.shape[2], int(size[1]))
    top, bottom = x[:, y0], x[:, y1]
    rows = top + (bottom - top) * fy[None, :, None, None]
    left, right = rows[:, :, x0], rows[:, :, x1]
    return left + (right - left) * fx[None, None, :, None]


def _activations(node, y, extra):
    for op in _attr(node, "fused_ops", []):
        if op == "BiasAdd":
            y = y + extra.pop(0)
        elif op == "Relu":
            y = np.maximum(y, 0)
        elif op == "Relu6":
            y = np.minimum(np.maximum(y, 0), 6)
        elif op == "LeakyRelu":
            y = np.where(y > 0, y, y * _attr(node, "leakyrelu_alpha", 0.2))
        elif op == "Prelu":
            y = np.where(y > 0, y, y * extra.pop(0))
        else:
            raise NotImplementedError(f"fused op {op} in {node['name']}")
    return y


def _axis(a, rank):
    return int(a) + rank if int(a) < 0 else int(a)


def run_graph(model_json, x, outputs=None, weights=None):
    """Runs the graph on x (NHWC, the Placeholder's dtype) -> {output name: array}.
    `outputs` defaults to the signature's; all nodes are evaluated."""
    if weights is None:
        j, weights = read_weights(model_json)
    else:
        j = json.load(open(model_json))
    nodes = j["modelTopology"]["node"]
    if outputs is None:
        outputs = list(j["signature"]["outputs"].keys())
    env = {}

    def value(name):
        base, _, idx = name.partition(":")
        v = env[base] if base in env else weights[base]
        return v[int(idx or 0)] if isinstance(v, tuple) else v

    for n in nodes:
        op, name = n["op"], n["name"]
        if op == "Const":
            continue
        a = [value(i) for i in n.get("input", []) if not i.startswith("^")]
        if op == "Placeholder":
            y = x
        elif op == "Identity":
            y = a[0]
        elif op == "Cast":
            y = a[0].astype(DTYPES[_attr(n, "DstT")])
        elif op in ("Conv2D", "_FusedConv2D"):
            y = conv2d(n, a[0], a[1])
            if op == "_FusedConv2D":
                y = _activations(n, y, a[2:])
        elif op in ("DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"):
            y = depthwise(n, a[0], a[1])
            if op == "FusedDepthwiseConv2dNative":
                y = _activations(n, y, a[2:])
        elif op in ("MatMul", "_FusedMatMul"):
            p = a[0].T if _attr(n, "transpose_a", False) else a[0]
            q = a[1].T if _attr(n, "transpose_b", False) else a[1]
            y = p @ q
            if op == "_FusedMatMul":
                y = _activations(n, y, a[2:])
        elif op in ("Add", "AddV2", "BiasAdd"):
            y = a[0] + a[1]
        elif op == "Sub":
            y = a[0] - a[1]
        elif op == "Mul":
            y = a[0] * a[1]
        elif op == "RealDiv":
            y = a[0] / a[1]
        elif op == "FloorDiv":
            y = np.floor_divide(a[0], a[1])
        elif op == "SquaredDifference":
            y = (a[0] - a[1]) ** 2
        elif op == "Maximum":
            y = np.maximum(a[0], a[1])
        elif op == "Minimum":
            y = np.minimum(a[0], a[1])
        elif op == "Relu":
            y = np.maximum(a[0], 0)
        elif op == "Relu6":
            y = np.minimum(np.maximum(a[0], 0), 6)
        elif op == "Sigmoid":
            y = 1 / (1 + np.exp(-a[0]))
        elif op == "Tanh":
            y = np.tanh(a[0])
        elif op == "Sqrt":
            y = np.sqrt(a[0])
        elif op == "Softmax":
            e = np.exp(a[0] - a[0].max(axis=-1, keepdims=True))
            y = e / e.sum(axis=-1, keepdims=True)
        elif op == "Mean":
            axes = tuple(_axis(v, a[0].ndim) for v in np.asarray(a[1]).reshape(-1))
            y = a[0].mean(axis=axes, keepdims=_attr(n, "keep_dims", False))
        elif op == "ResizeBilinear":
            y = resize_bilinear(n, a[0], np.asarray(a[1]).reshape(-1))
        elif op == "Reshape":
            y = a[0].reshape([int(v) for v in np.asarray(a[1]).reshape(-1)])
        elif op == "ExpandDims":
            y = np.expand_dims(a[0], _axis(np.asarray(a[1]).reshape(-1)[0], a[0].ndim + 1))
        elif op == "Squeeze":
            dims = _attr(n, "squeeze_dims", [])
            y = np.squeeze(a[0], axis=tuple(_axis(d, a[0].ndim) for d in dims) if dims else None)
        elif op == "Pack":
            y = np.stack(a, axis=_axis(_attr(n, "axis", 0), a[0].ndim + 1))
        elif op == "Unpack":
            axis = _axis(_attr(n, "axis", 0), a[0].ndim)
            y = tuple(np.take(a[0], k, axis=axis) for k in range(a[0].shape[axis]))
        elif op == "ConcatV2":
            y = np.concatenate(a[:-1], axis=_axis(np.asarray(a[-1]).reshape(-1)[0], a[0].ndim))
        elif op == "ArgMax":  # the first of equal maxima, as TensorFlow
            y = np.argmax(a[0], axis=_axis(np.asarray(a[1]).reshape(-1)[0], a[0].ndim)).astype(np.int64)
        elif op == "GatherNd":
            idx = np.asarray(a[1]).astype(np.int64)
            y = a[0][tuple(np.moveaxis(idx, -1, 0))]
        else:
            raise NotImplementedError(f"tfjs op {op} ({name})")
        env[name] = y
    return {o: value(o) for o in outputs}


def main():
    model_json = sys.argv[1]
    j = json.load(open(model_json))
    ph = [n for n in j["modelTopology"]["node"] if n["op"] == "Placeholder"][0]
    dims = [max(1, int(d["size"])) for d in ph["attr"]["shape"]["shape"]["dim"]]
    x = np.full(dims, 128, dtype=DTYPES[_attr(ph, "dtype", "DT_FLOAT")])
    for k, v in run_graph(model_json, x, sys.argv[2:] or None).items():
        print(k, v.shape, v.reshape(-1)[:8])


if __name__ == "__main__":
    main()
