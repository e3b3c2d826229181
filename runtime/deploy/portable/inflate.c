/*
 * inflate.c - the DEFLATE decoder of inflate.h: stored, fixed and dynamic
 * Huffman blocks, codes decoded through a lookup table of their first
 * FAST_BITS bits; and the CRC-32.
 */
#include "inflate.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_BITS = 15, FAST_BITS = 10, MAX_LIT = 288, MAX_DIST = 30 };

/* ---- bit input ------------------------------------------------------------ */

static void refill(pz_bits *b) {
  while (b->cnt <= 56) {
    if (b->pos < b->len)
      b->buf |= (uint64_t)b->p[b->pos++] << b->cnt;
    else if (b->cnt < 16) /* the most getbits takes */
      b->pad += 8;        /* zeros stand in; a decoder using them reports truncation */
    else
      return;
    b->cnt += 8;
  }
}

static unsigned getbits(pz_bits *b, int n) {
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
static int decode(pz_bits *b, const huff *h) {
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

static int fail(pz_inflater *z, const char *msg) {
  if (!z->msg)
    z->msg = msg;
  return -1;
}

static int put(pz_inflater *z, const uint8_t *src, size_t n) {
  pz_out *o = z->out;
  if (o->len + n > o->cap) {
    size_t cap = o->cap ? o->cap : 1u << 16;
    while (cap < o->len + n)
      cap *= 2;
    uint8_t *p = realloc(o->p, cap);
    if (!p)
      return fail(z, "out of memory");
    o->p = p;
    o->cap = cap;
  }
  memcpy(o->p + o->len, src, n);
  o->len += n;
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
static int codes(pz_inflater *z, const huff *lit, const huff *dist) {
  for (;;) {
    int sym = decode(&z->in, lit);
    if (pz_overrun(&z->in))
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
    if (pz_overrun(&z->in))
      return fail(z, "unexpected end of file");
    if (d > z->out->len)
      return fail(z, "invalid distance too far back");
    for (size_t i = 0; i < len; i++) { /* may overlap its own output */
      uint8_t c = z->out->p[z->out->len - d];
      if (put(z, &c, 1))
        return -1;
    }
  }
}

static int stored(pz_inflater *z) {
  pz_bits *b = &z->in;
  getbits(b, b->cnt % 8); /* to a byte boundary */
  unsigned len = getbits(b, 16), nlen = getbits(b, 16);
  if (pz_overrun(b))
    return fail(z, "unexpected end of file");
  if ((len ^ 0xffffu) != nlen)
    return fail(z, "invalid stored block lengths");
  for (unsigned i = 0; i < len; i++) {
    uint8_t c = (uint8_t)getbits(b, 8);
    if (pz_overrun(b))
      return fail(z, "unexpected end of file");
    if (put(z, &c, 1))
      return -1;
  }
  return 0;
}

static int fixed(pz_inflater *z) {
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

static int dynamic(pz_inflater *z) {
  static const uint8_t order[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                    11, 4,  12, 3, 13, 2, 14, 1, 15};
  pz_bits *b = &z->in;
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
    if (pz_overrun(b))
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

int pz_deflate(pz_inflater *z) {
  int last;
  do {
    last = (int)getbits(&z->in, 1);
    int type = (int)getbits(&z->in, 2);
    if (pz_overrun(&z->in))
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

uint32_t pz_crc32(uint32_t crc, const uint8_t *p, size_t n) {
  uint32_t table[256];
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  uint32_t c = crc ^ 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++)
    c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void pz_begin(pz_inflater *z, const uint8_t *p, size_t len, size_t pos, pz_out *out) {
  *z = (pz_inflater){.in = {p, len, pos, 0, 0, 0}, .out = out};
}

unsigned pz_getbits(pz_inflater *z, int n) { return getbits(&z->in, n); }

void pz_align(pz_inflater *z) { getbits(&z->in, z->in.cnt % 8); }

size_t pz_consumed(const pz_inflater *z) {
  int real = z->in.cnt > z->in.pad ? z->in.cnt - z->in.pad : 0; /* bits of input not used */
  return z->in.pos - (size_t)real / 8;
}
