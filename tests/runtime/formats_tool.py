"""formats_tool.py - running test_io_formats_tool (the data-file readers'
driver) from the Python tests and decoding what it writes: the tests
import this module from their own directory."""
import subprocess

import numpy as np

# The runtime's element type names and numpy's types.
ELEMS = {"u8": np.uint8, "i8": np.int8, "u16": np.uint16, "i16": np.int16,
         "u32": np.uint32, "i32": np.int32, "u64": np.uint64, "i64": np.int64,
         "f32": np.float32, "f64": np.float64}


class Tool:
    def __init__(self, path):
        self.path = path

    def run(self, *args):
        """(exit code, first line of stdout, the bytes after it)."""
        p = subprocess.run([self.path, *map(str, args)], capture_output=True)
        line, _, rest = p.stdout.partition(b"\n")
        return p.returncode, line.decode("utf-8", "replace"), rest

    def array(self, fmt, path, member="-", convert="raw"):
        """("ok", numpy array as the tool returned it, extra fields) or
        ("error", message, None)."""
        code, line, rest = self.run("array", fmt, path, member, convert)
        if code != 0:
            return "error", line.removeprefix("error: "), None
        words = line.split()
        assert words[0] == "ok", line
        elem, ndim = words[1], int(words[2])
        shape = tuple(int(w) for w in words[3:3 + ndim])
        extra = dict(w.split("=") for w in words[3 + ndim:])
        data = np.frombuffer(rest, dtype=ELEMS[elem])
        assert data.size == int(np.prod(shape)), (line, len(rest))
        return "ok", data.reshape(shape), extra

    def error(self, *args):
        """The message of a run that must fail (or what it printed)."""
        code, line, _ = self.run(*args)
        return line.removeprefix("error: ") if code == 1 else f"exit {code}: {line}"


def native(a):
    """a in the host's byte order and row-major order, as the readers
    return arrays."""
    return a.astype(a.dtype.newbyteorder("="), order="C")


def same_bits(a, b):
    """Whether two arrays have the same type, shape and bytes."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
