"""`duet gradcheck` (float64 reverse-mode gradients against central finite
differences, per weight) on every experiment of gradcheck.duet: each
transformer bond and atom of the stdlib in a small model, and tiny GPTs.
The text corpus is a generated one in the work directory.

usage: test_gradcheck.py DUET WORKDIR"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "gradcheck.duet")
BOUND = 1e-5


def experiments():
    with open(SOURCE) as f:
        return re.findall(r"^experiment (\w+)", f.read(), re.M)


def main():
    duet, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "kjv.txt"), "w") as f:
        f.write("".join("In the beginning %d was the word.\n" % (i * 37 % 101) for i in range(200)))
    env = dict(os.environ, DUET_DATA=workdir)
    failures = 0
    names = experiments()
    for name in names:
        r = subprocess.run([duet, "gradcheck", SOURCE, name, "--tol", str(BOUND)], env=env,
                           capture_output=True, text=True)
        m = re.search(r"worst relative error (\S+)", r.stdout)
        weights = len(re.findall(r"^model\S* ", r.stdout, re.M))
        ok = r.returncode == 0 and m is not None and float(m.group(1)) <= BOUND and weights > 0
        print("%s  %-24s %d weights, worst relative error %s (bound %g)"
              % ("ok  " if ok else "FAIL", name, weights, m.group(1) if m else "?", BOUND))
        if not ok:
            failures += 1
            print(r.stdout + r.stderr)
    print("%d experiments, %d failures" % (len(names), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
