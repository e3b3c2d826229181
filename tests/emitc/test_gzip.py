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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "common"))
from testcheck import Tally  # noqa: E402

tool, work = sys.argv[1], sys.argv[2]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
t = Tally("test_gzip")


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
    t.check(data == text and code == 0, f"level {level}: {len(text)} bytes", len(text),
            len(data))
two = gzip.compress(text[:5000]) + gzip.compress(text[5000:9000])
data, code, _ = read(two, "two.gz")
t.check(data == text[:9000] and code == 0, "two members", 9000, len(data))
data, code, _ = read(gzip.compress(b""), "empty.gz")
t.check(data == b"" and code == 0, "empty member", b"", data)
data, code, _ = read(b"plain bytes, not gzip", "plain.txt")
t.check(data == b"plain bytes, not gzip" and code == 0, "plain file read as it is", "", data)

whole = gzip.compress(text, mtime=0)
data, code, msg = read(whole[: len(whole) // 2], "cut.gz")
t.check(code == -5 and text.startswith(data), "truncated: Z_BUF_ERROR after a prefix", -5,
        (code, msg))
bad = bytearray(whole)
bad[len(bad) // 2] ^= 0x55
data, code, msg = read(bytes(bad), "bad.gz")
t.check(code == -3 and bool(msg), "corrupt: Z_DATA_ERROR with a message", -3, (code, msg))
crc = bytearray(whole)
crc[-6] ^= 1
data, code, msg = read(bytes(crc), "crc.gz")
t.check(code == -3 and "check" in msg, "wrong CRC-32: incorrect data check", -3, (code, msg))

fm = "/usr/share/datasets/fashion-mnist"
for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
    p = subprocess.run([tool, os.path.join(fm, name)], capture_output=True)
    with gzip.open(os.path.join(fm, name)) as f:
        want = f.read()
    t.check(p.stdout == want, f"{name}: {len(want)} bytes", len(want), len(p.stdout))

t.done()
