#!/usr/bin/python3
"""test_io_npz.py - the .npz reader against numpy: archives np.savez and
np.savez_compressed write (and zipfile variants: zip64 records, data
descriptors, an archive comment, every deflate level) must give each member
bit for bit as numpy reads it, by name with or without ".npy". Then each
kind of bad archive with its exact message.

usage: test_io_npz.py FORMATS_TOOL"""
import io
import os
import struct
import sys
import tempfile
import warnings
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
sys.path.insert(0, HERE)
from formats_tool import Tool, native, same_bits  # noqa: E402
from testcheck import Tally  # noqa: E402

tool = Tool(sys.argv[1])
tally = Tally("test_io_npz")
check, equal = tally.check, tally.equal
rng = np.random.default_rng(11)

ARRAYS = {
    "x": rng.standard_normal((50, 7)).astype("<f4"),
    "y": rng.integers(0, 10, 50).astype("<i8"),
    "big_endian": np.asfortranarray(rng.standard_normal((4, 3, 2)).astype(">f8")),
    "bytes": rng.integers(0, 256, (3, 9), dtype=np.uint8),
    "empty": np.zeros((0, 5), "<i2"),
    "scalar": np.array(3.25, "<f8"),
    # more than one 64 KiB read of compressed input, and little to compress
    "noise": np.frombuffer(rng.bytes(400_000), "<u4"),
}


def compare(path, what):
    """Every member of the archive, by both names, against numpy."""
    with np.load(path) as npz:
        names = npz.files
        code, line, _ = tool.run("members", path)
        equal(f"{what}: members", "ok " + " ".join(f"{n}.npy" for n in names), line)
        for name in names:
            want = native(npz[name])
            for key in (name, name + ".npy"):
                status, got, _ = tool.array("npz", path, key)
                if status != "ok":
                    check(False, f"{what}: {key}", "ok", got)
                else:
                    check(same_bits(want, got), f"{what}: {key}", want, got)


class Unseekable(io.RawIOBase):
    """A write-only stream without seek: zipfile then writes data
    descriptors after each member."""

    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.buf += b
        return len(b)


def zip_of(arrays, compression, compresslevel=None, stream=None, comment=b""):
    """An archive of .npy members as zipfile writes it."""
    out = stream if stream is not None else io.BytesIO()
    with zipfile.ZipFile(out, "w", compression, compresslevel=compresslevel) as z:
        for name, a in arrays.items():
            f = io.BytesIO()
            np.lib.format.write_array(f, a)
            z.writestr(name + ".npy", f.getvalue())
        z.comment = comment
    return bytes(out.buf) if stream is not None else out.getvalue()


def check_archives(tmp):
    path = os.path.join(tmp, "stored.npz")
    np.savez(path, **ARRAYS)
    compare(path, "np.savez")
    path = os.path.join(tmp, "deflated.npz")
    np.savez_compressed(path, **ARRAYS)
    compare(path, "np.savez_compressed")
    for level in (0, 1, 6, 9):
        path = os.path.join(tmp, f"level{level}.npz")
        with open(path, "wb") as f:
            f.write(zip_of(ARRAYS, zipfile.ZIP_DEFLATED, level))
        compare(path, f"deflate level {level}")
    path = os.path.join(tmp, "descriptors.npz")
    blob = zip_of(ARRAYS, zipfile.ZIP_DEFLATED, stream=Unseekable())
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        check(all(i.flag_bits & 8 for i in z.infolist()), "data descriptors written")
    with open(path, "wb") as f:
        f.write(blob)
    compare(path, "data descriptors")
    path = os.path.join(tmp, "comment.npz")
    with open(path, "wb") as f:
        f.write(zip_of(ARRAYS, zipfile.ZIP_STORED, comment=b"an archive comment"))
    compare(path, "archive comment")
    # zip64 end records and directory fields, as zipfile writes them for
    # archives over 4 GiB or 65535 members: lowered limits force them here
    saved = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
    zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 1000, 3
    try:
        for kind, save in (("stored", np.savez), ("deflated", np.savez_compressed)):
            path = os.path.join(tmp, f"zip64-{kind}.npz")
            save(path, **ARRAYS)
            with open(path, "rb") as f:
                blob = f.read()
            check(b"PK\6\6" in blob and b"PK\6\7" in blob, f"zip64 {kind}: end records written")
            end, cd, _ = end_record(blob)
            far = [e for e in range(cd, end, 1) if blob[e:e + 4] == b"PK\1\2" and
                   struct.unpack("<I", blob[e + 42:e + 46])[0] == 0xffffffff]
            check(len(far) >= 2, f"zip64 {kind}: members located by zip64 extra fields", len(far))
            compare(path, f"zip64 {kind}")
            # as in an archive past 4 GiB, the classic record defers to zip64
            with open(path, "wb") as f:
                f.write(patch(patch(blob, end + 8, "<HH", 0xffff, 0xffff), end + 12, "<II",
                              0xffffffff, 0xffffffff))
            compare(path, f"zip64 {kind}, classic record saturated")
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved


