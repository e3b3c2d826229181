"""dist.py - measurements of data-parallel training (docs/distributed.md).

    python3 bench/dist.py steps DUET [REPEATS]   step time on 1 and 2 ranks (this machine,
                                                 alternating), with rank 0's exchange and
                                                 update times
    python3 bench/dist.py ranks DUET             the busiest rank's update CPU time per step
                                                 on 2 to 4 ranks (those that divide the
                                                 batch), against the owners' FLOPs
    python3 bench/dist.py netns DUET             two "hosts" in two network namespaces
                                                 joined by a veth pair, over TCP: the bytes
                                                 each sends per step (as root)
    python3 bench/dist.py buckets DUET [KB] [REPEATS]
                                                 step time on 2 ranks with the gradients in
                                                 one exchange after the backward pass and in
                                                 buckets of KB KiB (default 1024) during it,
                                                 alternating
    python3 bench/dist.py memory DUET [OTHER]    peak RSS of every rank (VmHWM, /usr/bin/time)
                                                 and the optimizer state it stores, on 1 to 3
                                                 ranks (the MLP with AdamW at batch 240, the
                                                 GPT); with OTHER, another build alternated
    python3 bench/dist.py model SUMMARY...       update cost per rank as the ranks grow and
                                                 the predicted step time on 25 Gb/s Ethernet,
                                                 from the CPU times in the summary.json of
                                                 2-rank runs in buckets (bench/dist.py
                                                 buckets: their overlap window), with one
                                                 exchange and with the best number of
                                                 buckets overlapping the backward pass

Runs train examples/fashion_mlp.duet and examples/kjv_gpt.duet with one BLAS
thread per rank under $DUET_DATA; run directories go to ./dist-bench."""
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = {"mlp": ("fashion_mlp.duet", 30), "gpt": ("kjv_gpt.duet", 20)}
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]
OUT = "dist-bench"
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1")


