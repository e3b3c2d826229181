/*
 * test_io_idx_tool.c - drives the IDX reader and the image dataset for
 * test_io_idx.py, which checks the output against an independent Python
 * reading of the same files.
 *   stats DIR          facts about the Fashion-MNIST files as JSON
 *   read FILE          "ok <dims> <sum>" or "error: <message>"
 *   pair IMAGES LABELS "ok <n> <classes>" or "error: <message>"
 */
#include <stdio.h>
#include <string.h>

#include "rt_io.h"

/* Raw facts of one IDX pair: counts, label histogram, pixel sums. */
static int print_raw(const char *dir, const char *set) {
  char ipath[1024], lpath[1024];
  snprintf(ipath, sizeof ipath, "%s/%s-images-idx3-ubyte.gz", dir, set);
  snprintf(lpath, sizeof lpath, "%s/%s-labels-idx1-ubyte.gz", dir, set);
  rt_idx im, lb;
  rt_error err;
  if (rt_idx_read(&im, ipath, &err) || rt_idx_read(&lb, lpath, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  unsigned long long total = 0;
  for (size_t i = 0; i < im.count; i++)
    total += im.data[i];
  long hist[256] = {0};
  for (size_t i = 0; i < lb.count; i++)
    hist[lb.data[i]]++;
  printf("\"%s\": {\"n\": %u, \"rows\": %u, \"cols\": %u, \"labels\": %u, "
         "\"pixel_sum\": %llu, \"hist\": [",
         set, im.dims[0], im.dims[1], im.dims[2], lb.dims[0], total);
  for (int c = 0; c < 10; c++)
    printf("%s%ld", c ? ", " : "", hist[c]);
  size_t pix = (size_t)im.dims[1] * im.dims[2];
  printf("], \"image_sums\": [");
  const size_t which[] = {0, 1, 2, im.dims[0] - 1};
  for (int k = 0; k < 4; k++) {
    unsigned long s = 0;
    for (size_t i = 0; i < pix; i++)
      s += im.data[which[k] * pix + i];
    printf("%s%lu", k ? ", " : "", s);
  }
  printf("], \"first_labels\": [");
  for (int k = 0; k < 8; k++)
    printf("%s%u", k ? ", " : "", lb.data[k]);
  double mean, std;
  rt_idx_pixel_stats(&im, &mean, &std);
  printf("], \"mean\": %.17g, \"std\": %.17g}", mean, std);
  rt_idx_free(&im);
  rt_idx_free(&lb);
  return 0;
}

/* Normalized values of the training set through rt_fashion_mnist_load. */
static int print_normalized(const char *dir) {
  rt_image_dataset ds;
  rt_error err;
  if (rt_fashion_mnist_load(&ds, dir, 1, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return -1;
  }
  printf("\"dataset\": {\"n\": %u, \"channels\": %d, \"rows\": %d, \"cols\": "
         "%d, \"classes\": %d, \"values\": [",
         ds.n, ds.channels, ds.rows, ds.cols, ds.classes);
  const size_t at[] = {0, 300, 7 * 784 + 400, 59999ul * 784 + 783};
  for (int k = 0; k < 4; k++)
    printf("%s[%zu, %.9g]", k ? ", " : "", at[k], ds.images[at[k]]);
  printf("], \"last_label\": %d}", ds.labels[ds.n - 1]);
  rt_image_dataset_free(&ds);
  return 0;
}

int main(int argc, char **argv) {
  rt_error err;
  if (argc == 3 && strcmp(argv[1], "stats") == 0) {
    printf("{");
    if (print_raw(argv[2], "train"))
      return 1;
    printf(", ");
    if (print_raw(argv[2], "t10k"))
      return 1;
    printf(", ");
    if (print_normalized(argv[2]))
      return 1;
    printf("}\n");
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "read") == 0) {
    rt_idx idx;
    if (rt_idx_read(&idx, argv[2], &err)) {
      printf("error: %s\n", err.msg);
      return 1;
    }
    unsigned long long sum = 0;
    for (size_t i = 0; i < idx.count; i++)
      sum += idx.data[i];
    printf("ok");
    for (int i = 0; i < idx.ndim; i++)
      printf("%s%u", i ? "x" : " ", idx.dims[i]);
    printf(" %llu\n", sum);
    rt_idx_free(&idx);
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "pair") == 0) {
    rt_image_dataset ds;
    if (rt_image_dataset_load(&ds, argv[2], argv[3], 0.5f, 0.25f, &err)) {
      printf("error: %s\n", err.msg);
      return 1;
    }
    printf("ok %u %d %.9g\n", ds.n, ds.classes, ds.images[0]);
    rt_image_dataset_free(&ds);
    return 0;
  }
  fprintf(stderr, "usage: %s stats DIR | read FILE | pair IMAGES LABELS\n", argv[0]);
  return 2;
}
