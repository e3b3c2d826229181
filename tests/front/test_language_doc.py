"""test_language_doc.py - the examples of docs/language.md run: every block
fenced as ```duet is a whole program that `duet check` accepts (syntax,
names, the derivation and the elaboration of every experiment), and every
builtin of the language (the op registry's and sema's tables, as
editors_words_tool lists them) and every schedule of the standard library
appears in one of them; an example's `# share PATH = VALUE` lines are the
step shares `duet explain` derives for it.

    test_language_doc.py DUET WORDS_TOOL DOC STDLIB WORKDIR"""
import os
import re
import shutil
import subprocess
import sys

duet, words_tool, doc, stdlib, work = sys.argv[1:6]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from testcheck import Tally  # noqa: E402

t = Tally("test_language_doc")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)

with open(doc) as f:
    text = f.read()
blocks = re.findall(r"^```duet\n(.*?)^```$", text, re.M | re.S)
t.check(len(blocks) >= 5, "language.md has examples fenced as ```duet", ">= 5", len(blocks))

checked = []
for i, block in enumerate(blocks):
    path = os.path.join(work, f"example{i + 1}.duet")
    with open(path, "w") as f:
        f.write(block)
    p = subprocess.run([duet, "check", path, "--stdlib", stdlib], capture_output=True, text=True)
    first = block.strip().splitlines()[0] if block.strip() else ""
    if t.check(p.returncode == 0 and p.stderr == "", f"example {i + 1} ({first!r}) checks",
               "exit 0, no messages", (p.returncode, p.stderr)):
        checked.append(re.sub(r"#.*", "", block))

# `# share PATH = VALUE` lines of an example: the share duet explain derives
for i, block in enumerate(blocks):
    claims = re.findall(r"^# share (\S+) = (\S+)$", block, re.M)
    if not claims:
        continue
    path = os.path.join(work, f"example{i + 1}.duet")
    out = subprocess.run([duet, "explain", path, "--stdlib", stdlib], capture_output=True,
                         text=True).stdout
    shares = {f[0]: f[5] for f in (line.split() for line in out.splitlines())
              if len(f) > 5 and f[0].startswith("model")}
    for weight, share in claims:
        t.equal(f"example {i + 1}: the share of {weight}", share, shares.get(weight))

words = subprocess.run([words_tool], capture_output=True, text=True, check=True).stdout
builtins = sorted(w for kind, w in (line.split() for line in words.splitlines())
                  if kind == "builtin")
with open(os.path.join(stdlib, "optim.duet")) as f:
    schedules = sorted(re.findall(r"^schedule (\w+)", f.read(), re.M))
t.check(len(builtins) >= 60 and len(schedules) >= 4, "the builtins and schedules are listed",
        ">= 60, >= 4", (len(builtins), len(schedules)))
missing = [w for w in builtins + schedules
           if not any(re.search(r"\b%s\b" % re.escape(w), b) for b in checked)]
t.check(not missing, "every builtin and schedule appears in a checked example", [], missing)
t.done()
