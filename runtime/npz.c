/*
 * npz.c - reading NumPy .npz archives (np.savez, np.savez_compressed): the
 * zip central directory, zip64 or not, is read and checked when the archive
 * is opened; a member's local header, sizes and CRC-32 when it is loaded.
 * Stored members are read as they are, deflated ones inflated with zlib
 * (raw DEFLATE); the member's bytes are a .npy image (npy.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "rt_data_internal.h"
#include "rt_io.h"

/* Signatures and fixed lengths of the zip records (APPNOTE 4.3). */
enum {
  EOCD_SIG = 0x06054b50,
  EOCD_LEN = 22,
  MAX_COMMENT = 65535,
  LOCATOR_SIG = 0x07064b50,
  LOCATOR_LEN = 20,
  EOCD64_SIG = 0x06064b50,
  EOCD64_LEN = 56,
  ENTRY_SIG = 0x02014b50,
  ENTRY_LEN = 46,
  LOCAL_SIG = 0x04034b50,
  LOCAL_LEN = 30,
  ZIP64_EXTRA = 0x0001,
  METHOD_STORED = 0,
  METHOD_DEFLATED = 8,
};

/* DEFLATE expands at most 258 bytes per 2 bits of a literal/length code
 * (about 1032 : 1); a member claiming more is corrupt, and refusing it
 * bounds the memory a small file can make us allocate. */
#define MAX_RATIO 1032

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* buf [n] = the file's bytes [off, off + n); what names them in messages. */
static int read_at(const rt_npz *z, uint64_t off, void *buf, size_t n, const char *what,
                   rt_error *err) {
  if (off > z->file_size || n > z->file_size - off) {
    rt_error_set(err,
                 "%s: byte %" PRIu64 ": truncated: %s (%zu bytes) runs past the end of the file "
                 "(%" PRIu64 " bytes)",
                 z->path, off, what, n, z->file_size);
    return -1;
  }
  if (fseeko(z->f, (off_t)off, SEEK_SET) != 0 || fread(buf, 1, n, z->f) != n) {
    rt_error_set(err, "%s: byte %" PRIu64 ": read error", z->path, off);
    return -1;
  }
  return 0;
}

/* ---- the central directory -------------------------------------------------- */

/* Where the central directory is, from the end records. */
typedef struct directory {
  uint64_t count, size, offset;
  uint64_t end; /* where the end records start: the directory must stop there */
} directory;

/* The end-of-central-directory record: the last signature in the file's
 * tail whose comment reaches exactly the end of the file. */
static int find_end(const rt_npz *z, uint64_t *at, uint8_t rec[EOCD_LEN], rt_error *err) {
  size_t tail =
      z->file_size < EOCD_LEN + MAX_COMMENT ? (size_t)z->file_size : EOCD_LEN + MAX_COMMENT;
  uint8_t *buf = malloc(tail ? tail : 1);
  if (!buf) {
    rt_error_set(err, "%s: out of memory", z->path);
    return -1;
  }
  int rc = read_at(z, z->file_size - tail, buf, tail, "the end of the file", err);
  for (size_t i = tail >= EOCD_LEN ? tail - EOCD_LEN + 1 : 0; rc == 0 && i-- > 0;)
    if (le32(buf + i) == EOCD_SIG && i + EOCD_LEN + le16(buf + i + 20) == tail) {
      *at = z->file_size - tail + i;
      memcpy(rec, buf + i, EOCD_LEN);
      free(buf);
      return 0;
    }
  if (rc == 0)
    rt_error_set(err,
                 "%s: not a zip archive (no end-of-central-directory record; .npz files are "
                 "zip archives)",
                 z->path);
  free(buf);
  return -1;
}

/* The end records: the classic one, and the zip64 locator and record when
 * the locator is there. */
