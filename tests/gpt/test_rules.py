"""One step of each duality map of Attention (rules.duet) against an
independent numpy reference written in the published convention, where a
head's weight is W_h in R^{d x dh} (the transpose of duet's [out, in] rows)
and O is W_O in R^{(h dh) x d}: exact matrix square roots by eigendecomposition
and msign by SVD, on random weights and the step's own gradients. Also the
Embed rule (rows of absent tokens unchanged, the others moved by RMS
lr * share), the Head rule (centered over the vocabulary) and the error for
an unknown rule; and step shares of a GPT that do not depend on its depth.

usage: test_rules.py GPT_STEP_TOOL WORKDIR"""
import os
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = 1e-4
WIDTH, VOCAB = 16, 256
# rule, heads, lambda of each experiment of rules.duet
CASES = [("per_matrix", "per_matrix", 4, 0.01), ("per_head", "per_head", 4, 0.01),
         ("compositional", "compositional", 4, 0.01), ("isotropic", "isotropic", 4, 0.01),
         ("compositional_lambda", "compositional", 2, 0.5)]

failures = []


def check(ok, msg):
    print(("ok    " if ok else "FAIL  ") + msg)
    if not ok:
        failures.append(msg)


def run_step(tool, workdir, experiment):
    out = os.path.join(workdir, experiment + ".txt")
    subprocess.run([tool, os.path.join(HERE, "rules.duet"), experiment, out,
                    "--random", "Attention", "0.5"], check=True)
    rec = {"input": {}, "share": {}, "before": {}, "after": {}}
    with open(out) as f:
        for line in f:
            kind, name, *vals = line.split()
            if kind == "share":
                rec[kind][name] = float(vals[0])
            else:
                rec[kind][name] = np.array([float(v) for v in vals[1:]])
    return rec


def msign(a):
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    return u @ vt


def inv_sqrt_partner(w, lam):
    """C^-1 for C = (W^T W + lam I)^(1/2), W in R^{d x dh} (paper layout)."""
    vals, vecs = np.linalg.eigh(w.T @ w + lam * np.eye(w.shape[1]))
    c = vecs @ np.diag(np.sqrt(vals)) @ vecs.T
    return np.linalg.inv(c)


def iso_partner(w, lam):
    dh = w.shape[1]
    return (np.sum(w * w) / dh + lam) ** -0.5 * np.eye(dh)


def reference(rule, W, G, heads, lam):
    """The unscaled update (the step is -eta times it) of Q, K, V, O, given
    duet's [out, in] weights W and gradients G, computed in the paper's
    layout and transposed back."""
    dh = WIDTH // heads
    rows = [slice(h * dh, (h + 1) * dh) for h in range(heads)]
    # paper layout: per-head [d, dh] blocks of Q, K, V; W_O = O^T, [h dh, d]
    P = {k: [W[k][r].T for r in rows] for k in "QKV"}
    GP = {k: [G[k][r].T for r in rows] for k in "QKV"}
    WO, GO = W["O"].T, G["O"].T
    out = {k: np.zeros((WIDTH, WIDTH)) for k in "QKVO"}
    if rule == "per_matrix":
        return {k: msign(G[k]) for k in "QKVO"}
    if rule == "per_head":
        for k in "QKV":
            for h, r in enumerate(rows):
                out[k][r] = msign(GP[k][h]).T
        out["O"] = msign(G["O"])
        return out
    partner = inv_sqrt_partner if rule == "compositional" else iso_partner
    for h, r in enumerate(rows):
        for k, other in (("Q", P["K"][h]), ("K", P["Q"][h]), ("V", WO[r].T)):
            # W_O,h = rows r of W_O ([dh, d]); its Gram W_O,h W_O,h^T is the
            # partner of V_h: partner() takes the [d, dh] transpose
            ci = partner(other, lam)
            out[k][r] = (0.5 * msign(GP[k][h] @ ci) @ ci).T
    d = np.zeros((WIDTH, WIDTH))
    for h, r in enumerate(rows):
        d[r, r] = partner(P["V"][h], lam)
    out["O"] = (0.5 * d @ msign(d @ GO)).T
    return out


