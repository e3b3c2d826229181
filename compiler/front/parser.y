/* parser.y: the duet grammar (bison, pure, LALR(1) with no conflicts).
 * Builds the AST through parse_build.c; `error` rules at declaration and item
 * boundaries let one run report several syntax errors. Newlines are handled
 * by the token filter in lex.c, so the grammar only sees statement ends. */
%require "3.8"
%define api.pure full
%locations
%define parse.error custom
%define parse.lac full
%expect 0
%param {parse_state *ps}
%define api.prefix {parse_yy}

/* No %destructor: every semantic value is an arena pointer or a plain value;
 * values dropped during error recovery are reclaimed with the arena in one
 * arena_free(), so nothing can leak. */

%code requires {
#include "ast.h"
#include "parse_build.h"
}

%code {
#include <string.h>

#include "lex.h"

#define L(yyl) lex_diag_loc(ps->lx, &(yyl))
#define NOLOC ((diag_loc){0})

static int yylex(YYSTYPE *val, YYLTYPE *loc, parse_state *ps) {
  int tok = lex_next(ps->lx, val, loc);
  ps->last_tok = tok;
  ps->last_name = tok == NAME ? val->name : NULL;
  return tok;
}

static void yyerror(YYLTYPE *loc, parse_state *ps, const char *msg);
}

%union {
  long long ival;
  double fval;
  struct { const char *s; size_t len; } str;
  const char *name;
  ast_expr *expr;
  ast_item *item;
  ast_decl *decl;
  ast_type type;
  ast_param param;
  ast_pattern pattern;
  ast_arg arg;
  ast_axis axis;
  ast_key key;
  parse_vec vec;
  parse_params params;
}

%token END 0 "end of file"
%token NEWLINE "end of line"
%token <name> NAME "name"
%token <ival> INT "integer"
%token <fval> FLOAT "number"
%token <str> STRING "string"
%token KW_USE "'use'" KW_ATOM "'atom'" KW_BOND "'bond'" KW_MODULE "'module'"
%token KW_OPTIMIZER "'optimizer'" KW_EXPERIMENT "'experiment'"
%token KW_COMPARE "'compare'" KW_SWEEP "'sweep'" KW_WITH "'with'" KW_IN "'in'"
%token KW_OVER "'over'" KW_WEIGHT "'weight'" KW_INIT "'init'" KW_LET "'let'"
%token KW_STATE "'state'" KW_DATA "'data'" KW_FOR "'for'" KW_EVAL "'eval'"
%token KW_EVERY "'every'" KW_TRUE "'true'" KW_FALSE "'false'"
%token SHR "'>>'" EQ "'=='" NE "'!='" LE "'<='" GE "'>='" AND "'&&'"
%token OR "'||'" DOTDOT "'..'"

%right '?' ':'
%left SHR
%left OR
%left AND
%nonassoc EQ NE
%nonassoc '<' LE '>' GE
%left '+' '-'
%left '*' '/' '@'
%precedence UNARY
%right '^'

%type <decl> decl use_decl
%type <item> item item_line optimizer_for
%type <expr> expr postfix primary index_item
%type <params> params
%type <vec> block items param_list exprs index_list args arg_list
%type <vec> patterns bindings axes key axis_keys define_lets
%type <param> param
%type <type> type
%type <pattern> pattern
%type <arg> arg binding
%type <axis> axis
%type <key> axis_key
%type <name> key_part ident

%%

/* Every declaration and item ends with a separator (the token filter adds
 * an end of line before '}' and at the end of the file where needed), so
 * `error sep` resynchronizes at the next statement end without losing what
 * was parsed before, and an error can be shifted in the very first state of
 * a file or block. */
program
  : %empty
  | lines
  ;

lines : line | lines line ;

line
  : sep
  | decl sep   { if ($1) PARSE_PUSH(ps, ps->decls, ast_decl *, $1); }
  | error sep
  ;

sep : NEWLINE | ';' ;

