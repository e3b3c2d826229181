#!/usr/bin/python3
"""fuzz_seeds.py - the seed corpora of the data-file fuzz harnesses: small
valid files of each format in its variants (written with numpy, gzip,
zipfile), one directory per harness.

usage: fuzz_seeds.py OUTDIR     (writes OUTDIR/{idx,npy,npz,csv,tokens}/*)"""
import gzip
import io
import os
import struct
import sys
import zipfile

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(1)


def write(kind, name, blob):
    os.makedirs(os.path.join(out, kind), exist_ok=True)
    with open(os.path.join(out, kind, name), "wb") as f:
        f.write(blob)


def npy(a, version=None):
    f = io.BytesIO()
    np.lib.format.write_array(f, a, version=version)
    return f.getvalue()


# IDX: each element type, plain and gzipped
for code, dt in ((8, ">u1"), (9, ">i1"), (0x0b, ">i2"), (0x0c, ">i4"), (0x0d, ">f4"),
                 (0x0e, ">f8")):
    shape = (3, 2, 2) if code == 8 else (4,)
    a = (rng.standard_normal(shape) * 50).astype(dt)
    raw = bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + a.tobytes()
    write("idx", f"{code:02x}.idx", raw)
    write("idx", f"{code:02x}.idx.gz", gzip.compress(raw, mtime=0))

# .npy: element types, byte orders, Fortran order, versions
for i, (dt, shape, fortran, version) in enumerate((
        ("<f4", (2, 3), False, (1, 0)), (">f8", (2, 2), True, (1, 0)),
        ("|u1", (5,), False, (2, 0)), ("<i8", (), False, (3, 0)),
        (">i2", (2, 1, 2), True, (1, 0)), ("<u4", (0, 3), False, (1, 0)))):
    a = (rng.standard_normal(shape) * 9).astype(dt)
    write("npy", f"{i}.npy", npy(np.asfortranarray(a) if fortran else a, version))

# .npz: stored, deflated, and zip64 end records (forced by lowered limits)
arrays = {"x": rng.standard_normal((3, 2)).astype("<f4"), "y": np.array([0, 2, 1], "<i8")}
for name, method in (("stored", zipfile.ZIP_STORED), ("deflated", zipfile.ZIP_DEFLATED)):
    f = io.BytesIO()
    with zipfile.ZipFile(f, "w", method) as z:
        for key, a in arrays.items():
            z.writestr(key + ".npy", npy(a))
    write("npz", name + ".npz", f.getvalue())
saved = zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT
zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = 100, 1
f = io.BytesIO()
with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
    for key, a in arrays.items():
        z.writestr(key + ".npy", npy(a))
zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved
write("npz", "zip64.npz", f.getvalue())

# CSV: the columns the harness selects (a, b, y), quoting, CRLF
write("csv", "plain.csv", b"a,b,y\n1.5,-2,0\n3e2,.5,2\n")
write("csv", "quoted.csv", b'\xef\xbb\xbf"a","b ""q""",y\r\n"1",2,1\r\n4,"5.0e-1",2')
write("csv", "real.csv", b"y,b,a\n0.25,1,2\n-1,3,4\n")

# token binaries: raw u16 and u32, llm.c headers of both kinds
toks = rng.integers(0, 1200, 24)
write("tokens", "raw16.bin", toks.astype("<u2").tobytes())
write("tokens", "raw32.bin", toks.astype("<u4").tobytes())
for magic, version, dt in ((20240520, 1, "<u2"), (20240801, 7, "<u4")):
    header = np.zeros(256, "<i4")
    header[:3] = magic, version, len(toks)
    write("tokens", f"llmc{magic}.bin", header.tobytes() + toks.astype(dt).tobytes())
