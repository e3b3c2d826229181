"""testcheck.py - the tally shared by the Python tests: every check is
counted, a failed one is printed with what was expected and what came, and
done() prints the summary and exits with the test's status. Also small
helpers several of them need.

A test finds this module with
    sys.path.insert(0, os.path.join(<tests dir>, "common"))"""
import struct
import subprocess
import sys


class Tally:
    def __init__(self, name):
        self.name = name
        self.checks = 0
        self.failures = 0

    def check(self, ok, what, expected=None, got=None):
        """Counts a check; prints what failed, with expected and got when
        given. Returns ok."""
        self.checks += 1
        if not ok:
            self.failures += 1
            print(f"FAIL {what}")
            if expected is not None or got is not None:
                print(f"  expected: {expected!r}\n  got:      {got!r}")
        return ok

    def equal(self, what, expected, got):
        return self.check(expected == got, what, expected, got)

    def done(self):
        print(f"{self.name}: {self.checks} checks, {self.failures} failed")
        sys.exit(1 if self.failures else 0)


def f32(x):
    """x rounded to float32, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def run_tool(tool, *args):
    """(exit code, stdout as UTF-8 without surrounding whitespace) of a run
    of tool with args."""
    p = subprocess.run([tool, *args], capture_output=True)
    return p.returncode, p.stdout.decode("utf-8").strip()