decl
  : use_decl
  | KW_ATOM NAME params block {
      $$ = parse_decl(ps, AST_ATOM, L(@$), $2, L(@2));
      parse_set_params($$, $3);
      parse_set_items(ps, $$, $4); }
  | KW_BOND NAME params block {
      $$ = parse_decl(ps, AST_BOND, L(@$), $2, L(@2));
      parse_set_params($$, $3);
      parse_set_items(ps, $$, $4); }
  | KW_OPTIMIZER NAME params block {
      $$ = parse_decl(ps, AST_OPTIMIZER, L(@$), $2, L(@2));
      parse_set_params($$, $3);
      parse_set_items(ps, $$, $4); }
  | KW_MODULE NAME params '=' expr {
      $$ = parse_decl(ps, AST_MODULE, L(@$), $2, L(@2));
      parse_set_params($$, $3);
      $$->body = $5; }
  /* `schedule` is a word, not a keyword: it is also a setting and a name
   * in optimizer bodies */
  | NAME NAME params '=' expr {
      $$ = parse_schedule(ps, L(@$), $1, L(@1), $2, L(@2), NULL, $5);
      parse_set_params($$, $3); }
  | NAME NAME params KW_OVER expr '=' expr {
      $$ = parse_schedule(ps, L(@$), $1, L(@1), $2, L(@2), $5, $7);
      parse_set_params($$, $3); }
  | NAME '=' expr {
      $$ = NULL;
      parse_stray_name(ps, $1, L(@1)); }
  | KW_EXPERIMENT NAME block {
      $$ = parse_decl(ps, AST_EXPERIMENT, L(@$), $2, L(@2));
      parse_set_items(ps, $$, $3); }
  | KW_COMPARE NAME KW_WITH axis {
      $$ = parse_decl(ps, AST_COMPARE, L(@$), $2, L(@2));
      $$->naxes = 1;
      $$->axes = arena_alloc(ps->a, sizeof(ast_axis));
      $$->axes[0] = $4; }
  | KW_SWEEP NAME KW_OVER axes {
      $$ = parse_decl(ps, AST_SWEEP, L(@$), $2, L(@2));
      $$->naxes = $4.n;
      $$->axes = $4.items; }
  ;

use_decl
  : KW_USE STRING {
      $$ = parse_decl(ps, AST_USE, L(@$), NULL, NOLOC);
      $$->use.path = $2.s;
      $$->name_loc = L(@2); }
  | KW_USE NAME '.' NAME {
      $$ = parse_decl(ps, AST_USE, L(@$), NULL, NOLOC);
      $$->use.path = $4;
      $$->use.is_std = true;
      $$->name_loc = L(@4);
      if (strcmp($2, "std") != 0) {
        diag_error(ps->d, L(@2), "unknown library '%s'", $2);
        diag_hint(ps->d, "write 'use std.%s' for the standard library or 'use \"path/file.duet\"' for a file", $4);
      } }
  ;

/* ---- parameters ---- */

params
  : %empty              { $$ = (parse_params){{0}, false}; }
  | '(' ')'             { $$ = (parse_params){{0}, true}; }
  | '(' param_list ')'  { $$ = (parse_params){$2, true}; }
  ;

param_list
  : param                 { $$ = (parse_vec){0}; PARSE_PUSH(ps, $$, ast_param, $1); }
  | param_list ',' param  { $$ = $1; PARSE_PUSH(ps, $$, ast_param, $3); }
  ;

param
  : ident ':' type           { $$ = (ast_param){$1, L(@$), L(@1), $3, L(@3), NULL}; }
  | ident '=' expr           { $$ = (ast_param){$1, L(@$), L(@1), AST_TYPE_NONE, NOLOC, $3}; }
  | ident ':' type '=' expr  { $$ = (ast_param){$1, L(@$), L(@1), $3, L(@3), $5}; }
  ;

type
  : NAME       { $$ = parse_type(ps, $1, L(@1)); }
  | KW_MODULE  { $$ = AST_TYPE_MODULE; }
  ;

/* ---- blocks and items ---- */

block
  : '{' '}'        { $$ = (parse_vec){0}; }
  | '{' items '}'  { $$ = $2; }
  ;

items
  : item_line        { $$ = (parse_vec){0}; if ($1) PARSE_PUSH(ps, $$, ast_item *, $1); }
  | items item_line  { $$ = $1; if ($2) PARSE_PUSH(ps, $$, ast_item *, $2); }
  ;

/* Inside a block the next line is a fresh item, so errors are reported
 * again at once (yyerrok); at the top level bison's usual quiet period
 * stays, so the lines of a block whose header was broken do not each
 * report an error. */
