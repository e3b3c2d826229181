#!/usr/bin/python3
"""test_io_csv.py - the CSV reader against numpy (np.loadtxt with quoted
fields) and Python's csv module + float(): files in every RFC 4180 variant
(quoting styles, CRLF and LF, a last line with and without its line end, a
byte-order mark, quoted names holding commas, quotes and line breaks), the
number spellings the grammar accepts, features chosen by name in any order,
labels as class ids, real targets or decided from the data. Then each kind
of bad file with its exact message.

usage: test_io_csv.py FORMATS_TOOL"""
import csv
import io
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
sys.path.insert(0, HERE)
from formats_tool import Tool  # noqa: E402
from testcheck import Tally  # noqa: E402

tool = Tool(sys.argv[1])
tally = Tally("test_io_csv")
check, equal = tally.check, tally.equal
rng = np.random.default_rng(13)


def load(path, kind, label, classes=0, features=()):
    """("ok", names, x, labels, kind, bound) or ("error", message)."""
    code, line, rest = tool.run("csv", path, kind, label, classes, *features)
    if code != 0:
        return "error", line.removeprefix("error: ")
    head, *names = line.split("\t")
    names = [n.encode().decode("unicode_escape") for n in names]
    fields = dict(w.split("=") for w in head.split(" ")[1:])
    rows, nf = int(fields["rows"]), int(fields["features"])
    x = np.frombuffer(rest[:rows * nf * 8], "<f8").reshape(rows, nf)
    tail = rest[rows * nf * 8:]
    dtype = {"class": "<i4", "real": "<f8"}.get(fields["kind"])
    y = np.frombuffer(tail, dtype) if dtype else None
    return "ok", names, x, y, fields["kind"], int(fields["bound"])


def spellings(values):
    """Each value written as Python's repr and in other spellings the
    grammar accepts: exponents (e and E), a '+' sign, spaces and tabs
    around."""
    out = []
    for i, v in enumerate(values):
        s = repr(float(v))
        s = [s, f"{v:.17e}", f"+{v!r}" if v >= 0 else s, f" {s}\t", f"{v:.17E}"][i % 5]
        out.append(s)
    return out


def write_csv(path, header, rows, **fmt):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, **fmt)
        w.writerow(header)
        w.writerows(rows)


def reference(path, ncols):
    """numpy's reading of every column, and the csv module's."""
    np_x = np.loadtxt(path, delimiter=",", quotechar='"', skiprows=1, dtype=np.float64,
                      encoding="utf-8-sig", ndmin=2)
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    py_x = np.array([[float(c) for c in r] for r in rows[1:]], dtype=np.float64)
    return rows[0], np_x, py_x


def check_variants(tmp):
    n, header = 40, ["a", "b", "label", "c"]
    values = rng.standard_normal((n, 3)) * 10.0 ** rng.integers(-30, 30, (n, 3))
    labels = rng.integers(0, 7, n)
    rows = [spellings(values[i]) for i in range(n)]
    rows = [[r[0], r[1], str(labels[i]), r[2]] for i, r in enumerate(rows)]
    variants = {
        "minimal, CRLF": dict(lineterminator="\r\n"),
        "minimal, LF": dict(lineterminator="\n"),
        "quote all, LF": dict(lineterminator="\n", quoting=csv.QUOTE_ALL),
        "quote all, CRLF": dict(lineterminator="\r\n", quoting=csv.QUOTE_ALL),
    }
    for name, fmt in variants.items():
        for final_newline in (True, False):
            for bom in (False, True):
                path = os.path.join(tmp, "v.csv")
                write_csv(path, header, rows, **fmt)
                with open(path, "rb") as f:
                    blob = f.read()
                if not final_newline:
                    blob = blob.rstrip(b"\r\n")
                if bom:
                    blob = b"\xef\xbb\xbf" + blob
                with open(path, "wb") as f:
                    f.write(blob)
                what = f"{name}, final newline {final_newline}, BOM {bom}"
                names, np_x, py_x = reference(path, 4)
                check(np.array_equal(np_x, py_x), f"{what}: numpy and csv agree")
                got = load(path, "class", "label", 7)
                ok = got[0] == "ok"
                check(ok and got[1] == ["a", "b", "c"], f"{what}: names", header, got)
                if ok:
                    _, _, x, y, kind, bound = got
                    want = np_x[:, [0, 1, 3]]
                    check(x.tobytes() == want.tobytes(), f"{what}: features bit for bit",
                          want[:2], x[:2])
                    check(np.array_equal(y, labels) and kind == "class" and
                          bound == labels.max() + 1, f"{what}: labels", labels[:5], y[:5])


