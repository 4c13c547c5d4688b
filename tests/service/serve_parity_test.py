#!/usr/bin/python3
"""A real model behind http_request gives, over HTTP, the record jsonl_sink writes for the
same picture read from a file: the same detections to the last digit, the same frame size.

The same middle of a pipeline (detect.toml's CenterNet on COCO: colour, resize, tensor,
model, box decoder, then NMS) runs twice, over six pictures with one to many objects:
once from image_source to jsonl_sink over the JPEG files, once from http_request to
http_response under `sluice run --http`, the files posted one at a time and then all at
once (batched by the model node's max_batch).

    serve_parity_test.py --sluice build/bin/sluice --assets assets
"""
import argparse
import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

MIDDLE = """
[nodes.rgb]
plugin = "color_convert"
to = "RGB"

[nodes.resize]
plugin = "resize"
size = [512, 512]

[nodes.tensor]
plugin = "to_tensor"

[nodes.detector]
plugin = "torchscript"
model = "{assets}/models/centernet_mbv3_coco512.pt"
input_shape = [1, 3, 512, 512]
max_batch = 4
max_delay_ms = 5

[nodes.boxes]
plugin = "box_decoder"
min_score = 0.3
labels = "{assets}/models/coco80_labels.txt"

[nodes.nms]
plugin = "nms"
iou_threshold = 0.5
"""

CHAIN = "rgb -> resize -> tensor -> detector -> boxes -> nms"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, jpeg):
    request = urllib.request.Request(url, data=jpeg, headers={"Content-Type": "image/jpeg"})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.load(r)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sluice", required=True)
    parser.add_argument("--assets", required=True)
    a = parser.parse_args()
    assets = os.path.abspath(a.assets)
    work = tempfile.mkdtemp(prefix="serve_parity_")
    import cv2  # noqa: E402 (OpenCV from Debian, for the JPEGs only)
    names = ["dog.jpg", "horses.jpg", "messi5.jpg", "person.jpg", "astronaut.png", "chelsea.png"]
    files = []
    for name in names:
        picture = cv2.imread(os.path.join(assets, "media", name))
        path = os.path.join(work, os.path.splitext(name)[0] + ".jpg")
        cv2.imwrite(path, picture, [cv2.IMWRITE_JPEG_QUALITY, 90])
        files.append(path)
    middle = MIDDLE.format(assets=assets)

    # From files to jsonl_sink.
    offline = os.path.join(work, "offline.toml")
    records = os.path.join(work, "records.jsonl")
    with open(offline, "w") as f:
        f.write(f'[pipeline]\nlinks = ["src -> {CHAIN} -> out.detections"]\n'
                f'[nodes.src]\nplugin = "image_source"\npath = "{work}/*.jpg"\n'
                f'[nodes.out]\nplugin = "jsonl_sink"\npath = "{records}"\n' + middle)
    run = subprocess.run([a.sluice, "run", "-q", offline], capture_output=True, text=True)
    if run.returncode != 0:
        print(f"FAIL: the file pipeline: {run.stdout}{run.stderr}")
        return 1
    with open(records) as f:
        written = [json.loads(line) for line in f]
    # image_source reads the glob sorted: its frames are the files in name order.
    by_file = dict(zip(sorted(files), written))
    if len(by_file) != len(files):
        print(f"FAIL: {len(written)} records for {len(files)} files")
        return 1

    # The same middle, served.
    served = os.path.join(work, "served.toml")
    with open(served, "w") as f:
        f.write(f'[pipeline]\nname = "detect"\nlinks = ["request -> {CHAIN} -> answer.detections"]\n'
                '[nodes.request]\nplugin = "http_request"\n'
                '[nodes.answer]\nplugin = "http_response"\n' + middle)
    port = free_port()
    log = open(os.path.join(work, "sluice.log"), "w+")
    server = subprocess.Popen([a.sluice, "run", "-q", served, "--http", f"127.0.0.1:{port}"],
                              stdout=log, stderr=subprocess.STDOUT)
    failures = []
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/v1/pipelines/detect/infer"
        jpegs = {path: open(path, "rb").read() for path in files}
        one_by_one = {path: post(url, jpegs[path]) for path in files}
        with concurrent.futures.ThreadPoolExecutor(len(files)) as pool:
            together = dict(zip(files, pool.map(lambda p: post(url, jpegs[p]), files)))
        for path in files:
            want = by_file[path]
            for how, got in (("alone", one_by_one[path]), ("together", together[path])):
                for key in ("frame_size", "detections"):
                    if got.get(key) != want.get(key):
                        failures.append(f"{os.path.basename(path)} ({how}): {key} "
                                        f"{json.dumps(got.get(key))[:300]} != the file "
                                        f"pipeline's {json.dumps(want.get(key))[:300]}")
        found = sum(len(r.get("detections", [])) for r in written)
        if found < len(files):
            failures.append(f"only {found} detections in {len(files)} pictures: check the model")
        print(f"{len(files)} pictures, {found} detections, each answer alone and batched "
              "equal to jsonl_sink's record")
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(60)
        if code != 0:
            failures.append(f"sluice exit {code}")
    for f in failures:
        print(f"FAIL: {f}")
    if failures:
        log.seek(0)
        print(log.read()[-3000:])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
