"""The initializers of an ONNX file as torch tensors, read from the protobuf wire format directly.

Debian's python3 has no onnx package; a reference script that needs the weights sanity trained (the
built-in ViT) reads them here. Only what ModelProto -> GraphProto -> TensorProto initializers need:
dims (field 1), data_type (2), float_data (4), int64_data (7), name (8), raw_data (9).
"""
import struct

import torch

_FLOAT, _INT64 = 1, 7


def _varint(b, i):
    shift = result = 0
    while True:
        c = b[i]
        i += 1
        result |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return result, i


def _fields(b):
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(b, i)
        elif wire == 1:
            value, i = b[i:i + 8], i + 8
        elif wire == 5:
            value, i = b[i:i + 4], i + 4
        elif wire == 2:
            n, i = _varint(b, i)
            value, i = b[i:i + n], i + n
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield field, wire, value


def _packed_varints(b):
    out, i = [], 0
    while i < len(b):
        v, i = _varint(b, i)
        out.append(v - (1 << 64) if v >= 1 << 63 else v)
    return out


def _tensor(b):
    dims, dtype, name, raw, floats, ints = [], _FLOAT, "", None, [], []
    for field, wire, value in _fields(b):
        if field == 1:
            dims += _packed_varints(value) if wire == 2 else [value]
        elif field == 2:
            dtype = value
        elif field == 4:
            floats += list(struct.unpack(f"<{len(value) // 4}f", value)) if wire == 2 else [struct.unpack("<f", value)[0]]
        elif field == 7:
            ints += _packed_varints(value) if wire == 2 else [value]
        elif field == 8:
            name = value.decode()
        elif field == 9:
            raw = value
    if dtype == _FLOAT:
        t = torch.frombuffer(bytearray(raw), dtype=torch.float32) if raw is not None else torch.tensor(floats)
    elif dtype == _INT64:
        t = torch.frombuffer(bytearray(raw), dtype=torch.int64) if raw is not None else torch.tensor(ints)
    else:
        raise ValueError(f"{name}: element type {dtype} not supported")
    return name, t.reshape(dims).clone()


def initializers(path):
    """{name: tensor} of the model's graph initializers."""
    with open(path, "rb") as f:
        model = f.read()
    graph = next(v for field, _, v in _fields(model) if field == 7)
    return dict(_tensor(v) for field, _, v in _fields(graph) if field == 5)
