#!/usr/bin/python3
"""test_io_npy.py - the .npy reader against numpy: files numpy writes in
every supported variant (format versions 1.0, 2.0 and 3.0, both byte
orders, C and Fortran order, each element type, shapes from a scalar to 8
dimensions) must read back bit for bit as numpy reads them; headers with
unusual but valid spelling and padding too. Then each kind of bad file with
its exact message, and the conversions to float and to class ids.

usage: test_io_npy.py FORMATS_TOOL"""
import io
import os
import struct
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
sys.path.insert(0, HERE)
from formats_tool import Tool, native, same_bits  # noqa: E402
from testcheck import Tally  # noqa: E402

tool = Tool(sys.argv[1])
tally = Tally("test_io_npy")
check, equal = tally.check, tally.equal
rng = np.random.default_rng(7)

DTYPES = ["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8"]
SHAPES = [(), (0,), (7,), (3, 4), (2, 3, 4), (2, 0, 3), (2, 1, 3, 1, 2, 1, 2, 2)]


def sample(code, shape):
    """Values covering the type's range: extremes, zero, random bits (for
    floats also NaN, infinities, subnormals and -0)."""
    dt = np.dtype("<" + code)
    n = int(np.prod(shape))
    a = np.frombuffer(rng.bytes(n * dt.itemsize), dtype=dt).copy()
    if dt.kind in "ui":
        special = [np.iinfo(dt).min, np.iinfo(dt).max, 0, 1]
    else:
        special = [np.nan, np.inf, -np.inf, -0.0, np.finfo(dt).tiny / 4, 1.5]
    a[:min(n, len(special))] = special[:n]
    return a.reshape(shape)


def write_npy(path, a, version):
    with open(path, "wb") as f:
        np.lib.format.write_array(f, a, version=version)


def check_variants(tmp):
    path = os.path.join(tmp, "a.npy")
    count = 0
    for code in DTYPES:
        for order in "<>":
            for fortran in (False, True):
                for version in ((1, 0), (2, 0), (3, 0)):
                    for shape in SHAPES:
                        a = sample(code, shape).astype(order + code)
                        if fortran:
                            a = np.asfortranarray(a)
                        write_npy(path, a, version)
                        want = native(np.load(path))
                        status, got, _ = tool.array("npy", path)
                        what = f"{order}{code} fortran={fortran} v{version[0]} {shape}"
                        count += 1
                        if status != "ok":
                            check(False, what, "ok", got)
                        else:
                            check(same_bits(want, got), what, want, got)
    check(count == 10 * 2 * 2 * 3 * len(SHAPES), "variant count", count)
    # numpy writes Fortran order for these: the test covers it
    a = np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3))
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a)
    check(b"'fortran_order': True" in buf.getvalue(), "numpy wrote a Fortran header")


def npy_bytes(header, data=b"", version=1, pad=None):
    """A .npy image with the given header text (padded with spaces to a
    multiple of 64 unless pad says how many spaces, then a newline)."""
    prefix = 10 if version == 1 else 12
    h = header.encode("latin-1")
    if pad is None:
        pad = (-(prefix + len(h) + 1)) % 64
    h += b" " * pad + b"\n"
    fmt = "<H" if version == 1 else "<I"
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack(fmt, len(h)) + h + data


def check_spellings(tmp):
    data = np.arange(6, dtype="<i4").tobytes()
    want = np.arange(6, dtype=np.int32).reshape(2, 3)
    spellings = {
        "no padding, misaligned data":
            npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", data, pad=0),
        "keys in another order, no trailing comma":
            npy_bytes("{'shape': (2, 3), 'fortran_order': False, 'descr': '<i4'}", data),
        "double quotes and tabs":
            npy_bytes('{"descr":\t"<i4", "fortran_order": False,"shape":(2,3)}', data),
        "Python 2 long sizes":
            npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2L, 3L), }", data),
        "native byte order '='":
            npy_bytes("{'descr': '=i4', 'fortran_order': False, 'shape': (2, 3), }", data),
        "version 2 with odd padding":
            npy_bytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", data,
                      version=2, pad=5),
    }
    for name, blob in spellings.items():
        path = os.path.join(tmp, "spelled.npy")
        with open(path, "wb") as f:
            f.write(blob)
        status, got, _ = tool.array("npy", path)
        check(status == "ok" and same_bits(want, got), name, want, got)
        if name != "Python 2 long sizes":  # numpy 1.24 no longer reads that
            check(same_bits(want, np.load(path)), f"numpy reads '{name}' alike")


