#!/usr/bin/python3
"""A KServe v2 client, written from the protocol's specification with python3-requests,
against `sluice run --http` serving two models through tensor_request / tensor_response:

  fmnist  the Fashion-MNIST CNN (assets/models/fmnist_cnn.pt), FP32 in, FP32 logits out;
          its answers must equal PyTorch's own forward pass on the same tensors
  counts  a model this test scripts: UINT8 and INT64 in, FP32 and INT64 out, named

It asks what a Triton client asks (health, server and model metadata, model readiness),
infers alone, in a batch of three in one request, and from 16 clients at once (batched by
the model node), asks for one output by name, and sends 20 malformed requests while valid
ones are served: each gets its 4xx and a JSON error naming what was wrong, and every valid
request its right answer.

    kserve_client_test.py --sluice build/bin/sluice --assets assets
"""
import argparse
import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests
import torch

FAILURES = []
CHECKED = [0]


def check(condition, what):
    CHECKED[0] += 1
    if not condition:
        FAILURES.append(what)
        print(f"FAIL: {what}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Counts(torch.nn.Module):
    """pixels UINT8 [N,4], ids INT64 [N,3] -> total FP32 [N,1], doubled INT64 [N,3]."""

    def forward(self, pixels: torch.Tensor, ids: torch.Tensor):
        return pixels.to(torch.float32).sum(dim=1, keepdim=True), ids * 2


PIPELINE = """
[pipeline]
links = ["fmnist -> classifier -> fmnist_answer",
         "counts -> adder.in", "counts.out1 -> adder.in1",
         "adder.out -> counts_answer.in", "adder.out1 -> counts_answer.in1"]

[nodes.fmnist]
plugin = "tensor_request"
inputs = ["image FP32 [-1,1,28,28]"]
outputs = ["logits FP32 [-1,10]"]

[nodes.classifier]
plugin = "torchscript"
model = "{fmnist}"
input_shape = [-1, 1, 28, 28]
max_batch = 8
max_delay_ms = 5

[nodes.fmnist_answer]
plugin = "tensor_response"

[nodes.counts]
plugin = "tensor_request"
inputs = ["pixels UINT8 [-1,4]", "ids INT64 [-1,3]"]
outputs = ["total FP32 [-1,1]", "doubled INT64 [-1,3]"]
max_body_mb = 1

[nodes.adder]
plugin = "torchscript"
model = "{counts}"
warmup = 0

[nodes.counts_answer]
plugin = "tensor_response"
"""


def fmnist_request(images, id_=None):
    body = {"inputs": [{"name": "image", "datatype": "FP32", "shape": list(images.shape),
                        "data": images.flatten().tolist()}]}
    if id_ is not None:
        body["id"] = id_
    return body


def close_to(got, want, tolerance=1e-4):
    return len(got) == len(want) and all(abs(a - b) <= tolerance * max(1, abs(b))
                                         for a, b in zip(got, want))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sluice", required=True)
    parser.add_argument("--assets", required=True)
    a = parser.parse_args()
    torch.manual_seed(7)
    torch.set_num_threads(1)
    work = tempfile.mkdtemp(prefix="kserve_test_")
    fmnist_path = os.path.join(os.path.abspath(a.assets), "models/fmnist_cnn.pt")
    counts_path = os.path.join(work, "counts.pt")
    torch.jit.script(Counts()).save(counts_path)
    pipeline = os.path.join(work, "serve.toml")
    with open(pipeline, "w") as f:
        f.write(PIPELINE.format(fmnist=fmnist_path, counts=counts_path))
    reference = torch.jit.load(fmnist_path).eval()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(work, "sluice.log"), "w+")
    server = subprocess.Popen([a.sluice, "run", "-q", pipeline, "--http", f"127.0.0.1:{port}"],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        # Health: 200 is true. Live at once; ready once the models have loaded.
        for _ in range(300):
            try:
                if requests.get(f"{base}/v2/health/ready", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        check(requests.get(f"{base}/v2/health/live").status_code == 200, "live")
        check(requests.get(f"{base}/v2/health/ready").status_code == 200, "ready")
        meta = requests.get(f"{base}/v2").json()
        check(meta["name"] == "sluice" and "version" in meta and meta["extensions"] == [],
              f"server metadata {meta}")

        # Model metadata, with and without the version.
        for path in ("/v2/models/fmnist", "/v2/models/fmnist/versions/1"):
            m = requests.get(base + path)
            check(m.status_code == 200, f"{path}: {m.status_code} {m.text}")
            m = m.json()
            check(m["name"] == "fmnist" and m["versions"] == ["1"] and m["platform"] == "sluice",
                  f"metadata {m}")
            check(m["inputs"] == [{"name": "image", "datatype": "FP32", "shape": [-1, 1, 28, 28]}],
                  f"inputs {m['inputs']}")
            check(m["outputs"] == [{"name": "logits", "datatype": "FP32", "shape": [-1, 10]}],
                  f"outputs {m['outputs']}")
        counts_meta = requests.get(f"{base}/v2/models/counts").json()
        check([i["datatype"] for i in counts_meta["inputs"]] == ["UINT8", "INT64"],
              f"counts inputs {counts_meta}")
        check(requests.get(f"{base}/v2/models/fmnist/ready").status_code == 200, "model ready")
        check(requests.get(f"{base}/v2/models/fmnist/versions/1/ready").status_code == 200,
              "model version ready")

        # One image; then three in one request: each row PyTorch's answer.
        image = torch.rand(1, 1, 28, 28)
        r = requests.post(f"{base}/v2/models/fmnist/infer", json=fmnist_request(image, "one"))
        check(r.status_code == 200, f"infer: {r.status_code} {r.text}")
        answer = r.json()
        check(answer["model_name"] == "fmnist" and answer["id"] == "one", f"answer {answer}")
        out = answer["outputs"][0]
        with torch.no_grad():
            want = reference(image)
        check(out["name"] == "logits" and out["datatype"] == "FP32" and out["shape"] == [1, 10],
              f"output {out['name']} {out['datatype']} {out['shape']}")
        check(close_to(out["data"], want.flatten().tolist()), "logits equal PyTorch's")
        batch = torch.rand(3, 1, 28, 28)
        body = fmnist_request(batch)
        body["inputs"][0]["data"] = batch.tolist()  # nested, row-major
        r = requests.post(f"{base}/v2/models/fmnist/versions/1/infer", json=body).json()
        with torch.no_grad():
            want = reference(batch)
        check(r["outputs"][0]["shape"] == [3, 10] and "id" not in r, f"batch answer {r}")
        check(close_to(r["outputs"][0]["data"], want.flatten().tolist()), "batch equals PyTorch's")

        # UINT8 and INT64 in, FP32 and INT64 out; one output asked for by name.
        counts = {"inputs": [{"name": "ids", "datatype": "INT64", "shape": [2, 3],
                              "data": [1, 2, 3, -4, 5, 2**40]},
                             {"name": "pixels", "datatype": "UINT8", "shape": [2, 4],
                              "data": [0, 1, 2, 255, 10, 10, 10, 10]}]}
        r = requests.post(f"{base}/v2/models/counts/infer", json=counts)
        check(r.status_code == 200, f"counts: {r.status_code} {r.text}")
        outputs = {o["name"]: o for o in r.json()["outputs"]}
        check(outputs["total"] == {"name": "total", "datatype": "FP32", "shape": [2, 1],
                                   "data": [258.0, 40.0]}, f"total {outputs.get('total')}")
        check(outputs["doubled"]["datatype"] == "INT64" and
              outputs["doubled"]["data"] == [2, 4, 6, -8, 10, 2**41], f"doubled {outputs}")
        counts["outputs"] = [{"name": "doubled"}]
        r = requests.post(f"{base}/v2/models/counts/infer", json=counts).json()
        check([o["name"] for o in r["outputs"]] == ["doubled"], f"asked for one: {r}")

        # 16 clients at once: each its own right answer.
        images = [torch.rand(1, 1, 28, 28) for _ in range(32)]

        def one(k):
            got = requests.post(f"{base}/v2/models/fmnist/infer",
                                json=fmnist_request(images[k], str(k)), timeout=30).json()
            with torch.no_grad():
                want = reference(images[k]).flatten().tolist()
            return got["id"] == str(k) and close_to(got["outputs"][0]["data"], want)

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            right = sum(pool.map(one, range(32)))
        check(right == 32, f"concurrent answers right: {right} of 32")

        # Malformed requests while valid ones are served.
        infer = f"{base}/v2/models/fmnist/infer"
        good = fmnist_request(images[0])
        corpus = [
            ("POST", infer, "{", {}, 400, "not JSON"),
            ("POST", infer, "[]", {}, 400, "not a JSON object"),
            ("POST", infer, "{}", {}, 400, "no \"inputs\" array"),
            ("POST", infer, '{"inputs": []}', {}, 400, "input 'image' is missing"),
            ("POST", infer, {"inputs": [{"name": "img"}]}, {}, 400, "no input 'img'"),
            ("POST", infer, {"inputs": [dict(good["inputs"][0], datatype="INT64")]}, {}, 400,
             "is FP32, not INT64"),
            ("POST", infer, {"inputs": [dict(good["inputs"][0], shape=[1, 28, 28])]}, {}, 400,
             "does not fit [-1,1,28,28]"),
            ("POST", infer, {"inputs": [dict(good["inputs"][0], shape=[2, 1, 28, 28])]}, {}, 400,
             "has 784 values, but its shape [2,1,28,28] holds 1568"),
            ("POST", infer, {"inputs": [dict(good["inputs"][0], data=["x"] * 784)]}, {}, 400,
             "holds a string"),
            ("POST", infer, {"inputs": good["inputs"], "outputs": [{"name": "probs"}]}, {}, 400,
             "no output 'probs': this model gives 'logits'"),
            ("POST", infer, {"inputs": good["inputs"], "id": 5}, {}, 400, "\"id\" is not a string"),
            ("POST", infer, good, {"Inference-Header-Content-Length": "100"}, 400,
             "binary tensor data extension"),
            ("POST", infer, good, {"X-Request-Timeout-Ms": "soon"}, 400, "X-Request-Timeout-Ms"),
            ("POST", f"{base}/v2/models/counts/infer",
             {"inputs": [{"name": "pixels", "datatype": "UINT8", "shape": [1, 4],
                          "data": [1, 2, 3, 256]},
                         {"name": "ids", "datatype": "INT64", "shape": [1, 3], "data": [1, 2, 3]}]},
             {}, 400, "value 256 is out of UINT8's range"),
            ("POST", f"{base}/v2/models/counts/infer",
             {"inputs": [{"name": "ids", "datatype": "INT64", "shape": [1, 3],
                          "data": [1, 2.5, 3]}]}, {}, 400, "not a whole number"),
            ("POST", f"{base}/v2/models/counts/infer", "x" * (1 << 20 | 1), {}, 413,
             "over this node's limit of 1 MiB"),
            ("POST", f"{base}/v2/models/nope/infer", good, {}, 404,
             "no model 'nope' here: it serves 'fmnist', 'counts'"),
            ("GET", f"{base}/v2/models/nope", None, {}, 404, "no model 'nope'"),
            ("GET", f"{base}/v2/models/fmnist/versions/2", None, {}, 404,
             "has no version '2': it has version 1"),
            ("POST", f"{base}/v2/models/fmnist/versions/2/infer", good, {}, 404, "no version '2'"),
            ("GET", infer, None, {}, 405, "GET is not allowed"),
            ("DELETE", f"{base}/v2/models/fmnist", None, {}, 405, "DELETE is not allowed"),
        ]
        check(len(corpus) >= 20, "at least 20 malformed requests")
        stop = threading.Event()
        valid = {"right": 0, "wrong": 0}

        def serve_valid(k):
            while not stop.is_set() or valid["right"] + valid["wrong"] < 10:
                try:
                    ok = one(k % 32)
                except Exception:  # noqa: BLE001 (a failed request is a wrong answer)
                    ok = False
                valid["right" if ok else "wrong"] += 1

        clients = [threading.Thread(target=serve_valid, args=(k,)) for k in range(2)]
        for c in clients:
            c.start()
        for method, url, body, headers, status, says in corpus:
            kwargs = {"headers": headers, "timeout": 30}
            if isinstance(body, str):
                kwargs["data"] = body
                kwargs["headers"] = dict(headers, **{"Content-Type": "application/json"})
            elif body is not None:
                kwargs["json"] = body
            r = requests.request(method, url, **kwargs)
            check(r.status_code == status, f"{says}: status {r.status_code}, not {status}: {r.text}")
            try:
                error = r.json().get("error", "")
            except ValueError:
                error = ""
            check(says in error, f"error {error!r} should say {says!r}")
        stop.set()
        for c in clients:
            c.join()
        check(valid["wrong"] == 0 and valid["right"] >= 10,
              f"valid requests beside the malformed: {valid}")
        check(requests.get(f"{base}/v2/health/ready").status_code == 200, "still ready")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            code = server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            code = "killed"
        check(code == 0, f"sluice exit {code}")
        if FAILURES:
            log.seek(0)
            print(log.read()[-4000:])
    print(f"{len(FAILURES)} of {CHECKED[0]} checks failed" if FAILURES
          else f"all {CHECKED[0]} KServe v2 checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
