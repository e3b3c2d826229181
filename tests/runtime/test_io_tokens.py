#!/usr/bin/python3
"""test_io_tokens.py - the token-binary reader against numpy: nanoGPT's raw
uint16 files (and uint32 ones), llm.c's files with a 1024-byte header (GPT-2:
uint16, Llama 3: uint32), windows at the start, the middle and the end equal
numpy's memmap slices, the scanned bound equals max + 1; a sparse file past
4 GiB is read at its far end; then each kind of bad file with its exact
message.

usage: test_io_tokens.py FORMATS_TOOL"""
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
sys.path.insert(0, HERE)
from formats_tool import Tool  # noqa: E402
from testcheck import Tally  # noqa: E402

tool = Tool(sys.argv[1])
tally = Tally("test_io_tokens")
check, equal = tally.check, tally.equal
rng = np.random.default_rng(5)


def llmc_header(magic, version, count):
    h = np.zeros(256, dtype="<i4")
    h[:3] = magic, version, count
    return h.tobytes()


def windows(path, width, want, header, what):
    """Windows of 65 tokens at several positions, and the scanned bound."""
    n = len(want)
    for pos in (0, 1, n // 2, n - 65):
        code, line, rest = tool.run("tokens", path, width, 0, pos, 65, 1)
        got = np.frombuffer(rest, "<i4")
        ok = code == 0 and np.array_equal(got, want[pos:pos + 65].astype(np.int32))
        check(ok, f"{what}: window at {pos}", want[pos:pos + 3], (line, got[:3]))
        wbytes = want.dtype.itemsize
        fields = f"ok count={n} width={wbytes} header={header} bound={int(want.max()) + 1}"
        equal(f"{what}: header line", fields, line)


def check_files(tmp):
    path = os.path.join(tmp, "train.bin")
    toks = rng.integers(0, 50257, 10_000).astype(np.uint16)
    toks.tofile(path)  # as nanoGPT's prepare.py writes it
    windows(path, 0, np.memmap(path, dtype=np.uint16, mode="r"), 0, "nanoGPT u16")
    windows(path, 2, np.memmap(path, dtype=np.uint16, mode="r"), 0, "u16 asked")
    toks32 = rng.integers(0, 128256, 10_000).astype("<u4")
    toks32.tofile(path)
    windows(path, 4, np.memmap(path, dtype=np.uint32, mode="r"), 0, "raw u32")
    for magic, version, dt, vocab in ((20240520, 1, "<u2", 50257), (20240801, 7, "<u4", 128256)):
        toks = rng.integers(0, vocab, 7_000).astype(dt)
        with open(path, "wb") as f:
            f.write(llmc_header(magic, version, len(toks)) + toks.tobytes())
        mm = np.memmap(path, dtype=dt, mode="r", offset=1024)
        windows(path, 0, mm, 1024, f"llm.c magic {magic}")
        windows(path, np.dtype(dt).itemsize, mm, 1024, f"llm.c magic {magic}, width given")
    # a vocabulary given: ids below it pass, the first at or above it fails
    toks = np.array([5, 9, 3, 10, 2], dtype=np.uint16)
    toks.tofile(path)
    code, line, rest = tool.run("tokens", path, 2, 11, 0, 5, 0)
    check(code == 0 and list(np.frombuffer(rest, "<i4")) == [5, 9, 3, 10, 2], "vocabulary 11")
    equal("vocabulary 10",
          f"{path}: byte 6: token id 10 at position 3 is out of range for vocabulary 10",
          tool.error("tokens", path, 2, 10, 1, 4, 0))


def check_sparse(tmp):
    """Positions past 2^32 bytes: a sparse file of 5 GiB, tokens written at
    its far end only; no scan (it would read 5 GiB)."""
    path = os.path.join(tmp, "sparse.bin")
    size = 5 << 30
    tail = np.arange(1000, 1065, dtype=np.uint16)
    with open(path, "wb") as f:
        f.truncate(size)
        f.seek(size - tail.nbytes)
        f.write(tail.tobytes())
    n = size // 2
    code, line, rest = tool.run("tokens", path, 2, 65536, n - 65, 65, 0)
    check(code == 0 and np.array_equal(np.frombuffer(rest, "<i4"), tail.astype(np.int32)),
          "sparse 5 GiB: the last window", tail[:3], (line, rest[:12]))
    equal("sparse 5 GiB: count", f"ok count={n} width=2 header=0", line)
    code, line, rest = tool.run("tokens", path, 2, 0, n - 65 - 4096, 65, 0)
    check(code == 0 and not any(rest), "sparse 5 GiB: a window of zeros in the hole")
    os.remove(path)


def check_errors(tmp):
    def write(name, blob):
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(blob)
        return path

    u16 = np.arange(100, dtype="<u2").tobytes()
    cases = [  # (name, bytes, width, vocab, pos, len, scan, message)
        ("empty.bin", b"", 0, 0, 0, 1, 0, "empty file (no tokens)"),
        ("odd.bin", bytes(1001), 2, 0, 0, 1, 0,
         "byte 1000: 1001 bytes are not a whole number of 2-byte tokens"),
        ("odd32.bin", bytes(1002), 4, 0, 0, 1, 0,
         "byte 1000: 1002 bytes are not a whole number of 4-byte tokens"),
        ("short-header.bin", llmc_header(20240520, 1, 10)[:100], 0, 0, 0, 1, 0,
         "byte 100: truncated: the file ends inside the 1024-byte llm.c header (magic 20240520)"),
        ("version.bin", llmc_header(20240520, 2, 50) + u16[:100], 0, 0, 0, 1, 0,
         "byte 4: llm.c version 2 with magic 20240520 is not supported (expected 1)"),
        ("truncated.bin", llmc_header(20240520, 1, 200) + u16, 0, 0, 0, 1, 0,
         "byte 1224: truncated: the header claims 200 tokens (400 bytes), the file has 200 "
         "bytes of tokens"),
        ("trailing.bin", llmc_header(20240520, 1, 90) + u16, 0, 0, 0, 1, 0,
         "byte 1204: 20 bytes after the 90 tokens the header claims"),
        ("negative.bin", llmc_header(20240520, 1, -5) + u16, 0, 0, 0, 1, 0,
         "byte 8: negative token count -5"),
        ("zero.bin", llmc_header(20240801, 7, 0), 0, 0, 0, 1, 0, "no tokens"),
        ("mismatch.bin", llmc_header(20240801, 7, 50) + u16, 2, 0, 0, 1, 0,
         "byte 0: an llm.c file of u32 tokens (magic 20240801), not u16"),
        ("width.bin", u16, 3, 0, 0, 1, 0, "token width 3 (supported: 2 for u16, 4 for u32)"),
        ("past-end.bin", u16, 2, 0, 40, 61, 0,
         "the window of 61 tokens at 40 is past the last of the 100 tokens"),
        ("big-id.bin", np.array([1, 2**31 - 1], "<u4").tobytes(), 4, 0, 0, 2, 0,
         "byte 4: token id 2147483647: ids must be below 2147483647"),
        ("big-id-scan.bin", np.array([1, 2**32 - 1], "<u4").tobytes(), 4, 0, 0, 1, 1,
         "byte 4: token id 4294967295: ids must be below 2147483647"),
    ]
    for name, blob, width, vocab, pos, n, scan, message in cases:
        path = write(name, blob)
        equal(name, f"{path}: {message}", tool.error("tokens", path, width, vocab, pos, n, scan))
    missing = os.path.join(tmp, "missing.bin")
    equal("missing file", f"{missing}: cannot open: No such file or directory",
          tool.error("tokens", missing, 0, 0, 0, 1, 0))
    equal("directory", f"{tmp}: not a regular file", tool.error("tokens", tmp, 0, 0, 0, 1, 0))


with tempfile.TemporaryDirectory() as tmp:
    check_files(tmp)
    check_sparse(tmp)
    check_errors(tmp)
tally.done()