item_line
  : sep        { $$ = NULL; }
  | item sep   { $$ = $1; }
  | error sep  { $$ = NULL; yyerrok; }
  ;

item
  : KW_WEIGHT NAME '[' index_list ']' KW_INIT expr {
      $$ = parse_item(ps, AST_ITEM_WEIGHT, L(@$), $2, L(@2), $7);
      parse_check_dims(ps, $4, "weight");
      $$->weight.ndims = $4.n;
      $$->weight.dims = $4.items; }
  | NAME '(' patterns ')' '=' expr {
      $$ = parse_item(ps, AST_ITEM_DEFINE, L(@$), $1, L(@1), $6);
      $$->define.ninputs = $3.n;
      $$->define.inputs = $3.items; }
  | NAME '(' patterns ')' '{' define_lets expr sep define_end '}' {
      $$ = parse_item(ps, AST_ITEM_DEFINE, L(@$), $1, L(@1), $7);
      $$->define.ninputs = $3.n;
      $$->define.inputs = $3.items;
      $$->define.block = true;
      $$->define.nlets = $6.n;
      $$->define.lets = $6.items; }
  | NAME '(' patterns ')' '{' define_lets '}' {
      $$ = NULL;
      diag_error(ps->d, L(@7), "the block of %s(...) ends without its value", $1);
      diag_hint(ps->d, "end the block with the expression %s(...) computes, e.g. the last "
                       "let's name", $1); }
  | NAME '=' expr         { $$ = parse_item(ps, AST_ITEM_ASSIGN, L(@$), $1, L(@1), $3); }
  | KW_WEIGHT '=' expr    { $$ = parse_item(ps, AST_ITEM_ASSIGN, L(@$), "weight", L(@1), $3); }
  | KW_OPTIMIZER '=' expr { $$ = parse_item(ps, AST_ITEM_ASSIGN, L(@$), "optimizer", L(@1), $3); }
  | KW_LET NAME '=' expr  { $$ = parse_item(ps, AST_ITEM_LET, L(@$), $2, L(@2), $4); }
  | KW_STATE NAME '=' expr { $$ = parse_item(ps, AST_ITEM_STATE, L(@$), $2, L(@2), $4); }
  | KW_STATE NAME '[' index_list ']' '=' expr {
      $$ = parse_item(ps, AST_ITEM_STATE, L(@$), $2, L(@2), $7);
      parse_check_dims(ps, $4, "state");
      $$->weight.ndims = $4.n;
      $$->weight.dims = $4.items; }
  | KW_DATA bindings {
      $$ = parse_item(ps, AST_ITEM_DATA, L(@$), NULL, NOLOC, NULL);
      $$->data.nbindings = $2.n;
      $$->data.bindings = $2.items; }
  | optimizer_for
  | optimizer_for KW_EVERY INT NAME {
      $$ = $1;
      $$->loc = L(@$);
      YYLTYPE period = @3;
      period.last_line = @4.last_line;
      period.last_column = @4.last_column;
      parse_update_every(ps, $$, $3, $4, L(period)); }
  | NAME KW_EVERY INT NAME {
      $$ = parse_checkpoint(ps, L(@$), $1, L(@1), (double)$3, $4, L(@3), L(@4)); }
  | NAME KW_EVERY FLOAT NAME {
      $$ = parse_checkpoint(ps, L(@$), $1, L(@1), $3, $4, L(@3), L(@4)); }
  | KW_EVAL KW_EVERY NAME ':' exprs {
      $$ = parse_item(ps, AST_ITEM_EVAL, L(@$), NULL, NOLOC, NULL);
      parse_eval_period(ps, $$, 1, false, $3, L(@3));
      $$->eval.nmetrics = $5.n;
      $$->eval.metrics = $5.items; }
  | KW_EVAL KW_EVERY INT NAME ':' exprs {
      $$ = parse_item(ps, AST_ITEM_EVAL, L(@$), NULL, NOLOC, NULL);
      YYLTYPE period = @3;
      period.last_line = @4.last_line;
      period.last_column = @4.last_column;
      parse_eval_period(ps, $$, $3, true, $4, L(period));
      $$->eval.nmetrics = $6.n;
      $$->eval.metrics = $6.items; }
  ;

