/*
 * test_io_sources.c - the data-source table (host/data_sources.h): the
 * example shape of bindings as a function of their arguments (by hand from
 * each row's definition), the messages for arguments the table rejects,
 * and loaded data through gather (the cycle task's one-hot sequences, the
 * halves of a synthetic problem, doubles as the floats converted).
 */
#include <math.h>
#include <stdlib.h>

#include "data_sources.h"
#include "test_io_check.h"

static host_arg str(const char *name, const char *v) {
  return (host_arg){.name = name, .kind = HOST_STRING, .s = v};
}

static host_arg num(const char *name, double v) {
  return (host_arg){.name = name, .kind = HOST_NUMBER, .num = v};
}

static int check_binding(const char *source, int nargs, const host_arg *args, host_example *ex,
                         rt_error *err, rt_error *hint) {
  host_binding b = {"train", source, nargs, args};
  return host_binding_check(&b, ex, err, hint);
}

static void check_shapes(check_ctx *t) {
  host_example ex;
  rt_error err, hint;
  host_arg a1[] = {str("split", "test")};
  CHECK(t, check_binding("fashion_mnist", 1, a1, &ex, &err, &hint) == 0, "%s", err.msg);
  CHECK(t,
        ex.x_rank == 3 && ex.x_dims[0] == 1 && ex.x_dims[1] == 28 && ex.x_dims[2] == 28 &&
            ex.y_labels && ex.y_rank == 0 && ex.classes == 10 && ex.classifier,
        "fashion_mnist: images [1, 28, 28], 10 classes");
  host_arg a2[] = {str("split", "val"), num("context", 32)};
  CHECK(t, check_binding("kjv", 2, a2, &ex, &err, &hint) == 0, "%s", err.msg);
  CHECK(t,
        ex.x_tokens && ex.x_rank == 1 && ex.x_dims[0] == 32 && ex.y_dims[0] == 32 &&
            ex.context == 32 && ex.classes == 256 && !ex.classifier,
        "kjv(context = 32): 32 tokens, 256 classes");
  host_arg a3[] = {str("split", "train"), num("d", 5), num("k", 3)};
  CHECK(t, check_binding("linreg", 3, a3, &ex, &err, &hint) == 0, "%s", err.msg);
  CHECK(t, !ex.x_tokens && ex.x_dims[0] == 5 && !ex.y_labels && ex.y_dims[0] == 3,
        "linreg(d = 5, k = 3): x [5], y [3]");
  CHECK(t,
        check_binding("linreg", 1, a3, &ex, &err, &hint) == 0 && ex.x_dims[0] == 32 &&
            ex.y_dims[0] == 8,
        "linreg: the defaults d = 32, k = 8");
  host_arg a4[] = {str("split", "train"), num("k", 4)};
  CHECK(t,
        check_binding("clusters", 2, a4, &ex, &err, &hint) == 0 && ex.classes == 4 && ex.y_labels,
        "clusters(k = 4): 4 classes");
  host_arg a5[] = {num("skips", 2), num("n", 7), num("length", 4)};
  CHECK(t, check_binding("cycle", 3, a5, &ex, &err, &hint) == 0, "%s", err.msg);
  CHECK(t,
        ex.x_rank == 2 && ex.x_dims[0] == 4 && ex.x_dims[1] == 7 && ex.y_dims[0] == 4 &&
            ex.y_dims[1] == 7,
        "cycle(n = 7, length = 4): [4, 7]");
}

