/* lex.h: the lexer's interface inside the front end (not for other passes).
 * The flex scanner (lexer.l) produces raw tokens; lex.c filters them: it
 * drops newlines inside ( ) and [ ] and around line continuations, ends the
 * last statement before '}' and at the end of the file, and enforces the
 * nesting limit, so the grammar stays LALR(1). */
#ifndef DUET_LEX_H
#define DUET_LEX_H

#include <stdbool.h>

#include "arena.h"
#include "diag.h"
#include "duet_parser.h" /* token numbers and value types (generated) */

/* The generated parser uses the prefix parse_yy; the scanner, lex_yy. */
typedef PARSE_YYSTYPE YYSTYPE;
typedef PARSE_YYLTYPE YYLTYPE;

typedef struct lex_state {
  arena *a;              /* token strings are allocated here */
  diag_ctx *d;           /* lexical errors are reported here */
  const diag_file *file; /* the text being scanned (owned by d) */
  void *scanner;         /* the flex scanner (owned; freed by lex_close) */
  int line, col;         /* position of the next unread byte */
  int depth;             /* open ( and [ */
  int last;              /* last token handed to the parser; 0 at start */
  bool stopped;          /* nesting limit or error cap hit: only end of file */
  YYLTYPE last_loc;      /* location of that token */
  /* The line of the last token scanned after a lexical error: the parser
   * reports no syntax error on that line (the lexical error explains it). */
  int lex_error_line;
  /* The last token is an end of line inserted before `synthetic_for` ('}' or
   * 0, the end of file) to end the statement there. */
  bool synthetic;
  int synthetic_for;
  bool have_peek; /* a raw token read ahead */
  int peek_tok;
  bool peek_lex_error;
  YYSTYPE peek_val;
  YYLTYPE peek_loc;
} lex_state;

/* Starts scanning f->text. Returns a state owned by the caller. */
lex_state *lex_open(arena *a, diag_ctx *d, const diag_file *f);
void lex_close(lex_state *lx);

/* The next filtered token for the parser (0 at end of input). */
int lex_next(lex_state *lx, YYSTYPE *val, YYLTYPE *loc);

/* A parser location as a diagnostics location in the scanned file. */
diag_loc lex_diag_loc(const lex_state *lx, const YYLTYPE *loc);

/* Used by the flex actions (lexer.l): */
int lex_raw(YYSTYPE *val, YYLTYPE *loc, void *scanner);
void lex_advance(lex_state *lx, YYLTYPE *loc, const char *text, int len);

#endif