/* The lets of a definition's block body, `forward(x) { let h = ...; h }`,
 * in order; the value is the expression that ends the block. */
define_lets
  : %empty  { $$ = (parse_vec){0}; }
  | define_lets sep  { $$ = $1; }
  | define_lets KW_LET NAME '=' expr sep {
      YYLTYPE at = @2;
      at.last_line = @5.last_line;
      at.last_column = @5.last_column;
      $$ = $1;
      PARSE_PUSH(ps, $$, ast_item *, parse_item(ps, AST_ITEM_LET, L(at), $3, L(@3), $5)); }
  ;

define_end : %empty | define_end sep ;

/* optimizer for Group = Opt(...), optimizer for "glob*" = Opt(...) */
optimizer_for
  : KW_OPTIMIZER KW_FOR NAME '=' expr {
      $$ = parse_item(ps, AST_ITEM_OPTIMIZER_FOR, L(@$), NULL, NOLOC, $5);
      $$->optfor.group = $3;
      $$->optfor.group_loc = L(@3); }
  | KW_OPTIMIZER KW_FOR STRING '=' expr {
      $$ = parse_item(ps, AST_ITEM_OPTIMIZER_FOR, L(@$), NULL, NOLOC, $5);
      $$->optfor.group = $3.s;
      $$->optfor.is_glob = true;
      $$->optfor.group_loc = L(@3); }
  ;

patterns
  : pattern               { $$ = (parse_vec){0}; PARSE_PUSH(ps, $$, ast_pattern, $1); }
  | patterns ',' pattern  { $$ = $1; PARSE_PUSH(ps, $$, ast_pattern, $3); }
  ;

pattern
  : NAME                     { $$ = (ast_pattern){$1, L(@$), L(@1), false, 0, NULL}; }
  | NAME '[' index_list ']'  { $$ = (ast_pattern){$1, L(@$), L(@1), true, $3.n, $3.items}; }
  ;

bindings
  : binding               { $$ = (parse_vec){0}; PARSE_PUSH(ps, $$, ast_arg, $1); }
  | bindings ',' binding  { $$ = $1; PARSE_PUSH(ps, $$, ast_arg, $3); }
  ;

binding
  : NAME '=' expr  { $$ = (ast_arg){$1, L(@1), $3}; }
  ;

/* ---- compare and sweep ---- */

axes
  : axis           { $$ = (parse_vec){0}; PARSE_PUSH(ps, $$, ast_axis, $1); }
  | axes ',' axis  { $$ = $1; PARSE_PUSH(ps, $$, ast_axis, $3); }
  ;

axis
  : axis_key KW_IN '[' exprs ']' {
      parse_vec keys = {0};
      PARSE_PUSH(ps, keys, ast_key, $1);
      $$ = parse_axis(keys, $4, L(@$)); }
  | '(' axis_keys ')' KW_IN '[' exprs ']'  { $$ = parse_axis($2, $6, L(@$)); }
  ;

/* settings varied together: two or more */
axis_keys
  : axis_key ',' axis_key {
      $$ = (parse_vec){0};
      PARSE_PUSH(ps, $$, ast_key, $1);
      PARSE_PUSH(ps, $$, ast_key, $3); }
  | axis_keys ',' axis_key  { $$ = $1; PARSE_PUSH(ps, $$, ast_key, $3); }
  ;

axis_key
  : key  { $$ = parse_key(ps, $1, L(@1)); }
  ;

key
  : key_part          { $$ = (parse_vec){0}; PARSE_PUSH(ps, $$, const char *, $1); }
  | key '.' key_part  { $$ = $1; PARSE_PUSH(ps, $$, const char *, $3); }
  ;

key_part
  : NAME          { $$ = $1; }
  | KW_OPTIMIZER  { $$ = "optimizer"; }
  | KW_DATA       { $$ = "data"; }
  ;

/* ---- expressions ---- */

