/*
 * imageset.c - image classification datasets from a pair of IDX files
 * (images [n, rows, cols], labels [n]), normalized to float, and the
 * Fashion-MNIST files of Debian's dataset-fashion-mnist package.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rt_io.h"

/* Checks the shapes of the two files against each other. */
static int check_pair(const rt_idx *im, const char *images_path, const rt_idx *lb,
                      const char *labels_path, rt_error *err) {
  if (im->ndim != 3) {
    rt_error_set(err,
                 "%s: expected images with 3 dimensions [count, rows, "
                 "cols], got %d",
                 images_path, im->ndim);
    return -1;
  }
  if (lb->ndim != 1) {
    rt_error_set(err, "%s: expected labels with 1 dimension [count], got %d", labels_path,
                 lb->ndim);
    return -1;
  }
  if (im->dims[0] != lb->dims[0]) {
    rt_error_set(err, "%s has %u images but %s has %u labels", images_path, im->dims[0],
                 labels_path, lb->dims[0]);
    return -1;
  }
  if (im->dims[0] == 0) {
    rt_error_set(err, "%s: no images", images_path);
    return -1;
  }
  return 0;
}

void rt_pixel_table(float mean, float std, float table[256]) {
  for (int v = 0; v < 256; v++)
    table[v] = ((float)v / 255.0f - mean) / std;
}

int rt_image_dataset_load(rt_image_dataset *ds, const char *images_path, const char *labels_path,
                          float mean, float std, rt_error *err) {
  *ds = (rt_image_dataset){0};
  if (!(std > 0)) {
    rt_error_set(err, "%s: normalization std must be positive, got %g", images_path, std);
    return -1;
  }
  rt_idx im, lb = {0};
  int rc = rt_idx_read(&im, images_path, err);
  if (rc == 0)
    rc = rt_idx_read(&lb, labels_path, err);
  if (rc == 0)
    rc = check_pair(&im, images_path, &lb, labels_path, err);
  if (rc == 0) {
    ds->images = malloc(im.count * sizeof *ds->images);
    ds->labels = malloc(lb.count * sizeof *ds->labels);
    if (!ds->images || !ds->labels) {
      rt_error_set(err, "%s: out of memory", images_path);
      rc = -1;
    }
  }
  if (rc == 0) {
    float table[256];
    rt_pixel_table(mean, std, table);
    for (size_t i = 0; i < im.count; i++)
      ds->images[i] = table[im.data[i]];
    int maxlabel = 0;
    for (size_t i = 0; i < lb.count; i++) {
      ds->labels[i] = lb.data[i];
      if (lb.data[i] > maxlabel)
        maxlabel = lb.data[i];
    }
    ds->n = im.dims[0];
    ds->channels = 1;
    ds->rows = (int)im.dims[1];
    ds->cols = (int)im.dims[2];
    ds->classes = maxlabel + 1;
  }
  rt_idx_free(&im);
  rt_idx_free(&lb);
  if (rc)
    rt_image_dataset_free(ds);
  return rc;
}

int rt_fashion_mnist_load(rt_image_dataset *ds, const char *dir, int train, rt_error *err) {
  if (!dir)
    dir = RT_FASHION_MNIST_DIR;
  const char *set = train ? "train" : "t10k";
  char images[4096], labels[4096];
  int ni = snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, set);
  int nl = snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, set);
  if (ni < 0 || nl < 0 || (size_t)ni >= sizeof images || (size_t)nl >= sizeof labels) {
    *ds = (rt_image_dataset){0};
    rt_error_set(err, "%s: directory name too long", dir);
    return -1;
  }
  return rt_image_dataset_load(ds, images, labels, RT_FASHION_MNIST_MEAN, RT_FASHION_MNIST_STD,
                               err);
}

void rt_image_dataset_free(rt_image_dataset *ds) {
  free(ds->images);
  free(ds->labels);
  *ds = (rt_image_dataset){0};
}
