/* data_loaders.h: the loader of each row of the data-source table
 * (data_sources.c), defined in data_loaders.c. */
#ifndef DUET_HOST_DATA_LOADERS_H
#define DUET_HOST_DATA_LOADERS_H

#include "data_sources.h"

/* The byte-level text corpora keep this fraction (at the end) for "val". */
#define HOST_TEXT_VAL_FRACTION 0.1

int host_load_fashion_mnist(host_dataset *d, const host_binding *b, const host_load_env *env,
                            rt_error *err, rt_error *hint);
int host_load_kjv(host_dataset *d, const host_binding *b, const host_load_env *env, rt_error *err,
                  rt_error *hint);
int host_load_linreg(host_dataset *d, const host_binding *b, const host_load_env *env,
                     rt_error *err, rt_error *hint);
int host_load_quadratic(host_dataset *d, const host_binding *b, const host_load_env *env,
                        rt_error *err, rt_error *hint);
int host_load_clusters(host_dataset *d, const host_binding *b, const host_load_env *env,
                       rt_error *err, rt_error *hint);
int host_load_spectrum(host_dataset *d, const host_binding *b, const host_load_env *env,
                       rt_error *err, rt_error *hint);
int host_load_spurious_pixel(host_dataset *d, const host_binding *b, const host_load_env *env,
                             rt_error *err, rt_error *hint);
int host_load_routing(host_dataset *d, const host_binding *b, const host_load_env *env,
                      rt_error *err, rt_error *hint);
int host_load_icl_linreg(host_dataset *d, const host_binding *b, const host_load_env *env,
                         rt_error *err, rt_error *hint);
int host_load_cycle(host_dataset *d, const host_binding *b, const host_load_env *env, rt_error *err,
                    rt_error *hint);

/* data_files.c: the sources of the user's files. */
int host_probe_arrays(host_example *ex, const host_binding *b, rt_error *err, rt_error *hint);
int host_load_arrays(host_dataset *d, const host_binding *b, const host_load_env *env,
                     rt_error *err, rt_error *hint);
int host_load_text(host_dataset *d, const host_binding *b, const host_load_env *env, rt_error *err,
                   rt_error *hint);
int host_probe_tokens(host_example *ex, const host_binding *b, rt_error *err, rt_error *hint);
int host_load_tokens(host_dataset *d, const host_binding *b, const host_load_env *env,
                     rt_error *err, rt_error *hint);
/* The windows of d->ex.context bytes of the text file at path: split
 * "all", or "train" and "val" with the last `holdout` of the bytes held
 * out for "val". */
int host_load_text_file(host_dataset *d, const char *path, const char *split, double holdout,
                        rt_error *err);

#endif
