"""own_arrays.py - writes the arrays of examples/own_arrays.duet, as any
NumPy user would: x.npy, float32 points [N, 2] on three interleaved
spirals, and y.npy, their spiral (int64 class ids 0..2).

    python3 examples/own_arrays.py [DIR]     (DIR: examples/own_arrays)
"""
import os
import sys

import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "own_arrays")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
n, classes = 600, 3
y = np.repeat(np.arange(classes), n // classes)
r = rng.uniform(0.1, 1.0, size=n)
angle = 4.0 * r + 2 * np.pi * y / classes + rng.normal(scale=0.15, size=n)
x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1) * 10 + 3
np.save(os.path.join(out, "x.npy"), x.astype(np.float32))
np.save(os.path.join(out, "y.npy"), y.astype(np.int64))
print(f"wrote {out}/x.npy {x.shape} and {out}/y.npy {y.shape}")
