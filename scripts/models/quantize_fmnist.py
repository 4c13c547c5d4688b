"""Quantizes the Fashion-MNIST CNN (fmnist_cnn.pt, from train_fmnist.py) to INT8, in the two
ways the guide describes, and saves each as TorchScript that keeps the project's input
convention ([N, 1, 28, 28] grey pixels 0..255, float32 or uint8, any batch):

    /usr/bin/python3 quantize_fmnist.py DATA_DIR FLOAT.pt OUT_DIR [--summary OUT.json]

writes, in OUT_DIR:
  fmnist_cnn_int8_dynamic.pt          dynamic quantization: the Linear layer's weights are
                                      INT8, its activations quantized on the fly per batch
  fmnist_cnn_int8_static_qnnpack.pt   static (post-training) quantization of the whole
  fmnist_cnn_int8_static_onednn.pt    network, with each quantized engine's default
                                      qconfig (qnnpack: per-tensor weights; onednn:
                                      per-channel weights)
  fmnist_quantized.json               test accuracy of each (and of the float model), file
                                      sizes, batch invariance, calibration set

DATA_DIR holds Debian's four Fashion-MNIST idx files. Calibration uses 2,000 pictures of
the TRAIN set (a seeded random subset): the test set is what the accuracy is measured on,
so calibrating on it would leak test data into the model's ranges. The accuracy printed is
on the 10,000 test pictures, each model run under the engine it was made for.

A quantized TorchScript file stores unpacked INT8 weights; LibTorch packs them for the
quantized engine that is selected when the file is loaded (the torchscript plugin's
`qengine` param). The file names the engine it was calibrated for in an extra record,
`extra/sluice_qengine` (torch.jit.save's _extra_files), which the plugin's
qengine = "auto" follows.

Deterministic: fixed seed, one thread, PYTHONHASHSEED=0 and tsconv.serialize, so the same
torch build gives the same bytes.
"""
import os
import sys

if __name__ == "__main__" and os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"  # see train_fmnist.py: reproducible TorchScript files
    os.execv(sys.executable, [sys.executable] + sys.argv)

import argparse
import io
import json
import warnings

import torch
import torch.nn.functional as F
from torch import nn
from torch.ao import quantization as tq

import tsconv  # this folder: the reproducible save
from train_fmnist import FashionCnn, load  # the model's one definition

CALIBRATION_IMAGES = 2000
EXTRA = "sluice_qengine"  # names the engine in the file (the plugin's qengine = "auto")


class QuantizableFashionCnn(nn.Module):
    """FashionCnn's layers (the same modules, so the same weights) with what eager-mode
    quantization needs: QuantStub/DeQuantStub around the network and ReLUs as modules so
    that conv+relu can be fused. The model has no batch norm, so conv+relu is all there
    is to fuse. The input check and the 0..255 -> 0..1 scaling stay in float, before the
    QuantStub, so the file takes what fmnist_cnn.pt takes."""

    def __init__(self, float_model: FashionCnn):
        super().__init__()
        self.quant = tq.QuantStub()
        self.c1, self.c2, self.c3, self.fc = (float_model.c1, float_model.c2, float_model.c3,
                                              float_model.fc)
        self.r1, self.r2, self.r3 = nn.ReLU(), nn.ReLU(), nn.ReLU()
        self.dequant = tq.DeQuantStub()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.size(1) != 1 or x.size(2) != 28 or x.size(3) != 28:
            raise RuntimeError("fmnist_cnn takes [N, 1, 28, 28] grey pixels 0..255; got a tensor "
                               "of shape " + str(x.shape))
        x = self.quant(x.to(torch.float32) * (1.0 / 255.0))
        x = F.max_pool2d(self.r1(self.c1(x)), 2)
        x = F.max_pool2d(self.r2(self.c2(x)), 2)
        x = self.r3(self.c3(x))
        return self.dequant(self.fc(x.flatten(1)))


def float_model(path):
    """The float nn.Module with fmnist_cnn.pt's weights (the file is TorchScript)."""
    model = FashionCnn()
    model.load_state_dict(torch.jit.load(path).state_dict())
    return model.eval()


def accuracy(model, x, y, batch=500):
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    return int((pred == y).sum()) / len(y)


def batch_variance(model, x):
    """Largest difference between a batch of 32 and the same pictures one by one: dynamic
    quantization picks the activations' range per batch, so there a picture's logits
    depend on its neighbours."""
    with torch.no_grad():
        batched = model(x[:32])
        single = torch.cat([model(x[i:i + 1]) for i in range(32)])
    return float((batched - single).abs().max())


