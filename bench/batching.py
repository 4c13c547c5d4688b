# Dynamic batching, side by side in one run (issue: throughput, point 2): aggregate frames
# per second of one model node with max_batch = 8 against the same pipeline with
# max_batch = 1, for
#   1 stream   one file stream into the model
#   4 streams  four file streams merged into one model node (batches gather across streams)
# for selfie segmentation and the emotion classifier. The clips are vtest.avi scaled to the
# model's input size beforehand (lossless FFV1), so decoding stays cheap and the model is
# what is measured. The model node has 2 threads (batching is how a batch of small
# convolutions fills two threads; at 1 thread these models gain nothing per image), and
# runs both as optimized at open (the default) and as saved (optimize = false). Both
# max_batch settings run interleaved per round; medians, spreads and ratios.
#
#   /usr/bin/python3 bench/batching.py [--rounds 5] [--frames 120] [--threads 2]
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = {"selfie": 256, "emotion": 64}
# Per stream: the emotion model is ~20x cheaper, so it gets more frames for a similar time.
FRAME_FACTOR = {"selfie": 1, "emotion": 8}


def make_clip(size, frames, out):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", f"{ROOT}/assets/media/vtest.avi",
                    "-an", "-frames:v", str(frames), "-vf", f"scale={size}:{size}", "-c:v", "ffv1", out], check=True)


def run(model, streams, max_batch, clip, work, threads, optimize):
    env = dict(os.environ, SLUICE_CLIP=clip)
    stats = f"{work}/stats.json"
    subprocess.run([f"{ROOT}/build/bin/sluice", "run", "-q",
                    f"{ROOT}/bench/pipelines/batch_{model}_{streams}stream.toml",
                    "--set", f"nodes.model.max_batch={max_batch}", "--set", f"nodes.model.threads={threads}",
                    "--set", f"nodes.model.optimize={'true' if optimize else 'false'}", "--stats-json", stats], check=True, env=env)
    s = json.load(open(stats))
    node = next(n for n in s["nodes"] if n["name"] == "model")
    return node["processed"] / s["run_s"], node["processed"] / node["counters"]["forward_passes"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--frames", type=int, default=120, help="frames per stream (x8 for emotion)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="sluice-batching-")
    rows = []
    for model in ("selfie", "emotion"):
        clip = f"{work}/{model}.mkv"
        make_clip(SIZES[model], args.frames * FRAME_FACTOR[model], clip)
        for streams, optimize in ((1, True), (4, True), (1, False), (4, False)):
            fps = {1: [], 8: []}
            mean_batch = {1: [], 8: []}
            for r in range(args.rounds):
                for mb in (1, 8):
                    f, b = run(model, streams, mb, clip, work, args.threads, optimize)
                    fps[mb].append(f)
                    mean_batch[mb].append(b)
                print(f"{model} {streams} stream(s) optimize={optimize} round {r + 1}: max_batch 1 {fps[1][-1]:.1f} fps, "
                      f"max_batch 8 {fps[8][-1]:.1f} fps (mean batch {mean_batch[8][-1]:.2f})", flush=True)
            med = {k: statistics.median(v) for k, v in fps.items()}
            spread = {k: (max(v) - min(v)) / med[k] for k, v in fps.items()}
            rows.append((model, streams, optimize, med, spread, statistics.median(mean_batch[8])))
    print("| model | streams | model as | max_batch 1 fps | max_batch 8 fps | mean batch | ratio |")
    print("|---|---|---|---|---|---|---|")
    for model, streams, optimize, med, spread, b in rows:
        print(f"| {model} | {streams} | {'optimized' if optimize else 'saved'} | {med[1]:.1f} ({spread[1]:.0%}) | {med[8]:.1f} ({spread[8]:.0%}) | "
              f"{b:.2f} | {med[8] / med[1]:.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
