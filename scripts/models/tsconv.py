"""What the three graph converters (onnx_graph, tfjs_graph, tflite_graph) share: TF-style
padding, TF's legacy bilinear resize, and `export`, which turns an eager graph module
into the TorchScript file sluice runs:

- the graph is traced at batch 2, and must then give, for batches of 1 and 3, what the
  eager module gives (so no batch size is baked in: every reshape keeps dim 0 as -1);
- the traced graph may hold no tensor constant (they would stay on the CPU when C++
  moves the module to CUDA): every tensor is a parameter or a buffer;
- it is wrapped in a scripted `Model` that checks the input's shape with a readable
  error, casts the input to the model's dtype (uint8 frames, or half after
  module.to(half)), and scales pixels 0..255 to what the network was trained on.
"""
import io
import math
import os
import warnings

import torch
import torch.nn.functional as F
from torch import nn
from typing import List


def same_padding(size, k, stride, dilation=1):
    """TF 'SAME' padding along one axis: (before, after)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def conv2d(x, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """F.conv2d on the whole batch in one call. (Earlier conversions ran small
    convolutions one sample at a time, so that a batch of N was bit-identical to N single
    runs; that also took away what batching gains: at 2 threads a batch of 4-8 runs the
    selfie and emotion models 1.9-2x faster per image in one call, and not at all
    sample by sample. oneDNN splitting small convolutions differently per batch size
    moves a sample's result by up to 2.1e-5 of the output's scale, which
    check_batch_invariance.py bounds.)"""
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    return F.conv2d(x, weight, bias, stride, padding, dilation, groups)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv2d_same(x, weight, bias, stride, dilation=(1, 1), groups=1):
    """conv2d with TF 'SAME' padding; symmetric padding goes to the convolution itself."""
    ph = same_padding(x.shape[2], weight.shape[2], stride[0], dilation[0])
    pw = same_padding(x.shape[3], weight.shape[3], stride[1], dilation[1])
    if ph[0] == ph[1] and pw[0] == pw[1]:
        return conv2d(x, weight, bias, stride, (ph[0], pw[0]), dilation, groups)
    return conv2d(F.pad(x, (pw[0], pw[1], ph[0], ph[1])), weight, bias, stride, 0, dilation, groups)


def max_pool_same(x, k, stride):
    """max_pool2d with TF 'SAME' padding (padded cells never win)."""
    ph = same_padding(x.shape[2], k[0], stride[0])
    pw = same_padding(x.shape[3], k[1], stride[1])
    if ph[0] == ph[1] and pw[0] == pw[1] and ph[0] <= k[0] // 2 and pw[0] <= k[1] // 2:
        return F.max_pool2d(x, k, stride, (ph[0], pw[0]))
    return F.max_pool2d(F.pad(x, (pw[0], pw[1], ph[0], ph[1]), value=float("-inf")), k, stride)


class LegacyBilinear(nn.Module):
    """TF's bilinear resize for align_corners / neither flag (legacy, src = dst * in/out),
    which F.interpolate has no mode for, on NCHW tensors of a fixed size. Its indices and
    weights are buffers, so they move with the module (.to(device), .half())."""

    def __init__(self, in_hw, out_hw, align_corners):
        super().__init__()
        for axis, (i, o) in zip("yx", zip(in_hw, out_hw)):
            d = torch.arange(o, dtype=torch.float64)
            src = d * (i - 1) / (o - 1) if align_corners and o > 1 else d * i / o
            lo = src.floor().clamp(max=i - 1)
            self.register_buffer(f"{axis}0", lo.long())
            self.register_buffer(f"{axis}1", (lo + 1).clamp(max=i - 1).long())
            self.register_buffer(f"f{axis}", (src - lo).float())

    def forward(self, x):
        top, bottom = x.index_select(2, self.y0), x.index_select(2, self.y1)
        rows = top + (bottom - top) * self.fy.view(1, 1, -1, 1)
        left, right = rows.index_select(3, self.x0), rows.index_select(3, self.x1)
        return left + (right - left) * self.fx.view(1, 1, 1, -1)


class Model(nn.Module):
    """The exported module: checks the input, casts it, scales pixels, runs the network."""

    name: str
    expect: List[int]
    scale: float
    shift: float
    describe: str

    def __init__(self, core, name, expect, scale, shift, describe):
        super().__init__()
        self.core = core
        self.name = name
        self.expect = list(expect)  # [C, H, W]
        self.scale = float(scale)
        self.shift = float(shift)
        self.describe = describe
        # Follows the module's dtype (.half() converts it), so inputs are cast to match.
        self.register_buffer("dtype_probe", torch.zeros(1))

    def forward(self, x: torch.Tensor):
        if x.dim() != 4 or x.size(1) != self.expect[0] or x.size(2) != self.expect[1] \
                or x.size(3) != self.expect[2]:
            raise RuntimeError(self.name + " takes " + self.describe + "; got a tensor of shape "
                               + str(x.shape))
        x = x.to(self.dtype_probe.dtype)
        if self.scale != 1.0 or self.shift != 0.0:
            x = x * self.scale + self.shift
        return self.core(x)


def _tensor_constants(graph):
    bad = []
    for node in graph.nodes():
        if node.kind() == "prim::Constant" and node.output().type().kind() == "TensorType":
            t = node.t("value")
            if t.numel() > 1 or t.dim() > 0:
                bad.append(f"{list(t.shape)} {t.dtype}")
        for block in node.blocks():
            bad += _tensor_constants(block)
    return bad


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


BATCH_TOLERANCE = 1e-4  # batch of 3 against 3 single runs (see export)


def max_rel_diff(a, b):
    """max |a - b| over max(1, max |a|): the batch-invariance measure."""
    worst = 0.0
    for x, y in zip(_flat(a), _flat(b)):
        x, y = x.double(), y.double()
        scale = max(1.0, float(x.abs().max())) if x.numel() else 1.0
        worst = max(worst, float((x - y).abs().max()) / scale if x.numel() else 0.0)
    return worst


def serialize(module):
    """torch.jit.save to bytes, reproducibly: through memory the archive's folder is
    "archive" whatever the file is called (torch names it after the file otherwise), and
    the zip entries carry fixed dates, so the same module gives the same bytes."""
    buf = io.BytesIO()
    torch.jit.save(module, buf)
    return buf.getvalue()


def write_atomic(path, data):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def export(core, path, name, expect, scale, shift, describe, example, tol=1e-5):
    """Traces `core` (an eager nn.Module taking the normalised NCHW input) at batch 2,
    wraps and scripts it, checks it, and writes it to `path` (atomically). `example` is a
    [>=3, C, H, W] tensor of pixels 0..255 used for tracing and for the checks."""
    core = core.eval()
    norm = example.float() * scale + shift
    with torch.no_grad(), warnings.catch_warnings():
        # Shapes read while tracing (H, W, channels) are fixed by the model; the batch
        # dimension is never read as a number, and the checks below prove it.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(core, norm[:2], check_trace=False)
    bad = _tensor_constants(traced.inlined_graph)
    if bad:
        raise RuntimeError(f"{name}: the traced graph holds tensor constants {bad[:5]}; they "
                           "would not follow .to(device)")
    model = torch.jit.script(Model(traced, name, expect, scale, shift, describe)).eval()
    checks = {}
    with torch.no_grad():
        for n in (1, 3):
            d = max_rel_diff(core(norm[:n]), model(example[:n]))
            checks[f"vs_eager_batch{n}"] = d
            if not d <= tol:
                raise RuntimeError(f"{name}: TorchScript at batch {n} differs from the eager "
                                   f"module by {d:.3g} (> {tol})")
        batch = model(example[:3])
        singles = [model(example[i:i + 1]) for i in range(3)]
        joined = [torch.cat(parts) for parts in zip(*[_flat(s) for s in singles])]
        d = max_rel_diff(joined, _flat(batch))
        checks["batch3_vs_singles"] = d
        # oneDNN picks its convolution kernels per batch size and CPU, so a batch sums in
        # another order than single runs: selfie measured 2.53e-05 on an AMD EPYC, 2.1e-05
        # elsewhere. The same bound as tests/models/check_batch_invariance.py.
        if not d <= BATCH_TOLERANCE:
            raise RuntimeError(f"{name}: a batch of 3 differs from 3 single runs by {d:.3g} "
                               f"(> {BATCH_TOLERANCE})")
    data = serialize(model)
    # What is written must load and give the same results.
    with torch.no_grad():
        d = max_rel_diff(_flat(batch), _flat(torch.jit.load(io.BytesIO(data))(example[:3])))
    if d != 0.0:
        raise RuntimeError(f"{name}: the saved module gives different results ({d:.3g})")
    write_atomic(path, data)
    return checks