def end_record(blob):
    """(offset of the end record, directory offset, directory size)."""
    at = blob.rindex(b"PK\5\6")
    size, offset = struct.unpack("<II", blob[at + 12:at + 20])
    return at, offset, size


def patch(blob, at, fmt, *values):
    b = bytearray(blob)
    struct.pack_into(fmt, b, at, *values)
    return bytes(b)


def check_errors(tmp):
    small = {"x": np.arange(6, dtype="<f4").reshape(2, 3), "y": np.arange(4, dtype="<i8")}
    stored = zip_of(small, zipfile.ZIP_STORED)
    deflated = zip_of(small, zipfile.ZIP_DEFLATED)
    end, cd, cd_size = end_record(stored)
    dend, dcd, _ = end_record(deflated)
    with zipfile.ZipFile(io.BytesIO(deflated)) as z:
        dx, dy = z.infolist()
    with zipfile.ZipFile(io.BytesIO(stored)) as z:
        sx, sy = z.infolist()
    s_data = sx.header_offset + 30 + len("x.npy")
    d_data = dx.header_offset + 30 + len("x.npy")
    npy = io.BytesIO()
    np.save(npy, small["x"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("x.npy", npy.getvalue())
            z.writestr("x.npy", npy.getvalue())
        dup = buf.getvalue()
    bad_npy = io.BytesIO()
    with zipfile.ZipFile(bad_npy, "w") as z:
        z.writestr("x.npy", npy.getvalue()[:-3])

    # entry 0 (x.npy) given a zip64 extra field of 4 bytes where its 0xffffffff
    # size needs 8
    entry = bytearray(stored[cd:cd + 46 + 5])
    struct.pack_into("<IH", entry, 24, 0xffffffff, 5)
    struct.pack_into("<H", entry, 30, 8)
    short64 = (stored[:cd] + bytes(entry) + b"\1\0\4\0" + bytes(4) + stored[cd + 51:end] +
               patch(stored[end:], 12, "<I", cd_size + 8))
    open_cases = [  # errors when the archive is opened
        ("not-zip", npy.getvalue(), "not a zip archive (no end-of-central-directory record; "
         ".npz files are zip archives)"),
        ("empty", b"", "not a zip archive (no end-of-central-directory record; .npz files are "
         "zip archives)"),
        ("cut", stored[:-1], "not a zip archive (no end-of-central-directory record; .npz "
         "files are zip archives)"),
        ("multi-disk", patch(stored, end + 4, "<H", 1),
         f"byte {end}: multi-disk zip archives are not supported"),
        ("directory-past-end", patch(stored, end + 16, "<I", cd + 1),
         f"byte {end}: the central directory ({cd_size} bytes at byte {cd + 1}) does not end "
         "before its end record"),
        ("too-many-members", patch(patch(stored, end + 8, "<H", 9), end + 10, "<H", 9),
         f"byte {end}: 9 members claimed, more than the {cd_size}-byte central directory "
         "holds"),
        ("bad-entry", patch(stored, cd, "<I", 0x12345678),
         f"byte {cd}: expected a central directory entry"),
        ("long-name", patch(stored, cd + 28, "<H", 5000),
         f"byte {cd}: a central directory entry runs past the directory"),
        ("encrypted", patch(stored, cd + 8, "<H", 1), f"byte {cd}: member \"x.npy\" is encrypted"),
        ("bzip2", patch(stored, cd + 10, "<H", 12),
         f"byte {cd}: member \"x.npy\": compression method 12 (supported: 0 stored, 8 "
         "deflated)"),
        ("duplicate", dup, "two members are named \"x.npy\""),
        ("short-zip64", short64, f"byte {cd + 51}: zip64 extra field too short"),
    ]
    for name, blob, message in open_cases:
        path = os.path.join(tmp, name + ".npz")
        with open(path, "wb") as f:
            f.write(blob)
        equal(name, f"{path}: {message}", tool.error("members", path))

    sx_cd, dx_cd = cd, dcd  # x.npy is the first entry of each directory
    load_cases = [  # errors when member x is loaded
        ("local-offset", patch(stored, sx_cd + 42, "<I", sy.header_offset),
         f"byte {sy.header_offset}: member \"x.npy\": the local header does not match the "
         "central directory"),
        ("local-past-end", patch(stored, sx_cd + 42, "<I", len(stored) - 10),
         f"byte {len(stored) - 10}: truncated: a local header (30 bytes) runs past the end of "
         f"the file ({len(stored)} bytes)"),
        ("data-past-end", patch(stored, sx_cd + 20, "<II", 10**6, 10**6),
         f"byte {s_data}: member \"x.npy\": truncated: its 1000000 bytes of data run past the "
         f"end of the file ({len(stored)} bytes)"),
        ("crc", patch(stored, s_data + 130, "<B", 0x55),
         f"byte {s_data}: member \"x.npy\": CRC-32 mismatch: the data is corrupt"),
        ("stored-size", patch(stored, sx_cd + 24, "<I", sx.file_size + 1),
         f"byte 0: member \"x.npy\": {sx.file_size + 1} bytes cannot come from {sx.file_size} "
         "stored bytes"),
        ("bomb", patch(deflated, dx_cd + 24, "<I", 2**31),
         f"byte 0: member \"x.npy\": 2147483648 bytes cannot come from {dx.compress_size} "
         "deflated bytes"),
        ("longer-stream", patch(deflated, dx_cd + 24, "<I", dx.file_size - 1),
         f"byte {d_data + dx.compress_size}: member \"x.npy\": it inflates to more bytes than "
         "the directory says"),
        ("shorter-stream", patch(deflated, dx_cd + 24, "<I", dx.file_size + 1),
         f"byte {d_data + dx.compress_size}: member \"x.npy\": it inflates to fewer bytes than "
         "the directory says"),
        ("cut-stream", patch(deflated, dx_cd + 20, "<I", dx.compress_size - 4),
         f"byte {d_data + dx.compress_size - 4}: member \"x.npy\": truncated: the deflate "
         "stream ends early"),
        ("longer-input", patch(deflated, dx_cd + 20, "<I", dx.compress_size + 4),
         f"byte {d_data + dx.compress_size}: member \"x.npy\": the deflate stream ends before "
         "its compressed bytes do"),
        ("corrupt-deflate", patch(deflated, d_data, "<B", 0xff),
         f"byte {d_data + 1}: member \"x.npy\": invalid block type"),
        ("bad-npy", bad_npy.getvalue(),
         "member x.npy: byte 149: truncated: the data of 2 x 3 f32 needs 24 bytes, 21 follow "
         "the header"),
    ]
    for name, blob, message in load_cases:
        path = os.path.join(tmp, name + ".npz")
        with open(path, "wb") as f:
            f.write(blob)
        equal(name, f"{path}: {message}", tool.error("array", "npz", path, "x", "raw"))
    path = os.path.join(tmp, "stored.npz")
    with open(path, "wb") as f:
        f.write(stored)
    equal("missing member", f"{path}: no member named \"z\" (the archive has: x.npy, y.npy)",
          tool.error("array", "npz", path, "z", "raw"))
    missing = os.path.join(tmp, "missing.npz")
    equal("missing file", f"{missing}: cannot open: No such file or directory",
          tool.error("members", missing))


with tempfile.TemporaryDirectory() as tmp:
    check_archives(tmp)
    check_errors(tmp)
tally.done()
