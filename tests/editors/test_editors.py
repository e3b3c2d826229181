"""test_editors.py - the editor support against the compiler and in use:
the Vim syntax file's and the TextMate grammar's keywords (lexer.l),
builtins and settings (as semantic analysis lists them: words_tool.c),
block items (parse_build.c) and parameter types are exactly the compiler's; Vim
itself (headless) gives each token of a sample its group; the TextMate
grammar, applied by a small interpreter of its rules (match and
begin/end, with Python's re: the grammar's regexes use nothing where
Oniguruma differs), gives each token its scope; and the completion
scripts built with duet, and the editor files, are installed by the
`editors` install component.

usage: test_editors.py SOURCE_DIR BUILD_DIR DUET WORKDIR WORDS_TOOL"""
import json
import os
import re
import shutil
import subprocess
import sys

SRC, BUILD, DUET, WORK, WORDS_TOOL = sys.argv[1:6]
sys.path.insert(0, os.path.join(SRC, "tests", "common"))
from testcheck import Tally  # noqa: E402

t = Tally("test_editors")
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)


def read(*parts):
    with open(os.path.join(SRC, *parts)) as f:
        return f.read()


# ---- the words of the language, from the compiler ----
keywords = set(re.findall(r'^"(\w+)"\s+\{ return KW_', read("compiler/front/lexer.l"), re.M))
words = [line.split() for line in subprocess.run([WORDS_TOOL], check=True, capture_output=True,
                                                 text=True).stdout.splitlines()]
builtins = {w for kind, w in words if kind == "builtin"}
build = read("compiler/front/parse_build.c")
items = set()
for body in re.findall(r"(?:atom|bond)_(?:assign|define)\[\] = \{([^}]*)\}", build):
    items |= set(re.findall(r'"(\w+)"', body))
items |= {w for kind, w in words if kind == "setting"}
types = set(re.findall(r'\{"(\w+)", AST_TYPE_', build))
t.check(len(keywords) >= 20 and len(builtins) >= 60 and {"forward", "schedule"} <= items and
        "int" in types, "the compiler's word lists were found",
        "20+ keywords, 60+ builtins", (len(keywords), len(builtins), items, types))
# Words with a class of their own: booleans; `module` is a keyword and a
# type; `optimizer` and `data` keywords and settings; `loss` a builtin
# (the metric) and a setting; `epoch` the unit of `eval every`.
expect = {
    "keyword": keywords - {"true", "false"},
    "boolean": {"true", "false"},
    "item": (items - keywords - builtins) | {"epoch"},
    "type": types - keywords,
    "builtin": builtins,
}

# ---- Vim ----
vim_syntax = read("editors/vim/syntax/duet.vim")
vim_groups = {"keyword": "duetKeyword", "boolean": "duetBoolean", "item": "duetItem",
              "type": "duetType", "builtin": "duetBuiltin"}
for cls, group in vim_groups.items():
    words = set()
    for line in re.findall(rf"^syn keyword {group} (.*)$", vim_syntax, re.M):
        words |= set(line.split())
    t.equal(f"vim: the {cls} words", sorted(expect[cls]), sorted(words))

# ---- TextMate ----
grammar = json.loads(read("editors/vscode/syntaxes/duet.tmLanguage.json"))
repo = grammar["repository"]
for cls in expect:
    alts = re.fullmatch(r"\\b\((.*)\)\\b", repo[cls]["match"]).group(1).split("|")
    t.equal(f"textmate: the {cls} words", sorted(expect[cls]), sorted(alts))
package = json.loads(read("editors/vscode/package.json"))
t.equal("vscode: the grammar of .duet files",
        ([".duet"], "source.duet", "./syntaxes/duet.tmLanguage.json"),
        (package["contributes"]["languages"][0]["extensions"],
         package["contributes"]["grammars"][0]["scopeName"],
         package["contributes"]["grammars"][0]["path"]))

SAMPLE = '''# TODO: a sample
atom Linear(fan_in: int, fan_out: int) {
  weight W[fan_out, fan_in] init orthogonal(sqrt(fan_out / fan_in))
  norm = 2.5e-3 * spectral(W) >> relu
}
optimizer Pair(lr: float = 0.02) {
  optimizer for "MLP[0]*" = AdamW(lr = lr)
}
experiment tiny {
  data train = kjv("train\\n", 64), flag = true
  eval every 10 steps: loss(test)
}
'''
# (line, token, occurrence on the line) -> (Vim group, TextMate scope)
TOKENS = [
    ((1, "# TODO", 0), ("duetComment", "comment.line.number-sign.duet")),
    ((1, "TODO", 0), ("duetTodo", "comment.line.number-sign.duet")),
    ((2, "atom", 0), ("duetKeyword", "keyword.other.duet")),
    ((2, "Linear", 0), ("duetDeclName", "entity.name.function.duet")),
    ((2, "int", 0), ("duetType", "storage.type.duet")),
    ((3, "weight", 0), ("duetKeyword", "keyword.other.duet")),
    ((3, "orthogonal", 0), ("duetBuiltin", "support.function.builtin.duet")),
    ((3, "fan_in", 0), ("", None)),
    ((4, "norm", 0), ("duetItem", "variable.language.duet")),
    ((4, "2.5e-3", 0), ("duetNumber", "constant.numeric.duet")),
    ((4, ">>", 0), ("duetOperator", "keyword.operator.duet")),
    ((6, "Pair", 0), ("duetDeclName", "entity.name.function.duet")),
    ((6, "0.02", 0), ("duetNumber", "constant.numeric.duet")),
    ((7, "optimizer", 0), ("duetKeyword", "keyword.other.duet")),
    ((7, "for", 0), ("duetKeyword", "keyword.other.duet")),
    ((7, "MLP", 0), ("duetString", "string.quoted.double.duet")),
    ((7, "AdamW", 0), ("", None)),
    ((9, "tiny", 0), ("duetDeclName", "entity.name.function.duet")),
    ((10, "kjv", 0), ("duetBuiltin", "support.function.builtin.duet")),
    ((10, "\\n", 0), ("duetEscape", "constant.character.escape.duet")),
    ((10, "64", 0), ("duetNumber", "constant.numeric.duet")),
    ((10, "true", 0), ("duetBoolean", "constant.language.boolean.duet")),
    ((11, "every", 0), ("duetKeyword", "keyword.other.duet")),
    ((11, "steps", 0), ("duetItem", "variable.language.duet")),
    ((11, "loss", 0), ("duetBuiltin", "support.function.builtin.duet")),
]
lines = SAMPLE.split("\n")


