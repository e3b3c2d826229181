"""test_errors.py - the errors of a distributed start, each before
training and printed once: a batch that the number of ranks does not
divide, and ranks that disagree on the program (another source file), on
the data (another kjv.txt) or on the build of duet; an error of rank 0
alone (its run directory is taken) ends every rank."""
import os
import shutil
import subprocess

from disttest import MPIRUN, SOURCE, DistTest

t = DistTest("test_errors")


def expect(what, p, text):
    t.check(p.stderr.count(text) == 1, f"{what}: the error, once", text, p.stderr[-2000:])


p = t.run_n(5, "run", SOURCE, "cnn", "--quiet", "--out", "five", rc=1)
expect("12 examples on 5 ranks", p,
       "duet: error: the batch (12) cannot be split among 5 ranks: the number of ranks must "
       "divide the batch\n  hint: choose another number of ranks, or --set batch=15")
t.check(not os.path.exists(t.path("five")), "no run directory")

# rank 0 alone fails (its run directory exists): every rank ends, none waits
os.makedirs(t.path("taken"))
with open(t.path("taken", "model.safetensors"), "w") as f:
    f.write("x")
p = t.run_n(2, "run", SOURCE, "gpt", "--quiet", "--out", "taken", rc=1)
t.check("duet: error: taken already holds a run" in p.stderr, "rank 0's error", None,
        p.stderr[-2000:])

other = t.path("other.duet")
with open(SOURCE) as f, open(other, "w") as g:
    g.write(f.read() + "# one more line\n")


def two(first, second, rc=1):
    """Ranks 0 and 1 started with their own arguments (mpirun's MPMD form)."""
    cmd = [*MPIRUN, "-np", "1", *first, ":", "-np", "1", *second]
    r = subprocess.run(cmd, cwd=t.work, capture_output=True, text=True, env=t.env())
    t.check(r.returncode == rc, f"exit code of {' '.join(cmd)}", rc, r.returncode)
    return r


run = ["run", "--quiet", "--steps", "1"]
p = two([t.duet, *run, SOURCE, "gpt", "--out", "a"], [t.duet, *run, other, "gpt", "--out", "a"])
expect("another source", p, "duet: error: the ranks disagree: rank 1 differs from rank 0 in "
       "its program (source files or --set)")
data = t.path("data")
os.makedirs(data)
with open(os.path.join(os.environ["DUET_DATA"], "kjv.txt"), "rb") as f:
    text = bytearray(f.read())
text[-2] ^= 1
with open(os.path.join(data, "kjv.txt"), "wb") as f:
    f.write(text)
p = two([t.duet, *run, SOURCE, "gpt", "--out", "b"],
        ["-x", f"DUET_DATA={data}", t.duet, *run, SOURCE, "gpt", "--out", "b"])
expect("another kjv.txt", p, "duet: error: the ranks disagree: rank 1 differs from rank 0 in "
       "its data")
copy = os.path.join(os.path.dirname(t.duet), "duet-other-build")
shutil.copy(t.duet, copy)
with open(copy, "ab") as f:
    f.write(b"\0")
p = two([t.duet, *run, SOURCE, "gpt", "--out", "c"], [copy, *run, SOURCE, "gpt", "--out", "c"])
os.remove(copy)
expect("another build", p, "duet: error: the ranks disagree: rank 1 differs from rank 0 in "
       "its build of duet")
t.done()
