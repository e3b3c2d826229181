/*
 * gzip.c - the gz* reading functions of zlib.h: the file is read into
 * memory at gzopen, gzip members are inflated at the first read (the
 * decoder of inflate.c), their CRC-32 and length checked; a file without
 * the gzip magic is served as it is.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inflate.h"
#include "zlib.h"

struct gz_state {
  uint8_t *in; /* the file, owned */
  size_t in_len;
  pz_out out;   /* the inflated data, owned (for plain files the data is in) */
  int inflated; /* out is ready */
  size_t pos;   /* bytes served */
  int err;      /* Z_OK or the error after the data */
  const char *msg;
};

/* Skips the gzip header at the bit reader's (byte-aligned) position. */
static int header(pz_inflater *z) {
  unsigned id = pz_getbits(z, 16), cm = pz_getbits(z, 8), flg = pz_getbits(z, 8);
  pz_getbits(z, 16), pz_getbits(z, 16), pz_getbits(z, 16); /* mtime, xfl, os */
  if (id != 0x8b1f || cm != 8 || (flg & 0xe0)) {
    z->msg = "incorrect header check";
    return -1;
  }
  if (flg & 4) { /* FEXTRA */
    unsigned n = pz_getbits(z, 16);
    while (n-- && !pz_overrun(&z->in))
      pz_getbits(z, 8);
  }
  for (unsigned bit = 8; bit <= 16; bit *= 2) /* FNAME, FCOMMENT */
    if (flg & bit)
      while (pz_getbits(z, 8) != 0 && !pz_overrun(&z->in))
        ;
  if (flg & 2) /* FHCRC */
    pz_getbits(z, 16);
  if (pz_overrun(&z->in))
    z->msg = "unexpected end of file";
  return z->msg ? -1 : 0;
}

/* Inflates every member of the file into s->out. */
static void inflate_all(struct gz_state *s) {
  pz_inflater z;
  pz_begin(&z, s->in, s->in_len, 0, &s->out);
  for (;;) {
    size_t start = s->out.len;
    if (header(&z) || pz_deflate(&z))
      break;
    pz_align(&z);
    uint32_t crc = pz_getbits(&z, 16);
    crc |= (uint32_t)pz_getbits(&z, 16) << 16;
    uint32_t size = pz_getbits(&z, 16);
    size |= (uint32_t)pz_getbits(&z, 16) << 16;
    if (pz_overrun(&z.in)) {
      z.msg = "unexpected end of file";
      break;
    }
    if (crc != pz_crc32(0, s->out.p + start, s->out.len - start) ||
        size != (uint32_t)(s->out.len - start)) {
      z.msg = "incorrect data check";
      break;
    }
    /* another member follows only if the next bytes are its magic */
    size_t at = pz_consumed(&z);
    if (at + 2 > s->in_len || s->in[at] != 0x1f || s->in[at + 1] != 0x8b)
      break;
    pz_begin(&z, s->in, s->in_len, at, &s->out);
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
      s->out.len = s->in_len; /* served from in */
  }
  const uint8_t *data = s->out.p ? s->out.p : s->in;
  size_t n = s->out.len - s->pos < len ? s->out.len - s->pos : len;
  if (n == 0 && len > 0 && s->err != Z_OK)
    return -1;
  memcpy(buf, data + s->pos, n);
  s->pos += n;
  return (int)n;
}

const char *gzerror(gzFile s, int *errnum) {
  int at_end = s->pos == s->out.len;
  *errnum = at_end ? s->err : Z_OK;
  return at_end && s->msg ? s->msg : "";
}

int gzclose(gzFile s) {
  if (!s)
    return Z_OK;
  free(s->in);
  free(s->out.p);
  free(s);
  return Z_OK;
}
