"""guarded.py - the step time of optimizer steps that are due only every so
many steps (bench/guarded.duet), for two builds of duet: A (before) and B
(after), alternated run by run; the medians of summary.json's ms_per_step
and their ratio, one BLAS thread, with the load (uptime) before and after.

    python3 bench/guarded.py DUET_A DUET_B [ROUNDS]

Needs $DUET_DATA (Fashion-MNIST); run directories go to a temporary
directory."""
import json
import os
import statistics
import subprocess
import sys
import tempfile

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "guarded.duet")
EXPERIMENTS = ("every16", "shampoo10")


def step_ms(duet, experiment, out):
    subprocess.run([duet, "run", SRC, experiment, "--threads", "1", "--quiet", "--log-every",
                    "1000", "--out", out], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)["ms_per_step"]


def main():
    a, b = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    print("load before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    with tempfile.TemporaryDirectory() as tmp:
        for exp in EXPERIMENTS:
            times = {"A": [], "B": []}
            for r in range(rounds):
                for name, duet in (("A", a), ("B", b)) if r % 2 == 0 else (("B", b), ("A", a)):
                    times[name].append(step_ms(duet, exp, os.path.join(tmp, f"{exp}-{name}-{r}")))
            ma, mb = statistics.median(times["A"]), statistics.median(times["B"])
            print(f"{exp}: A {ma:.1f} ms/step, B {mb:.1f} ms/step, A/B {ma / mb:.2f}x "
                  f"(A {', '.join(f'{x:.1f}' for x in times['A'])}; "
                  f"B {', '.join(f'{x:.1f}' for x in times['B'])})")
    print("load after:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
