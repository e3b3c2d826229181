"""test_synth_data.py - the synthetic data sources of the toy problems,
checked through the driver (one full batch dumped with --dump-batches)
against their definitions, with numpy:
  quadratic  the second moment of x is H, whose eigenvalues run
             geometrically from 1 to cond; y is exactly linear in x; the
             first step's mse equals (1/cols) tr((W0^T - W*)^T H (W0^T - W*)),
             i.e. 2/cols times the quadratic f,
  spectrum   the least-squares map from x to y has the singular values
             top * ratio^i,
  linreg     the residual of least squares has the noise's size, and the
             test split is another sample of the same problem,
  clusters   labels 0..k-1, class means of length sep, unit noise,
  routing    every item of the seen (train) or unseen (test) pairs of
             sources once, in row o and column s, each source's codes
             orthonormal and the same whatever the output source,
  icl_linreg x = x_q s^T of rank one, E[y x] = diag(ratio^i)^2 and
             E[y^2] = sum of ratio^i,
  spurious_pixel  the one pixel of intensity a at row c of column 0: c the
             label (aligned), another class (misaligned_object, whose
             labels the misaligned_pixel set gives by the pixel), none
             (object_only);
and that the data follow the experiment's seed, and the errors for a bad
split, size and example count."""
import numpy as np

from e2etest import Test, first_batch, read_checkpoint, read_jsonl, write_experiment

t = Test("test_synth_data")


def close(got, want, rel, what):
    err = float(np.max(np.abs(np.asarray(got) - want) / np.abs(want)))
    t.check(err <= rel, what, f"{want} (relative error <= {rel})", f"{got} (error {err:.2e})")


# quadratic: rows 12, cols 5, cond 50
src = write_experiment(t, "quad", 'train = quadratic("train", rows = 12, cols = 5, cond = 50)',
                       "Linear(12, 5)", "mse", 12, "  seed = 3\n")
t.duet_run("run", src, "--steps", "0", "--out", "quad0", "--quiet")
w0 = read_checkpoint(t.path("quad0"))["model.Linear.W"].astype(float)
x, y = first_batch(t, src, "quad1", "--log-every", "1")
H = x.T @ x / 12
close(np.linalg.eigvalsh(H), 50.0 ** (np.arange(12) / 11), 1e-4, "quadratic: eigenvalues of H")
wstar, *_ = np.linalg.lstsq(x, y.astype(float), rcond=None)
resid = np.abs(x @ wstar - y).max() / np.abs(y).max()
t.check(resid < 1e-5, "quadratic: y = W*^T x exactly", "< 1e-5", resid)
d = w0.T - wstar
f = 0.5 * np.trace(d.T @ H @ d)
loss = read_jsonl(t.path("quad1", "metrics.jsonl"))[0]["loss"]
close(loss, 2 * f / 5, 1e-5, "quadratic: the full-batch mse is 2 f / cols")

# spectrum: dim 5, singular values 6 * 0.6^i
src = write_experiment(t, "spec",
                       'train = spectrum("train", n = 256, dim = 5, top = 6, ratio = 0.6)',
                       "Linear(5, 5)", "mse", 256)
x, y = first_batch(t, src, "spec")
m, *_ = np.linalg.lstsq(x, y.astype(float), rcond=None)
close(np.linalg.svd(m, compute_uv=False), 6 * 0.6 ** np.arange(5), 1e-4,
      "spectrum: singular values of the target")

# linreg: noise 0.2; the test split samples the same A
data = 'train = linreg("{}", n = 2048, d = 16, k = 4, noise = 0.2)'
fits = []
for split in ("train", "test"):
    src = write_experiment(t, f"lin_{split}", data.format(split), "Linear(16, 4)", "mse", 2048)
    x, y = first_batch(t, src, f"lin_{split}")
    a, res, *_ = np.linalg.lstsq(x, y.astype(float), rcond=None)
    sigma = np.sqrt(res.sum() / ((2048 - 16) * 4))
    close(sigma, 0.2, 0.04, f"linreg {split}: noise standard deviation")
    fits.append((a, x))
