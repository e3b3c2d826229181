/*
 * gzip.c - the gz* reading functions of zlib.h: the file is read into
 * memory at gzopen, gzip members are inflated at the first read (DEFLATE:
 * stored, fixed and dynamic Huffman blocks, decoded through a lookup table
 * of the first FAST_BITS bits of a code), their CRC-32 and length checked;
 * a file without the gzip magic is served as it is.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zlib.h"

enum { MAX_BITS = 15, FAST_BITS = 10, MAX_LIT = 288, MAX_DIST = 30 };

struct gz_state {
  uint8_t *in; /* the file, owned */
  size_t in_len;
  uint8_t *out; /* the inflated data (or in, for plain files), owned */
  size_t out_len, out_cap;
  int inflated; /* out is ready */
  size_t pos;   /* bytes served */
  int err;      /* Z_OK or the error after the data */
  const char *msg;
};

/* ---- bit input ------------------------------------------------------------ */

typedef struct bits {
  const uint8_t *p;
  size_t len, pos;
  uint64_t buf; /* the next bitcnt bits, least significant first */
  int cnt;
  int overrun; /* bits were needed past the end of the input */
} bits;

static void refill(bits *b) {
  while (b->cnt <= 56) {
    if (b->pos < b->len)
      b->buf |= (uint64_t)b->p[b->pos++] << b->cnt;
    else if (b->cnt < MAX_BITS)
      b->overrun = 1; /* zeros stand in; the caller reports truncation */
    else
      return;
    b->cnt += 8;
  }
}

static unsigned getbits(bits *b, int n) {
  if (b->cnt < n)
    refill(b);
  unsigned v = (unsigned)(b->buf & ((1u << n) - 1));
  b->buf >>= n;
  b->cnt -= n;
  return v;
}

/* ---- Huffman codes -------------------------------------------------------- */

typedef struct huff {
  uint16_t count[MAX_BITS + 1];  /* codes of each length */
  uint16_t symbol[MAX_LIT];      /* symbols in canonical code order */
  uint16_t fast[1 << FAST_BITS]; /* length << 9 | symbol; 0: longer code */
} huff;

/* Builds the canonical code of the lengths; -1 if it is over-subscribed. */
static int build(huff *h, const uint8_t *len, int n) {
  uint16_t offs[MAX_BITS + 2];
  memset(h->count, 0, sizeof h->count);
  memset(h->fast, 0, sizeof h->fast);
  for (int s = 0; s < n; s++)
    h->count[len[s]]++;
  h->count[0] = 0;
  int left = 1;
  for (int l = 1; l <= MAX_BITS; l++) {
    left = 2 * left - h->count[l];
    if (left < 0)
      return -1;
  }
  offs[1] = 0;
  for (int l = 1; l <= MAX_BITS; l++)
    offs[l + 1] = (uint16_t)(offs[l] + h->count[l]);
  uint16_t next[MAX_BITS + 1]; /* the next code of each length */
  unsigned code = 0;
  for (int l = 1; l <= MAX_BITS; l++) {
    next[l] = (uint16_t)code;
    code = (code + h->count[l]) << 1;
  }
  for (int s = 0; s < n; s++) {
    int l = len[s];
    if (!l)
      continue;
    h->symbol[offs[l]++] = (uint16_t)s;
    unsigned c = next[l]++, rev = 0;
    for (int i = 0; i < l; i++)
      rev |= ((c >> i) & 1u) << (l - 1 - i);
    if (l <= FAST_BITS)
      for (unsigned f = rev; f < (1u << FAST_BITS); f += 1u << l)
        h->fast[f] = (uint16_t)(l << 9 | s);
  }
  return 0;
}

/* The next symbol, or -1 for a bit pattern that is no code. */
static int decode(bits *b, const huff *h) {
  if (b->cnt < MAX_BITS)
    refill(b);
  unsigned e = h->fast[b->buf & ((1u << FAST_BITS) - 1)];
  if (e) {
    b->buf >>= e >> 9;
    b->cnt -= (int)(e >> 9);
    return (int)(e & 511);
  }
  int code = 0, first = 0, index = 0;
  for (int l = 1; l <= MAX_BITS; l++) {
    code |= (int)getbits(b, 1);
    int count = h->count[l];
    if (code - count < first)
      return h->symbol[index + (code - first)];
    index += count;
    first = (first + count) << 1;
    code <<= 1;
  }
  return -1;
}

/* ---- inflate -------------------------------------------------------------- */

typedef struct inflater {
  bits in;
  struct gz_state *s; /* output */
  const char *msg;    /* first error */
} inflater;

static int fail(inflater *z, const char *msg) {
  if (!z->msg)
    z->msg = msg;
  return -1;
}

