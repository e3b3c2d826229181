#!/usr/bin/python3
"""test_io_kjv.py - scripts/kjv-text writes the whole King James Bible where
the runtime looks for it ($DUET_DATA/kjv.txt), byte for byte what `bible`
prints at 80 columns; the text corpus loads and splits it (test_io_text).

usage: test_io_kjv.py KJV_TEXT_SCRIPT TEST_IO_TEXT"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from testcheck import Tally  # noqa: E402

SCRIPT, TEXT_TEST = sys.argv[1], sys.argv[2]
tally = Tally("test_io_kjv")
check = tally.check


with tempfile.TemporaryDirectory() as tmp:
    env = dict(os.environ, DUET_DATA=tmp)
    env.pop("COLUMNS", None)
    p = subprocess.run([SCRIPT], env=env, capture_output=True, text=True)
    path = os.path.join(tmp, "kjv.txt")
    check(p.returncode == 0 and p.stdout.strip() == path, "script run",
          (0, path), (p.returncode, p.stdout.strip() + p.stderr))
    with open(path, "rb") as f:
        text = f.read()
    reference = subprocess.run(["bible", "gen1:1-rev22:21"], capture_output=True,
                               env=dict(env, COLUMNS="80")).stdout
    check(text == reference, "identical to bible's output", len(reference),
          len(text))
    check(len(text) > 4_000_000, "whole Bible", "> 4e6 bytes", len(text))
    start = b"\nGenesis 1\n\n  1 In the beginning God created the heaven and the earth."
    check(text.startswith(start), "starts with Genesis 1:1", start, text[:80])
    end = b"21 The grace of our Lord Jesus Christ be with you all. Amen.\n"
    check(text.endswith(end), "ends with Revelation 22:21", end, text[-80:])
    check(not os.path.exists(path + ".tmp"), "no temporary file", False, True)
    other = os.path.join(tmp, "sub", "bible.txt")
    p = subprocess.run([SCRIPT, other], env=env, capture_output=True, text=True)
    check(p.returncode == 0 and os.path.getsize(other) == len(text),
          "explicit output file", len(text), p.returncode)
    p = subprocess.run([TEXT_TEST, path], capture_output=True, text=True)
    print(p.stdout, end="")
    check(p.returncode == 0, "corpus checks", 0, p.stdout + p.stderr)
tally.done()
