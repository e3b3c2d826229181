/*
 * zstream.c - raw DEFLATE inflation through zlib's z_stream interface
 * (zlib.h) on the decoder of inflate.c, which decodes input held whole:
 * inflate collects the input it is given and decodes the stream once a
 * call brings none, then hands the output out as room is given.
 */
#include <stdlib.h>
#include <string.h>

#include "inflate.h"
#include "zlib.h"

struct pz_stream {
  pz_out in;       /* the input given so far, owned */
  pz_out out;      /* the decoded stream, owned */
  size_t served;   /* bytes of out delivered */
  int decoded;     /* the stream has been decoded */
  int err;         /* Z_DATA_ERROR or Z_MEM_ERROR after a failed decoding */
  const char *msg; /* its message */
};

int inflateInit2(z_stream *strm, int window_bits) {
  if (window_bits < -MAX_WBITS || window_bits > -8)
    return Z_DATA_ERROR; /* only raw streams */
  strm->state = calloc(1, sizeof *strm->state);
  strm->msg = NULL;
  strm->total_in = strm->total_out = 0;
  return strm->state ? Z_OK : Z_MEM_ERROR;
}

/* Appends the caller's input to the copy. */
static int take_input(z_stream *strm) {
  struct pz_stream *s = strm->state;
  size_t n = strm->avail_in;
  if (n == 0)
    return 0;
  if (s->in.len + n > s->in.cap) {
    size_t cap = s->in.cap ? s->in.cap : 1u << 16;
    while (cap < s->in.len + n)
      cap *= 2;
    uint8_t *p = realloc(s->in.p, cap);
    if (!p)
      return -1;
    s->in.p = p;
    s->in.cap = cap;
  }
  memcpy(s->in.p + s->in.len, strm->next_in, n);
  s->in.len += n;
  strm->next_in += n;
  strm->avail_in = 0;
  strm->total_in += n;
  return 0;
}

/* Decodes the whole copy: Z_OK, Z_BUF_ERROR (it ends inside the stream)
 * or the error; the input left over is handed back through next_in. */
static int decode(z_stream *strm) {
  struct pz_stream *s = strm->state;
  pz_inflater z;
  s->out.len = 0;
  pz_begin(&z, s->in.p, s->in.len, 0, &s->out);
  int rc = pz_deflate(&z);
  if (rc && pz_overrun(&z.in))
    return Z_BUF_ERROR;
  size_t used = pz_consumed(&z);
  used = used < s->in.len ? used : s->in.len;
  strm->next_in = s->in.p + used;
  strm->avail_in = (uInt)(s->in.len - used);
  if (rc) {
    s->err = strcmp(z.msg, "out of memory") ? Z_DATA_ERROR : Z_MEM_ERROR;
    strm->msg = s->msg = z.msg;
    return s->err;
  }
  s->decoded = 1;
  return Z_OK;
}

int inflate(z_stream *strm, int flush) {
  (void)flush;
  struct pz_stream *s = strm->state;
  if (!s)
    return Z_DATA_ERROR;
  if (s->err) {
    strm->msg = s->msg;
    return s->err;
  }
  if (!s->decoded) {
    int brought = strm->avail_in > 0;
    if (take_input(strm) < 0) {
      strm->msg = "out of memory";
      return Z_MEM_ERROR;
    }
    if (brought)
      return Z_OK;
    int rc = decode(strm);
    if (rc != Z_OK)
      return rc;
  }
  size_t left = s->out.len - s->served;
  size_t n = left < strm->avail_out ? left : strm->avail_out;
  if (n == 0 && left > 0)
    return Z_BUF_ERROR; /* no room */
  memcpy(strm->next_out, s->out.p + s->served, n);
  s->served += n;
  strm->next_out += n;
  strm->avail_out -= (uInt)n;
  strm->total_out += n;
  return s->served == s->out.len ? Z_STREAM_END : Z_OK;
}

int inflateEnd(z_stream *strm) {
  struct pz_stream *s = strm->state;
  if (s) {
    free(s->in.p);
    free(s->out.p);
    free(s);
  }
  strm->state = NULL;
  return Z_OK;
}

uLong crc32(uLong crc, const Bytef *buf, uInt len) {
  return buf ? pz_crc32((uint32_t)crc, buf, len) : 0;
}
