"""test_gzip.py - the portable gzip reader of emitted programs against
Python's gzip: every compression level, stored blocks, several members,
an empty file, a plain (not compressed) file, the Fashion-MNIST test files,
and the errors for a truncated stream and corrupt data.

Invoked as  test_gzip.py GZIP_TOOL WORKDIR."""
import gzip
import os
import random
import shutil
import subprocess
import sys

tool, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
checks = failures = 0


def check(ok, what, expected=None, got=None):
    global checks, failures
    checks += 1
    if not ok:
        failures += 1
        print(f"FAIL {what}\n  expected: {expected}\n  got:      {got}")


def read(blob, name):
    """(data, errnum, message) of the tool on a file holding blob."""
    path = os.path.join(work, name)
    with open(path, "wb") as f:
        f.write(blob)
    p = subprocess.run([tool, path], capture_output=True)
    code, _, msg = p.stderr.decode().strip().partition(" ")
    return p.stdout, int(code), msg


rng = random.Random(7)
text = bytes(rng.choice(b"abcdefgh \n") for _ in range(200000)) + rng.randbytes(60000)
for level in range(10):
    data, code, _ = read(gzip.compress(text, compresslevel=level, mtime=0), f"l{level}.gz")
    check(data == text and code == 0, f"level {level}: {len(text)} bytes", len(text), len(data))
two = gzip.compress(text[:5000]) + gzip.compress(text[5000:9000])
data, code, _ = read(two, "two.gz")
check(data == text[:9000] and code == 0, "two members", 9000, len(data))
data, code, _ = read(gzip.compress(b""), "empty.gz")
check(data == b"" and code == 0, "empty member", b"", data)
data, code, _ = read(b"plain bytes, not gzip", "plain.txt")
check(data == b"plain bytes, not gzip" and code == 0, "plain file read as it is", "", data)

whole = gzip.compress(text, mtime=0)
data, code, msg = read(whole[: len(whole) // 2], "cut.gz")
check(code == -5 and text.startswith(data), "truncated: Z_BUF_ERROR after a prefix", -5,
      (code, msg))
bad = bytearray(whole)
bad[len(bad) // 2] ^= 0x55
data, code, msg = read(bytes(bad), "bad.gz")
check(code == -3 and msg, "corrupt: Z_DATA_ERROR with a message", -3, (code, msg))
crc = bytearray(whole)
crc[-6] ^= 1
data, code, msg = read(bytes(crc), "crc.gz")
check(code == -3 and "check" in msg, "wrong CRC-32: incorrect data check", -3, (code, msg))

fm = "/usr/share/datasets/fashion-mnist"
for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
    p = subprocess.run([tool, os.path.join(fm, name)], capture_output=True)
    with gzip.open(os.path.join(fm, name)) as f:
        want = f.read()
    check(p.stdout == want, f"{name}: {len(want)} bytes", len(want), len(p.stdout))

print(f"test_gzip: {checks} checks, {failures} failed")
sys.exit(1 if failures else 0)