static int read_end(const rt_npz *z, directory *d, rt_error *err) {
  uint8_t rec[EOCD64_LEN];
  uint64_t at;
  if (find_end(z, &at, rec, err))
    return -1;
  uint32_t disk = le16(rec + 4), dir_disk = le16(rec + 6);
  uint64_t here = le16(rec + 8);
  d->count = le16(rec + 10);
  d->size = le32(rec + 12);
  d->offset = le32(rec + 16);
  d->end = at;
  uint8_t loc[LOCATOR_LEN];
  if (at >= LOCATOR_LEN && read_at(z, at - LOCATOR_LEN, loc, LOCATOR_LEN, "locator", err) == 0 &&
      le32(loc) == LOCATOR_SIG) {
    uint64_t rec_at = le64(loc + 8);
    if (le32(loc + 4) != 0 || le32(loc + 16) != 1) {
      rt_error_set(err, "%s: byte %" PRIu64 ": multi-disk zip archives are not supported", z->path,
                   at - LOCATOR_LEN);
      return -1;
    }
    if (rec_at > at - LOCATOR_LEN || at - LOCATOR_LEN - rec_at < EOCD64_LEN) {
      rt_error_set(err,
                   "%s: byte %" PRIu64 ": the zip64 locator points at byte %" PRIu64
                   ", not before itself",
                   z->path, at - LOCATOR_LEN, rec_at);
      return -1;
    }
    if (read_at(z, rec_at, rec, EOCD64_LEN, "the zip64 end record", err))
      return -1;
    if (le32(rec) != EOCD64_SIG) {
      rt_error_set(err, "%s: byte %" PRIu64 ": no zip64 end record where the locator points",
                   z->path, rec_at);
      return -1;
    }
    disk = le32(rec + 16);
    dir_disk = le32(rec + 20);
    here = le64(rec + 24);
    d->count = le64(rec + 32);
    d->size = le64(rec + 40);
    d->offset = le64(rec + 48);
    d->end = rec_at;
  }
  if (disk != 0 || dir_disk != 0 || here != d->count) {
    rt_error_set(err, "%s: byte %" PRIu64 ": multi-disk zip archives are not supported", z->path,
                 d->end);
    return -1;
  }
  if (d->offset > d->end || d->size > d->end - d->offset) {
    rt_error_set(err,
                 "%s: byte %" PRIu64 ": the central directory (%" PRIu64 " bytes at byte %" PRIu64
                 ") does not end before its end record",
                 z->path, d->end, d->size, d->offset);
    return -1;
  }
  if (d->count > d->size / ENTRY_LEN) {
    rt_error_set(err,
                 "%s: byte %" PRIu64 ": %" PRIu64 " members claimed, more than the %" PRIu64
                 "-byte central directory holds",
                 z->path, d->end, d->count, d->size);
    return -1;
  }
  return 0;
}

/* The zip64 extended-information field among the extra fields e [len]:
 * the sizes and offset that the entry gives as 0xffffffff, in this order. */
static int zip64_extra(const rt_npz *z, uint64_t at, const uint8_t *e, size_t len, rt_npz_member *m,
                       rt_error *err) {
  uint64_t *fields[3] = {&m->size, &m->comp_size, &m->local_offset};
  for (size_t k = 0; k + 4 <= len;) {
    size_t id = le16(e + k), n = le16(e + k + 2);
    if (n > len - k - 4)
      break;
    if (id == ZIP64_EXTRA) {
      size_t used = 0;
      for (int f = 0; f < 3; f++) {
        if (*fields[f] != 0xffffffffu)
          continue;
        if (used + 8 > n) {
          rt_error_set(err, "%s: byte %" PRIu64 ": zip64 extra field too short", z->path, at + k);
          return -1;
        }
        *fields[f] = le64(e + k + 4 + used);
        used += 8;
      }
    }
    k += 4 + n;
  }
  return 0;
}

/* Entry i of the directory, at byte `at` of the file: p [left] are the
 * directory's bytes from there; *len receives the entry's length. */
