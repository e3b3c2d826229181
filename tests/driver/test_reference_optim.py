"""test_reference_optim.py - the first three optimizer steps of duet against
an independent reference: this file implements, in float64 numpy and
without any duet code, the two-layer GELU MLP of ref_mlp.duet (forward,
cross-entropy and hand-written backward) and the update rules of
stdlib/optim.duet:
  Dual   momentum (Nesterov or not), then the model's duality map: for each
         Linear weight [out, in], share * sqrt(out / in) * NS5(u), where
         NS5 is the Newton-Schulz quintic (3.4445, -4.7750, 2.0315), five
         iterations from u / (||u||_F + 1e-7), and the share follows the
         derivation rule of a sequence (child i of a chain gets
         mass_i / (mass * product of the sensitivities after it)),
  SGD    with momentum, Nesterov and weight decay added to the gradient,
  AdamW  decoupled weight decay, with and without bias correction, with
         the moments started at zero or at the first gradient,
  AdamMini  AdamW with one second moment per block of `rows` rows (the
         mean of g^2 over the block), kept as one number per block,
  Adafactor  factored second moments (row and column sums), update
         clipping and the relative step of Shazeer & Stern's algorithm 4,
  Shampoo  L and R preconditioners from eps I, the update L^-1/4 G R^-1/4
         with the roots (numpy's eigh) taken every k steps,
  Anchored (ref_mlp.duet) gradient descent pulled towards a state that
         starts as the initial weight,
  M3     the algorithm box of multi-scale momentum Muon: fast and slow
         summed memories (the slow one takes in each chunk of f gradients
         at the chunk's end), both through NS5, over sqrt(sum of g^2 +
         eps); tested with f = 2 (step 3 uses the slow memory) and eps =
         1e-4: with 1e-8, 1/sqrt(v + eps) multiplies the float32 rounding
         of the orthogonalized memories by up to 1e4 where a pixel's
         gradient is zero (measured 2.3e-5 relative in float32, 1.2e-13 in
         float64).
Dual runs its Newton-Schulz products on bf16 operands by default; here it
runs them in the dtype of the run (precision = "f64" / "f32"), as the
reference does. duet runs them from its own initial weights (a --steps 0 checkpoint) and on
the batches it dumps (--dump-batches), in float64 (--dtype f64), where
weights and optimizer state must agree to 1e-10 relative (the losses, as
printed with 9 digits, to 1e-8), and in float32, where losses, weights and
optimizer state must agree to 1e-6, M3's to 5e-6 (measured: at most 4.3e-7,
M3 2.7e-6, amplified as above even with eps = 1e-4), Shampoo's to 1e-3
(measured 4.0e-4: the inverse fourth roots of L and R, whose eigenvalues
span eps = 1e-4 to |G|^2, lose the condition number times float32's
rounding; in float64 Shampoo agrees to 1.3e-12). Expressions of scalars
alone, such as AdamW's bias corrections 1 - beta^t, are evaluated in double
and rounded once (in float32 they were off by up to 1.3e-5 and AdamW's
weights by 1.9e-6)."""
import math
import os

import numpy as np

from drvtest import (GELU_C, HERE, Test, gelu, read_jsonl, read_safetensors, read_state,
                     read_summary, read_weights, rms_gain)

TOLERANCE = {"f64": 1e-10, "f32": 1e-6}
TOLERANCE_M3_F32 = 5e-6
TOLERANCE_SHAMPOO_F32 = 1e-3
LOSS_DIGITS = 1e-8  # metrics.jsonl prints 9 significant digits
STEPS = 3
SRC = os.path.join(HERE, "ref_mlp.duet")
NS_COEF = (3.4445, -4.7750, 2.0315)
NS_EPS = 1e-7



# ref_mlp's model: flatten >> Linear(784, 32) >> gelu >> Linear(32, 10), with
# the masses and sensitivities stdlib/nn.duet declares for each piece.
CHAIN_MASS = [0, 1, 0, 1]
CHAIN_SENS = [1, 1, rms_gain(gelu), 1]
LINEAR_AT = [1, 3]


def chain_shares():
    total = sum(CHAIN_MASS)
    return [CHAIN_MASS[i] / (total * math.prod(CHAIN_SENS[i + 1:])) for i in LINEAR_AT]


