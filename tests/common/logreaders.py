"""logreaders.py - independent readers of the metrics logs duet writes
besides metrics.jsonl, for the tests: TensorBoard event files (TFRecord
framing with masked CRC-32C checksums, Event protocol buffers decoded field
by field from the wire format) and the comparison of metrics.csv with
metrics.jsonl. The tensorboard package is not installed here; this reader
follows the published formats (tensorflow/core/util/event.proto,
summary.proto and the TFRecord framing)."""
import csv
import json
import math
import struct


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # the standard check value of CRC-32C


def masked_crc(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(blob):
    """The payloads of a TFRecord file; raises ValueError on a bad length,
    checksum or a truncated record."""
    out, at = [], 0
    while at < len(blob):
        if at + 12 > len(blob):
            raise ValueError(f"truncated record header at byte {at}")
        head = blob[at:at + 8]
        (n,) = struct.unpack("<Q", head)
        (len_crc,) = struct.unpack("<I", blob[at + 8:at + 12])
        if len_crc != masked_crc(head):
            raise ValueError(f"length checksum mismatch at byte {at}")
        data = blob[at + 12:at + 12 + n]
        if len(data) != n or at + 16 + n > len(blob):
            raise ValueError(f"truncated record at byte {at}")
        (data_crc,) = struct.unpack("<I", blob[at + 12 + n:at + 16 + n])
        if data_crc != masked_crc(data):
            raise ValueError(f"data checksum mismatch at byte {at}")
        out.append(data)
        at += 16 + n
    return out


def _varint(buf, at):
    v, shift = 0, 0
    while True:
        b = buf[at]
        at += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, at


def fields(buf):
    """(field number, value) of a protobuf message: an int for varints,
    bytes for length-delimited fields, raw little-endian bytes for fixed
    32/64-bit fields."""
    out, at = [], 0
    while at < len(buf):
        key, at = _varint(buf, at)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, at = _varint(buf, at)
        elif wire == 1:
            v, at = buf[at:at + 8], at + 8
        elif wire == 2:
            n, at = _varint(buf, at)
            v, at = buf[at:at + n], at + n
        elif wire == 5:
            v, at = buf[at:at + 4], at + 4
        else:
            raise ValueError(f"wire type {wire}")
        out.append((num, v))
    return out


def read_events(path):
    """The Events of a file as dicts: wall_time, step, file_version (or
    None) and values {tag: simple_value}."""
    with open(path, "rb") as f:
        blob = f.read()
    events = []
    for rec in records(blob):
        ev = {"wall_time": None, "step": 0, "file_version": None, "values": {}}
        for num, v in fields(rec):
            if num == 1:
                ev["wall_time"] = struct.unpack("<d", v)[0]
            elif num == 2:
                ev["step"] = v
            elif num == 3:
                ev["file_version"] = v.decode()
            elif num == 5:
                for snum, value in fields(v):
                    assert snum == 1, "Summary has only repeated Value value = 1"
                    tag, simple = None, None
                    for vnum, x in fields(value):
                        if vnum == 1:
                            tag = x.decode()
                        elif vnum == 2:
                            simple = struct.unpack("<f", x)[0]
                    ev["values"][tag] = simple
        events.append(ev)
    return events


def flatten(obj, prefix=""):
    """The fields of a metrics line as (name, value): nested objects'
    fields as "<object>/<key>", a null value with its "<key>_nonfinite"
    companion as that float (the companion itself dropped)."""
    out = []
    for k, v in obj.items():
        name = f"{prefix}/{k}" if prefix else k
        if k.endswith("_nonfinite") and obj.get(k[:-len("_nonfinite")], 0) is None:
            continue
        if isinstance(v, dict):
            out += flatten(v, name)
        elif v is None and f"{k}_nonfinite" in obj:
            out.append((name, float(obj[f"{k}_nonfinite"])))
        else:
            out.append((name, v))
    return out


def same_number(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def compare_csv(jsonl_path, csv_path, check):
    """Checks metrics.csv against metrics.jsonl with check(ok, what,
    expected, got): the header, a row per step, and every cell."""
    with open(jsonl_path) as f:
        lines = [json.loads(x) for x in f if x.strip()]
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))
    columns = ["step"]
    steps, cells = [], {}
    for line in lines:
        step = str(line.get("step", ""))
        if step not in steps:
            steps.append(step)
        for name, v in flatten(line):
            if name not in columns:
                columns.append(name)
            cells[(step, name)] = v
    check(rows[0] == columns, "metrics.csv: the header, keys in order of first appearance",
          columns, rows[0])
    check([r[0] for r in rows[1:]] == steps, "metrics.csv: a row per step", steps,
          [r[0] for r in rows[1:]])
    bad = []
    for r in rows[1:]:
        for name, text in zip(rows[0], r):
            v = cells.get((r[0], name))
            if v is None:
                ok = text == ""
            elif isinstance(v, str):
                ok = text == v
            else:
                ok = text != "" and same_number(float(text), float(v))
            if not ok:
                bad.append((r[0], name, v, text))
    check(not bad and all(len(r) == len(rows[0]) for r in rows),
          "metrics.csv: every cell as in metrics.jsonl", [], bad[:5])