expr
  : expr '?' expr ':' expr  { $$ = parse_ternary(ps, $1, $3, $5); }
  | expr SHR expr  { $$ = parse_binary(ps, AST_OP_SEQ, $1, $3); }
  | expr OR expr   { $$ = parse_binary(ps, AST_OP_OR, $1, $3); }
  | expr AND expr  { $$ = parse_binary(ps, AST_OP_AND, $1, $3); }
  | expr EQ expr   { $$ = parse_binary(ps, AST_OP_EQ, $1, $3); }
  | expr NE expr   { $$ = parse_binary(ps, AST_OP_NE, $1, $3); }
  | expr '<' expr  { $$ = parse_binary(ps, AST_OP_LT, $1, $3); }
  | expr LE expr   { $$ = parse_binary(ps, AST_OP_LE, $1, $3); }
  | expr '>' expr  { $$ = parse_binary(ps, AST_OP_GT, $1, $3); }
  | expr GE expr   { $$ = parse_binary(ps, AST_OP_GE, $1, $3); }
  | expr '+' expr  { $$ = parse_binary(ps, AST_OP_ADD, $1, $3); }
  | expr '-' expr  { $$ = parse_binary(ps, AST_OP_SUB, $1, $3); }
  | expr '*' expr  { $$ = parse_binary(ps, AST_OP_MUL, $1, $3); }
  | expr '/' expr  { $$ = parse_binary(ps, AST_OP_DIV, $1, $3); }
  | expr '@' expr  { $$ = parse_binary(ps, AST_OP_MATMUL, $1, $3); }
  | expr '^' expr  { $$ = parse_binary(ps, AST_OP_POW, $1, $3); }
  | '-' expr %prec UNARY  { $$ = parse_unary(ps, AST_OP_NEG, $2, L(@$)); }
  | '!' expr %prec UNARY  { $$ = parse_unary(ps, AST_OP_NOT, $2, L(@$)); }
  | postfix
  ;

postfix
  : primary
  | postfix '.' NAME              { $$ = parse_suffix(ps, $1, $3, L(@3), L(@$)); }
  | postfix '[' index_list ']'    { $$ = parse_index(ps, $1, $3, L(@$)); }
  ;

primary
  : INT       { $$ = parse_leaf(ps, AST_INT, L(@$)); $$->ival = $1; }
  | FLOAT     { $$ = parse_leaf(ps, AST_FLOAT, L(@$)); $$->fval = $1; }
  | STRING    { $$ = parse_leaf(ps, AST_STRING, L(@$)); $$->str.s = $1.s; $$->str.len = $1.len; }
  | KW_TRUE   { $$ = parse_leaf(ps, AST_BOOL, L(@$)); $$->bval = true; }
  | KW_FALSE  { $$ = parse_leaf(ps, AST_BOOL, L(@$)); $$->bval = false; }
  | ident     { $$ = parse_name(ps, $1, L(@$)); }
  | KW_WEIGHT { $$ = parse_name(ps, "weight", L(@$)); }
  | NAME '(' args ')'          { $$ = parse_call(ps, $1, L(@1), $3, L(@$)); }
  | '(' expr ')'               { $$ = $2; }
  | '(' expr ',' exprs ')'     {
      parse_vec v = {0};
      PARSE_PUSH(ps, v, ast_expr *, $2);
      for (int i = 0; i < $4.n; i++)
        PARSE_PUSH(ps, v, ast_expr *, ((ast_expr **)$4.items)[i]);
      $$ = parse_list(ps, AST_TUPLE, v, L(@$)); }
  | '[' ']'                    { $$ = parse_list(ps, AST_LIST, (parse_vec){0}, L(@$)); }
  | '[' exprs ']'              { $$ = parse_list(ps, AST_LIST, $2, L(@$)); }
  ;

exprs
  : expr            { $$ = (parse_vec){0}; PARSE_PUSH(ps, $$, ast_expr *, $1); }
  | exprs ',' expr  { $$ = $1; PARSE_PUSH(ps, $$, ast_expr *, $3); }
  ;

index_list
  : index_item                 { $$ = (parse_vec){0}; PARSE_PUSH(ps, $$, ast_expr *, $1); }
  | index_list ',' index_item  { $$ = $1; PARSE_PUSH(ps, $$, ast_expr *, $3); }
  ;

index_item
  : expr
  | DOTDOT  { $$ = parse_leaf(ps, AST_ELLIPSIS, L(@$)); }
  ;

args
  : %empty    { $$ = (parse_vec){0}; }
  | arg_list
  ;

arg_list
  : arg               { $$ = (parse_vec){0}; PARSE_PUSH(ps, $$, ast_arg, $1); }
  | arg_list ',' arg  { $$ = $1; PARSE_PUSH(ps, $$, ast_arg, $3); }
  ;

