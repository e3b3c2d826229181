#!/usr/bin/python3
"""data_files.py - the files bench/data.sh times the data-file readers on,
written with numpy from Fashion-MNIST's training images (60000 x 784):
IDX plain and gzipped, .npy (float32 C and Fortran order, big-endian
float64), .npz stored and deflated, CSV (60000 rows of 32 features and a
label), and 256 MiB of random uint16 token ids.

usage: data_files.py OUTDIR [FASHION_MNIST_DIR]"""
import gzip
import os
import shutil
import sys

import numpy as np

out = sys.argv[1]
src = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
images_gz = os.path.join(src, "train-images-idx3-ubyte.gz")
labels_gz = os.path.join(src, "train-labels-idx1-ubyte.gz")
with gzip.open(images_gz, "rb") as f:
    raw = f.read()
with gzip.open(labels_gz, "rb") as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
shutil.copy(images_gz, os.path.join(out, "images.idx.gz"))
with open(os.path.join(out, "images.idx"), "wb") as f:
    f.write(raw)
pixels = np.frombuffer(raw, np.uint8, offset=16).reshape(60000, 784)
x = ((pixels / 255.0 - 0.2860) / 0.3530).astype("<f4")
np.save(os.path.join(out, "f32.npy"), x)
np.save(os.path.join(out, "f32_fortran.npy"), np.asfortranarray(x))
np.save(os.path.join(out, "f64_big.npy"), x.astype(">f8"))
np.savez(os.path.join(out, "stored.npz"), x=x, y=labels)
np.savez_compressed(os.path.join(out, "deflated.npz"), x=x, y=labels)
rng = np.random.default_rng(0)
table = np.column_stack([rng.standard_normal((60000, 32)), labels])
header = ",".join([f"f{i}" for i in range(32)] + ["label"])
fmt = ["%.9g"] * 32 + ["%d"]
np.savetxt(os.path.join(out, "table.csv"), table, fmt=fmt, delimiter=",", header=header,
           comments="")
rng.integers(0, 50257, 128 << 20, dtype=np.uint16).tofile(os.path.join(out, "tokens.bin"))
for name in sorted(os.listdir(out)):
    print(f"{name}: {os.path.getsize(os.path.join(out, name)) / 1e6:.1f} MB", file=sys.stderr)