def column(line, token, k):
    """0-based column of the k-th occurrence of token on a line."""
    at = -1
    for _ in range(k + 1):
        at = lines[line - 1].index(token, at + 1)
    return at


sample = os.path.join(WORK, "sample.duet")
with open(sample, "w") as f:
    f.write(SAMPLE)
out = os.path.join(WORK, "groups.txt")
probes = " ".join(f"[{ln},{column(ln, tok, k) + 1}]" for (ln, tok, k), _ in TOKENS)
subprocess.run(["vim", "-u", "NONE", "-N", "-es", "-c",
                f"set rtp^={os.path.join(SRC, 'editors', 'vim')}", "-c", "filetype on",
                "-c", "syntax on", "-c", f"e {sample}", "-c", f"redir! > {out}", "-c",
                f'for [l, c] in [{probes.replace(" ", ",")}] | '
                'echo synIDattr(synID(l, c, 1), "name") | endfor',
                "-c", "redir END", "-c", "q!"], capture_output=True, timeout=60)
with open(out) as f:
    groups = f.read().split("\n")[1:]
for i, ((ln, tok, k), (group, _)) in enumerate(TOKENS):
    t.equal(f"vim: line {ln} '{tok}'", group, groups[i] if i < len(groups) else None)


def rules(patterns):
    """The rules of a pattern list, includes resolved."""
    out = []
    for p in patterns:
        out += rules([repo[p["include"][1:]]]) if "include" in p else [p]
    return out


def scan(text, start, rule_list, end=None):
    """TextMate scanning of text from start: at each position the rule
    matching earliest (the first listed on a tie; the end pattern first)
    applies. Returns ({column: scope}, where scanning stopped)."""
    scopes, pos = {}, start
    while pos < len(text):
        best = None
        if end is not None:
            m = re.compile(end).search(text, pos)
            if m:
                best = (m.start(), -1, m, None)
        for i, r in enumerate(rule_list):
            m = re.compile(r.get("match") or r["begin"]).search(text, pos)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), i, m, r)
        if best is None:
            break
        _, _, m, r = best
        if r is None:  # the end of the enclosing begin/end rule
            return scopes, m.end()
        for c in range(m.start(), m.end()):
            scopes[c] = r.get("name")
        for g, cap in r.get("captures", {}).items():
            for c in range(m.start(int(g)), m.end(int(g))):
                scopes[c] = cap["name"]
        pos = max(m.end(), pos + 1)
        if "begin" in r:
            inner, pos = scan(text, pos, rules(r.get("patterns", [])), r["end"])
            for c in range(m.end(), pos):
                scopes[c] = inner.get(c, r["name"])
    return scopes, pos


top = rules(grammar["patterns"])
for (ln, tok, k), (_, scope) in TOKENS:
    scopes, _ = scan(lines[ln - 1], 0, top)
    col = column(ln, tok, k)
    got = {scopes.get(c) for c in range(col, col + len(tok))}
    t.equal(f"textmate: line {ln} '{tok}'", {scope}, got)

# ---- completion scripts and installation ----
for name, shell in (("duet.bash", "bash"), ("_duet", "zsh")):
    with open(os.path.join(BUILD, "editors", name)) as f:
        built = f.read()
    p = subprocess.run([DUET, "completion", shell], capture_output=True, text=True)
    t.equal(f"{name}: built from duet completion {shell}", p.stdout, built)
prefix = os.path.join(WORK, "prefix")
p = subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix, "--component", "editors"],
                   capture_output=True, text=True)
t.equal("cmake --install --component editors", 0, p.returncode)
installed = sorted(os.path.relpath(os.path.join(d, f), prefix)
                   for d, _, fs in os.walk(prefix) for f in fs)
t.equal("installed files", sorted([
    "share/bash-completion/completions/duet", "share/zsh/site-functions/_duet",
    "share/vim/vimfiles/syntax/duet.vim", "share/vim/vimfiles/ftdetect/duet.vim",
    "share/duet/vscode/package.json", "share/duet/vscode/language-configuration.json",
    "share/duet/vscode/syntaxes/duet.tmLanguage.json"]), installed)
t.done()