arg
  : expr           { $$ = (ast_arg){NULL, NOLOC, $1}; }
  | ident '=' expr  { $$ = (ast_arg){$1, L(@1), $3}; }
  ;

/* `in` is a keyword of compare/sweep but also a natural parameter name
 * (Linear(in, out)), so it is accepted wherever a parameter or value name is. */
ident
  : NAME   { $$ = $1; }
  | KW_IN  { $$ = "in"; }
  ;

%%

/* Bison calls yyerror only when its stack is exhausted (syntax errors go
 * through yyreport_syntax_error), which deep right-nested input can cause. */
static void yyerror(YYLTYPE *loc, parse_state *ps, const char *msg) {
  (void)msg;
  diag_error(ps->d, L(*loc), "input nested too deeply for the parser");
}

/* The name of a token kind in messages: "')'", "'atom'", "end of line". */
static const char *token_name(yysymbol_kind_t k) {
  return yysymbol_name(k);
}

static bool starts_expression(yysymbol_kind_t k) {
  static const char *const starters[] = {
      "name", "integer", "number", "string", "'true'", "'false'",
      "'weight'", "'in'", "'('", "'['", "'-'", "'!'"};
  for (size_t i = 0; i < sizeof starters / sizeof starters[0]; i++)
    if (strcmp(token_name(k), starters[i]) == 0)
      return true;
  return false;
}

static bool expects(const yysymbol_kind_t *exp, int n, yysymbol_kind_t k) {
  for (int i = 0; i < n; i++)
    if (exp[i] == k)
      return true;
  return false;
}

/* "unexpected X, expected A, B or C". Expected tokens that start an
 * expression are summarized as "an expression"; long lists are left out. */
static int yyreport_syntax_error(const yypcontext_t *ctx, parse_state *ps) {
  const YYLTYPE *where = yypcontext_location(ctx);
  if (ps->lx->stopped || where->first_line == ps->lx->lex_error_line)
    return 0;
  enum { MAX_LISTED = 6 };
  yysymbol_kind_t exp[YYNTOKENS];
  int n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
  if (n < 0)
    n = 0;
  const char *names[YYNTOKENS];
  int nnames = 0;
  bool expr = false;
  for (int i = 0; i < n; i++) {
    if (starts_expression(exp[i]) && n > 4)
      expr = true;
    else
      names[nnames++] = token_name(exp[i]);
  }
  if (expr)
    names[nnames++] = "an expression";
  if (nnames > MAX_LISTED) {
    /* too many to list: name only the tokens that close a bracket */
    int k = 0;
    for (int i = 0; i < nnames; i++)
      if (!strcmp(names[i], "','") || !strcmp(names[i], "')'") ||
          !strcmp(names[i], "']'") || !strcmp(names[i], "'}'"))
        names[k++] = names[i];
    nnames = k;
  }

  char unexpected[96];
  yysymbol_kind_t la = yypcontext_token(ctx);
  if (la == YYSYMBOL_NEWLINE && ps->lx->synthetic)
    snprintf(unexpected, sizeof unexpected, "%s",
             ps->lx->synthetic_for ? "'}'" : "end of file");
  else if (la == YYSYMBOL_NAME && ps->last_name)
    snprintf(unexpected, sizeof unexpected, "name '%.40s%s'", ps->last_name,
             strlen(ps->last_name) > 40 ? "..." : "");
  else
    snprintf(unexpected, sizeof unexpected, "%s", token_name(la));

  char expected[512] = "";
  if (nnames > 0 && nnames <= MAX_LISTED) {
    size_t len = 0;
    len += (size_t)snprintf(expected, sizeof expected, ", expected ");
    for (int i = 0; i < nnames && len < sizeof expected; i++)
      len += (size_t)snprintf(expected + len, sizeof expected - len, "%s%s",
                              i == 0 ? "" : i == nnames - 1 ? " or " : ", ",
                              names[i]);
  }
  diag_error(ps->d, L(*where), "unexpected %s%s", unexpected, expected);
  if (strcmp(token_name(la), "'='") == 0 && expects(exp, n, YYSYMBOL_EQ))
    diag_hint(ps->d, "a comparison is written '=='");
  return 0;
}

int parse_run(parse_state *ps) { return yyparse(ps); }