static int read_entry(const rt_npz *z, uint64_t at, const uint8_t *p, size_t left, rt_npz_member *m,
                      size_t *len, rt_error *err) {
  if (left < ENTRY_LEN || le32(p) != ENTRY_SIG) {
    rt_error_set(err, "%s: byte %" PRIu64 ": expected a central directory entry", z->path, at);
    return -1;
  }
  size_t nlen = le16(p + 28), elen = le16(p + 30), clen = le16(p + 32);
  *len = ENTRY_LEN + nlen + elen + clen;
  if (*len > left) {
    rt_error_set(err, "%s: byte %" PRIu64 ": a central directory entry runs past the directory",
                 z->path, at);
    return -1;
  }
  if (!(m->name = malloc(nlen + 1))) {
    rt_error_set(err, "%s: out of memory", z->path);
    return -1;
  }
  memcpy(m->name, p + ENTRY_LEN, nlen);
  m->name[nlen] = 0;
  uint16_t flags = le16(p + 8);
  m->method = le16(p + 10);
  m->crc = le32(p + 16);
  m->comp_size = le32(p + 20);
  m->size = le32(p + 24);
  m->local_offset = le32(p + 42);
  char name[200];
  rt_printable(name, sizeof name, m->name, nlen);
  if (flags & 0x41) { /* bit 0: encrypted, bit 6: strong encryption */
    rt_error_set(err, "%s: byte %" PRIu64 ": member \"%s\" is encrypted", z->path, at, name);
    return -1;
  }
  if (m->method != METHOD_STORED && m->method != METHOD_DEFLATED) {
    rt_error_set(err,
                 "%s: byte %" PRIu64 ": member \"%s\": compression method %d (supported: 0 "
                 "stored, 8 deflated)",
                 z->path, at, name, m->method);
    return -1;
  }
  return zip64_extra(z, at + ENTRY_LEN + nlen, p + ENTRY_LEN + nlen, elen, m, err);
}

static int by_name(const void *a, const void *b) {
  return strcmp((*(const rt_npz_member *const *)a)->name, (*(const rt_npz_member *const *)b)->name);
}

/* Two members of the same name would make the choice between them
 * arbitrary. */
static int check_unique(const rt_npz *z, rt_error *err) {
  const rt_npz_member **sorted = malloc((z->count ? z->count : 1) * sizeof *sorted);
  if (!sorted) {
    rt_error_set(err, "%s: out of memory", z->path);
    return -1;
  }
  for (size_t i = 0; i < z->count; i++)
    sorted[i] = &z->members[i];
  qsort(sorted, z->count, sizeof *sorted, by_name);
  int rc = 0;
  for (size_t i = 1; i < z->count && rc == 0; i++)
    if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
      char name[200];
      rt_printable(name, sizeof name, sorted[i]->name, strlen(sorted[i]->name));
      rt_error_set(err, "%s: two members are named \"%s\"", z->path, name);
      rc = -1;
    }
  free(sorted);
  return rc;
}

static int read_directory(rt_npz *z, rt_error *err) {
  directory d;
  if (read_end(z, &d, err))
    return -1;
  uint8_t *buf = malloc(d.size ? d.size : 1);
  z->members = calloc(d.count ? d.count : 1, sizeof *z->members);
  if (!buf || !z->members) {
    free(buf);
    rt_error_set(err, "%s: out of memory", z->path);
    return -1;
  }
  int rc = read_at(z, d.offset, buf, d.size, "the central directory", err);
  size_t pos = 0;
  for (; rc == 0 && z->count < d.count; z->count++) {
    size_t len;
    rc = read_entry(z, d.offset + pos, buf + pos, d.size - pos, &z->members[z->count], &len, err);
    pos += len;
  }
  free(buf);
  return rc ? rc : check_unique(z, err);
}

int rt_npz_open(rt_npz *z, const char *path, rt_error *err) {
  *z = (rt_npz){0};
  struct stat st;
  if (!(z->path = strdup(path)))
    rt_error_set(err, "%s: out of memory", path);
  else if (!(z->f = fopen(path, "rb")))
    rt_error_set(err, "%s: cannot open: %s", path, strerror(errno));
  else if (fstat(fileno(z->f), &st) != 0 || !S_ISREG(st.st_mode))
    rt_error_set(err, "%s: not a regular file", path);
  else {
    z->file_size = (uint64_t)st.st_size;
    if (read_directory(z, err) == 0)
      return 0;
  }
  rt_npz_close(z);
  return -1;
}