def gelu_grad(h):
    th = np.tanh(GELU_C * (h + 0.044715 * h ** 3))
    return 0.5 * (1 + th) + 0.5 * h * (1 - th ** 2) * GELU_C * (1 + 3 * 0.044715 * h ** 2)


def loss_and_grads(w, x, y):
    n = x.shape[0]
    xf = x.reshape(n, -1).astype(np.float64)
    h = xf @ w[0].T
    a = gelu(h)
    z = a @ w[1].T
    z = z - z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=1))
    loss = float(np.mean(lse - z[np.arange(n), y]))
    p = np.exp(z - lse[:, None])
    p[np.arange(n), y] -= 1
    dz = p / n
    da = dz @ w[1]
    dh = da * gelu_grad(h)
    return loss, [dh.T @ xf, dz.T @ a]


def newton_schulz(g):
    a, b, c = NS_COEF
    x = g / (np.linalg.norm(g) + NS_EPS)
    for _ in range(5):
        s = x @ x.T
        x = a * x + (b * s + c * s @ s) @ x
    return x


def dual(lr=0.05, beta=0.95, nesterov=True, wd=0.0):
    shares = chain_shares()

    def step(w, g, st, t):
        m = st.setdefault("m", np.zeros_like(w))
        m[:] = beta * m + (1 - beta) * g
        u = beta * m + (1 - beta) * g if nesterov else m
        out, inn = w.shape
        return (1 - lr * wd) * w - lr * st["share"] * math.sqrt(out / inn) * newton_schulz(u)
    return step, shares


def sgd(lr=0.1, momentum=0.0, nesterov=False, wd=0.0):
    def step(w, g, st, t):
        m = st.setdefault("m", np.zeros_like(w))
        g = g + wd * w
        m[:] = momentum * m + g
        u = g + momentum * m if nesterov else m
        return w - lr * u
    return step, None


def adamw(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, wd=0.01, bias_correction=True,
          zero_init=True):
    def step(w, g, st, t):
        m = st.setdefault("m", np.zeros_like(w) if zero_init else g.copy())
        v = st.setdefault("v", np.zeros_like(w) if zero_init else g ** 2)
        w = (1 - lr * wd) * w
        m[:] = beta1 * m + (1 - beta1) * g
        v[:] = beta2 * v + (1 - beta2) * g ** 2
        mhat = m / (1 - beta1 ** t) if bias_correction else m
        vhat = v / (1 - beta2 ** t) if bias_correction else v
        return w - lr * mhat / (np.sqrt(vhat) + eps)
    return step, None


