"""test_help.py - the help of every command against its option parser, both
ways: every option string a command's parser matches (read from its C
source) is in `duet CMD --help`, and every option the help lists is accepted
by the parser (not reported unknown); `duet help CMD` equals `duet CMD
--help`; "did you mean" hints for commands and options; the bash completion
script (generated from the same table) run in bash for every command; and
the zsh script listing every option."""
import os
import re
import subprocess

from drvtest import ROOT, Test

t = Test("test_help")
DRIVER = os.path.join(ROOT, "compiler", "driver")

# The C files whose parsers read each command's options (drv_cli.c: --set
# and --stdlib of the commands that build an experiment; the training
# host's run options and prediction options, which the emitted programs
# read too).
RUN_PARSERS = ["cmd_run.c", "drv_cli.c", "../../host/run_options.c"]
PARSERS = {
    "check": ["cmd_check.c"],
    "explain": ["cmd_explain.c"],
    "run": RUN_PARSERS,
    "compare": RUN_PARSERS,
    "sweep": RUN_PARSERS,
    "plot": ["cmd_plot.c"],
    "sample": ["cmd_sample.c"],
    "emit-llvm": ["cmd_emit_llvm.c", "drv_cli.c"],
    "emit-c": ["cmd_emit_c.c", "drv_cli.c"],
    "predict": ["cmd_predict.c", "drv_cli.c", "../../host/predict.c"],
    "gradcheck": ["cmd_gradcheck.c", "drv_cli.c"],
    "dualcheck": ["cmd_dualcheck.c", "drv_cli.c"],
    "completion": [],
    "help": [],
}
# Options the parser of cmd_run.c matches only for `duet run`.
RUN_ONLY = {"--resume", "--extend-steps"}
STUDY_ONLY = {"--metric"}  # compare and sweep


def duet(*args):
    return subprocess.run([t.duet, *args], cwd=t.work, capture_output=True, text=True)


def parsed_options(files):
    """The option strings a parser compares arguments with: string literals
    that are exactly an option name."""
    found = set()
    for name in files:
        with open(os.path.join(DRIVER, name)) as f:
            found |= set(re.findall(r'"(--?[a-z][a-z0-9-]*)"', f.read()))
    return found


def help_options(text):
    """(name -> value shown or None) of the options a help text lists;
    "-o, --out DIR" gives both names."""
    opts = {}
    for line in text.splitlines():
        m = re.match(r"  (-[-a-z0-9]+)(?:, (--[-a-z0-9]+))?(?: (\S.*?))?(?:\s{2,}|$)", line)
        if m:
            for name in m.group(1), m.group(2):
                if name:
                    opts[name] = m.group(3)
    return opts


overview = duet("help")
t.equal("duet help: exit code", 0, overview.returncode)
t.equal("duet --help is duet help", overview.stdout, duet("--help").stdout)
commands = re.findall(r"^  ([a-z][a-z-]*)\s{2,}", overview.stdout.split("commands:")[1],
                      re.M)
t.equal("the overview lists every command", sorted(PARSERS), sorted(commands))

# A run directory for `duet plot` to accept.
os.makedirs(t.path("rundir"))
with open(t.path("rundir", "metrics.jsonl"), "w") as f:
    f.write('{"step":1,"loss":2.5}\n{"step":2,"loss":1.5}\n')

helps = {}
for cmd in commands:
    h = duet("help", cmd)
    helps[cmd] = help_options(h.stdout)
    t.check(h.returncode == 0 and h.stdout.startswith(f"usage: duet {cmd}"),
            f"duet help {cmd}: its usage", f"usage: duet {cmd} ...", h.stdout[:60])
    t.equal(f"duet {cmd} --help is duet help {cmd}", h.stdout, duet(cmd, "--help").stdout)
    t.equal(f"duet {cmd} -h is duet help {cmd}", h.stdout, duet(cmd, "-h").stdout)
    for line in h.stdout.splitlines():
        t.check(len(line) < 80, f"duet help {cmd}: lines fit 79 columns", "< 80", line)

    # the parser's options are in the help (those of run only for run)
    parsed = parsed_options(PARSERS[cmd])
    if cmd != "run":
        parsed -= RUN_ONLY
    if cmd not in ("compare", "sweep"):
        parsed -= STUDY_ONLY
    missing = sorted(parsed - set(helps[cmd]) - {"--help"})
    t.equal(f"duet {cmd}: every option its parser reads is in its help", [], missing)

    # the help's options are accepted: the parser reports an unknown option
    # by name, and goes on to the operand (missing here, or a run directory)
    for opt, value in helps[cmd].items():
        if opt == "--help":
            continue
        args = [opt]
        if value:
            choice = re.match(r"([a-z0-9]+)\|", value)
            args.append({"--log-format": "csv", "--metric": "loss", "--set": "x=1"}.get(
                opt, choice.group(1) if choice else "1"))
        if cmd == "plot":
            args = ["rundir", *args, "-o", "x.svg"] if opt != "-o" else ["rundir", *args]
        elif cmd not in ("completion", "help"):
            args = ["/nonexistent/x.duet" if cmd != "sample" else "/nonexistent", *args]
        p = duet(cmd, *args)
        t.check("unknown option" not in p.stderr, f"duet {cmd} accepts {opt}", "accepted",
                p.stderr.strip())