void rt_npz_close(rt_npz *z) {
  for (size_t i = 0; i < z->count; i++)
    free(z->members[i].name);
  free(z->members);
  if (z->f)
    fclose(z->f);
  free(z->path);
  *z = (rt_npz){0};
}

const rt_npz_member *rt_npz_find(const rt_npz *z, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < z->count; i++)
    if (strcmp(z->members[i].name, name) == 0)
      return &z->members[i];
  for (size_t i = 0; i < z->count; i++)
    if (strncmp(z->members[i].name, name, n) == 0 && strcmp(z->members[i].name + n, ".npy") == 0)
      return &z->members[i];
  return NULL;
}

/* ---- a member ------------------------------------------------------------------ */

/* "no member named "y" (the archive has: x.npy, z.npy)" */
static int missing(const rt_npz *z, const char *name, rt_error *err) {
  char list[400] = "", text[200];
  size_t off = 0;
  for (size_t i = 0; i < z->count && off < sizeof list - 1; i++) {
    rt_printable(text, sizeof text, z->members[i].name, strlen(z->members[i].name));
    off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", i ? ", " : "", text);
  }
  rt_printable(text, sizeof text, name, strlen(name));
  rt_error_set(err, "%s: no member named \"%s\" (the archive has: %s)", z->path, text,
               z->count ? list : "no members");
  return -1;
}

/* "<path>: byte <at>: member "<name>": <what>": a fault of the archive at
 * byte `at` of the file. */
static int member_fail(const rt_npz *z, const rt_npz_member *m, uint64_t at, const char *what,
                       rt_error *err) {
  char name[200];
  rt_printable(name, sizeof name, m->name, strlen(m->name));
  rt_error_set(err, "%s: byte %" PRIu64 ": member \"%s\": %s", z->path, at, name, what);
  return -1;
}

/* The local header of m: where m's data starts. */
static int local_header(const rt_npz *z, const rt_npz_member *m, uint64_t *data_at, rt_error *err) {
  uint8_t h[LOCAL_LEN];
  if (read_at(z, m->local_offset, h, LOCAL_LEN, "a local header", err))
    return -1;
  size_t nlen = le16(h + 26), elen = le16(h + 28);
  char *name = malloc(nlen + 1);
  if (!name) {
    rt_error_set(err, "%s: out of memory", z->path);
    return -1;
  }
  int same = le32(h) == LOCAL_SIG && nlen == strlen(m->name) &&
             read_at(z, m->local_offset + LOCAL_LEN, name, nlen, "a local header", err) == 0 &&
             memcmp(name, m->name, nlen) == 0;
  free(name);
  if (!same)
    return member_fail(z, m, m->local_offset,
                       "the local header does not match the central directory", err);
  *data_at = m->local_offset + LOCAL_LEN + nlen + elen;
  return 0;
}

/* Inflates m's compressed bytes (at data_at, inside the file) into out
 * [m->size]: the stream must end exactly with the compressed bytes and
 * produce exactly m->size bytes. */
