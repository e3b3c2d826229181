/* parse_build.h: tree construction for the grammar actions (internal to the
 * front end). Builds arena-allocated nodes, enforces the expression depth
 * limit, and checks which items each kind of block may contain. */
#ifndef DUET_PARSE_BUILD_H
#define DUET_PARSE_BUILD_H

#include <stdbool.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"

struct lex_state;

/* A growing array in the arena; the capacity is implicit (the next power of
 * two at or above n), so the semantic value is just (items, n). */
typedef struct parse_vec {
  void *items;
  int n;
} parse_vec;

/* A parameter list and whether "(...)" was written at all. */
typedef struct parse_params {
  parse_vec list; /* ast_param */
  bool written;
} parse_params;

/* The state of one file's parse; the parser's %param. */
typedef struct parse_state {
  arena *a;
  diag_ctx *d;
  struct lex_state *lx;  /* owned by the caller of the parser */
  ast_file *file;        /* receives the declarations */
  parse_vec decls;       /* ast_decl * */
  bool depth_reported;   /* the expression depth error was given already */
  int last_tok;          /* the last token read: the lookahead at an error */
  const char *last_name; /* its text when it was a name */
} parse_state;

/* Runs the generated parser over ps->lx (parser.y). */
int parse_run(parse_state *ps);

void parse_vec_push(arena *a, parse_vec *v, size_t elem_size, const void *elem);
#define PARSE_PUSH(ps, vec, type, value)                             \
  do {                                                               \
    type parse_push_tmp_ = (value);                                  \
    parse_vec_push((ps)->a, &(vec), sizeof(type), &parse_push_tmp_); \
  } while (0)

/* Expressions. The location of binary and ternary nodes is joined from the
 * operands; every constructor may return an AST_ERROR leaf instead when the
 * tree would exceed PARSE_MAX_EXPR_DEPTH (the error is reported once). */
ast_expr *parse_leaf(parse_state *ps, ast_expr_kind kind, diag_loc loc);
ast_expr *parse_name(parse_state *ps, const char *name, diag_loc loc);
ast_expr *parse_unary(parse_state *ps, ast_op op, ast_expr *operand, diag_loc loc);
ast_expr *parse_binary(parse_state *ps, ast_op op, ast_expr *lhs, ast_expr *rhs);
ast_expr *parse_ternary(parse_state *ps, ast_expr *c, ast_expr *a, ast_expr *b);
ast_expr *parse_call(parse_state *ps, const char *name, diag_loc name_loc, parse_vec args,
                     diag_loc loc);
ast_expr *parse_index(parse_state *ps, ast_expr *base, parse_vec items, diag_loc loc);
ast_expr *parse_list(parse_state *ps, ast_expr_kind kind, parse_vec items, diag_loc loc);
/* x.suffix: only .T (transpose) exists. */
ast_expr *parse_suffix(parse_state *ps, ast_expr *base, const char *suffix, diag_loc suffix_loc,
                       diag_loc loc);

/* Parameters: resolves the type name (reports unknown types). */
ast_type parse_type(parse_state *ps, const char *name, diag_loc loc);

/* Items and declarations. */
ast_item *parse_item(parse_state *ps, ast_item_kind kind, diag_loc loc, const char *name,
                     diag_loc name_loc, ast_expr *value);
/* `WORD every N unit`: a checkpoint period when WORD is `checkpoint` and
 * unit is step(s), second(s) or minute(s); otherwise an error (NULL). */
ast_item *parse_checkpoint(parse_state *ps, diag_loc loc, const char *word, diag_loc word_loc,
                           double n, const char *unit, diag_loc n_loc, diag_loc unit_loc);
/* `optimizer for G = X every N steps`: sets the period of it, an
 * OPTIMIZER_FOR item, and checks the unit and that N >= 1. */
void parse_update_every(parse_state *ps, ast_item *it, long long n, const char *unit, diag_loc loc);
/* Checks that no dimension of a weight's or a state's shape is `..`
 * (what: "weight" or "state"). */
void parse_check_dims(parse_state *ps, parse_vec dims, const char *what);
/* `every [N] unit`: unit must be epoch(s) or step(s), N positive. */
void parse_eval_period(parse_state *ps, ast_item *it, long long n, bool has_n, const char *unit,
                       diag_loc loc);
ast_decl *parse_decl(parse_state *ps, ast_decl_kind kind, diag_loc loc, const char *name,
                     diag_loc name_loc);
void parse_set_params(ast_decl *d, parse_params params);
/* Reports a name where a declaration starts (`batch = 3` outside an
 * experiment). */
void parse_stray_name(parse_state *ps, const char *name, diag_loc loc);
/* `WORD name(params) [over steps] = body`: a schedule when WORD is
 * `schedule`, else an error. */
ast_decl *parse_schedule(parse_state *ps, diag_loc loc, const char *word, diag_loc word_loc,
                         const char *name, diag_loc name_loc, ast_expr *over, ast_expr *body);
/* Stores the block's items and reports the ones this kind may not hold. */
void parse_set_items(parse_state *ps, ast_decl *d, parse_vec items);
/* A dotted key from its parts ("optimizer", "lr"). */
ast_key parse_key(parse_state *ps, parse_vec parts, diag_loc loc);
/* An axis of compare/sweep: its keys (ast_key) and values. */
ast_axis parse_axis(parse_vec keys, parse_vec values, diag_loc loc);

#endif