def adam_mini(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, wd=0.01, rows=1):
    def step(w, g, st, t):
        out, inn = w.shape
        m = st.setdefault("m", np.zeros_like(w))
        vb = st.setdefault("block_v", np.zeros(out // rows))
        w = (1 - lr * wd) * w
        m[:] = beta1 * m + (1 - beta1) * g
        vb[:] = beta2 * vb + (1 - beta2) * (g ** 2).reshape(out // rows, -1).mean(axis=1)
        st["v"] = vb.reshape(-1, 1)
        h = np.repeat(np.sqrt(vb / (1 - beta2 ** t)) + eps, rows)[:, None]
        return w - lr * (m / (1 - beta1 ** t)) / h
    return step, None


def rms(a):
    return math.sqrt(float(np.mean(a ** 2)))


def adafactor(lr=0.01, eps1=1e-30, eps2=1e-3, d=1.0, decay=0.8, relative=True):
    """Algorithm 4 of Shazeer & Stern with beta1 = 0: factored second
    moment (row and column sums of g^2 + eps1), update clipping at RMS d,
    relative step size."""
    def step(w, g, st, t):
        b2 = 1 - t ** -decay
        g2 = g * g + eps1
        r = st.setdefault("R", np.zeros((w.shape[0], 1)))
        c = st.setdefault("C", np.zeros((1, w.shape[1])))
        r[:] = b2 * r + (1 - b2) * g2.sum(axis=1, keepdims=True)
        c[:] = b2 * c + (1 - b2) * g2.sum(axis=0, keepdims=True)
        u = g / np.sqrt(r @ c / r.sum())
        u = u / max(1.0, rms(u) / d)
        alpha = max(eps2, rms(w)) * min(lr, 1 / math.sqrt(t)) if relative else lr
        return w - alpha * u
    return step, None


def inverse_root(a, p=4):
    lam, vec = np.linalg.eigh(a)
    return (vec * lam ** (-1 / p)) @ vec.T


def shampoo(lr=0.1, eps=1e-4, k=1):
    """Algorithm 1 of Gupta, Koren & Singer: L, R from eps I, the update
    L^-1/4 G R^-1/4, with the roots taken at steps 1, k + 1, ... only."""
    def step(w, g, st, t):
        big_l = st.setdefault("L", eps * np.eye(w.shape[0]))
        big_r = st.setdefault("R", eps * np.eye(w.shape[1]))
        big_l += g @ g.T
        big_r += g.T @ g
        if (t - 1) % k == 0:
            st["Linv"], st["Rinv"] = inverse_root(big_l), inverse_root(big_r)
        return w - lr * st["Linv"] @ g @ st["Rinv"]
    return step, None


def m3(lr=0.001, beta1=0.9, beta2=0.5, beta3=0.9, alpha=0.5, eps=1e-8, f=10):
    """Transcribed from the box: chunk k is steps k*f+1 .. (k+1)*f; when it
    starts, M2 takes in beta3 * the gradients of chunk k-1 and O2 = NS(M2)
    is held for the chunk."""
    def step(w, g, st, t):
        if (t - 1) % f == 0:
            st.setdefault("m2", np.zeros_like(w))
            st["m2"] += beta3 * sum(st.get("grads", []), np.zeros_like(w))
            st["grads"] = []
            st["o2"] = newton_schulz(st["m2"])
        m1 = st.setdefault("m1", np.zeros_like(w))
        v = st.setdefault("v", np.zeros_like(w))
        st["grads"].append(g)
        m1 += beta1 * g
        v += beta2 * g ** 2
        return w - lr * (newton_schulz(m1) + alpha * st["o2"]) / np.sqrt(v + eps)
    return step, None


def anchored(lr=0.1, pull=0.5):
    """ref_mlp.duet's Anchored: w0 is the initial weight."""
    def step(w, g, st, t):
        w0 = st.setdefault("w0", w.copy())
        return w - lr * g + pull * (w0 - w)
    return step, None


VARIANTS = [
    ("Dual(lr = 0.02)", dual(lr=0.02)),
    ("Dual(lr = 0.05, nesterov = false, wd = 0.1)", dual(lr=0.05, nesterov=False, wd=0.1)),
    ("SGD(lr = 0.1, momentum = 0.9)", sgd(lr=0.1, momentum=0.9)),
    ("SGD(lr = 0.1, momentum = 0.9, nesterov = true, wd = 0.001)",
     sgd(lr=0.1, momentum=0.9, nesterov=True, wd=0.001)),
    ("AdamW(lr = 0.001)", adamw(lr=0.001)),
    ("AdamW(lr = 0.001, bias_correction = false)", adamw(lr=0.001, bias_correction=False)),
    ("AdamW(lr = 0.001, zero_init = false)", adamw(lr=0.001, zero_init=False)),
    ("AdamMini(lr = 0.001, rows = 2)", adam_mini(lr=0.001, rows=2)),
    ("M3(lr = 0.001, f = 2, eps = 0.0001)", m3(lr=0.001, f=2, eps=1e-4)),
    ("Adafactor()", adafactor()),
    ("Adafactor(lr = 0.003, relative = false)", adafactor(lr=0.003, relative=False)),
    ("Shampoo(lr = 0.01, k = 2)", shampoo(lr=0.01, k=2)),
    ("Anchored(lr = 0.1, pull = 0.5)", anchored(lr=0.1, pull=0.5)),
]


# Reals of optimizer state for the weights [32, 784] and [10, 32]: AdamW's
# two moments; Adam-mini's m and one number per block of 2 rows; Adafactor's
# row and column sums; Shampoo's L, R, their roots and the step counter.
STATE_REALS = {
    "AdamW(lr = 0.001)": 2 * (32 * 784 + 10 * 32),
    "AdamMini(lr = 0.001, rows = 2)": 32 * 784 + 10 * 32 + 32 // 2 + 10 // 2,
    "Adafactor()": 32 + 784 + 10 + 32,
    "Shampoo(lr = 0.01, k = 2)": 2 * (32 ** 2 + 784 ** 2 + 10 ** 2 + 32 ** 2) + 2,
}


def rel(a, b):
    return float(np.linalg.norm(np.asarray(a, np.float64) - b) / np.linalg.norm(b))


t = Test("test_reference_optim")
for dtype, tol in TOLERANCE.items():
    init_dir = f"init-{dtype}"
    t.duet_run("run", SRC, "--steps", "0", "--dtype", dtype, "--out", init_dir, "--quiet")
    init = read_weights(t.path(init_dir))
    names = sorted((n for n in init if n.endswith(".W")), key=lambda n: -init[n].shape[1])
    t.check([init[n].shape for n in names] == [(32, 784), (10, 32)], "the two Linear weights",
            [(32, 784), (10, 32)], [init[n].shape for n in names])

    for k, (opt, (rule, shares)) in enumerate(VARIANTS):
        vtol = tol if dtype == "f64" else TOLERANCE_M3_F32 if opt.startswith("M3") \
            else TOLERANCE_SHAMPOO_F32 if opt.startswith("Shampoo") else tol
        if opt.startswith("Dual("):
            opt = f'{opt[:-1]}, precision = "{dtype}")'
        out = f"run{k}-{dtype}"
        dump = ["--dump-batches", "batches"] if not os.path.exists(t.path("batches")) else []
        t.duet_run("run", SRC, "--set", f"optimizer={opt}", "--steps", str(STEPS), "--dtype",
                   dtype, "--log-every", "1", "--out", out, "--quiet", *dump)
        w = [init[n].astype(np.float64) for n in names]
        states = [{"share": shares[i] if shares else None} for i in range(2)]
        losses = []
        for step in range(1, STEPS + 1):
            batch, _ = read_safetensors(t.path("batches", f"step-{step:06d}.safetensors"))
            loss, grads = loss_and_grads(w, batch["x"], batch["y"])
            losses.append(loss)
            w = [rule(w[i], grads[i], states[i], step) for i in range(2)]

        got = {**read_weights(t.path(out)), **read_state(t.path(out))[0]}
        logged = [d["loss"] for d in read_jsonl(t.path(out, "metrics.jsonl")) if "loss" in d]
        errs = [abs(a - b) / b for a, b in zip(logged, losses)]
        t.check(len(logged) == STEPS and max(errs) <= max(vtol, LOSS_DIGITS),
                f"{opt} {dtype}: losses of steps 1-3", losses, logged)
        worst = 0
        compared = [(n, w[i]) for i, n in enumerate(names)]
        compared += [(f"{n}:{s}", states[i][s]) for i, n in enumerate(names)
                     for s in ("m", "v", "m1", "m2", "R", "C", "L", "Linv", "Rinv", "w0")
                     if s in states[i]]
        for name, want in compared:
            e = rel(got[name], want)
            worst = max(worst, e)
            t.check(e <= vtol, f"{opt} {dtype}: {name} after {STEPS} steps",
                    f"relative error <= {vtol}", e)
        print(f"{opt} {dtype}: worst relative error {worst:.2e} (losses {max(errs):.1e})")
        if opt in STATE_REALS:
            want = STATE_REALS[opt] * (8 if dtype == "f64" else 4)
            got = read_summary(t.path(out, "summary.json")).get("optimizer_state_bytes")
            t.check(got == want, f"{opt} {dtype}: optimizer_state_bytes in summary.json", want, got)

# A state computed from the weight follows --init-from: Anchored's w0 is the
# loaded weight (here those of the first f64 run), not the seed's.
t.duet_run("run", SRC, "--set", "optimizer=Anchored(lr = 0.1, pull = 0.5)", "--init-from",
           t.path("run0-f64"), "--steps", "0", "--dtype", "f64", "--out", "anchored-from",
           "--quiet")
loaded, got = read_weights(t.path("run0-f64")), read_state(t.path("anchored-from"))[0]
for n in names:
    t.check(np.array_equal(got[n + ":w0"], loaded[n]), f"--init-from: {n}:w0 is the loaded weight",
            "equal", rel(got[n + ":w0"], loaded[n]))

# Update periods (ref_every.duet): the first weight, M3 every 4 steps, keeps
# its initial value for steps 1-3 (bit for bit), holds the sum of their
# gradients, and at steps 4 and 8 takes M3's step on the sum of the last
# 4 gradients with M3's own step count t / 4; the second weight takes M3's
# step every step. In float64, to 1e-10.
EVERY, EVERY_STEPS, tol = 4, 8, TOLERANCE["f64"]
every_src = os.path.join(HERE, "ref_every.duet")
t.duet_run("run", every_src, "--steps", "0", "--dtype", "f64", "--out", "every-init", "--quiet")
init = read_weights(t.path("every-init"))
for steps in (EVERY - 1, EVERY_STEPS):
    dump = ["--dump-batches", "every-batches"] if steps == EVERY_STEPS else []
    t.duet_run("run", every_src, "--steps", str(steps), "--dtype", "f64", "--out",
               f"every-{steps}", "--quiet", *dump)
rule, _ = m3(lr=0.001, f=2, eps=1e-4)
w = [init[n].astype(np.float64) for n in names]
states, acc = [{}, {}], np.zeros_like(w[0])
for step in range(1, EVERY_STEPS + 1):
    batch, _ = read_safetensors(t.path("every-batches", f"step-{step:06d}.safetensors"))
    _, grads = loss_and_grads(w, batch["x"], batch["y"])
    acc += grads[0]
    if step == EVERY - 1:
        got = {**read_weights(t.path(f"every-{step}")), **read_state(t.path(f"every-{step}"))[0]}
        t.check(np.array_equal(got[names[0]], init[names[0]]),
                f"every {EVERY} steps: {names[0]} unchanged after {step} steps", "equal",
                rel(got[names[0]], init[names[0]]))
        e = rel(got[names[0] + ":every.grad"], acc)
        t.check(e <= tol, f"every {EVERY} steps: the gradients of steps 1-{step} summed",
                f"relative error <= {tol}", e)
        t.check(float(got[names[0] + ":every.count"]) == step, "the step count", step,
                got[names[0] + ":every.count"])
    if step % EVERY == 0:
        w[0] = rule(w[0], acc, states[0], step // EVERY)
        acc = np.zeros_like(acc)
    w[1] = rule(w[1], grads[1], states[1], step)
got = {**read_weights(t.path(f"every-{EVERY_STEPS}")),
       **read_state(t.path(f"every-{EVERY_STEPS}"))[0]}
for i, n in enumerate(names):
    # (m2: the box takes a chunk in when the next one starts, stdlib's M3 when
    # it ends; after a whole number of chunks they differ by the last one)
    for name, want in [(n, w[i])] + [(f"{n}:{s}", states[i][s]) for s in ("m1", "v")]:
        e = rel(got[name], want)
        t.check(e <= tol, f"every: {name} after {EVERY_STEPS} steps", f"relative error <= {tol}", e)
        print(f"every: {name} relative error {e:.2e}")

# Shampoo's roots over several periods: k = 3 for 7 steps computes them at
# steps 1, 4 and 7 only (the branch that skips them in between) and uses
# the kept ones at steps 2-3 and 5-6. In float64, to 1e-10.
PERIOD_K, PERIOD_STEPS, tol = 3, 7, TOLERANCE["f64"]
t.duet_run("run", SRC, "--set", f"optimizer=Shampoo(lr = 0.01, k = {PERIOD_K})", "--steps",
           str(PERIOD_STEPS), "--dtype", "f64", "--out", "shampoo-periods", "--quiet",
           "--dump-batches", "shampoo-batches")
init = read_weights(t.path("init-f64"))
rule, _ = shampoo(lr=0.01, k=PERIOD_K)
w = [init[n].astype(np.float64) for n in names]
states = [{}, {}]
for step in range(1, PERIOD_STEPS + 1):
    batch, _ = read_safetensors(t.path("shampoo-batches", f"step-{step:06d}.safetensors"))
    _, grads = loss_and_grads(w, batch["x"], batch["y"])
    w = [rule(w[i], grads[i], states[i], step) for i in range(2)]
got = {**read_weights(t.path("shampoo-periods")), **read_state(t.path("shampoo-periods"))[0]}
for i, n in enumerate(names):
    for name, want in [(n, w[i])] + [(f"{n}:{s}", states[i][s]) for s in ("L", "Linv", "Rinv")]:
        e = rel(got[name], want)
        t.check(e <= tol, f"Shampoo k = {PERIOD_K}: {name} after {PERIOD_STEPS} steps",
                f"relative error <= {tol}", e)
    t.check(float(got[f"{n}:since"][0]) == (PERIOD_STEPS - 1) % PERIOD_K,
            f"Shampoo k = {PERIOD_K}: {n}:since after {PERIOD_STEPS} steps",
            (PERIOD_STEPS - 1) % PERIOD_K, got[f"{n}:since"])
t.done()
