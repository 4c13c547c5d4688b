"""Checks that every converted model takes any batch size and that a batch gives what its
samples give one by one: for real inputs (vtest.avi frames and the still images; the
first Fashion-MNIST test images), batches of 2, 3 and all N must equal the N single runs
within 1e-4 of max(1, max |output|), at each thread count asked for. Also checks each
output's shape against model_specs.OUTPUTS. Prints each model's largest difference;
exits 1 when a model fails or is missing.

    /usr/bin/python3 tests/models/check_batch_invariance.py ASSETS_DIR [--threads 1,2]
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_specs  # noqa: E402

TOLERANCE = 1e-4  # oneDNN splits small convolutions per batch size: 2.1e-5 measured (selfie, 2 threads)


def flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def rel_diff(a, b):
    a, b = a.double(), b.double()
    return float((a - b).abs().max()) / max(1.0, float(a.abs().max()))


def check(model, x, shapes):
    """The largest relative difference between batched and single runs of x."""
    with torch.no_grad():
        singles = [flat(model(x[i:i + 1])) for i in range(len(x))]
        got = [tuple(t.shape[1:]) for t in singles[0]]
        if got != shapes:
            raise RuntimeError(f"outputs of shape {got} per input, documented {shapes}")
        worst = 0.0
        for n in sorted({2, 3, len(x)}):
            if n > len(x):
                continue
            batch = flat(model(x[:n]))
            if len(batch) != len(singles[0]):
                raise RuntimeError(f"batch of {n}: {len(batch)} outputs, single runs {len(singles[0])}")
            for k, out in enumerate(batch):
                if out.shape[0] != n:
                    raise RuntimeError(f"batch of {n}: output {k} has shape {list(out.shape)}")
                joined = torch.cat([s[k] for s in singles[:n]])
                worst = max(worst, rel_diff(joined, out))
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("assets")
    ap.add_argument("--threads", default="1,2", help="comma-separated intra-op thread counts")
    ap.add_argument("--models", default=",".join(model_specs.MODELS), help="comma-separated")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    failed = 0
    for name in args.models.split(","):
        path = os.path.join(args.assets, "models", name)
        if not os.path.exists(path):
            print(f"FAIL {name}: missing ({path})")
            failed += 1
            continue
        t0 = time.time()
        try:
            model = torch.jit.load(path).eval()
            labels, x = model_specs.sample_inputs(args.assets, name)
            x = torch.from_numpy(x)
            diffs = []
            for t in threads:
                torch.set_num_threads(t)
                diffs.append(check(model, x, model_specs.OUTPUTS[name]))
        except Exception as e:  # a model that cannot run a batch fails, with the reason
            print(f"FAIL {name}: {type(e).__name__}: {str(e).strip().splitlines()[-1]}")
            failed += 1
            continue
        worst = max(diffs)
        ok = worst <= TOLERANCE
        failed += not ok
        per_thread = ", ".join(f"{t} thread{'s' if t > 1 else ''}: {d:.2g}" for t, d in zip(threads, diffs))
        print(f"{'ok  ' if ok else 'FAIL'} {name}: max diff {worst:.2g} ({per_thread}); "
              f"{len(x)} inputs {list(x.shape[1:])}, batches of 2, 3, {len(x)} ({time.time() - t0:.1f}s)",
              flush=True)
    total = len(args.models.split(","))
    print(f"{total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