static int inflate_member(const rt_npz *z, const rt_npz_member *m, uint64_t data_at, uint8_t *out,
                          rt_error *err) {
  if (fseeko(z->f, (off_t)data_at, SEEK_SET) != 0)
    return member_fail(z, m, data_at, "read error", err);
  z_stream s = {0};
  if (inflateInit2(&s, -MAX_WBITS) != Z_OK)
    return member_fail(z, m, data_at, "out of memory", err);
  uint8_t in[1 << 16], spare;
  uint64_t left = m->comp_size, done = 0;
  const char *what = NULL;
  for (int zr = Z_OK; zr != Z_STREAM_END && !what;) {
    if (s.avail_in == 0 && left > 0) {
      size_t n = left < sizeof in ? (size_t)left : sizeof in;
      if (fread(in, 1, n, z->f) != n) {
        what = "read error";
        break;
      }
      s.next_in = in;
      s.avail_in = (uInt)n;
      left -= n;
    }
    /* Past the claimed size, a spare byte catches a longer stream. Output
     * room never runs out, so Z_BUF_ERROR means the input has. */
    uint64_t room = m->size - done;
    s.next_out = room ? out + done : &spare;
    s.avail_out = room ? (uInt)(room < UINT_MAX ? room : UINT_MAX) : 1;
    uInt before = s.avail_out;
    zr = inflate(&s, Z_NO_FLUSH);
    if (!room && s.avail_out != before)
      what = "it inflates to more bytes than the directory says";
    else if (zr == Z_BUF_ERROR)
      what = "truncated: the deflate stream ends early";
    else if (zr == Z_MEM_ERROR)
      what = "out of memory";
    else if (zr != Z_OK && zr != Z_STREAM_END)
      what = s.msg ? s.msg : "corrupt deflate data";
    done += before - s.avail_out;
  }
  uint64_t at = data_at + m->comp_size - left - s.avail_in;
  if (!what && done != m->size)
    what = "it inflates to fewer bytes than the directory says";
  if (!what && (left || s.avail_in))
    what = "the deflate stream ends before its compressed bytes do";
  char text[200];
  snprintf(text, sizeof text, "%s", what ? what : "");
  inflateEnd(&s); /* s.msg points into the stream */
  return what ? member_fail(z, m, at, text, err) : 0;
}

/* zlib's crc32 over all of p [n], in pieces its unsigned lengths hold. */
static uint32_t crc_of(const uint8_t *p, size_t n) {
  uLong crc = crc32(0, Z_NULL, 0);
  for (size_t k; n > 0; p += k, n -= k) {
    k = n < UINT_MAX ? n : UINT_MAX;
    crc = crc32(crc, p, (uInt)k);
  }
  return (uint32_t)crc;
}

int rt_npz_load(const rt_npz *z, const char *name, rt_array *out, rt_error *err) {
  *out = (rt_array){0};
  const rt_npz_member *m = rt_npz_find(z, name);
  if (!m)
    return missing(z, name, err);
  uint64_t data_at;
  char what[200];
  if (local_header(z, m, &data_at, err))
    return -1;
  if (m->comp_size > z->file_size || data_at > z->file_size - m->comp_size) {
    snprintf(what, sizeof what,
             "truncated: its %" PRIu64 " bytes of data run past the end of the file (%" PRIu64
             " bytes)",
             m->comp_size, z->file_size);
    return member_fail(z, m, data_at, what, err);
  }
  /* the allocation below is thus at most MAX_RATIO times the file size */
  int stored = m->method == METHOD_STORED;
  if ((stored && m->size != m->comp_size) || (!stored && m->size / MAX_RATIO > m->comp_size) ||
      m->size >= SIZE_MAX) {
    snprintf(what, sizeof what, "%" PRIu64 " bytes cannot come from %" PRIu64 " %s bytes", m->size,
             m->comp_size, stored ? "stored" : "deflated");
    return member_fail(z, m, m->local_offset, what, err);
  }
  uint8_t *buf = malloc(m->size ? (size_t)m->size : 1);
  if (!buf)
    return member_fail(z, m, m->local_offset, "out of memory", err);
  int rc = stored ? read_at(z, data_at, buf, (size_t)m->size, "the member's data", err)
                  : inflate_member(z, m, data_at, buf, err);
  if (rc == 0 && crc_of(buf, (size_t)m->size) != m->crc)
    rc = member_fail(z, m, data_at, "CRC-32 mismatch: the data is corrupt", err);
  if (rc) {
    free(buf);
    return -1;
  }
  /* the member's own messages: "<path>: member x.npy: byte N" inside it */
  char origin[600], text[200];
  rt_printable(text, sizeof text, m->name, strlen(m->name));
  snprintf(origin, sizeof origin, "%s: member %s", z->path, text);
  return rt_npy_parse(out, buf, (size_t)m->size, origin, err);
}
