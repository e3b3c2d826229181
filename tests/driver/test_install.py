"""test_install.py - the installation: `cmake --install` of the build tree
with DESTDIR into a temporary prefix puts duet in <prefix>/bin and its
files in <prefix>/share/duet; then, in a mount namespace where the source
tree (and the build tree inside it) is hidden under an empty directory,
the installed duet checks a program against its installed stdlib, emits
it as C (copying the installed runtime, host and templates), the result
builds with make, and its train program trains 3 steps on Fashion-MNIST.

Invoked as  test_install.py DUET WORKDIR BUILD_DIR."""
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

from drvtest import EXAMPLES, ROOT, Test, read_jsonl

t = Test("test_install")
build = sys.argv[3]
# outside the source tree, which holds the build tree and WORKDIR
outside = tempfile.mkdtemp(prefix="duet-install-")
stage = os.path.join(outside, "stage")
prefix = os.path.join(stage, "usr", "local")
env = {k: v for k, v in os.environ.items()
       if k not in ("DUET_STDLIB", "DUET_SOURCE", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
p = subprocess.run(["cmake", "--install", build, "--prefix", "/usr/local"], capture_output=True,
                   text=True, env=dict(env, DESTDIR=stage))
t.check(p.returncode == 0, "cmake --install with DESTDIR", 0, p.stderr[-2000:])
duet = os.path.join(prefix, "bin", "duet")
share = os.path.join(prefix, "share", "duet")
for f in (duet, os.path.join(share, "stdlib"), os.path.join(share, "emit.manifest"),
          os.path.join(share, "templates", "model_api.c.in"),
          os.path.join(share, "emit", "host", "train.c"),
          os.path.join(share, "emit", "runtime", "rt_io.h")):
    t.check(os.path.exists(f), f"installed {os.path.relpath(f, stage)}", True, False)
with open(os.path.join(share, "emit.manifest")) as f:
    listed = f.read().split()
t.check(all(os.path.isfile(os.path.join(share, "emit", x)) for x in listed) and
        "host/data_sources.c" in listed and "runtime/kp_math.h" in listed,
        "every file of emit.manifest is installed", len(listed),
        [x for x in listed if not os.path.isfile(os.path.join(share, "emit", x))])

# the program outside the source tree, then everything with the tree hidden
shutil.copy(os.path.join(EXAMPLES, "fashion_mlp.duet"), os.path.join(outside, "mlp.duet"))
steps = " && ".join([
    f"mount -t tmpfs hidden {shlex.quote(ROOT)}",
    f"test ! -e {shlex.quote(os.path.join(ROOT, 'stdlib'))}",
    f"{shlex.quote(duet)} check mlp.duet",
    f"{shlex.quote(duet)} emit-c mlp.duet -o c",
    "make -C c -j2 BLAS=openblas >make.log 2>&1",
    "cd c && ./train --steps 3 --log-every 1 --out ../run --quiet"])
p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", steps],
                   cwd=outside, capture_output=True, text=True,
                   env=dict(env, OPENBLAS_NUM_THREADS="1"))
t.check(p.returncode == 0, "installed duet: check, emit-c, make, train with the tree hidden", 0,
        (p.stdout + p.stderr)[-3000:])
log, metrics = os.path.join(outside, "make.log"), os.path.join(outside, "run", "metrics.jsonl")
if p.returncode != 0 and os.path.exists(log):
    print(open(log).read()[-3000:])
lines = read_jsonl(metrics) if os.path.exists(metrics) else []
t.check([m["step"] for m in lines if "loss" in m] == [1, 2, 3],
        "the installed program's train logs steps 1 to 3", [1, 2, 3], lines)
shutil.rmtree(outside)
t.done()
