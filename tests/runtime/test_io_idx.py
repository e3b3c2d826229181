#!/usr/bin/python3
"""test_io_idx.py - the IDX reader and image dataset against an independent
reading of Fashion-MNIST (gzip + struct + numpy here); files of every element
type, gzipped and plain, against numpy's reading of the same bytes; and the
diagnostics on corrupt, truncated and mismatched files written by this
script.

usage: test_io_idx.py IDX_TOOL FORMATS_TOOL [FASHION_MNIST_DIR]"""
import functools
import gzip
import json
import os
import struct
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
sys.path.insert(0, HERE)
from formats_tool import Tool, same_bits  # noqa: E402
from testcheck import Tally, run_tool  # noqa: E402

TOOL = sys.argv[1]
formats = Tool(sys.argv[2])
DIR = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
tally = Tally("test_io_idx")
check, equal = tally.check, tally.equal
run = functools.partial(run_tool, TOOL)


def read_idx(path):
    """Independent IDX reader: (dims, uint8 array)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    assert zero == 0 and dtype == 8, path
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    assert data.size == int(np.prod(dims)), path
    return dims, data


def check_real_files():
    code, out = run("stats", DIR)
    equal("stats exit code", 0, code)
    got = json.loads(out)
    for set_name, n in (("train", 60000), ("t10k", 10000)):
        dims, pixels = read_idx(f"{DIR}/{set_name}-images-idx3-ubyte.gz")
        ldims, labels = read_idx(f"{DIR}/{set_name}-labels-idx1-ubyte.gz")
        c = got[set_name]
        equal(f"{set_name} count (fact)", n, dims[0])
        equal(f"{set_name} count", n, c["n"])
        equal(f"{set_name} rows x cols", [28, 28], [c["rows"], c["cols"]])
        equal(f"{set_name} label count", ldims[0], c["labels"])
        hist = np.bincount(labels, minlength=10).tolist()
        equal(f"{set_name} label histogram", hist, c["hist"])
        equal(f"{set_name} balanced classes (fact)", [n // 10] * 10, hist)
        equal(f"{set_name} pixel sum", int(pixels.sum(dtype=np.uint64)),
              c["pixel_sum"])
        images = pixels.reshape(dims[0], 28 * 28)
        sums = [int(images[i].sum()) for i in (0, 1, 2, dims[0] - 1)]
        equal(f"{set_name} image sums", sums, c["image_sums"])
        equal(f"{set_name} first labels", labels[:8].tolist(),
              c["first_labels"])
        x = pixels.astype(np.float64) / 255.0
        mean, std = float(x.mean()), float(x.std())
        check(abs(mean - c["mean"]) < 1e-9 and abs(std - c["std"]) < 1e-9,
              f"{set_name} mean/std", (mean, std), (c["mean"], c["std"]))
        if set_name == "train":
            train_pixels, train_labels = pixels, labels
            check(abs(mean - 0.2860) < 5e-5 and abs(std - 0.3530) < 5e-5,
                  "documented normalization constants", (mean, std),
                  (0.2860, 0.3530))
    ds = got["dataset"]
    equal("dataset shape", [60000, 1, 28, 28, 10],
          [ds["n"], ds["channels"], ds["rows"], ds["cols"], ds["classes"]])
    for index, value in ds["values"]:
        want = (train_pixels[index] / 255.0 - 0.2860) / 0.3530
        check(abs(want - value) < 1e-6, f"normalized pixel {index}", want, value)
    equal("last label", int(train_labels[-1]), ds["last_label"])


def idx_bytes(magic, dims, payload):
    return magic + struct.pack(">" + "I" * len(dims), *dims) + payload


def check_bad_files(tmp):
    def write(name, data, compress=True):
        path = os.path.join(tmp, name)
        with (gzip.open(path, "wb") if compress else open(path, "wb")) as f:
            f.write(data)
        return path

    image = bytes(range(256)) * 3 + bytes(16)          # 784 bytes
    good = write("good.gz", idx_bytes(b"\0\0\x08\x03", (1, 28, 28), image))
    equal("good file", (0, f"ok 1x28x28 {sum(image)}"), run("read", good))
    plain = write("plain.idx", idx_bytes(b"\0\0\x08\x01", (5,), b"\1\2\3\4\5"),
                  compress=False)
    equal("uncompressed file", (0, "ok 5 15"), run("read", plain))

    cases = [  # through rt_idx_read, the unsigned-byte reader of image datasets
        ("bad-magic.gz", idx_bytes(b"\1\2\x08\x03", (1, 28, 28), image),
         "byte 0: not an IDX file: magic 0x01020803 does not start with two zero bytes"),
        ("float.gz", idx_bytes(b"\0\0\x0d\x01", (4,), bytes(16)),
         "byte 2: IDX element type f32: images and labels must be unsigned bytes (0x08)"),
        ("five-dims.gz", idx_bytes(b"\0\0\x08\x05", (1,) * 5, b"\0"),
         "byte 3: 5 dimensions: images and labels have at most 4"),
        ("bad-type.gz", idx_bytes(b"\0\0\x0a\x01", (4,), bytes(4)),
         "byte 2: unsupported IDX element type 0x0a (supported: 0x08 u8, 0x09 i8, 0x0b i16, "
         "0x0c i32, 0x0d f32, 0x0e f64)"),
        ("nine-dims.gz", idx_bytes(b"\0\0\x08\x09", (1,) * 9, b"\0"),
         "byte 3: 9 dimensions (supported: 1 to 8)"),
        ("no-dims.gz", b"\0\0\x08\x00", "byte 3: 0 dimensions (supported: 1 to 8)"),
        ("short-magic.gz", b"\0\0", "byte 2: truncated: the file ends inside the 4-byte IDX "
         "magic"),
        ("short-header.gz", b"\0\0\x08\x03" + struct.pack(">I", 60000) + b"\0\0",
         "byte 10: truncated: the file ends inside the 16-byte IDX header"),
        ("truncated.gz", idx_bytes(b"\0\0\x08\x03", (60000, 28, 28), bytes(1000)),
         "byte 1016: truncated: the data of 60000 x 28 x 28 u8 needs 47040000 bytes, 1000 "
         "follow the header"),
        ("trailing.gz", idx_bytes(b"\0\0\x08\x03", (1, 28, 28), image + bytes(5)),
         "byte 800: 5 bytes after the end of the data"),
        ("huge-dims.gz", idx_bytes(b"\0\0\x08\x04", (0xffffffff,) * 4, b""),
         "byte 4: dimensions 4294967295 x 4294967295 x 4294967295 x 4294967295 are too large"),
    ]
    for name, data, message in cases:
        path = write(name, data)
        equal(name, (1, f"error: {path}: {message}"), run("read", path))

    with open(good, "rb") as f:
        gz = f.read()
    cut = write("cut-stream.gz", gz[:len(gz) // 2], compress=False)
    equal("cut gzip stream",
          (1, f"error: {cut}: truncated gzip stream (unexpected end of file)"),
          run("read", cut))
    bad_crc = bytearray(gz)
    bad_crc[-8] ^= 0xff                                # the CRC32 trailer
    crc = write("bad-crc.gz", bytes(bad_crc), compress=False)
    equal("corrupt gzip data",
          (1, f"error: {crc}: corrupt gzip data: incorrect data check"),
          run("read", crc))
    missing = os.path.join(tmp, "missing.gz")
    equal("missing file",
          (1, f"error: {missing}: cannot open: No such file or directory"),
          run("read", missing))

    labels10 = write("labels10.gz", idx_bytes(b"\0\0\x08\x01", (10,), bytes(10)))
    images2 = write("images2.gz", idx_bytes(b"\0\0\x08\x03", (2, 28, 28),
                                            image * 2))
    equal("count mismatch",
          (1, f"error: {images2} has 2 images but {labels10} has 10 labels"),
          run("pair", images2, labels10))
    equal("labels given as images",
          (1, f"error: {images2}: expected labels with 1 dimension [count], "
              "got 3"), run("pair", images2, images2))
    equal("images given as labels",
          (1, f"error: {labels10}: expected images with 3 dimensions [count, "
              "rows, cols], got 1"), run("pair", labels10, labels10))
    labels2 = write("labels2.gz", idx_bytes(b"\0\0\x08\x01", (2,), b"\3\7"))
    # pixel 0 of images2 is 0: (0 / 255 - 0.5) / 0.25 = -2
    equal("small pair", (0, "ok 2 8 -2"), run("pair", images2, labels2))


IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0b: "i2", 0x0c: "i4", 0x0d: "f4", 0x0e: "f8"}


def check_element_types(tmp):
    """rt_idx_load on every element type and 1 to 8 dimensions, gzipped
    and plain: the same values as numpy reading the big-endian data."""
    rng = np.random.default_rng(3)
    shapes = [(5,), (3, 4), (2, 3, 4), (1, 2, 1, 3), (2,) * 8, (4, 0, 2)]
    for code, np_code in IDX_TYPES.items():
        for shape in shapes:
            for compress in (False, True):
                dt = np.dtype(">" + np_code)
                n = int(np.prod(shape))
                data = rng.bytes(n * dt.itemsize)
                path = os.path.join(tmp, f"t{code:02x}.idx")
                raw = idx_bytes(bytes([0, 0, code, len(shape)]), shape, data)
                with (gzip.open(path, "wb") if compress else open(path, "wb")) as f:
                    f.write(raw)
                want = np.frombuffer(data, dt).astype(dt.newbyteorder("=")).reshape(shape)
                status, got, _ = formats.array("idx", path)
                what = f"{np_code} {shape} {'gzip' if compress else 'plain'}"
                check(status == "ok" and same_bits(want, got), what, want, got)
    # the real files, all of them, through the general reader
    dims, pixels = read_idx(f"{DIR}/t10k-images-idx3-ubyte.gz")
    status, got, _ = formats.array("idx", f"{DIR}/t10k-images-idx3-ubyte.gz")
    check(status == "ok" and same_bits(pixels.reshape(dims), got), "Fashion-MNIST t10k images")
    # a bad element in a converted array: offsets count uncompressed bytes
    path = os.path.join(tmp, "labels.gz")
    with gzip.open(path, "wb") as f:
        f.write(idx_bytes(b"\0\0\x0c\x01", (3,), struct.pack(">iii", 1, 2, 10)))
    equal("label out of range",
          f"{path}: byte 16: class id 10 at [2]: out of range for 10 classes",
          formats.error("array", "idx", path, "-", "ids:10"))


check_real_files()
with tempfile.TemporaryDirectory() as tmp:
    check_element_types(tmp)
    check_bad_files(tmp)
tally.done()