a_train, x_train = fits[0]
a_test, x_test = fits[1]
t.check(not np.allclose(x_train, x_test), "linreg: test examples differ from the training ones")
err = np.linalg.norm(a_train - a_test) / np.linalg.norm(a_train)
t.check(err < 0.03, "linreg: both splits come from one A", "< 0.03", err)
t.check(0.5 * 4 < np.sum(a_train ** 2) < 1.5 * 4, "linreg: A ~ N(0, 1/d) has |A|_F^2 near k", 4,
        np.sum(a_train ** 2))

# clusters: k 5, sep 4
src = write_experiment(t, "clu", 'train = clusters("train", n = 2048, d = 16, k = 5, sep = 4)',
                       "Linear(16, 5)", "cross_entropy", 2048)
x, labels = first_batch(t, src, "clu")
t.check(sorted(set(labels.tolist())) == list(range(5)), "clusters: labels 0..4", list(range(5)),
        sorted(set(labels.tolist())))
means = np.array([x[labels == c].mean(axis=0) for c in range(5)])
close(np.linalg.norm(means, axis=1), np.full(5, 4.0), 0.1, "clusters: class means of length sep")
noise = np.concatenate([x[labels == c] - means[c] for c in range(5)])
close(noise.var(axis=0).mean(), 1.0, 0.1, "clusters: unit noise")

# routing: 4 sources, 4 items, dim 8; seen pairs (s, s) and (s, s + 1)
codes = {}
for split, pairs in (("train", {0, 1}), ("test", {2, 3})):
    src = write_experiment(t, f"route_{split}", f'train = routing("{split}")',
                           "flatten >> Linear(128, 4)", "mse", 32)
    x, y = first_batch(t, src, f"route_{split}")
    x = x.reshape(32, 4, 4, 8)
    slots = [tuple(np.argwhere(np.abs(e).sum(axis=2) > 0)[:, :].tolist()) for e in x]
    t.check(all(len(sl) == 1 for sl in slots), f"routing {split}: one slot per example holds the "
            "code", "one", slots)
    items = np.argmax(y, axis=1)
    t.check(np.array_equal(np.sort(y, axis=1)[:, ::-1][:, :2], np.tile([1, 0], (32, 1))),
            f"routing {split}: one-hot targets")
    seen = sorted((s_, o, i) for ((o, s_),), i in zip(slots, items))
    want = sorted((s_, (s_ + k) % 4, i) for s_ in range(4) for k in pairs for i in range(4))
    t.check(seen == want, f"routing {split}: every item of its pairs once", want, seen)
    for e, ((o, s_),), i in zip(x, slots, items):
        codes.setdefault((s_, int(i)), []).append(e[o, s_])
same = all(np.allclose(v[0], w) for v in codes.values() for w in v)
t.check(same and len(codes) == 16, "routing: a source codes an item alike for every output source "
        "and split")
for s_ in range(4):
    c = np.array([codes[(s_, i)][0] for i in range(4)])
    close(c @ c.T + 1, np.eye(4) + 1, 1e-5, f"routing: the codes of source {s_} are orthonormal")

# icl_linreg: dim 4, ratio 0.5
src = write_experiment(t, "icl", 'train = icl_linreg("train", n = 4096, dim = 4, context = 32)',
                       "flatten >> Linear(16, 1)", "mse", 4096)
x, y = first_batch(t, src, "icl")
x, y = x.reshape(4096, 4, 4), y.astype(float).reshape(4096)
sv = np.linalg.svd(x, compute_uv=False)
t.check(np.max(sv[:, 1] / sv[:, 0]) < 1e-5, "icl_linreg: x = x_q s^T has rank one", "< 1e-5",
        np.max(sv[:, 1] / sv[:, 0]))