def run(cmd, out):
    subprocess.run(cmd + ["--quiet", "--out", out, "--checkpoint-every-s", "0"], check=True,
                   env=ENV, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


def steps(duet, repeats):
    os.makedirs(OUT, exist_ok=True)
    for name, (src, n) in MODELS.items():
        base = [duet, "run", os.path.join(ROOT, "examples", src), "--steps", str(n)]
        t1, t2, ex, up = [], [], [], []
        for r in range(repeats):
            t1.append(run(base, f"{OUT}/{name}-1-{r}")["ms_per_step"])
            s = run(MPIRUN + ["-np", "2"] + base, f"{OUT}/{name}-2-{r}")
            d = s["run"]["distributed"]
            t2.append(s["ms_per_step"])
            ex.append(d["exchange_ms_per_step"])
            up.append(d["update_ms_per_step"])
        med = statistics.median
        print(f"{name}: N=1 {med(t1):.1f} ms/step, N=2 {med(t2):.1f} ms/step (rank 0: exchange "
              f"{med(ex):.1f} ms, its updates {med(up):.1f} ms); runs {t1} {t2}")
    print("load:", open("/proc/loadavg").read().split()[:3])


def ranks(duet):
    os.makedirs(OUT, exist_ok=True)
    for name, (src, n) in MODELS.items():
        base = [duet, "run", os.path.join(ROOT, "examples", src), "--steps", "10"]
        for k in (2, 4) if name == "mlp" else (2, 3, 4):
            s = run(MPIRUN + ["-np", str(k)] + base, f"{OUT}/{name}-ranks-{k}")
            d = s["run"]["distributed"]
            load = [0.0] * k
            for w in d["weights"]:
                load[w["rank"]] += w["update_flops"]
            print(f"{name} N={k}: busiest rank's updates {d['busiest_update_cpu_ms_per_step']:.1f} "
                  f"ms CPU per step (rank 0: {d['update_cpu_ms_per_step']:.1f}); MFLOP per rank "
                  + " ".join(f"{x / 1e6:.0f}" for x in load))
    print("load:", open("/proc/loadavg").read().split()[:3])


def buckets(duet, kb, repeats):
    os.makedirs(OUT, exist_ok=True)
    for name, (src, n) in MODELS.items():
        base = MPIRUN + ["-np", "2", duet, "run", os.path.join(ROOT, "examples", src), "--steps",
                         str(n)]
        step, ex = {0: [], kb: []}, {0: [], kb: []}
        for r in range(repeats):
            for k in (0, kb):
                s = run(base + ["--bucket-kb", str(k)], f"{OUT}/{name}-bucket{k}-{r}")
                step[k].append(s["ms_per_step"])
                ex[k].append(s["run"]["distributed"]["exchange_ms_per_step"])
        med = statistics.median
        print(f"{name} N=2: one exchange {med(step[0]):.1f} ms/step (rank 0's exchange "
              f"{med(ex[0]):.1f} ms), buckets of {kb} KiB {med(step[kb]):.1f} ms/step (exchange "
              f"{med(ex[kb]):.1f} ms, with the hooks); ratio {med(step[kb]) / med(step[0]):.3f}; "
              f"runs {step[0]} {step[kb]}")
    print("load:", open("/proc/loadavg").read().split()[:3])


def memory(duets, repeats=3):
    """Per rank: the median peak RSS of `repeats` runs (each duet in turn)."""
    os.makedirs(OUT, exist_ok=True)
    adamw = ["--set", "optimizer=AdamW(lr = 0.001)", "--set", "batch=240"]
    cases = {"mlp_adamw": ("fashion_mlp.duet", adamw), "gpt": ("kjv_gpt.duet", [])}
    for name, (src, extra) in cases.items():
        for n in (1, 2, 3):
            rss = {d: [] for d in duets}
            for r in range(repeats):
                for k, duet in enumerate(duets):
                    log = os.path.abspath(f"{OUT}/{name}-mem-{n}-{k}-{r}.rss")
                    timed = ["/usr/bin/time", "-a", "-o", log, "-f",
                             "%M" if n == 1 else "${OMPI_COMM_WORLD_RANK} %M"]
                    cmd = [duet, "run", os.path.join(ROOT, "examples", src), "--steps", "10",
                           *extra, "--quiet", "--out", f"{OUT}/{name}-mem-{n}-{k}-{r}",
                           "--checkpoint-every-s", "0"]
                    if os.path.exists(log):
                        os.unlink(log)
                    if n == 1:
                        subprocess.run(timed + cmd, check=True, env=ENV, stdout=subprocess.DEVNULL)
                    else:
                        line = " ".join(f"'{a}'" for a in timed[:-1]) + f' "{timed[-1]}" ' + \
                            " ".join(f"'{a}'" for a in cmd)
                        subprocess.run(MPIRUN + ["-np", str(n), "sh", "-c", line], check=True,
                                       env=ENV, stdout=subprocess.DEVNULL)
                    per = {}
                    for ln in open(log).read().split("\n"):
                        f = ln.split()
                        if f and f[-1].isdigit():
                            per[int(f[0]) if len(f) == 2 else 0] = int(f[-1])
                    rss[duet].append([per[i] for i in range(n)])
            for k, duet in enumerate(duets):
                med = [statistics.median(x[i] for x in rss[duet]) / 1024 for i in range(n)]
                with open(f"{OUT}/{name}-mem-{n}-{k}-0/summary.json") as f:
                    s = json.load(f)
                state = s["run"]["distributed"].get("state_bytes", "all") if n > 1 else \
                    s["optimizer_state_bytes"]
                print(f"{name} N={n} {duet}: peak RSS per rank (MiB) "
                      + " ".join(f"{m:.1f}" for m in med)
                      + f"; optimizer state {s['optimizer_state_bytes']} B, stored per rank {state}")
    print("load:", open("/proc/loadavg").read().split()[:3])


NS = ("duet_bench_h0", "duet_bench_h1")
IPS = ("10.78.0.1", "10.78.0.2")


def sh(*cmd):
    subprocess.run(cmd, check=True)


def tx(i):
    j = subprocess.run(["ip", "-n", NS[i], "-s", "-j", "link", "show", f"dbv{i}"], check=True,
                       capture_output=True, text=True).stdout
    return json.loads(j)[0]["stats64"]["tx"]["bytes"]


def netns(duet):
    """Two namespaces and a veth pair; mpirun in the first reaches the second
    through an rsh agent that runs the launcher's command there."""
    sh("ip", "netns", "add", NS[0])
    sh("ip", "netns", "add", NS[1])
    try:
        sh("ip", "link", "add", "dbv0", "type", "veth", "peer", "name", "dbv1")
        for i in (0, 1):
            sh("ip", "link", "set", f"dbv{i}", "netns", NS[i])
            sh("ip", "-n", NS[i], "addr", "add", f"{IPS[i]}/24", "dev", f"dbv{i}")
            sh("ip", "-n", NS[i], "link", "set", f"dbv{i}", "up")
            sh("ip", "-n", NS[i], "link", "set", "lo", "up")
        agent = tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False)
        agent.write("#!/bin/sh\nhost=$1; shift\ncase $host in\n"
                    f"  {IPS[0]}) ns={NS[0]} ;;\n  {IPS[1]}) ns={NS[1]} ;;\n"
                    "  *) exit 1 ;;\nesac\nexec ip netns exec $ns /bin/sh -c \"$*\"\n")
        agent.close()
        os.chmod(agent.name, 0o755)
        net = "10.78.0.0/24"
        mpi = ["ip", "netns", "exec", NS[0], "mpirun", "--allow-run-as-root", "--mca",
               "plm_rsh_agent", agent.name, "-H", ",".join(IPS), "-np", "2", "--mca", "btl",
               "tcp,self", "--mca", "btl_tcp_if_include", net, "--mca", "oob_tcp_if_include", net]
        for v in ("OPENBLAS_CORETYPE", "DUET_DATA", "OPENBLAS_NUM_THREADS", "DUET_STDLIB"):
            if v in ENV:
                mpi += ["-x", v]
        for name, (src, n) in MODELS.items():
            sent = []
            for k in (5, 5 + n):
                before = tx(0), tx(1)
                s = run(mpi + [duet, "run", os.path.join(ROOT, "examples", src), "--steps", str(k)],
                        f"{OUT}/{name}-netns-{k}")
                sent.append((tx(0) - before[0], tx(1) - before[1]))
            per = [(sent[1][i] - sent[0][i]) / n for i in (0, 1)]
            print(f"{name}: {s['params']} parameters; bytes sent per step over TCP: rank 0 "
                  f"{per[0]:.0f}, rank 1 {per[1]:.0f}; model 2 (N-1)/N P 4 = {4 * s['params']}; "
                  f"{s['ms_per_step']:.1f} ms/step")
        os.unlink(agent.name)
    finally:
        subprocess.run(["ip", "netns", "del", NS[0]])
        subprocess.run(["ip", "netns", "del", NS[1]])