def check_errors(tmp):
    data = bytes(24)
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    good = npy_bytes(hdr, data)
    cases = [
        ("not-npy", b"PK\3\4" + bytes(100),
         "byte 0: not a .npy file (it does not start with \\x93NUMPY)"),
        ("short-magic", b"\x93NUM", "byte 4: truncated inside the .npy magic and version"),
        ("empty", b"", "byte 0: truncated inside the .npy magic and version"),
        ("version-4", b"\x93NUMPY\x04\x00" + good[8:],
         "byte 6: unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)"),
        ("short-length", b"\x93NUMPY\x02\x00\x10\x00",
         "byte 10: truncated inside the header length"),
        ("long-header", good[:8] + struct.pack("<H", 60000) + good[10:],
         "byte 152: truncated: the header length is 60000 bytes, 142 follow"),
        ("unknown-key", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), "
                                  "'extra': 1}", data),
         "byte 68: .npy header: unknown key 'extra' (expected 'descr', 'fortran_order' and "
         "'shape')"),
        ("repeated-key", npy_bytes("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
                                   "'shape': (2, 3)}", data),
         "byte 27: .npy header: repeated key descr"),
        ("missing-key", npy_bytes("{'descr': '<f4', 'fortran_order': False}", data),
         "byte 50: .npy header: missing key shape"),
        ("half-float", npy_bytes(hdr.replace("<f4", "<f2"), bytes(12)),
         "byte 20: .npy header: unsupported dtype '<f2' (supported: u1 i1 u2 i2 u4 i4 u8 i8 f4 "
         "f8, little- or big-endian)"),
        ("complex", npy_bytes(hdr.replace("<f4", "<c8"), bytes(48)),
         "byte 20: .npy header: unsupported dtype '<c8' (supported: u1 i1 u2 i2 u4 i4 u8 i8 f4 "
         "f8, little- or big-endian)"),
        ("bool", npy_bytes(hdr.replace("<f4", "|b1"), bytes(6)),
         "byte 20: .npy header: unsupported dtype '|b1' (supported: u1 i1 u2 i2 u4 i4 u8 i8 f4 "
         "f8, little- or big-endian)"),
        ("object", npy_bytes(hdr.replace("'<f4'", "'|O'"), bytes(48)),
         "byte 20: .npy header: unsupported dtype '|O' (supported: u1 i1 u2 i2 u4 i4 u8 i8 f4 "
         "f8, little- or big-endian)"),
        ("structured", npy_bytes(hdr.replace("'<f4'", "[('a', '<f4')]"), data),
         "byte 20: .npy header: structured dtypes (a list for 'descr') are not supported"),
        ("fortran-word", npy_bytes(hdr.replace("False", "0"), data),
         "byte 44: .npy header: expected True or False for 'fortran_order'"),
        ("negative-size", npy_bytes(hdr.replace("(2, 3)", "(-2, 3)"), data),
         "byte 61: .npy header: expected a size (a non-negative integer) in 'shape'"),
        ("real-size", npy_bytes(hdr.replace("(2, 3)", "(2.5, 3)"), data),
         "byte 62: .npy header: expected ',' or ')' in 'shape'"),
        ("nine-dims", npy_bytes(hdr.replace("(2, 3)", "(1, 1, 1, 1, 1, 1, 1, 1, 1)"), bytes(4)),
         "byte 85: .npy header: more dimensions than the 8 supported"),
        ("huge-size", npy_bytes(hdr.replace("(2, 3)", "(99999999999999999999,)"), data),
         "byte 61: .npy header: a size in 'shape' is too large"),
        ("overflow", npy_bytes(hdr.replace("(2, 3)", "(4294967296, 4294967296)"), data),
         "byte 51: shape 4294967296 x 4294967296 are too large"),
        ("unterminated", npy_bytes("{'descr: '<f4'}", data),
         "byte 11: .npy header: unknown key 'descr: ' (expected 'descr', 'fortran_order' and "
         "'shape')"),
        ("open-string", npy_bytes("{'descr", data),
         "byte 11: .npy header: unterminated or escaped string"),
        ("escaped-string", npy_bytes("{'descr\\'': '<f4'}", data),
         "byte 11: .npy header: unterminated or escaped string"),
        ("no-dict", npy_bytes("descr", data),
         "byte 10: .npy header: expected '{' (the header is a Python dict)"),
        ("text-after", npy_bytes(hdr + " x", data),
         "byte 70: .npy header: unexpected text after the dict"),
        ("truncated-data", good[:-5],
         "byte 147: truncated: the data of 2 x 3 f32 needs 24 bytes, 19 follow the header"),
        ("trailing-data", good + b"\0\0\0",
         "byte 152: 3 bytes after the end of the data"),
        ("control-chars", npy_bytes("{'descr': '<\x01\x7f', 'fortran_order': False, "
                                    "'shape': (2, 3), }", data),
         "byte 20: .npy header: unsupported dtype '<\\x01\\x7f' (supported: u1 i1 u2 i2 u4 i4 "
         "u8 i8 f4 f8, little- or big-endian)"),
    ]
    for name, blob, message in cases:
        path = os.path.join(tmp, name + ".npy")
        with open(path, "wb") as f:
            f.write(blob)
        equal(name, f"{path}: {message}", tool.error("array", "npy", path, "-", "raw"))
    missing = os.path.join(tmp, "missing.npy")
    equal("missing file", f"{missing}: cannot open: No such file or directory",
          tool.error("array", "npy", missing, "-", "raw"))
    equal("directory", f"{tmp}: read error: Is a directory",
          tool.error("array", "npy", tmp, "-", "raw"))


