#!/usr/bin/python3
"""The seed's way of serving a model: FastAPI + uvicorn, a request at a time through
torch.no_grad(). The same model, preprocessing and postprocessing as pipeline.toml beside it
(BlazeFace front 128: RGB, 128x128 bilinear, float 0..255; rows scoring >= 0.75; MediaPipe's
weighted NMS at IoU 0.3; boxes in source pixels), answered as JSON.

  uvicorn is started by bench/serve_compare.py:
  SERVE_MODEL=assets/models/blazeface_front128.pt /usr/bin/python3 -m uvicorn \\
      fastapi_peer:app --app-dir bench/serve --port 8000 --workers 2
"""
import asyncio.base_events
import os
import socket

import cv2
import numpy as np
import torch
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse


# TCP_NODELAY on every connection, as a user who measured would set it. Without it, every
# answer on a kept-alive connection is 40 ms late: uvicorn writes a response's head and body
# apart, and the body waits (Nagle) for the client's delayed ACK of the head (hey at
# concurrency 1: 60 ms a request against 17 ms with a new connection each). asyncio sets
# TCP_NODELAY itself, but only on a socket whose proto is IPPROTO_TCP, and the listening
# socket uvicorn 0.17 makes for --workers has proto 0, as have the sockets it accepts.
# sluice had the same defect and sets TCP_NODELAY (8f2b068). Set PEER_NAGLE=1 to measure
# the peer as shipped.
def _set_nodelay(sock):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


if os.environ.get("PEER_NAGLE") != "1":
    asyncio.base_events._set_nodelay = _set_nodelay

torch.set_num_threads(int(os.environ.get("SERVE_TORCH_THREADS", "1")))
model = torch.jit.load(os.environ["SERVE_MODEL"]).eval()
app = FastAPI()


# iou and weighted_nms: as tests/pipelines/reference_faces.py has them (the reference the faces
# pipeline is tested against), written out here so that the app stands alone, as a user's would.
def iou(a, b):
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def weighted_nms(faces, threshold=0.3):
    faces = sorted(faces, key=lambda f: -f["score"])
    done = [False] * len(faces)
    kept = []
    for i, best in enumerate(faces):
        if done[i]:
            continue
        done[i] = True
        cluster = [best]
        for j in range(i + 1, len(faces)):
            if not done[j] and iou(best["box"], faces[j]["box"]) > threshold:
                done[j] = True
                cluster.append(faces[j])
        total = sum(f["score"] for f in cluster)
        box = [sum(f["box"][k] * f["score"] for f in cluster) / total for k in range(4)]
        kept.append({"box": {"x": box[0], "y": box[1], "w": box[2], "h": box[3]},
                     "score": best["score"], "class_id": 0, "label": "face"})
    return kept


@app.post("/infer")
async def infer(request: Request):
    body = await request.body()
    bgr = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        return JSONResponse({"error": "not an image"}, status_code=400)
    h, w = bgr.shape[:2]
    rgb = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (128, 128),
                     interpolation=cv2.INTER_LINEAR)
    x = torch.from_numpy(rgb.astype(np.float32).transpose(2, 0, 1)[None].copy())
    with torch.no_grad():
        rows = model(x)[0].numpy()
    sx, sy = w / 128.0, h / 128.0
    faces = [{"box": [float(r[0] * sx), float(r[1] * sy), float((r[2] - r[0]) * sx),
                      float((r[3] - r[1]) * sy)], "score": float(r[4])}
             for r in rows if r[4] >= 0.75]
    return {"frame_size": [w, h], "detections": weighted_nms(faces)}


@app.get("/health")
def health():
    return Response("ok")
