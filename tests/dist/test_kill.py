"""test_kill.py - rank 1 of 3 killed with SIGKILL in the middle of a run:
mpirun ends the job within 30 s with a non-zero exit code and a message
naming rank 1, no rank is left running, and the last checkpoint is valid:
the run resumes from it on 2 ranks. SIGTERM to mpirun stops every rank
after the same step, with the checkpoint of that step."""
import os
import signal
import subprocess
import time

from disttest import MPIRUN, SOURCE, DistTest, read_safetensors, summary

t = DistTest("test_kill")


def checkpoint_step(run_dir):
    try:
        return int(read_safetensors(os.path.join(run_dir, "model.safetensors"))[1]["duet.step"])
    except (OSError, KeyError, ValueError):
        return -1


def ranks_of(pid):
    """The processes mpirun started: {rank: pid}."""
    out = {}
    for child in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                text=True).stdout.split():
        try:
            with open(f"/proc/{child}/environ", "rb") as f:
                env = dict(v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v)
        except OSError:
            continue
        if b"OMPI_COMM_WORLD_RANK" in env:
            out[int(env[b"OMPI_COMM_WORLD_RANK"])] = int(child)
    return out


def alive(ranks):
    """The ranks whose process still runs."""
    out = []
    for r, pid in sorted(ranks.items()):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split()[2] != "Z":
                    out.append(r)
        except OSError:
            pass
    return out


run = t.path("run")
p = subprocess.Popen([*MPIRUN, "-np", "3", t.duet, "run", SOURCE, "cnn", "--quiet", "--steps",
                      "1000000", "--checkpoint-every", "10", "--out", run], cwd=t.work,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=t.env())
deadline = time.time() + 120
while checkpoint_step(run) < 20 and time.time() < deadline and p.poll() is None:
    time.sleep(0.2)
ranks = ranks_of(p.pid)
t.equal("mpirun started 3 ranks", [0, 1, 2], sorted(ranks))
if t.check(checkpoint_step(run) >= 20 and 1 in ranks, "the run reached step 20"):
    os.kill(ranks[1], signal.SIGKILL)
    killed = time.time()
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    took = time.time() - killed
    t.check(took < 30, "mpirun ended within 30 s of the kill", "< 30", took)
    t.check(p.returncode != 0, "mpirun's exit code is not 0", "!= 0", p.returncode)
    t.check("rank 1" in err, "the message names rank 1", "rank 1", err[-2000:])
    while alive(ranks) and time.time() < killed + 30:
        time.sleep(0.1)
    t.equal("no rank is left running 30 s after the kill", [], alive(ranks))
    step = checkpoint_step(run)
    t.check(step >= 20, "the last checkpoint is readable", ">= 20", step)
    t.run_n(2, "run", "--resume", run, "--quiet", "--stop-after", str(step + 10))
    t.equal("resumed on 2 ranks, 10 steps further", step + 10, checkpoint_step(run))
else:
    p.kill()
    print(p.communicate()[1][-2000:])

# SIGTERM to mpirun: it passes the signal on, the ranks agree to stop after
# the step in progress, and rank 0 saves the run as interrupted
run = t.path("term")
p = subprocess.Popen([*MPIRUN, "-np", "2", t.duet, "run", SOURCE, "cnn", "--quiet", "--steps",
                      "1000000", "--out", run], cwd=t.work, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True, env=t.env())
deadline = time.time() + 120
while not os.path.exists(os.path.join(run, "metrics.jsonl")) and time.time() < deadline:
    time.sleep(0.2)
time.sleep(3)
p.send_signal(signal.SIGTERM)
try:
    out, err = p.communicate(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    out, err = p.communicate()
t.check(p.returncode != 0, "SIGTERM: mpirun's exit code is not 0", "!= 0", p.returncode)
t.check("duet: interrupted by SIGTERM after step" in err, "SIGTERM: rank 0 says so", None,
        err[-2000:])
s = summary(os.path.join(run, "summary.json"))
t.equal("SIGTERM: summary.json's status", ("interrupted", "SIGTERM"), (s["status"], s["signal"]))
t.equal("SIGTERM: the checkpoint is of the last step", s["steps"], checkpoint_step(run))
t.done()