def save(tmp, name, a):
    path = os.path.join(tmp, name)
    np.save(path, a)
    return path


def check_conversions(tmp):
    # every element type to float and double, as numpy converts
    for code in DTYPES:
        a = sample(code, (3, 5)).astype(">" + code)
        if a.dtype.kind == "f":
            a[~np.isfinite(a)] = 2.5
            if code == "f8":
                a[a > 1e30] = 1e30
                a[a < -1e30] = -1e30
        a = np.asfortranarray(a)
        path = save(tmp, "conv.npy", a)
        for to, np_to in (("f32", np.float32), ("f64", np.float64)):
            status, got, _ = tool.array("npy", path, "-", to)
            want = np.ascontiguousarray(a.astype(np_to))
            check(status == "ok" and same_bits(want, got), f"{code} to {to}", want, got)
    # integer types to ids, with the bound the data shows
    for code in ("u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8"):
        a = np.array([[3, 0], [7, 2]], dtype=code)
        status, got, extra = tool.array("npy", save(tmp, "ids.npy", a), "-", "ids:0")
        check(status == "ok" and same_bits(a.astype(np.int32), got) and extra["bound"] == "8",
              f"{code} to ids", (a, 8), (got, extra))

    def failure(name, a, convert, message):
        path = save(tmp, name, a)
        equal(name, f"{path}: {message}", tool.error("array", "npy", path, "-", convert))

    # the byte offsets: the data starts at 128 in these files
    failure("nan.npy", np.array([1, 2, np.nan], "<f4"), "f32", "byte 136: NaN at [2]")
    failure("inf.npy", np.array([[1, 2], [3, -np.inf]], ">f8"), "f64", "byte 152: -inf at [1, 1]")
    failure("overflow.npy", np.array([1e300], "<f8"), "f32",
            "byte 128: value 1.0000000000000001e+300 at [0]: beyond the range of f32")
    failure("fortran-nan.npy", np.asfortranarray(np.array([[0, 0, 0], [np.nan, 0, 0]], "<f4")),
            "f32", "byte 132: NaN at [1, 0]")
    failure("float-ids.npy", np.array([1.0], "<f4"), "ids:0",
            "class ids need an integer element type, not f32")
    failure("negative-id.npy", np.array([1, -3], "<i8"), "ids:10",
            "byte 136: negative class id -3 at [1]")
    failure("big-id.npy", np.array([[9, 10]], "<u2"), "ids:10",
            "byte 130: class id 10 at [0, 1]: out of range for 10 classes")
    failure("huge-id.npy", np.array([2**31 - 1], "<u8"), "ids:0",
            "byte 128: class id 2147483647 at [0]: ids must be below 2147483647")
    failure("u64-id.npy", np.array([2**64 - 1], "<u8"), "ids:0",
            "byte 128: class id 18446744073709551615 at [0]: ids must be below 2147483647")


with tempfile.TemporaryDirectory() as tmp:
    check_variants(tmp)
    check_spellings(tmp)
    check_errors(tmp)
    check_conversions(tmp)
tally.done()