p = duet("run", "x.duet", "--metric", "train_loss")
t.check(p.stderr.startswith("duet: error: unknown option '--metric'\n"), "run refuses --metric",
        "duet: error: unknown option '--metric'", p.stderr)
t.equal("run --help lists --stdlib, --stop-after, --log-every and --log-format", True,
        {"--stdlib", "--stop-after", "--log-every", "--log-format"} <= set(helps["run"]))
for cmd in ("compare", "sweep"):
    t.equal(f"{cmd}: the options of run but --resume and --extend-steps, and --metric",
            set(helps["run"]) - RUN_ONLY | STUDY_ONLY, set(helps[cmd]))
    for opt in sorted(RUN_ONLY):
        p = duet(cmd, "x.duet", opt, "rundir")
        t.check(p.stderr.startswith(f"duet: error: unknown option '{opt}'\n"), f"{cmd} refuses {opt}",
                f"duet: error: unknown option '{opt}'", p.stderr)

# did you mean
for args, expected in [
        (["rn"], "duet: error: unknown command 'rn'\n  hint: did you mean 'run'?\n"),
        (["help", "smaple"], "duet: error: unknown command 'smaple'\n"
         "  hint: did you mean 'sample'?\n"),
        (["frobnicate"], "duet: error: unknown command 'frobnicate'\n"
         "  hint: run 'duet --help' for usage\n"),
        (["run", "x.duet", "--stpes", "5"], "duet: error: unknown option '--stpes'\n"
         "  hint: did you mean '--steps'?\n"),
        (["emit-c", "x.duet", "--outt", "d"], "duet: error: unknown option '--outt'\n"
         "  hint: did you mean '--out'?\n"),
        (["plot", "rundir", "--liner"], "duet: error: unknown option '--liner'\n"
         "  hint: did you mean '--linear'?\n"),
        (["sample", "rundir", "--set", "x=1"], "duet: error: unknown option '--set'\n"
         "  hint: run 'duet sample --help' for usage\n"),
        (["plot", "rundir", "--metric", "los"], "duet: error: no run has the metric 'los'\n"
         "  hint: did you mean 'loss'?\n"),
        (["run", "x.duet", "--log-format", "csv,parquet"],
         "duet: error: --log-format: unknown log format 'parquet' (the formats are jsonl, csv "
         "and tensorboard)\n  hint: run 'duet run --help' for usage\n")]:
    p = duet(*args)
    t.check(p.returncode == 1 and p.stderr == expected, f"duet {' '.join(args)}",
            expected, (p.returncode, p.stderr))

# bash completion, generated from the same table: what bash completes
script = duet("completion", "bash")
t.equal("duet completion bash: exit code", 0, script.returncode)
with open(t.path("duet.bash"), "w") as f:
    f.write(script.stdout)
for name in ("a.duet", "b.txt"):
    open(t.path(name), "w").close()


def complete(*words):
    """COMPREPLY of the bash completion for `duet WORDS...` (the last word
    being completed)."""
    words = ["duet", *words]
    quoted = " ".join("'" + w + "'" for w in words)
    code = (f"source duet.bash; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; _duet; "
            'printf "%s\\n" "${COMPREPLY[@]}"')
    p = subprocess.run(["bash", "-c", code], cwd=t.work, capture_output=True, text=True)
    t.equal(f"bash completion of {words}: no errors", "", p.stderr)
    return sorted(w for w in p.stdout.split("\n") if w)


t.equal("commands", sorted(commands + ["--help", "--version"]), complete(""))
t.equal("a prefix of a command", ["run"], complete("ru"))
for cmd in commands:
    t.equal(f"the options of {cmd}", sorted(set(helps[cmd]) | {"--help"}),
            complete(cmd, "-"))
t.equal("run: a .duet file or a directory", ["a.duet", "rundir"], complete("run", ""))
t.equal("plot: directories", ["rundir"], complete("plot", ""))
t.equal("--dtype: its values", ["f32", "f64"], complete("run", "a.duet", "--dtype", ""))
t.equal("--gemm: its values", ["onednn", "openblas"], complete("run", "a.duet", "--gemm", ""))
t.equal("--log-format: the next item of the list", ["csv,tensorboard"],
        complete("run", "a.duet", "--log-format", "csv,t"))
t.equal("--steps: no completion for a number", [], complete("run", "a.duet", "--steps", ""))
t.equal("help: command names", ["sample", "sweep"], complete("help", "s"))
t.equal("completion: the shells", ["bash", "zsh"], complete("completion", ""))

# zsh: every command and option in the script (and its syntax when zsh is here)
z = duet("completion", "zsh").stdout
t.check(z.startswith("#compdef duet\n"), "zsh script: #compdef", "#compdef duet", z[:20])
for cmd in commands:
    block = re.search(rf"\n    {re.escape(cmd)}\)\n(.*?);;\n", z, re.S)
    names = set(re.findall(r"'\*?(--?[a-z][a-z0-9-]*)\[", block.group(1))) if block else set()
    t.equal(f"zsh script: the options of {cmd}", sorted(set(helps[cmd]) | {"--help"}),
            sorted(names))
with open(t.path("_duet"), "w") as f:
    f.write(z)
p = subprocess.run(["zsh", "-n", t.path("_duet")], capture_output=True, text=True)
t.equal("zsh script: syntax", "", p.stderr)
t.equal("an unknown shell", 1, duet("completion", "fish").returncode)
t.done()