def dynamic(path):
    model = QuantizableFashionCnn(float_model(path))
    return tq.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)


def static(path, engine, calibration):
    model = QuantizableFashionCnn(float_model(path))
    model = tq.fuse_modules(model, [["c1", "r1"], ["c2", "r2"], ["c3", "r3"]])
    model.qconfig = tq.get_default_qconfig(engine)
    tq.prepare(model, inplace=True)
    with torch.no_grad():
        for i in range(0, len(calibration), 100):
            model(calibration[i:i + 100])
    return tq.convert(model)


def save(model, path, engine):
    scripted = torch.jit.script(model.eval())
    buf = io.BytesIO()
    torch.jit.save(scripted, buf, _extra_files={EXTRA: engine})
    data = buf.getvalue()
    tsconv.write_atomic(path, data)
    return scripted, len(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir")
    ap.add_argument("float_model")
    ap.add_argument("out_dir")
    ap.add_argument("--summary", help="default: OUT_DIR/fmnist_quantized.json")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    # nn.quantized.dynamic.Linear always asks for reduce_range (an fbgemm need); qnnpack
    # warns that it ignores it, at every call. Harmless here.
    warnings.filterwarnings("ignore", message="Currently, qnnpack incorrectly ignores reduce_range")
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    engines = [e for e in ("qnnpack", "onednn") if e in torch.backends.quantized.supported_engines]
    if not engines:
        sys.exit(f"quantize_fmnist: this torch has no qnnpack or onednn engine "
                 f"({torch.backends.quantized.supported_engines})")

    xtr, _ = load(args.data_dir, "train")
    xte, yte = load(args.data_dir, "test")
    pick = torch.randperm(len(xtr), generator=torch.Generator().manual_seed(args.seed))
    calibration = xtr[pick[:CALIBRATION_IMAGES]].float()
    xte = xte.float()

    reference = torch.jit.load(args.float_model).eval()
    results = {"float": {"file": os.path.basename(args.float_model),
                         "bytes": os.path.getsize(args.float_model),
                         "accuracy": accuracy(reference, xte, yte)}}
    print(f"quantize_fmnist: float model: test accuracy {results['float']['accuracy']:.4f}, "
          f"{results['float']['bytes']} bytes", flush=True)

    # Which engine each file is made for and run under here. The dynamic model's file does
    # not depend on the engine (weights are packed at load); it is measured under each.
    plan = [("fmnist_cnn_int8_dynamic.pt", "dynamic", engines[0])]
    plan += [(f"fmnist_cnn_int8_static_{e}.pt", "static", e) for e in engines]
    for name, kind, engine in plan:
        torch.backends.quantized.engine = engine
        model = dynamic(args.float_model) if kind == "dynamic" else \
            static(args.float_model, engine, calibration)
        path = os.path.join(args.out_dir, name)
        _, size = save(model, path, engine if kind == "static" else "any")
        entry = {"file": name, "kind": kind, "bytes": size, "accuracy": {}, "batch_variance": {}}
        for run_engine in (engines if kind == "dynamic" else [engine]):
            torch.backends.quantized.engine = run_engine
            loaded = torch.jit.load(path).eval()  # packs the weights for run_engine
            entry["accuracy"][run_engine] = accuracy(loaded, xte, yte)
            entry["batch_variance"][run_engine] = batch_variance(loaded, xte)
        results[name] = entry
        shown = ", ".join(f"{a:.4f} under {e}" for e, a in entry["accuracy"].items())
        print(f"quantize_fmnist: {name}: test accuracy {shown}; {size} bytes "
              f"({size / results['float']['bytes']:.2f} of float); batch of 32 vs one by one: "
              f"{max(entry['batch_variance'].values()):.2g}", flush=True)

    summary = {
        "torch": torch.__version__,
        "engines": engines,
        "calibration": f"{CALIBRATION_IMAGES} training pictures (torch.randperm, seed {args.seed}) "
                       "of train-images-idx3-ubyte.gz",
        "accuracy_on": "the 10,000 test pictures of t10k-images-idx3-ubyte.gz",
        "models": results,
    }
    out = args.summary or os.path.join(args.out_dir, "fmnist_quantized.json")
    tsconv.write_atomic(out, (json.dumps(summary, indent=2) + "\n").encode())
    worst = min(a for r in results.values() if "kind" in r for a in r["accuracy"].values())
    if worst < results["float"]["accuracy"] - 0.01:
        sys.exit(f"quantize_fmnist: a quantized model's accuracy {worst:.4f} is more than 1 point "
                 f"below the float model's")
    print(f"quantize_fmnist: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
