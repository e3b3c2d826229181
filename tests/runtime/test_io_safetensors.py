#!/usr/bin/python3
"""test_io_safetensors.py - safetensors files across implementations: the C
writer read by an independent reader here (json + struct), files written here
read by C, a C round trip, and pinned diagnostics for corrupt files.

usage: test_io_safetensors.py TOOL"""
import functools
import json
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from testcheck import Tally, f32, run_tool  # noqa: E402

TOOL = sys.argv[1]
tally = Tally("test_io_safetensors")
check, equal = tally.check, tally.equal
run = functools.partial(run_tool, TOOL)

FORMATS = {"F32": ("f", 4), "F64": ("d", 8), "I32": ("i", 4), "I64": ("q", 8)}


def reference():
    """The tensors the tool's `write` command stores (same formulas)."""
    w = [f32(((i * 37) % 101 - 50) / 16.0) for i in range(15)]
    w[3], w[4], w[5], w[6] = -0.0, f32(1e-45), f32(3.40282347e38), f32(1 / 3)
    labels = [i * i - 40 for i in range(12)]
    labels[0], labels[11] = -2**31, 2**31 - 1
    return {
        "weights.w1": ("F32", [3, 5], w),
        "bias": ("F64", [7], [i / 3.0 - 1 for i in range(7)]),
        "step": ("I64", [], [123456789012345]),
        "labels": ("I32", [2, 3, 2], labels),
        "empty": ("F32", [0, 4], []),
        'blocks.0/"q"\\\u00e9': ("F32", [2], [1.5, -2.25]),
    }, {"format": "duet", "step": "1200", "note": 'line\nbreak "quoted"'}


def same_values(a, b):
    """Bitwise equality of float lists (so that -0.0 != 0.0)."""
    return [struct.pack("<d", x) for x in a] == [struct.pack("<d", x) for x in b]


