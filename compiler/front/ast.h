/* ast.h: the abstract syntax tree of a duet program (the front end's output).
 * Read this header comment before using the tree: it is the data contract
 * between the parser and every later pass. */
#ifndef DUET_AST_H
#define DUET_AST_H

/*
 * OWNERSHIP. Every node, array and string reachable from an ast_program lives
 * in the arena passed to parse_file()/parse_string() and is released together
 * by arena_free(); never free anything in the tree on its own. Source texts
 * and paths (diag_file) belong to the diag_ctx of the same compilation. The
 * tree is immutable after parsing.
 *
 * LISTS are (count, pointer) pairs; the pointer is NULL when the count is 0.
 * Strings are NUL-terminated. Names are never NULL where documented as set.
 *
 * LOCATIONS. Every node carries `loc`, the span of its source text (see
 * diag_loc: 1-based lines, byte columns, inclusive end). Names that a
 * diagnostic may point at carry their own `name_loc`.
 *
 * PROGRAM. parse_file() parses the root file and, recursively, every file
 * named by a `use` (each file once, even if used several times). `files`
 * lists them in dependency order (a used file before its users; the root
 * last); `decls` concatenates their declarations in the same order, so a
 * declaration appears after everything the files it uses declare.
 *
 * EXPRESSIONS. One expression grammar serves all bodies: numbers, tensors,
 * modules, schedules and optimizers are all ast_expr; their kinds are checked
 * by semantic analysis, not by the parser. Operator precedence, lowest first:
 *     c ? a : b            (right assoc.)
 *     a >> b               AST_OP_SEQ   (left; module sequence, data-flow order)
 *     a || b
 *     a && b
 *     a == b, a != b       (non-assoc.)
 *     a < b, <=, >, >=     (non-assoc.)
 *     a + b, a - b         (left)
 *     a * b, a / b, a @ b  (left; @ is matrix product)
 *     -a, !a               (prefix)
 *     a ^ b                (right; binds tighter than prefix minus: -x^2 = -(x^2))
 *     a.T, f(...), a[...]  (postfix: transpose, call, index/shape)
 * A parenthesised list of two or more expressions is an AST_TUPLE; a single
 * parenthesised expression is just that expression (no node). `..` is
 * AST_ELLIPSIS and only appears as an element of an index/shape list.
 * The parser rejects trees deeper than PARSE_MAX_EXPR_DEPTH, so recursive
 * walks over an expression are safe.
 *
 * DECLARATIONS AND ITEMS. Block declarations (atom, bond, optimizer,
 * experiment) hold items. Which items a block may hold is checked by the
 * parser (e.g. `state` only in optimizers); what the names mean is left to
 * semantic analysis:
 *   atom     : WEIGHT, LET, DEFINE forward/dualize, ASSIGN norm/mass/sensitivity
 *   bond     : LET, DEFINE forward, ASSIGN norm/mass/sensitivity
 *   optimizer: STATE, LET, ASSIGN (locals, state buffers, `weight`); or,
 *              for a composite optimizer, ASSIGN `optimizer` and OPTIMIZER_FOR
 *   experiment: DATA, ASSIGN (any setting: model, loss, optimizer, batch,
 *              epochs, steps, seed, schedule, ...), OPTIMIZER_FOR, EVAL
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"

typedef struct ast_expr ast_expr;
typedef struct ast_item ast_item;
typedef struct ast_decl ast_decl;
typedef struct ast_file ast_file;

/* ---- expressions ------------------------------------------------------- */

typedef enum ast_expr_kind {
  AST_INT,      /* ival */
  AST_FLOAT,    /* fval */
  AST_STRING,   /* str (escapes decoded) */
  AST_BOOL,     /* bval: true / false */
  AST_NAME,     /* name: any identifier, incl. t, grad, weight, schedule, id */
  AST_ELLIPSIS, /* `..` inside an index/shape list: any leading dims */
  AST_UNARY,    /* unary: AST_OP_NEG, AST_OP_NOT, AST_OP_TRANSPOSE */
  AST_BINARY,   /* binary: every other ast_op */
  AST_TERNARY,  /* ternary: cond ? then_e : else_e */
  AST_CALL,     /* call: name(args), positional and keyword arguments */
  AST_INDEX,    /* index: base[items]  (shape pattern or indexing) */
  AST_LIST,     /* list: [items] */
  AST_TUPLE,    /* list: (a, b, ...), two or more items */
  AST_ERROR     /* placeholder where a syntax error was reported */
} ast_expr_kind;