lam = 0.5 ** np.arange(4)
eyx = (y[:, None, None] * x).mean(axis=0)
t.check(np.max(np.abs(eyx - np.diag(lam ** 2))) < 0.15, "icl_linreg: E[y x] = Lambda^2",
        np.diag(lam ** 2).round(3).tolist(), eyx.round(3).tolist())
close(np.mean(y ** 2), lam.sum(), 0.08, "icl_linreg: E[y^2] = tr(Lambda)")

# spurious_pixel: intensity 3 (normalized: (3 - mean) / std, beyond any pixel of the images)
mark = (3 - 0.2860) / 0.3530
got = {}
for name in ("aligned", "object_only", "misaligned_object", "misaligned_pixel"):
    src = write_experiment(t, f"sp_{name}",
                           f'train = spurious_pixel("train", set = "{name}", intensity = 3, '
                           'n = 64)', "flatten >> Linear(784, 10)", "cross_entropy", 64)
    x, labels = first_batch(t, src, f"sp_{name}")
    x = x.reshape(64, 28, 28)
    at = [np.argwhere(np.abs(e - mark) < 1e-4).tolist() for e in x]
    got[name] = (at, labels.astype(int).tolist())
at, lab = got["aligned"]
t.check(all(a == [[c, 0]] for a, c in zip(at, lab)), "spurious_pixel: the pixel of the label",
        "row = label, column 0", list(zip(at, lab))[:5])
t.check(all(a == [] for a in got["object_only"][0]) and got["object_only"][1] == lab,
        "spurious_pixel object_only: no pixel, the same images")
at, lab_o = got["misaligned_object"]
t.check(lab_o == lab and all(len(a) == 1 and a[0][1] == 0 and a[0][0] != c
                             for a, c in zip(at, lab)),
        "spurious_pixel misaligned_object: the pixel of another class, labelled by the object",
        "row != label", list(zip(at, lab))[:5])
t.check(got["misaligned_pixel"][0] == at and got["misaligned_pixel"][1] == [a[0][0] for a in at],
        "spurious_pixel misaligned_pixel: the same images, labelled by the pixel")

# the data follow the seed
src = write_experiment(t, "seeded", 'train = linreg("train", n = 64, d = 4, k = 2)',
                       "Linear(4, 2)", "mse", 64)
a = first_batch(t, src, "seed0a")[0]
b = first_batch(t, src, "seed0b")[0]
c = first_batch(t, src, "seed1", "--set", "seed=1")[0]
t.check(np.array_equal(np.sort(a, axis=0), np.sort(b, axis=0)), "the same seed gives the same data")
t.check(not np.allclose(np.sort(a, axis=0), np.sort(c, axis=0)), "another seed, other data")

# errors of the data arguments, found when the data is loaded (each model
# fits its data's shape, so that the data is what fails)
for name, data, model, loss, msg in [
        ("badsplit", 'train = quadratic("test")', "Linear(4, 2)", "mse",
         "quadratic has no split 'test'"),
        ("badsize", 'train = linreg("train", d = 0)', "Linear(4, 2)", "mse",
         "the d of linreg must be at least 1"),
        ("toomany", 'train = clusters("train", n = 1000000000)', "Linear(32, 8)", "cross_entropy",
         "clusters: n must be at least 1"),
        ("badset", 'train = spurious_pixel("train", set = "test")', "flatten >> Linear(784, 10)",
         "cross_entropy", "spurious_pixel has no set 'test'"),
        ("fewsources", 'train = routing("train", sources = 2)', "flatten >> Linear(32, 4)", "mse",
         "routing: needs at least 3 sources")]:
    src = write_experiment(t, name, data, model, loss, 8)
    p = t.duet_run("run", src, "--out", name, "--quiet", rc=1)
    t.check(msg in p.stderr, f"error for {data}", msg, p.stderr)
t.done()