def main():
    tool, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    for experiment, rule, heads, lam in CASES:
        rec = run_step(tool, workdir, experiment)
        base = "model[1].Attention."
        W = {k: rec["before"][base + k].reshape(WIDTH, WIDTH) for k in "QKVO"}
        G = {k: rec["after"][base + k + ":g"].reshape(WIDTH, WIDTH) for k in "QKVO"}
        # the polar factors are unique only for gradients of full rank
        for k in "QKVO":
            sv = np.linalg.svd(G[k], compute_uv=False)
            check(sv[-1] > 1e-8 * sv[0], "%s: gradient of %s has full rank (smallest singular "
                  "value %.2e of the largest)" % (experiment, k, sv[-1] / sv[0]))
        ref = reference(rule, W, G, heads, lam)
        for k in "QKVO":
            eta = rec["share"][base + k]
            step = rec["after"][base + k].reshape(WIDTH, WIDTH) - W[k]
            want = -eta * ref[k]
            err = np.linalg.norm(step - want) / np.linalg.norm(want)
            check(err <= TOL, "%s: %s matches the reference (relative error %.2e, |G| %.3g)"
                  % (experiment, k, err, np.linalg.norm(G[k])))
        # Embed: rows of tokens in the batch move by RMS lr * share, others not
        e0, e1 = rec["before"]["model[0].Embed.E"], rec["after"]["model[0].Embed.E"]
        moved = np.sqrt(np.mean((e1 - e0).reshape(VOCAB, WIDTH) ** 2, axis=1))
        present = np.zeros(VOCAB, bool)
        present[rec["input"]["x"].astype(int)] = True
        eta = rec["share"]["model[0].Embed.E"]
        dev = np.max(np.abs(moved - np.where(present, eta, 0)))
        check(np.all(np.isfinite(e1)) and dev < 1e-12,
              "%s: Embed moves the %d rows of the batch's tokens by RMS lr * share, the "
              "others by 0 (deviation %.1e)" % (experiment, present.sum(), dev))
        # Head: the update is centered over the vocabulary axis
        h0, h1 = rec["before"]["model[2].Head.W"], rec["after"]["model[2].Head.W"]
        dh = (h1 - h0).reshape(VOCAB, WIDTH)
        drift = np.max(np.abs(dh.mean(axis=0))) / np.max(np.abs(dh))
        check(drift < 1e-12, "%s: Head update centered over the vocabulary (mean row %.1e of "
              "the largest entry)" % (experiment, drift))
    # depth-independent step shares: embedding, head, and every block's atoms
    shares = []
    for experiment in ("gpt_depth1", "gpt_depth3"):
        rec = run_step(tool, workdir, experiment)
        by_kind = {}
        for k, v in rec["share"].items():
            by_kind.setdefault(re.sub(r"\[2\]\[\d+\]", "[2][*]", k), set()).add(round(v, 12))
        shares.append(by_kind)
    same = shares[0] == shares[1] and all(len(v) == 1 for v in shares[0].values())
    check(same, "GPT step shares at depth 1 and 3 agree: %s" % ", ".join(
        "%s %.6g" % (k.split(".")[-2], min(v)) for k, v in sorted(shares[0].items())
        if k.endswith(("E", "W", ".Q")) and "MLPBlock[2]" not in k))
    # an unknown rule is an error of the model, reported at fail(...)
    r = subprocess.run([tool, os.path.join(HERE, "bad_rule.duet"), "bad_rule",
                        os.path.join(workdir, "bad_rule.txt")], capture_output=True, text=True)
    errors = [l for l in (r.stdout + r.stderr).split("\n") if "error:" in l]
    check(r.returncode != 0 and any("unknown rule of Attention" in l for l in errors),
          "an unknown rule is reported: %s" % (errors[0] if errors else "(no error)"))
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