def check_selection(tmp):
    path = os.path.join(tmp, "sel.csv")
    header = ["id, with comma", 'say "hi"', "multi\nline", "target", "w"]
    x = rng.standard_normal((25, 5))
    rows = [[repr(v) for v in r] for r in x]
    write_csv(path, header, rows, lineterminator="\r\n")
    with open(path, newline="") as f:
        check(next(csv.reader(f)) == header, "names that need quoting written")
    chosen = ["w", 'say "hi"', "multi\nline"]
    got = load(path, "real", "target", 0, chosen)
    ok = got[0] == "ok"
    check(ok and got[4] == "real", "real targets", "real", got)
    if ok:
        _, _, gx, gy, _, _ = got
        check(gx.tobytes() == x[:, [4, 1, 2]].tobytes(), "features chosen in order",
              x[:2, [4, 1, 2]], gx[:2])
        check(gy.tobytes() == x[:, 3].tobytes(), "targets bit for bit", x[:3, 3], gy[:3])
    got = load(path, "none", "-")
    check(got[0] == "ok" and got[2].tobytes() == x.tobytes() and got[3] is None,
          "no label: every column a feature", None, got[0:2])
    # numbers without digits before or after the point
    with open(path, "w") as f:
        f.write("x,y\n.5,5.\n-.25e1,+3\n")
    got = load(path, "real", "y")
    check(got[0] == "ok" and list(got[2][:, 0]) == [0.5, -2.5] and list(got[3]) == [5.0, 3.0],
          "'.5', '5.', '-.25e1', '+3'", None, got)
    # auto: plain non-negative integers are class ids, anything else real
    for cells, kind in ((["0", "3", "12"], "class"), (["0", "3", "1.0"], "real"),
                        (["0", "-3", "1"], "real"), (["0", "3", "2147483647"], "real")):
        with open(path, "w") as f:
            f.write("x,y\n" + "".join(f"{i},{c}\n" for i, c in enumerate(cells)))
        got = load(path, "auto", "y")
        want = [float(c) for c in cells]
        check(got[0] == "ok" and got[4] == kind and list(got[3]) == want,
              f"auto {cells}", (kind, want), got)
        if kind == "class":
            equal("auto bound", 13, got[5])