static int put(inflater *z, const uint8_t *src, size_t n) {
  struct gz_state *s = z->s;
  if (s->out_len + n > s->out_cap) {
    size_t cap = s->out_cap ? s->out_cap : 1u << 16;
    while (cap < s->out_len + n)
      cap *= 2;
    uint8_t *p = realloc(s->out, cap);
    if (!p)
      return fail(z, "out of memory");
    s->out = p;
    s->out_cap = cap;
  }
  memcpy(s->out + s->out_len, src, n);
  s->out_len += n;
  return 0;
}

static const uint16_t len_base[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                      15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                      67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t dist_base[30] = {
    1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
    193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                       6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

/* Literals and back-references of one Huffman block. */
static int codes(inflater *z, const huff *lit, const huff *dist) {
  for (;;) {
    int sym = decode(&z->in, lit);
    if (z->in.overrun)
      return fail(z, "unexpected end of file");
    if (sym < 0)
      return fail(z, "invalid literal/length code");
    if (sym < 256) {
      uint8_t c = (uint8_t)sym;
      if (put(z, &c, 1))
        return -1;
      continue;
    }
    if (sym == 256)
      return 0;
    sym -= 257;
    if (sym >= 29)
      return fail(z, "invalid literal/length code");
    size_t len = len_base[sym] + getbits(&z->in, len_extra[sym]);
    int ds = decode(&z->in, dist);
    if (ds < 0 || ds >= MAX_DIST)
      return fail(z, "invalid distance code");
    size_t d = dist_base[ds] + getbits(&z->in, dist_extra[ds]);
    if (z->in.overrun)
      return fail(z, "unexpected end of file");
    if (d > z->s->out_len)
      return fail(z, "invalid distance too far back");
    for (size_t i = 0; i < len; i++) { /* may overlap its own output */
      uint8_t c = z->s->out[z->s->out_len - d];
      if (put(z, &c, 1))
        return -1;
    }
  }
}

static int stored(inflater *z) {
  bits *b = &z->in;
  getbits(b, b->cnt % 8); /* to a byte boundary */
  unsigned len = getbits(b, 16), nlen = getbits(b, 16);
  if (b->overrun)
    return fail(z, "unexpected end of file");
  if ((len ^ 0xffffu) != nlen)
    return fail(z, "invalid stored block lengths");
  for (unsigned i = 0; i < len; i++) {
    uint8_t c = (uint8_t)getbits(b, 8);
    if (b->overrun)
      return fail(z, "unexpected end of file");
    if (put(z, &c, 1))
      return -1;
  }
  return 0;
}

static int fixed(inflater *z) {
  uint8_t len[MAX_LIT];
  huff lit, dist;
  for (int s = 0; s < MAX_LIT; s++)
    len[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
  build(&lit, len, MAX_LIT);
  for (int s = 0; s < MAX_DIST; s++)
    len[s] = 5;
  build(&dist, len, MAX_DIST);
  return codes(z, &lit, &dist);
}

static int dynamic(inflater *z) {
  static const uint8_t order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                    11, 4,  12, 3, 13, 2, 14, 1, 15};
  bits *b = &z->in;
  int nlen = (int)getbits(b, 5) + 257, ndist = (int)getbits(b, 5) + 1;
  int ncode = (int)getbits(b, 4) + 4;
  if (nlen > 286 || ndist > MAX_DIST)
    return fail(z, "too many length or distance symbols");
  uint8_t len[MAX_LIT + MAX_DIST] = {0};
  for (int i = 0; i < ncode; i++)
    len[order[i]] = (uint8_t)getbits(b, 3);
  huff lencode, lit, dist;
  if (build(&lencode, len, 19))
    return fail(z, "invalid code lengths set");
  memset(len, 0, sizeof len);
  for (int i = 0; i < nlen + ndist;) {
    int sym = decode(b, &lencode);
    if (b->overrun)
      return fail(z, "unexpected end of file");
    if (sym < 0)
      return fail(z, "invalid code lengths set");
    if (sym < 16) {
      len[i++] = (uint8_t)sym;
      continue;
    }
    int rep, value = 0;
    if (sym == 16) {
      if (i == 0)
        return fail(z, "invalid bit length repeat");
      value = len[i - 1];
      rep = 3 + (int)getbits(b, 2);
    } else {
      rep = sym == 17 ? 3 + (int)getbits(b, 3) : 11 + (int)getbits(b, 7);
    }
    if (i + rep > nlen + ndist)
      return fail(z, "invalid bit length repeat");
    while (rep--)
      len[i++] = (uint8_t)value;
  }
  if (len[256] == 0)
    return fail(z, "invalid code -- missing end-of-block");
  if (build(&lit, len, nlen) || build(&dist, len + nlen, ndist))
    return fail(z, "invalid literal/lengths or distances set");
  return codes(z, &lit, &dist);
}

static int deflate_stream(inflater *z) {
  int last;
  do {
    last = (int)getbits(&z->in, 1);
    int type = (int)getbits(&z->in, 2);
    if (z->in.overrun)
      return fail(z, "unexpected end of file");
    int rc = type == 0   ? stored(z)
             : type == 1 ? fixed(z)
             : type == 2 ? dynamic(z)
                         : fail(z, "invalid block type");
    if (rc)
      return rc;
  } while (!last);
  return 0;
}

static uint32_t crc32_of(const uint8_t *p, size_t n) {
  uint32_t table[256];
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++)
    c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

/* Skips the gzip header at the bit reader's (byte-aligned) position. */
static int header(inflater *z) {
  bits *b = &z->in;
  unsigned id = getbits(b, 16), cm = getbits(b, 8), flg = getbits(b, 8);
  getbits(b, 16), getbits(b, 16), getbits(b, 16); /* mtime, xfl, os */
  if (id != 0x8b1f || cm != 8 || (flg & 0xe0))
    return fail(z, "incorrect header check");
  if (flg & 4) { /* FEXTRA */
    unsigned n = getbits(b, 16);
    while (n-- && !b->overrun)
      getbits(b, 8);
  }
  for (unsigned bit = 8; bit <= 16; bit *= 2) /* FNAME, FCOMMENT */
    if (flg & bit)
      while (getbits(b, 8) != 0 && !b->overrun)
        ;
  if (flg & 2) /* FHCRC */
    getbits(b, 16);
  return b->overrun ? fail(z, "unexpected end of file") : 0;
}

/* Inflates every member of the file into s->out. */
static void inflate_all(struct gz_state *s) {
  inflater z = {{s->in, s->in_len, 0, 0, 0, 0}, s, NULL};
  for (;;) {
    size_t start = s->out_len;
    if (header(&z) || deflate_stream(&z))
      break;
    getbits(&z.in, z.in.cnt % 8);
    uint32_t crc = getbits(&z.in, 16);
    crc |= (uint32_t)getbits(&z.in, 16) << 16;
    uint32_t size = getbits(&z.in, 16);
    size |= (uint32_t)getbits(&z.in, 16) << 16;
    if (z.in.overrun) {
      fail(&z, "unexpected end of file");
      break;
    }
    if (crc != crc32_of(s->out + start, s->out_len - start) ||
        size != (uint32_t)(s->out_len - start)) {
      fail(&z, "incorrect data check");
      break;
    }
    /* another member follows only if the next bytes are its magic */
    size_t at = z.in.pos - (size_t)z.in.cnt / 8;
    if (at + 2 > s->in_len || s->in[at] != 0x1f || s->in[at + 1] != 0x8b)
      break;
    z.in = (bits){s->in, s->in_len, at, 0, 0, 0};
  }
  s->msg = z.msg;
  s->err = !z.msg                                     ? Z_OK
           : !strcmp(z.msg, "unexpected end of file") ? Z_BUF_ERROR
           : !strcmp(z.msg, "out of memory")          ? Z_MEM_ERROR
                                                      : Z_DATA_ERROR;
}

gzFile gzopen(const char *path, const char *mode) {
  if (!mode || mode[0] != 'r') {
    errno = EINVAL;
    return NULL;
  }
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  struct gz_state *s = calloc(1, sizeof *s);
  size_t cap = 1u << 16;
  if (s)
    s->in = malloc(cap);
  int ok = s && s->in;
  while (ok) {
    if (s->in_len == cap) {
      uint8_t *p = realloc(s->in, cap *= 2);
      if (!(ok = p != NULL))
        break;
      s->in = p;
    }
    size_t got = fread(s->in + s->in_len, 1, cap - s->in_len, f);
    s->in_len += got;
    if (got == 0)
      break;
  }
  ok = ok && !ferror(f);
  int saved = ok ? 0 : errno ? errno : ENOMEM;
  fclose(f);
  if (!ok) {
    gzclose(s);
    errno = saved;
    return NULL;
  }
  return s;
}

int gzbuffer(gzFile file, unsigned size) {
  (void)file, (void)size;
  return 0;
}

int gzread(gzFile s, void *buf, unsigned len) {
  if (!s->inflated) {
    s->inflated = 1;
    if (s->in_len >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b)
      inflate_all(s);
    else
      s->out_len = s->in_len; /* served from in */
  }
  const uint8_t *data = s->out ? s->out : s->in;
  size_t n = s->out_len - s->pos < len ? s->out_len - s->pos : len;
  if (n == 0 && len > 0 && s->err != Z_OK)
    return -1;
  memcpy(buf, data + s->pos, n);
  s->pos += n;
  return (int)n;
}

const char *gzerror(gzFile s, int *errnum) {
  int at_end = s->pos == s->out_len;
  *errnum = at_end ? s->err : Z_OK;
  return at_end && s->msg ? s->msg : "";
}

int gzclose(gzFile s) {
  if (!s)
    return Z_OK;
  free(s->in);
  free(s->out);
  free(s);
  return Z_OK;
}
