/*
 * inflate.h - the DEFLATE decoder (RFC 1951) and CRC-32 the portable zlib
 * functions are built on (gzip.c: gz* reading; zstream.c: z_stream raw
 * inflation): a decoder over input held whole in memory, which appends
 * the decoded bytes to a growing buffer.
 */
#ifndef DUET_PORTABLE_INFLATE_H
#define DUET_PORTABLE_INFLATE_H

#include <stddef.h>
#include <stdint.h>

/* A growing output buffer; p is malloc-owned by whoever holds the struct. */
typedef struct pz_out {
  uint8_t *p;
  size_t len, cap;
} pz_out;

/* Bit input over p [len], least significant bit first. */
typedef struct pz_bits {
  const uint8_t *p;
  size_t len, pos; /* bytes loaded into buf */
  uint64_t buf;    /* the next cnt bits */
  int cnt;
  int pad; /* of them, zero bits standing in past the end of the input */
} pz_bits;

typedef struct pz_inflater {
  pz_bits in;
  pz_out *out;     /* not owned */
  const char *msg; /* the first error (zlib's words), or NULL */
} pz_inflater;

/* Whether bits past the end of the input were used. */
static inline int pz_overrun(const pz_bits *b) { return b->cnt < b->pad; }

/* A decoder reading p [len] from byte `pos` and appending to out. */
void pz_begin(pz_inflater *z, const uint8_t *p, size_t len, size_t pos, pz_out *out);
/* The next n (<= 16) bits of input. */
unsigned pz_getbits(pz_inflater *z, int n);
/* Skips to the next byte boundary. */
void pz_align(pz_inflater *z);
/* Bytes of input consumed so far (a partly read byte counts). */
size_t pz_consumed(const pz_inflater *z);
/* Decodes one DEFLATE stream (blocks up to the last one): 0, or -1 with
 * z->msg ("unexpected end of file" when the input ends inside it). */
int pz_deflate(pz_inflater *z);
/* The CRC-32 of zlib and gzip, continued from crc (0 to start). */
uint32_t pz_crc32(uint32_t crc, const uint8_t *p, size_t n);

#endif