typedef enum ast_op {
  AST_OP_SEQ,      /* a >> b */
  AST_OP_OR,       /* a || b */
  AST_OP_AND,      /* a && b */
  AST_OP_EQ,       /* a == b */
  AST_OP_NE,       /* a != b */
  AST_OP_LT,       /* a < b */
  AST_OP_LE,       /* a <= b */
  AST_OP_GT,       /* a > b */
  AST_OP_GE,       /* a >= b */
  AST_OP_ADD,      /* a + b  (also module sum) */
  AST_OP_SUB,      /* a - b */
  AST_OP_MUL,      /* a * b  (also scalar multiple of a module) */
  AST_OP_DIV,      /* a / b */
  AST_OP_MATMUL,   /* a @ b */
  AST_OP_POW,      /* a ^ b  (also module repetition) */
  AST_OP_NEG,      /* -a  (unary) */
  AST_OP_NOT,      /* !a  (unary) */
  AST_OP_TRANSPOSE /* a.T (unary): swaps the last two dims */
} ast_op;

/* One call argument or one `name = value` binding. */
typedef struct ast_arg {
  const char *name; /* keyword argument name; NULL for a positional one */
  diag_loc name_loc;
  ast_expr *value;
} ast_arg;

struct ast_expr {
  ast_expr_kind kind;
  diag_loc loc;
  int depth; /* height of this subtree (a leaf is 1) */
  union {
    long long ival;
    double fval;
    bool bval;
    struct {
      const char *s; /* decoded bytes, NUL-terminated; no NUL inside */
      size_t len;
    } str;
    const char *name;
    struct {
      ast_op op;
      ast_expr *operand;
    } unary;
    struct {
      ast_op op;
      ast_expr *lhs, *rhs;
    } binary;
    struct {
      ast_expr *cond, *then_e, *else_e;
    } ternary;
    struct {
      const char *name; /* callee: always a plain name */
      diag_loc name_loc;
      int nargs;
      ast_arg *args; /* positional and keyword, in source order */
    } call;
    struct {
      ast_expr *base;
      int n;
      ast_expr **items;
    } index;
    struct {
      int n;
      ast_expr **items;
    } list; /* AST_LIST and AST_TUPLE */
  };
};

/* ---- parameters and patterns ------------------------------------------- */

typedef enum ast_type {
  AST_TYPE_NONE, /* no type written: inferred from the default */
  AST_TYPE_INT,
  AST_TYPE_FLOAT,
  AST_TYPE_BOOL,
  AST_TYPE_STRING,
  AST_TYPE_MODULE
} ast_type;

/* `name: type = default`; at least one of type and default is present. */
typedef struct ast_param {
  const char *name;
  diag_loc loc; /* the whole parameter */
  diag_loc name_loc;
  ast_type type;
  diag_loc type_loc; /* valid when type != AST_TYPE_NONE */
  ast_expr *def;     /* default value, or NULL */
} ast_param;

/* An input of forward(...)/dualize(...): `x` or `x[.., n]`. */
typedef struct ast_pattern {
  const char *name;
  diag_loc loc; /* the whole pattern */
  diag_loc name_loc;
  bool has_shape; /* a [...] was written */
  int ndims;
  ast_expr **dims; /* AST_ELLIPSIS allowed */
} ast_pattern;

/* ---- items of block declarations --------------------------------------- */

typedef enum ast_item_kind {
  AST_ITEM_WEIGHT,        /* weight W[dims] init value */
  AST_ITEM_DEFINE,        /* name(inputs) = value     e.g. forward(x[.., n]) = ... */
  AST_ITEM_ASSIGN,        /* name = value             e.g. norm = ..., m = ..., batch = 256 */
  AST_ITEM_LET,           /* let name = value */
  AST_ITEM_STATE,         /* state name = value */
  AST_ITEM_DATA,          /* data a = value, b = value */
  AST_ITEM_OPTIMIZER_FOR, /* optimizer for Group = value */
  AST_ITEM_EVAL           /* eval every [N] epoch(s)|step(s): metrics */
} ast_item_kind;

typedef enum ast_period_unit { AST_EVERY_EPOCH, AST_EVERY_STEP } ast_period_unit;

struct ast_item {
  ast_item_kind kind;
  diag_loc loc; /* the whole item */
  /* WEIGHT, DEFINE, ASSIGN, LET, STATE: the defined name or setting key
   * (ASSIGN in an experiment: `optimizer`, `model`, `batch`, ...).
   * NULL for DATA, OPTIMIZER_FOR, EVAL. */
  const char *name;
  diag_loc name_loc;
  /* WEIGHT: the init expression; DEFINE, ASSIGN, LET, STATE, OPTIMIZER_FOR:
   * the right-hand side. NULL for DATA and EVAL. */
  ast_expr *value;
  union {
    struct {
      int ndims;
      ast_expr **dims;
    } weight;
    struct {
      int ninputs;
      ast_pattern *inputs;
    } define;
    struct {
      int nbindings;
      ast_arg *bindings; /* name always set */
    } data;
    struct {
      const char *group; /* atom kind name, or a module-path glob */
      bool is_glob;      /* written as a string: "head*" */
      diag_loc group_loc;
    } optfor;
    struct {
      ast_period_unit unit;
      long long every; /* N in `every N steps`; 1 for `every epoch` */
      diag_loc period_loc;
      int nmetrics;
      ast_expr **metrics;
    } eval;
  };
};