def read_file(path):
    """Independent reader: (header dict, data bytes, header length)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    return header, raw[8 + n:], n, raw[8:8 + n]


def check_c_writer(tmp):
    path = os.path.join(tmp, "c.safetensors")
    equal("C write", (0, ""), run("write", path))
    header, data, n, text = read_file(path)
    equal("data starts at a multiple of 8", 0, (8 + n) % 8)
    equal("header padded with spaces only", text.rstrip(b" ").decode()
          .endswith("}"), True)
    tensors, meta = reference()
    equal("metadata", meta, header.pop("__metadata__"))
    equal("tensor names", sorted(tensors), sorted(header))
    end = 0
    for name, (dtype, shape, values) in tensors.items():
        h = header[name]
        equal(f"{name} dtype", dtype, h["dtype"])
        equal(f"{name} shape", shape, h["shape"])
        b, e = h["data_offsets"]
        code, size = FORMATS[dtype]
        count = len(values)
        equal(f"{name} byte span", count * size, e - b)
        got = list(struct.unpack(f"<{count}{code}", data[b:e]))
        check(same_values(values, got) if code in "fd" else values == got,
              f"{name} values", values, got)
        end = max(end, e)
    equal("data length", end, len(data))


def write_file(path, tensors, meta=None, pad=False):
    """Independent writer: tensors is a list of (name, dtype, shape, values)
    stored in the given order; keys in the header in reverse order."""
    header, blobs, offset = {}, [], 0
    if meta is not None:
        header["__metadata__"] = meta
    for name, dtype, shape, values in tensors:
        code, size = FORMATS[dtype]
        blob = struct.pack(f"<{len(values)}{code}", *values)
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(dict(reversed(list(header.items())))).encode()
    if pad:
        text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def check_python_writer(tmp):
    path = os.path.join(tmp, "py.safetensors")
    tensors = [
        ("a.bias", "I32", [3], [7, -8, 9]),              # 12 bytes: unaligned next
        ("emb", "F64", [2, 2], [0.1, -1e300, 5e-324, 2.0 / 3]),
        ("scalar", "F32", [], [f32(0.1)]),
        ("none", "I64", [0], []),
        ("big", "I64", [2], [-2**63, 2**63 - 1]),
        ("w", "F32", [2, 3], [f32(x / 7) for x in range(6)]),
    ]
    write_file(path, tensors, {"epoch": "3"})
    code, out = run("read", path)
    equal("C reads a Python file", 0, code)
    if code:
        print(out)
        return
    got = json.loads(out)
    equal("metadata from Python", {"epoch": "3"}, got["metadata"])
    by_name = {t["name"]: t for t in got["tensors"]}
    equal("names from Python", sorted(t[0] for t in tensors), sorted(by_name))
    equal("tensors listed in data order", [t[0] for t in tensors],
          [t["name"] for t in got["tensors"]])
    for name, dtype, shape, values in tensors:
        t = by_name[name]
        equal(f"{name} dtype/shape", (dtype, shape), (t["dtype"], t["shape"]))
        equal(f"{name} aligned in memory", 1, t["aligned"])
        got = [f32(v) for v in t["values"]] if dtype == "F32" else t["values"]
        check(same_values(values, got) if dtype[0] == "F" else values == got,
              f"{name} values", values, got)


def corrupt_cases(tmp):
    """(name, bytes, message after '<path>: ') for files the reader rejects."""
    good = os.path.join(tmp, "good.safetensors")
    write_file(good, [("x", "F32", [2, 3], [1.0] * 6), ("y", "I32", [2], [1, 2])],
               pad=True)
    with open(good, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    text, data = raw[8:8 + n].decode(), raw[8 + n:]

    def with_header(obj_or_text, payload=data):
        t = obj_or_text if isinstance(obj_or_text, str) else json.dumps(obj_or_text)
        return struct.pack("<Q", len(t)) + t.encode() + payload

    def entry(dtype, shape, b, e):
        return {"dtype": dtype, "shape": shape, "data_offsets": [b, e]}

    x, y = entry("F32", [2, 3], 0, 24), entry("I32", [2], 24, 32)
    broken = text.replace('"y"', '"y', 1)
    broken_at = broken.index("dtype", broken.index('"y'))
    return [
        ("tiny", b"\x10\0\0\0\0", "truncated: 5 bytes is too short for the "
         "8-byte header length"),
        ("huge-length", struct.pack("<Q", 1 << 40) + raw[8:],
         "corrupt header: header length 1099511627776 is over the "
         "100000000-byte limit"),
        ("long-length", struct.pack("<Q", 500) + raw[8:],
         f"truncated: header length 500 but only {len(raw) - 8} bytes follow"),
        # the key string now runs to the quote before dtype: "y: {"
        ("bad-json", with_header(broken),
         f"corrupt header: invalid JSON at byte {broken_at}: "
         "expected ':' after object key, found 'd'"),
        ("garbage-json", with_header('{"x": {"dtype": "F32"} junk}'),
         "corrupt header: invalid JSON at byte 23: expected ',' or '}', "
         "found 'j'"),
        ("not-object", with_header("[1, 2]"),
         "corrupt header: expected a JSON object"),
        ("bf16", with_header({"x": entry("BF16", [2, 3], 0, 12),
                              "y": entry("I32", [5], 12, 32)}),
         "corrupt header: tensor 'x': unsupported dtype \"BF16\" (supported: "
         "F32, F64, I32, I64)"),
        ("size-mismatch", with_header({"x": entry("F32", [2, 2], 0, 24), "y": y}),
         "corrupt header: tensor 'x': shape [2, 2] of F32 needs 16 bytes but "
         "data_offsets [0, 24] span 24"),
        ("truncated-payload", raw[:-6],
         "truncated payload: tensor 'y' ends at byte 32 of the data but the "
         "file holds 26 data bytes"),
        ("overlap", with_header({"x": x, "y": entry("I32", [2], 20, 28)},
                                data[:28]),
         "corrupt header: tensors 'x' [0, 24) and 'y' [20, 28) overlap"),
        ("hole", with_header({"x": x, "y": entry("I32", [2], 28, 36)},
                             data + bytes(4)),
         "corrupt header: data bytes [24, 28) belong to no tensor"),
        ("trailing", raw + b"abc",
         "corrupt header: data bytes [32, 35) belong to no tensor"),
        ("duplicate", with_header('{"x": %s, "x": %s}' % (
            json.dumps(x), json.dumps(entry("I32", [2], 24, 32)))),
         "corrupt header: duplicate tensor name 'x'"),
        ("no-offsets", with_header({"x": {"dtype": "F32", "shape": [2, 3]},
                                    "y": y}),
         "corrupt header: tensor 'x': missing \"data_offsets\""),
        ("negative-shape", with_header({"x": entry("F32", [-2, 3], 0, 24),
                                        "y": y}),
         "corrupt header: tensor 'x': shape entries must be non-negative "
         "integers"),
        ("reversed-offsets", with_header({"x": entry("F32", [2, 3], 24, 0),
                                          "y": y}),
         "corrupt header: tensor 'x': data_offsets must be [begin, end] with "
         "0 <= begin <= end"),
        ("meta-number", with_header({"__metadata__": {"step": 3}, "x": x, "y": y}),
         "corrupt header: __metadata__ value of 'step' is not a string"),
        ("deep", with_header("[" * 100 + "]" * 100),
         "corrupt header: invalid JSON at byte 65: nesting deeper than 64 "
         "levels"),
    ]


def check_corrupt(tmp):
    for name, content, message in corrupt_cases(tmp):
        path = os.path.join(tmp, name + ".safetensors")
        with open(path, "wb") as f:
            f.write(content)
        equal(name, (1, f"error: {path}: {message}"), run("read", path))
    missing = os.path.join(tmp, "missing.safetensors")
    equal("missing", (1, f"error: {missing}: cannot open: No such file or "
                         "directory"), run("read", missing))


with tempfile.TemporaryDirectory() as tmp:
    code, out = run("roundtrip", tmp)
    print(out)
    equal("C round trip", 0, code)
    check_c_writer(tmp)
    check_python_writer(tmp)
    check_corrupt(tmp)
tally.done()
