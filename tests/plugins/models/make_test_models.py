# Writes small real models for the torchscript plugin's tests, in every form a user may
# hand it: TorchScript (scripted and traced, several result shapes), and the forms C++
# cannot run (a pickled module, a state_dict, a legacy pickle).
#   /usr/bin/python3 make_test_models.py OUT_DIR
import os
import sys

import torch
import torch.nn as nn
from typing import Dict, Tuple

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


class Double(nn.Module):
    def forward(self, x):
        return x * 2


class TupleResult(nn.Module):
    def forward(self, x) -> Tuple[torch.Tensor, torch.Tensor]:
        return x + 1, x.sum(dim=[1, 2, 3])


class DictResult(nn.Module):
    def forward(self, x) -> Dict[str, torch.Tensor]:
        return {"b": x - 1, "a": x * 3}


class TwoInputs(nn.Module):
    def forward(self, x, y):
        return x + y


class SmallCnn(nn.Module):
    """A conv net with batch norm in eval mode: per-sample results must not depend on the batch."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        return self.fc(x.mean(dim=[2, 3]))


class MaskedMean(nn.Module):
    """The mean of each channel over a packet's own pixels: padding-invariant given the
    mask the node passes with batch_shapes = "pad", pad_info = "mask"."""

    def forward(self, x, mask):
        return (x * mask).sum(dim=[2, 3]) / mask.sum(dim=[2, 3])


class TokenMean(nn.Module):
    """Token ids [N, L] and their lengths [N, 1] (pad_info = "lengths"): the mean embedding
    of each sequence's own tokens, whatever it was padded with."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(100, 4)

    def forward(self, tokens, lengths):
        positions = torch.arange(tokens.shape[1]).unsqueeze(0)
        own = (positions < lengths).unsqueeze(2).to(torch.float32)
        return (self.embed(tokens) * own).sum(dim=1) / own.sum(dim=1)


