"""A small reader for TFLite flatbuffers, with no generated code: it reads the tables by
their field slots as numbered in TensorFlow Lite's schema.fbs. It needs only the
`flatbuffers` runtime (Debian: python3-flatbuffers).

    /usr/bin/python3 tflite_reader.py MODEL.tflite     # prints the graph, op by op
"""
import collections
import sys

import flatbuffers
import numpy as np
from flatbuffers import number_types as N
from flatbuffers.table import Table

# BuiltinOperator codes (schema.fbs) for the ops a reader may meet; others print as opN.
BUILTIN = {
    0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D",
    6: "DEQUANTIZE", 14: "LOGISTIC", 17: "MAX_POOL_2D", 18: "MUL", 19: "RELU", 21: "RELU6",
    22: "RESHAPE", 23: "RESIZE_BILINEAR", 25: "SOFTMAX", 28: "TANH", 32: "CUSTOM", 34: "PAD",
    39: "TRANSPOSE", 40: "MEAN", 41: "SUB", 42: "DIV", 49: "SPLIT", 54: "PRELU", 67: "TRANSPOSE_CONV",
    83: "PACK", 97: "RESIZE_NEAREST_NEIGHBOR", 117: "HARD_SWISH",
}
# TensorType (schema.fbs) -> numpy.
TENSOR_TYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 6: np.bool_,
                7: np.int16, 9: np.int8}


class Options:
    """A builtin-options table, read by slot: opts.int(slot, default), .bool(...)."""

    def __init__(self, table):
        self.t = table

    def _get(self, slot, flags, default):
        if self.t is None:
            return default
        o = self.t.Offset(4 + 2 * slot)
        return self.t.Get(flags, o + self.t.Pos) if o else default

    def int(self, slot, default=0):
        return self._get(slot, N.Int32Flags, default)

    def byte(self, slot, default=0):
        return self._get(slot, N.Int8Flags, default)

    def bool(self, slot, default=False):
        return bool(self._get(slot, N.BoolFlags, default))


def _field(t, slot):
    return t.Offset(4 + 2 * slot)


def _scalar(t, slot, flags, default=0):
    o = _field(t, slot)
    return t.Get(flags, o + t.Pos) if o else default


def _string(t, slot):
    o = _field(t, slot)
    return t.String(o + t.Pos).decode() if o else None


def _table(t, slot):
    o = _field(t, slot)
    return Table(t.Bytes, t.Indirect(o + t.Pos)) if o else None


def _tables(t, slot):
    o = _field(t, slot)
    if not o:
        return []
    n, v = t.VectorLen(o), t.Vector(o)
    return [Table(t.Bytes, t.Indirect(v + 4 * i)) for i in range(n)]


def _array(t, slot, dtype):
    o = _field(t, slot)
    if not o:
        return np.zeros(0, dtype)
    return np.frombuffer(t.Bytes, dtype, t.VectorLen(o), t.Vector(o))


def load(path):
    """The first subgraph of a .tflite file as plain Python data:
    {tensors: [{name, shape, type, data (numpy or None)}], ops: [{op, inputs, outputs, options,
    custom}], inputs: [tensor index], outputs: [tensor index]}."""
    buf = bytearray(open(path, "rb").read())
    if buf[4:8] != b"TFL3":
        raise ValueError(f"{path}: not a TFLite flatbuffer (no TFL3 identifier)")
    model = Table(buf, flatbuffers.encode.Get(flatbuffers.packer.uoffset, buf, 0))
    # Model: operator_codes=1, subgraphs=2, buffers=4.
    opcodes = []
    for oc in _tables(model, 1):
        # OperatorCode: deprecated_builtin_code=0 (int8), custom_code=1, builtin_code=3 (int32).
        code = max(_scalar(oc, 0, N.Int8Flags), _scalar(oc, 3, N.Int32Flags))
        opcodes.append(_string(oc, 1) or BUILTIN.get(code, f"op{code}"))
    buffers = [_array(b, 0, np.uint8) for b in _tables(model, 4)]
    subgraphs = _tables(model, 2)
    if len(subgraphs) != 1:
        raise ValueError(f"{path}: {len(subgraphs)} subgraphs; only single-graph models are supported")
    sg = subgraphs[0]
    tensors = []
    for t in _tables(sg, 0):  # Tensor: shape=0, type=1, buffer=2, name=3
        shape = _array(t, 0, np.int32).tolist()
        ttype = _scalar(t, 1, N.Int8Flags)
        b = _scalar(t, 2, N.Uint32Flags)
        data = None
        if 0 < b < len(buffers) and len(buffers[b]):
            if ttype not in TENSOR_TYPES:
                raise ValueError(f"{path}: constant tensor of unsupported TensorType {ttype}")
            data = np.frombuffer(bytes(buffers[b]), TENSOR_TYPES[ttype]).reshape(shape)
        tensors.append(dict(name=_string(t, 3), shape=shape, type=ttype, data=data))
    ops = []
    for o in _tables(sg, 3):  # Operator: opcode_index=0, inputs=1, outputs=2, builtin_options=4, custom_options=5
        ops.append(dict(op=opcodes[_scalar(o, 0, N.Uint32Flags)],
                        inputs=_array(o, 1, np.int32).tolist(),
                        outputs=_array(o, 2, np.int32).tolist(),
                        options=Options(_table(o, 4)),
                        custom=bytes(_array(o, 5, np.uint8))))
    return dict(tensors=tensors, ops=ops, inputs=_array(sg, 1, np.int32).tolist(),
                outputs=_array(sg, 2, np.int32).tolist())


def main():
    g = load(sys.argv[1])
    T = g["tensors"]
    print("ops:", dict(collections.Counter(o["op"] for o in g["ops"])))
    print("inputs:", [(T[i]["name"], T[i]["shape"]) for i in g["inputs"]])
    print("outputs:", [(T[i]["name"], T[i]["shape"]) for i in g["outputs"]])
    for o in g["ops"]:
        if o["op"] == "DEQUANTIZE":
            continue
        ins = [(T[i]["name"], T[i]["shape"]) for i in o["inputs"] if i >= 0]
        print(o["op"], ins, "->", [(T[i]["name"], T[i]["shape"]) for i in o["outputs"]])


if __name__ == "__main__":
    main()