def check_errors(tmp):
    cases = [  # (name, text, kind, label, classes, features, message)
        ("empty", "", "real", "y", 0, (), "empty file (a CSV file starts with a header row)"),
        ("bom-only", "\ufeff", "real", "y", 0, (),
         "empty file (a CSV file starts with a header row)"),
        ("header-only", "x,y\n", "real", "y", 0, (), "no data rows after the header"),
        ("no-label", "x,y\n1,2\n", "real", "z", 0, (),
         'row 1: no column named "z" (the columns: x, y)'),
        ("no-feature", "x,y\n1,2\n", "real", "y", 0, ("x", "q"),
         'row 1: no column named "q" (the columns: x, y)'),
        ("label-feature", "x,y\n1,2\n", "real", "y", 0, ("y",),
         'row 1, column 2 ("y"): the label column cannot be a feature too'),
        ("twice", "x,y\n1,2\n", "real", "y", 0, ("x", "x"),
         'row 1, column 1 ("x"): selected twice as a feature'),
        ("only-label", "y\n1\n", "real", "y", 0, (), "row 1: no feature columns"),
        ("duplicate-name", "x,y,x\n1,2,3\n", "real", "y", 0, (),
         'row 1, column 3 ("x"): the same name as column 1'),
        ("short-row", "x,y\n1,2\n3\n", "real", "y", 0, (), "row 3: 1 fields, the header has 2"),
        ("long-row", "x,y\n1,2,3\n", "real", "y", 0, (), "row 2: 3 fields, the header has 2"),
        ("empty-line", "x,y\n1,2\n\n3,4\n", "real", "y", 0, (), "row 3: empty line"),
        ("trailing-empty-line", "x,y\n1,2\n\n", "real", "y", 0, (), "row 3: empty line"),
        ("empty-cell", "x,y\n1,2\n,4\n", "real", "y", 0, (), 'row 3, column 1 ("x"): empty cell'),
        ("nan", "x,y\n1,2\nNaN,4\n", "real", "y", 0, (),
         'row 3, column 1 ("x"): NaN is not accepted (fill in or drop missing or infinite '
         'values)'),
        ("inf", "x,y\n1,2\n3,-inf\n", "real", "y", 0, (),
         'row 3, column 2 ("y"): an infinity is not accepted (fill in or drop missing or '
         'infinite values)'),
        ("word", "x,y\n1,2\nthree,4\n", "real", "y", 0, (),
         'row 3, column 1 ("x"): not a number: "three"'),
        ("hex", "x,y\n0x1p3,2\n", "real", "y", 0, (), 'row 2, column 1 ("x"): not a number: '
         '"0x1p3"'),
        ("comma-decimal", 'x,y\n"1,5",2\n', "real", "y", 0, (),
         'row 2, column 1 ("x"): not a number: "1,5"'),
        ("bare-exponent", "x,y\n1e,2\n", "real", "y", 0, (),
         'row 2, column 1 ("x"): not a number: "1e"'),
        ("overflow", "x,y\n1e999,2\n", "real", "y", 0, (),
         'row 2, column 1 ("x"): 1e999 is beyond the range of double'),
        ("control", "x,y\n1\x01,2\n", "real", "y", 0, (),
         'row 2, column 1 ("x"): not a number: "1\\x01"'),
        ("class-real", "x,y\n1,2.5\n", "class", "y", 0, (),
         'row 2, column 2 ("y"): class id "2.5" is not a non-negative integer below 2147483647'),
        ("class-negative", "x,y\n1,-1\n", "class", "y", 0, (),
         'row 2, column 2 ("y"): class id "-1" is not a non-negative integer below 2147483647'),
        ("class-range", "x,y\n1,3\n2,10\n", "class", "y", 10, (),
         'row 3, column 2 ("y"): class id 10 is out of range for 10 classes'),
        ("open-quote", 'x,y\n1,"2\n3,4\n', "real", "y", 0, (),
         'row 2, column 2 ("y"): a quoted field is not closed before the end of the file'),
        ("after-quote", 'x,y\n"1"2,3\n', "real", "y", 0, (),
         'row 2, column 1 ("x"): text after the closing quote of a quoted field'),
        ("inner-quote", 'x,y\n1"2,3\n', "real", "y", 0, (),
         'row 2, column 1 ("x"): a quote inside an unquoted field (quote the whole field and '
         'double the quote)'),
        ("bare-cr", "x,y\r1,2\n", "real", "y", 0, (),
         "row 1, column 2: a carriage return without a line feed"),
        ("long-name", "x," + "n" * 50 + "\n1,zz\n", "real", "n" * 50, 0, (),
         'row 2, column 2 ("' + "n" * 40 + '..."): not a number: "zz"'),
    ]
    for name, text, kind, label, classes, features, message in cases:
        path = os.path.join(tmp, name + ".csv")
        with open(path, "w", newline="") as f:
            f.write(text)
        equal(name, f"{path}: {message}", tool.error("csv", path, kind, label, classes, *features))
    missing = os.path.join(tmp, "missing.csv")
    equal("missing file", f"{missing}: cannot open: No such file or directory",
          tool.error("csv", missing, "real", "y", 0))
    # a quoted field spanning lines: rows count records, not lines
    path = os.path.join(tmp, "records.csv")
    with open(path, "w", newline="") as f:
        f.write('x,"a\nb"\n1,2\n3,x\n')
    equal("rows count records", f'{path}: row 3, column 2 ("a\\x0ab"): not a number: "x"',
          tool.error("csv", path, "none", "-", 0))


with tempfile.TemporaryDirectory() as tmp:
    check_variants(tmp)
    check_selection(tmp)
    check_errors(tmp)
tally.done()
