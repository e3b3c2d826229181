"""parity.py - the set-up the PyTorch parity tests of small programs share
(test_cross.py, test_moe.py): a small KJV-like text, duet's gradcheck of
the program, its initial weights (a --steps 0 checkpoint) and a float64
run that dumps its batches, for torch to retrace step by step."""
import os

import numpy as np
import torch

from drvtest import read_checkpoint


def f64_run(t, src, names):
    """Runs src as above in t's work directory; returns its initial weights
    as float64 tensors requiring gradients, in the order of names."""
    with open(t.path("kjv.txt"), "w") as f:
        f.write("".join("And God said, Let there be light: %d.\n" % (i * 53 % 97)
                        for i in range(300)))
    os.environ["DUET_DATA"] = t.work
    p = t.duet_run("gradcheck", src)
    n = len(names)
    t.check(f"{n} weights: {n} ok, 0 too small to resolve, 0 wrong" in p.stdout, "gradcheck",
            None, p.stdout[-1500:])
    t.duet_run("run", src, "--steps", "0", "--dtype", "f64", "--out", "init", "--quiet")
    t.duet_run("run", src, "--dtype", "f64", "--log-every", "1", "--out", "run", "--quiet",
               "--dump-batches", "batches")
    init = read_checkpoint(t.path("init"))
    held = sorted(k for k in init if k.startswith("model") and ":" not in k)
    t.equal("the checkpoint holds the reference's weights", sorted(names), held)
    return [torch.tensor(init[k].astype(np.float64), requires_grad=True) for k in names]
