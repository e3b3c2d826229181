"""test_state.py - ZeRO stage 1: each rank stores only the optimizer state of
the weights it owns. summary.json's run.distributed.state_bytes (what each
rank's program allocated for optimizer state) equals, for every rank, the
bytes of the state tensors of its weights in the checkpoint (AdamW: two
moments of each weight's size; Dual: its momentum), the ranks together
store the model's state once, and the state rank 0 collected for the
checkpoint is the one-process run's."""
import numpy as np

from disttest import SOURCE, DistTest, read_safetensors, summary

t = DistTest("test_state")
adamw = ["--set", "optimizer=AdamW(lr = 0.003)"]
for name, exp, extra, moments in (("mlp_adamw", "mlp", adamw, 2), ("gpt", "gpt", [], None)):
    args = ["run", SOURCE, exp, "--quiet", "--steps", "20", *extra]
    t.run_n(0, *args, "--out", f"{name}-1")
    one, _ = read_safetensors(t.path(f"{name}-1", "train_state.safetensors"))
    for n in (2, 3):
        out = f"{name}-{n}"
        t.run_n(n, *args, "--out", out, "--check-ranks")
        s = summary(t.path(out, "summary.json"))
        dist = s["run"]["distributed"]
        owner = {w["path"]: w["rank"] for w in dist["weights"]}
        state, _ = read_safetensors(t.path(out, "train_state.safetensors"))
        weights, meta = read_safetensors(t.path(out, "model.safetensors"))
        size = {meta["duet.path." + k]: v.size for k, v in weights.items()}
        want = [0] * n
        for key, v in state.items():
            path = key.rsplit(":", 1)[0]
            if path in owner:
                want[owner[path]] += v.nbytes
        t.equal(f"{out}: each rank's optimizer state is that of its weights", want,
                dist["state_bytes"])
        t.equal(f"{out}: the ranks store the model's state once", s["optimizer_state_bytes"],
                sum(dist["state_bytes"]))
        t.check(max(dist["state_bytes"]) < s["optimizer_state_bytes"],
                f"{out}: no rank stores all of it", s["optimizer_state_bytes"],
                dist["state_bytes"])
        if moments:
            t.equal(f"{out}: AdamW's state is two moments per weight",
                    [sum(4 * moments * size[p] for p in owner if owner[p] == r) for r in range(n)],
                    dist["state_bytes"])
        t.equal(f"{out}: the checkpoint holds the one-process run's state tensors", sorted(one),
                sorted(state))
        worst = max(float(np.linalg.norm(state[k] - one[k]) / max(np.linalg.norm(one[k]), 1e-30))
                    for k in one if k.rsplit(":", 1)[0] in owner)
        t.check(worst <= 1e-4, f"{out}: and their values (relative difference)", 1e-4, worst)
t.done()