def lpt(flops, n):
    """The update work of the busiest of n ranks (longest first, to the least loaded)."""
    load = [0.0] * n
    for f in sorted(flops, reverse=True):
        load[load.index(min(load))] += f
    return max(load)


def model(paths):
    bw = 25e9 / 8  # bytes per second, 25 Gb/s
    alpha = 50e-6  # per message of a ring step over TCP
    for path in paths:
        with open(path) as f:
            s = json.load(f)
        d = s["run"]["distributed"]
        flops = [w["update_flops"] for w in d["weights"]]
        mine = sum(w["update_flops"] for w in d["weights"] if w["rank"] == 0)
        # rank 0's CPU time (the machine is shared: wall times wait for cores)
        rate = mine / (d["update_cpu_ms_per_step"] / 1e3)  # its update FLOP/s
        fb = d["grad_cpu_ms_per_step"] / 1e3
        fb_example = fb / (s["batch"] / 2)  # forward + backward, per example, on one rank
        p = s["params"]
        print(f"{s['experiment']}: P = {p}, update {sum(flops) / 1e6:.0f} MFLOP at "
              f"{rate / 1e9:.2f} GFLOP/s, forward+backward {1e3 * fb_example:.3f} ms/example "
              "(CPU time)")
        print("  N: busiest rank's update (ms) | batch " + " ".join(
            f"{n}:{1e3 * lpt(flops, n) / rate:.1f}" for n in (1, 2, 3, 4, 8, 16, 32, 128)))
        # the share of the forward and backward pass left after its first
        # gradient is complete: what an exchange in buckets can overlap
        share = d["overlap_window"]
        print(f"  overlap window: {share:.2f} of the forward and backward pass")
        for batch in (s["batch"], 32 * s["batch"]):
            t1 = fb_example * batch + sum(flops) / rate
            for n in (8, 32, 128):
                if batch % n:
                    print(f"  global batch {batch}, N={n}: does not divide")
                    continue
                half = (n - 1) / n * 4 * p / bw  # the reduce-scatter's bytes, or the all-gather's
                comm = 2 * half + 2 * (n - 1) * alpha
                upd = lpt(flops, n) / rate
                fb = fb_example * batch / n
                t = fb + comm + upd
                # k buckets: k reduce-scatters (k (N-1) messages) in the window, the
                # last one after it; the all-gather after the updates as before
                best = min((max(rs / k, rs - share * fb) + half + (n - 1) * alpha, k)
                           for k in (2, 4, 8) for rs in [half + k * (n - 1) * alpha])
                best = min(best, (comm, 1))  # 1: one exchange after the backward pass
                tb = fb + best[0] + upd
                print(f"  global batch {batch}, N={n}: {1e3 * t:.1f} ms/step (compute "
                      f"{1e3 * fb:.1f}, exchange {1e3 * comm:.1f}, update "
                      f"{1e3 * upd:.1f}), efficiency {t1 / (n * t):.2f}; best in {best[1]} bucket(s): "
                      f"{1e3 * tb:.1f} ms/step, efficiency {t1 / (n * tb):.2f}")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "steps":
        steps(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    elif what == "ranks":
        ranks(sys.argv[2])
    elif what == "netns":
        netns(sys.argv[2])
    elif what == "buckets":
        buckets(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1024,
                int(sys.argv[4]) if len(sys.argv) > 4 else 3)
    elif what == "memory":
        memory(sys.argv[2:])
    elif what == "model":
        model(sys.argv[2:])
    else:
        sys.exit(__doc__)