/* ---- declarations ------------------------------------------------------ */

typedef enum ast_decl_kind {
  AST_USE,        /* use "file.duet" | use std.name */
  AST_ATOM,       /* atom Name(params) { items } */
  AST_BOND,       /* bond name(params) { items }   (params optional) */
  AST_MODULE,     /* module Name(params) = body */
  AST_OPTIMIZER,  /* optimizer Name(params) { items } */
  AST_EXPERIMENT, /* experiment name { items } */
  AST_COMPARE,    /* compare exp with key in [values] */
  AST_SWEEP       /* sweep exp over key in [values], key in [values] ... */
} ast_decl_kind;

/* A setting named by compare/sweep: a dotted key, "optimizer.lr". */
typedef struct ast_key {
  const char *key; /* the key as one string */
  diag_loc loc;
} ast_key;

/* One axis of compare/sweep: one setting and its values,
 * `optimizer.lr in [0.01, 0.02]`, or several settings varied together,
 * `(optimizer, model.rule) in [(AdamW(lr = 0.002), "per_head"), ...]`,
 * whose values are tuples with one item per key (checked by sema). */
typedef struct ast_axis {
  int nkeys; /* 1, or 2 or more in the parenthesised form */
  ast_key *keys;
  diag_loc loc; /* first key through the closing ] */
  int nvalues;
  ast_expr **values;
} ast_axis;

/* The value of key k in value i of an axis: the value itself for a single
 * key, else item k of the tuple; NULL when the value is not a tuple of
 * nkeys items. */
static inline const ast_expr *ast_axis_value(const ast_axis *ax, int i, int k) {
  const ast_expr *v = ax->values[i];
  if (ax->nkeys == 1)
    return v;
  return v->kind == AST_TUPLE && v->list.n == ax->nkeys ? v->list.items[k] : NULL;
}

struct ast_decl {
  ast_decl_kind kind;
  diag_loc loc;   /* whole declaration */
  ast_file *file; /* the file the declaration is written in */
  /* The declared name; for COMPARE and SWEEP the experiment it refers to;
   * NULL for USE. */
  const char *name;
  diag_loc name_loc;
  bool has_params; /* a parameter list (...) was written */
  int nparams;     /* ATOM, BOND, MODULE, OPTIMIZER */
  ast_param *params;
  int nitems; /* ATOM, BOND, OPTIMIZER, EXPERIMENT */
  ast_item **items;
  ast_expr *body; /* MODULE */
  int naxes;      /* COMPARE: exactly 1; SWEEP: 1 or more */
  ast_axis *axes;
  struct {
    const char *path; /* as written: "lib/x.duet", or "nn" for `use std.nn` */
    bool is_std;      /* the `use std.name` form */
    ast_file *file;   /* the parsed file, or NULL if it could not be read */
  } use;
};

/* ---- files and programs ------------------------------------------------ */

struct ast_file {
  const diag_file *source; /* path as shown in messages, and the text */
  const char *path;        /* path it was opened with (after resolution) */
  bool is_std;             /* found in the stdlib directory */
  int ndecls;
  ast_decl **decls;
};

typedef struct ast_program {
  ast_file *root;
  int nfiles;
  ast_file **files; /* dependency order; root last */
  int ndecls;
  ast_decl **decls; /* all files' declarations, dependency order */
} ast_program;

/* ---- names and printing ------------------------------------------------ */

const char *ast_op_name(ast_op op);              /* ">>", "+", "-", ".T", ... */
const char *ast_type_name(ast_type t);           /* "int", ..., "" for NONE */
const char *ast_item_kind_name(ast_item_kind k); /* "weight", "define", ... */
const char *ast_decl_kind_name(ast_decl_kind k); /* "atom", "module", ... */

/* Stable, indented S-expression dump (the --dump-ast format used by golden
 * tests). Declarations and items print their position as @line:col. */
void ast_dump_file(FILE *out, const ast_file *f);
void ast_dump_expr(FILE *out, const ast_expr *e);

/* Literals as source text (the dump and the infix printer of sema): a
 * string quoted, with the escapes the lexer reads (\n \t \r \\ \") and other
 * control bytes as \xNN; a float as the shortest text that reads back as
 * the same double, always with a '.' or an 'e' (or inf, nan). */
void ast_print_string(FILE *out, const char *s, size_t len);
void ast_print_float(FILE *out, double v);
bool ast_print_leaf(FILE *out, const ast_expr *e);

#endif
