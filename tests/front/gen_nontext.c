/* gen_nontext.c: writes the non-text and oversized inputs of the front-end
 * robustness tests into a directory: random bytes, NUL bytes, a 1 MB line,
 * 10,000 nested parentheses, an empty file, and other extremes. The output
 * is deterministic, so the diagnostics for each input are pinned. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static FILE *open_in(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(1);
  }
  return f;
}

static void repeat(FILE *f, const char *s, int n) {
  for (int i = 0; i < n; i++)
    fputs(s, f);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: gen_nontext DIR\n");
    return 1;
  }
  const char *dir = argv[1];
  mkdir(dir, 0777); /* may exist already; open_in reports real failures */
  FILE *f;

  /* 64 KiB of xorshift bytes */
  f = open_in(dir, "random_bytes.duet");
  uint32_t x = 2463534242u;
  for (int i = 0; i < 65536; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    fputc((int)(x & 0xff), f);
  }
  fclose(f);

  f = open_in(dir, "nul_bytes.duet");
  fwrite("module M = a\0\0 + b\n\0atom\0A {}\n", 1, 30, f);
  fclose(f);

  /* one 1 MB line: a sum far deeper than the expression depth limit */
  f = open_in(dir, "long_line.duet");
  fputs("module M = x", f);
  repeat(f, " + x", 1 << 18);
  fputc('\n', f);
  fclose(f);

  /* a valid 1 MB name */
  f = open_in(dir, "long_name.duet");
  fputs("use std.nn\nmodule ", f);
  repeat(f, "n", 1 << 20);
  fputs(" = relu\n", f);
  fclose(f);

  f = open_in(dir, "nested_parens.duet");
  fputs("module M = ", f);
  repeat(f, "(", 10000);
  fputc('x', f);
  repeat(f, ")", 10000);
  fputc('\n', f);
  fclose(f);

  /* right-nested operators with no brackets: the parser stack limit */
  f = open_in(dir, "nested_unary.duet");
  fputs("module M = ", f);
  repeat(f, "-", 100000);
  fputs("x\n", f);
  fclose(f);

  fclose(open_in(dir, "empty.duet"));

  f = open_in(dir, "only_newlines.duet");
  repeat(f, "\n", 100000);
  fclose(f);

  /* more errors than the cap */
  f = open_in(dir, "many_errors.duet");
  fputs("atom A {\n", f);
  repeat(f, "  mass = )\n", 1000);
  fputs("}\n", f);
  fclose(f);
  return 0;
}