class MobileActivations(nn.Module):
    """MobileNetV3's activations (in place, as torchvision has them) after convolutions of 21
    and 24 channels, counts that are not multiples of 16: PyTorch 1.13's oneDNN versions of
    these activations, which optimize_for_inference puts in, leave part of the last block
    of 16 channels as the convolution gave it."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 21, 3, padding=1)
        self.act1 = nn.Hardswish(inplace=True)
        self.conv2 = nn.Conv2d(21, 24, 1)
        self.act2 = nn.Hardsigmoid(inplace=True)
        self.conv3 = nn.Conv2d(24, 21, 1)
        self.act3 = nn.ReLU6(inplace=True)

    def forward(self, x):
        x = self.act1(self.conv1(x))
        x = self.act2(self.conv2(x) * 4)
        return self.act3(self.conv3(x) * 4)


torch.jit.script(MobileActivations().eval()).save(f"{out}/mobile_activations.pt")
torch.jit.script(Double()).save(f"{out}/double.pt")
torch.jit.script(MaskedMean()).save(f"{out}/masked_mean.pt")
torch.jit.script(TokenMean().eval()).save(f"{out}/token_mean.pt")
torch.jit.script(TupleResult()).save(f"{out}/tuple.pt")
torch.jit.script(DictResult()).save(f"{out}/dict.pt")
torch.jit.script(TwoInputs()).save(f"{out}/two_inputs.pt")
cnn = SmallCnn().eval()
with torch.no_grad():
    cnn.bn.running_mean.uniform_(-0.5, 0.5)
    cnn.bn.running_var.uniform_(0.5, 2.0)
torch.jit.trace(cnn, torch.rand(2, 3, 16, 16)).save(f"{out}/cnn.pt")

torch.save(cnn, f"{out}/pickled_module.pt")
torch.save(cnn.state_dict(), f"{out}/state_dict.pt")
torch.save(cnn, f"{out}/legacy_pickle.pt", _use_new_zipfile_serialization=False)
print("test models written to", out)

# Weights-only files: the SmallCnn's state_dict onto a TorchScript architecture of the same
# class (initialised differently), a checkpoint dict, and files that do not fit.
arch = SmallCnn().eval()
torch.jit.script(arch).save(f"{out}/cnn_architecture.pt")
torch.save({"model": cnn.state_dict(), "epoch": 3}, f"{out}/checkpoint.pt")
sd = cnn.state_dict()
missing = {k: v for k, v in sd.items() if k != "fc.bias"}
torch.save(missing, f"{out}/state_dict_missing.pt")
extra = dict(sd)
extra["head.weight"] = torch.zeros(2)
torch.save(extra, f"{out}/state_dict_extra.pt")
wrong = dict(sd)
wrong["fc.weight"] = torch.zeros(7, 8)
torch.save(wrong, f"{out}/state_dict_shape.pt")


# Mutated files whose names hold bytes that are not text (invalid UTF-8, a terminal escape):
# the errors that quote them must escape them. The pickle's bytes are changed in place,
# keeping every length, and the zip is written again around them.
def mutate_pickle(src, dst, old, new):
    import zipfile
    assert len(old) == len(new)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.endswith("/data.pkl"):
                assert old in data, (src, old)
                data = data.replace(old, new)
            zout.writestr(item, data)


mutate_pickle(f"{out}/state_dict_extra.pt", f"{out}/state_dict_bad_key_bytes.pt",
              b"head.weight", b"head\xff\x1b[2J.w")
mutate_pickle(f"{out}/pickled_module.pt", f"{out}/pickled_module_bad_bytes.pt",
              b"__main__", b"\xfe\xff\x07_main")

# A torchvision ResNet-18 state_dict (random weights: no hub here) and Python's logits on
# a real picture, to compare with the C++ ResNet-18.
import numpy as np
import torchvision

media = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../assets/media/dog.jpg")
resnet = torchvision.models.resnet18(num_classes=1000).eval()
with torch.no_grad():
    for m in resnet.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
torch.save(resnet.state_dict(), f"{out}/resnet18_weights.pt")
import cv2

image = cv2.imread(media)
if image is None:
    sys.exit("missing " + media + ": run scripts/fetch_assets.sh")
rgb = cv2.cvtColor(cv2.resize(image, (224, 224)), cv2.COLOR_BGR2RGB).astype(np.float32) / 255
mean = np.array([0.485, 0.456, 0.406], np.float32)
std = np.array([0.229, 0.224, 0.225], np.float32)
x = torch.from_numpy(((rgb - mean) / std).transpose(2, 0, 1)[None].copy())
with torch.no_grad():
    logits = resnet(x)
x.numpy().astype(np.float32).tofile(f"{out}/resnet18_input.f32")
logits.numpy().astype(np.float32).tofile(f"{out}/resnet18_logits.f32")
with torch.no_grad():
    cnn_in = torch.rand(1, 3, 16, 16)
    cnn_in.numpy().tofile(f"{out}/cnn_input.f32")
    cnn(cnn_in).numpy().tofile(f"{out}/cnn_output.f32")
print("weights-only files written")

# A statically quantized model whose weights qnnpack packs but onednn cannot (asymmetric:
# per_tensor_affine, a non-zero zero point), naming its engine as quantize_fmnist.py does;
# and Python's output for an input, under qnnpack.
from torch.ao import quantization as tq


class SmallQuantizable(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.fc = nn.Linear(4 * 8 * 8, 5)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.fc(self.relu(self.conv(self.quant(x))).flatten(1)))


torch.backends.quantized.engine = "qnnpack"
small = SmallQuantizable().eval()
small.qconfig = tq.QConfig(
    activation=tq.MinMaxObserver.with_args(reduce_range=False),
    weight=tq.MinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_tensor_affine))
tq.prepare(small, inplace=True)
with torch.no_grad():
    small(torch.rand(16, 3, 8, 8))
small = tq.convert(small)
torch.jit.save(torch.jit.script(small), f"{out}/quantized_qnnpack.pt",
               _extra_files={"sluice_qengine": "qnnpack"})
with torch.no_grad():
    q_in = torch.rand(1, 3, 8, 8)
    q_in.numpy().tofile(f"{out}/quantized_input.f32")
    torch.jit.load(f"{out}/quantized_qnnpack.pt")(q_in).numpy().tofile(f"{out}/quantized_output.f32")
torch.backends.quantized.engine = "onednn"
try:
    torch.jit.load(f"{out}/quantized_qnnpack.pt")
    sys.exit("quantized_qnnpack.pt was meant to be a model onednn cannot load, but it loads")
except RuntimeError:
    pass
# Dynamic quantization: qnnpack's dynamic Linear warns at every call (the node shows it once).
torch.backends.quantized.engine = "qnnpack"
dynamic = tq.quantize_dynamic(nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 5)).eval(), {nn.Linear})
torch.jit.save(torch.jit.script(dynamic), f"{out}/dynamic.pt")
print("quantized models written")
