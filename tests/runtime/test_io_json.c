/*
 * test_io_json.c - the runtime's JSON reader and writer: values, integer
 * detection, string escapes and UTF-8 (surrogate pairs), member lookup,
 * writer output parsed back, and the exact message for each kind of
 * malformed input.
 */
#include <stdlib.h>
#include <string.h>

#include "rt_io_internal.h"
#include "test_io_check.h"

static void check_values(check_ctx *t) {
  const char *doc = " {\"a\": [1, -2.5e3, true, false, null, "
                    "\"x\\u00e9\\ud83d\\ude00\\n\"], \"b\": {}, "
                    "\"big\": 9223372036854775807, "
                    "\"over\": 9223372036854775808, "
                    "\"k\\u0000z\": 0.5} ";
  char msg[128] = "";
  rt_json *root = rt_json_parse(doc, strlen(doc), msg, sizeof msg);
  CHECK(t, root != NULL, "valid document rejected: %s", msg);
  if (!root)
    return;
  CHECK(t, root->type == RT_JSON_OBJECT && root->count == 5, "root type %d count %zu", root->type,
        root->count);
  const rt_json *a = rt_json_member(root, "a");
  CHECK(t, a && a->type == RT_JSON_ARRAY && a->count == 6, "member a");
  if (a && a->count == 6) {
    CHECK(t, a->items[0].is_int && a->items[0].inum == 1, "1 is an integer");
    CHECK(t, !a->items[1].is_int && a->items[1].num == -2500.0, "-2.5e3: %g", a->items[1].num);
    CHECK(t,
          a->items[2].type == RT_JSON_BOOL && a->items[2].boolean &&
              a->items[3].type == RT_JSON_BOOL && !a->items[3].boolean &&
              a->items[4].type == RT_JSON_NULL,
          "true false null");
    CHECK(t,
          a->items[5].str_len == 8 &&
              memcmp(a->items[5].str, "x\xc3\xa9\xf0\x9f\x98\x80\n", 8) == 0,
          "escapes decoded to UTF-8 (%zu bytes)", a->items[5].str_len);
  }
  const rt_json *b = rt_json_member(root, "b");
  CHECK(t, b && b->type == RT_JSON_OBJECT && b->count == 0, "empty object");
  const rt_json *big = rt_json_member(root, "big");
  CHECK(t, big && big->is_int && big->inum == 9223372036854775807LL, "INT64_MAX kept exactly");
  const rt_json *over = rt_json_member(root, "over");
  CHECK(t, over && !over->is_int && over->num == 9223372036854775808.0, "2^63 is not an int64");
  CHECK(t, root->key_lens[4] == 3 && memcmp(root->keys[4], "k\0z", 3) == 0,
        "key with a NUL byte keeps its length");
  CHECK(t, rt_json_member(root, "k") == NULL && rt_json_member(root, "zz") == NULL,
        "lookup matched a wrong key");
  rt_json_free(root);
}

static void check_writer(check_ctx *t) {
  rt_strbuf sb = {0};
  rt_sb_puts(&sb, "[");
  rt_json_put_string(&sb, "q\"b\\s\n\t\x01\xc3\xa9");
  rt_sb_puts(&sb, ",");
  rt_json_put_number(&sb, 0.1f);
  rt_sb_puts(&sb, ",");
  rt_json_put_number(&sb, -1e-300);
  rt_sb_puts(&sb, "]");
  CHECK_STR(t, sb.data,
            "[\"q\\\"b\\\\s\\n\\t\\u0001\xc3\xa9\","
            "0.100000001,-1e-300]");
  char msg[128];
  rt_json *root = rt_json_parse(sb.data, sb.len, msg, sizeof msg);
  CHECK(t,
        root && root->count == 3 && strcmp(root->items[0].str, "q\"b\\s\n\t\x01\xc3\xa9") == 0 &&
            (float)root->items[1].num == 0.1f,
        "writer output does not parse "
        "back to the same values");
  rt_json_free(root);
  rt_sb_free(&sb);
}

static void check_errors(check_ctx *t) {
  static const char *const cases[][2] = {
      {"", "byte 0: unexpected end of input"},
      {"{", "byte 1: expected an object key, found end of input"},
      {"[1,]", "byte 3: unexpected ']'"},
      {"{\"a\" 1}", "byte 5: expected ':' after object key, found '1'"},
      {"{\"a\": 1 \"b\": 2}", "byte 8: expected ',' or '}', found '\"'"},
      {"[1 2]", "byte 3: expected ',' or ']', found '2'"},
      {"01", "byte 0: invalid number"},
      {"1.", "byte 2: invalid number: no digits after '.'"},
      {"1e+", "byte 3: invalid number: no digits in exponent"},
      {"-", "byte 0: invalid number"},
      {"\"abc", "byte 4: unterminated string"},
      {"\"a\\x\"", "byte 2: invalid escape '\\x' in string"},
      {"\"\\ud800\"", "byte 7: unpaired high surrogate in \\u escape"},
      {"\"\\udc00\"", "byte 7: unpaired low surrogate in \\u escape"},
      {"\"\\u12g4\"", "byte 3: invalid \\u escape"},
      {"\"a\tb\"", "byte 2: control character 0x09 in string"},
      {"tru", "byte 0: unexpected 't'"},
      {"[1] 2", "byte 4: unexpected characters after the JSON value"},
      {"@", "byte 0: unexpected '@'"},
      {"\x80", "byte 0: unexpected byte 0x80"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char msg[128] = "";
    rt_json *root = rt_json_parse(cases[i][0], strlen(cases[i][0]), msg, sizeof msg);
    CHECK(t, root == NULL, "accepted invalid input '%s'", cases[i][0]);
    rt_json_free(root);
    CHECK_STR(t, msg, cases[i][1]);
  }
  char deep[200];
  memset(deep, '[', 100);
  memset(deep + 100, ']', 100);
  char msg[128];
  CHECK(t, rt_json_parse(deep, 200, msg, sizeof msg) == NULL, "deep nesting");
  CHECK_STR(t, msg, "byte 65: nesting deeper than 64 levels");
}

int main(void) {
  check_ctx t = {0};
  check_values(&t);
  check_writer(&t);
  check_errors(&t);
  return check_done(&t, "test_io_json");
}
