"""Trains a small CNN on Fashion-MNIST (Debian's dataset-fashion-mnist), deterministically,
and saves it as TorchScript (torch.jit.script) with the Python reference results.

    /usr/bin/python3 train_fmnist.py DATA_DIR OUT.pt REFERENCE.json [--labels LABELS.txt]

DATA_DIR holds the four idx .gz files (/usr/share/datasets/fashion-mnist when the
package is installed). The model takes [N, 1, 28, 28] grey pixels 0..255 (float32, or
uint8: cast inside), white garment on black as in the data set, and returns [N, 10]
logits in the order of fmnist_labels.txt. Fails unless the test accuracy reaches
--min-accuracy (0.89).

Determinism: fixed seeds, one torch.Generator for the shuffling, deterministic
algorithms, and a fixed thread count (1 by default, whatever the machine has): the same
torch build on the same kind of CPU gives the same weights, byte for byte. One thread
also keeps the time steady on a busy machine (two OpenMP threads sharing two busy cores
spin at every barrier: an epoch took 171 s instead of ~25 s).
"""
import os
import sys

if __name__ == "__main__" and os.environ.get("PYTHONHASHSEED") != "0":
    # TorchScript writes a scripted module's constants in set order, which follows
    # Python's string hashing: a fixed seed makes the same model give the same file.
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import argparse
import gzip
import hashlib
import json
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import tsconv  # this folder: the reproducible save

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
          "Bag", "Ankle boot"]
FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
         "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def read_idx(path, header, shape):
    data = gzip.open(path).read()
    magic = int.from_bytes(data[:4], "big")
    if magic not in (2049, 2051):
        raise ValueError(f"{path}: not an idx file (magic {magic:#x})")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def load(data_dir, split):
    images, labels = (os.path.join(data_dir, f) for f in FILES[split])
    x = read_idx(images, 16, (-1, 1, 28, 28))
    y = read_idx(labels, 8, (-1,))
    if len(x) != len(y):
        raise ValueError(f"{split}: {len(x)} images but {len(y)} labels")
    return torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64))


class FashionCnn(nn.Module):
    """Three 3x3 convolutions (16, 32, 64 channels; 2x2 max-pool after the first two) and
    a linear layer: 55 k parameters, ~2 M multiply-adds per image."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 32, 3, padding=1)
        self.c3 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 7 * 7, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.size(1) != 1 or x.size(2) != 28 or x.size(3) != 28:
            raise RuntimeError("fmnist_cnn takes [N, 1, 28, 28] grey pixels 0..255; got a tensor "
                               "of shape " + str(x.shape))
        x = x.to(self.fc.weight.dtype) * (1.0 / 255.0)
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.relu(self.c3(x))
        return self.fc(x.flatten(1))


def evaluate(model, x, y, batch=1000):
    model.eval()
    logits = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits.append(model(x[i:i + batch]))
    logits = torch.cat(logits)
    pred = logits.argmax(1)
    return logits, pred, int((pred == y).sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir")
    ap.add_argument("out")
    ap.add_argument("reference")
    ap.add_argument("--labels", help="also write the class names here, one per line")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=5e-3, help="peak learning rate (one-cycle)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-accuracy", type=float, default=0.89)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)

    xtr, ytr = load(args.data_dir, "train")
    xte, yte = load(args.data_dir, "test")
    print(f"train_fmnist: {len(xtr)} training and {len(xte)} test images; {args.epochs} epochs, "
          f"{args.threads} threads", flush=True)
    model = FashionCnn()
    steps = args.epochs * ((len(xtr) + args.batch - 1) // args.batch)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.2)
    gen = torch.Generator().manual_seed(args.seed)
    xtr_f = xtr.float()
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=gen)
        total = 0.0
        for i in range(0, len(xtr), args.batch):
            idx = perm[i:i + args.batch]
            loss = F.cross_entropy(model(xtr_f[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        _, _, correct = evaluate(model, xte, yte)
        print(f"train_fmnist: epoch {epoch + 1}: loss {total / len(xtr):.4f}, test accuracy "
              f"{correct / len(xte):.4f} ({time.time() - t0:.0f}s)", flush=True)
    train_seconds = time.time() - t0

    model.eval()
    scripted = torch.jit.script(model)
    logits, pred, correct = evaluate(scripted, xte, yte)
    accuracy = correct / len(xte)
    if accuracy < args.min_accuracy:
        sys.exit(f"train_fmnist: test accuracy {accuracy:.4f} is below {args.min_accuracy}")
    data = tsconv.serialize(scripted)
    tsconv.write_atomic(args.out, data)

    per_class = {LABELS[c]: round(float((pred[yte == c] == c).float().mean()), 4) for c in range(10)}
    reference = {
        "model": os.path.basename(args.out),
        "sha256": hashlib.sha256(data).hexdigest(),
        "test_images": len(xte),
        "correct": correct,
        "accuracy": round(accuracy, 4),
        "per_class_accuracy": per_class,
        "labels": LABELS,
        "first_100_predictions": pred[:100].tolist(),
        "first_8_logits": [[round(float(v), 5) for v in row] for row in logits[:8]],
        "training": {"epochs": args.epochs, "batch": args.batch, "seed": args.seed,
                     "threads": args.threads, "optimizer": f"Adam, one-cycle schedule, peak lr {args.lr:g}",
                     "seconds": round(train_seconds, 1), "torch": torch.__version__},
        "input": "[N, 1, 28, 28] grey pixels 0..255 (float32 or uint8), test set order of "
                 "t10k-images-idx3-ubyte.gz",
    }
    if args.labels:
        with open(args.labels + ".tmp", "w") as f:
            f.write("\n".join(LABELS) + "\n")
        os.replace(args.labels + ".tmp", args.labels)
    tmp = args.reference + ".tmp"
    with open(tmp, "w") as f:
        json.dump(reference, f, indent=2)
        f.write("\n")
    os.replace(tmp, args.reference)
    print(f"train_fmnist: test accuracy {accuracy:.4f} ({correct}/{len(xte)}); trained in "
          f"{train_seconds:.0f}s; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
