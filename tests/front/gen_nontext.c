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

/* Writes dir/name: head, then unit n times, then tail. */
static void write_repeat(const char *dir, const char *name, const char *head, const char *unit,
                         int n, const char *tail) {
  FILE *f = open_in(dir, name);
  fputs(head, f);
  repeat(f, unit, n);
  fputs(tail, f);
  fclose(f);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: gen_nontext DIR\n");
    return 1;
  }
  const char *dir = argv[1];
  mkdir(dir, 0777); /* may exist already; open_in reports real failures */

  /* 64 KiB of xorshift bytes */
  FILE *f = open_in(dir, "random_bytes.duet");
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
  write_repeat(dir, "long_line.duet", "module M = x", " + x", 1 << 18, "\n");
  /* a valid 1 MB name */
  write_repeat(dir, "long_name.duet", "use std.nn\nmodule ", "n", 1 << 20, " = relu\n");

  f = open_in(dir, "nested_parens.duet");
  fputs("module M = ", f);
  repeat(f, "(", 10000);
  fputc('x', f);
  repeat(f, ")", 10000);
  fputc('\n', f);
  fclose(f);

  /* right-nested operators with no brackets: the parser stack limit */
  write_repeat(dir, "nested_unary.duet", "module M = ", "-", 100000, "x\n");
  write_repeat(dir, "empty.duet", "", "", 0, "");
  write_repeat(dir, "only_newlines.duet", "", "\n", 100000, "");
  /* more errors than the cap */
  write_repeat(dir, "many_errors.duet", "atom A {\n", "  mass = )\n", 1000, "}\n");
  return 0;
}
