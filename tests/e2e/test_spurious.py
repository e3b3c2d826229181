"""test_spurious.py - the spurious-pixel study of docs/science.md
(section 5), shortened: examples/spurious_pixel.duet trained with SGD for
300 of its 936 steps at the pixel intensities 0.1 and 3 (`--set
data.intensity=...`, a few seconds each). At 0.1 the network ignores the
pixel: images carrying another class's pixel are classified as well as
plain ones (within 0.02) and almost never by the pixel (below 0.1;
measured 0.7535, 0.7535 and 0.024). At 3 the pixel dominates: images are
classified by the wrong pixel more often than not by the object (the
misaligned set scored by the object at least 0.2 below the plain set, by
the pixel above 0.4; measured 0.6705, 0.2385, 0.5415), and images with
their own pixel almost always right (above 0.98; measured 0.999). The
crossover between SGD and Muon that the source reports did not reproduce
(docs/science.md) and is not asserted."""
import os

from e2etest import EXAMPLES, Test, read_summary

t = Test("test_spurious")
src = os.path.join(EXAMPLES, "spurious_pixel.duet")
acc = {}
for a in ("0.1", "3"):
    t.duet_run("run", src, "--steps", "300", "--set", f"data.intensity={a}", "--out", f"a{a}",
               "--quiet")
    s = read_summary(t.path(f"a{a}", "summary.json"))
    acc[a] = {k: s.get(f"{k}_accuracy", -1) for k in ("aligned", "plain", "mobj", "mpix")}
    t.check(all(d.get("args", {}).get("intensity") == float(a)
                for name, d in s.get("data", {}).items() if name != "plain"),
            f"intensity {a}: every set with a pixel has it", a, s.get("data"))
print(acc)
low, high = acc["0.1"], acc["3"]
t.check(abs(low["mobj"] - low["plain"]) <= 0.02 and low["mpix"] < 0.1,
        "intensity 0.1: the pixel is ignored", "mobj = plain +- 0.02, mpix < 0.1", low)
t.check(high["mobj"] < high["plain"] - 0.2 and high["mpix"] > 0.4 and high["aligned"] > 0.98,
        "intensity 3: the pixel dominates", "mobj < plain - 0.2, mpix > 0.4, aligned > 0.98", high)
t.done()