static void check_errors(check_ctx *t) {
  host_example ex;
  rt_error err, hint;
  host_arg a1[] = {str("split", "test")};
  CHECK(t, check_binding("quadratic", 1, a1, &ex, &err, &hint) < 0, "quadratic(\"test\") rejected");
  CHECK_STR(t, err.msg, "quadratic has no split 'test'");
  CHECK_STR(t, hint.msg, "the only split of quadratic is \"train\"");
  long long dims[] = {4, 8};
  host_arg a2[] = {str("split", "train"),
                   {.name = "d", .kind = HOST_INT_LIST, .nints = 2, .ints = dims}};
  CHECK(t, check_binding("linreg", 2, a2, &ex, &err, &hint) < 0, "a list for d rejected");
  CHECK_STR(t, err.msg, "'d' of linreg takes one value, not a list");
  host_arg a3[] = {str("split", "train"), num("d", 0)};
  CHECK(t, check_binding("linreg", 2, a3, &ex, &err, &hint) < 0, "d = 0 rejected");
  CHECK_STR(t, err.msg, "the d of linreg must be at least 1, got 0");
  host_arg a4[] = {str("split", "train"), num("d", 4.5)};
  CHECK(t, check_binding("linreg", 2, a4, &ex, &err, &hint) < 0, "d = 4.5 rejected");
  CHECK_STR(t, err.msg, "'d' of linreg is a whole number, got 4.5");
  host_arg a5[] = {str("skips", "one")};
  CHECK(t, check_binding("cycle", 1, a5, &ex, &err, &hint) < 0, "skips = \"one\" rejected");
  CHECK_STR(t, err.msg, "the skips of cycle must be integers");
  host_arg a6[] = {num("context", 8)};
  CHECK(t, check_binding("kjv", 1, a6, &ex, &err, &hint) < 0, "kjv without its split rejected");
  CHECK_STR(t, err.msg, "kjv needs its 'split'");
}

static void check_loaded(check_ctx *t) {
  host_load_env env = {.seed = 7};
  rt_error err, hint;
  host_dataset d;
  long long skips[] = {1, -2};
  host_arg a1[] = {{.name = "skips", .kind = HOST_INT_LIST, .nints = 2, .ints = skips},
                   num("n", 5),
                   num("length", 3)};
  host_binding b = {"train", "cycle", 3, a1};
  CHECK(t, host_dataset_load(&d, &b, &env, &err, &hint) == 0, "%s", err.msg);
  CHECK(t, d.n == 10 && d.x_numel == 15 && d.y_numel == 15, "cycle: 2 skips x 5 starts");
  uint32_t idx[] = {7}; /* skip -2, start 2: 2, 0, 3 then 1 */
  double x[15], y[15];
  d.gather(&d, idx, 1, true, x, y);
  const int xs[] = {2, 0, 3}, ys[] = {0, 3, 1};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 5; j++) {
      CHECK(t, x[i * 5 + j] == (j == xs[i]), "cycle x[%d][%d]", i, j);
      CHECK(t, y[i * 5 + j] == (j == ys[i]), "cycle y[%d][%d]", i, j);
    }
  host_dataset_free(&d);

  /* linreg: test is the second half of the 2n examples train comes from */
  host_dataset tr, te;
  host_arg a2[] = {str("split", "train"), num("n", 6), num("d", 2), num("k", 1)};
  host_arg a3[] = {str("split", "test"), num("n", 6), num("d", 2), num("k", 1)};
  host_binding b2 = {"train", "linreg", 4, a2}, b3 = {"test", "linreg", 4, a3};
  CHECK(t, host_dataset_load(&tr, &b2, &env, &err, &hint) == 0, "%s", err.msg);
  CHECK(t, host_dataset_load(&te, &b3, &env, &err, &hint) == 0, "%s", err.msg);
  CHECK(t, tr.n == 6 && te.n == 6, "linreg: n examples per split");
  float fx[2], fy[1], gx[2], gy[1];
  uint32_t first = 0;
  tr.gather(&tr, &first, 1, false, fx, fy);
  te.gather(&te, &first, 1, false, gx, gy);
  CHECK(t, fx[0] != gx[0] && isfinite(fy[0]) && isfinite(gy[0]),
        "linreg: train and test are different examples");
  host_dataset_free(&tr);
  host_dataset_free(&te);
}

int main(void) {
  check_ctx ctx = {0};
  check_shapes(&ctx);
  check_errors(&ctx);
  check_loaded(&ctx);
  return check_done(&ctx, "test_io_sources");
}
