/* drv_files.h: the files of a loaded program as a run directory keeps
 * them (host_source_file): the .duet file and the files it uses under
 * source/, in the layout they have under their deepest common directory,
 * so that every relative `use` still finds its file, and the standard
 * library files among them under stdlib/, as in the stdlib directory. A
 * program loaded from source/<file> with stdlib/ as its stdlib directory
 * is the program the run was made from. */
#ifndef DUET_DRV_FILES_H
#define DUET_DRV_FILES_H

#include "drv_build.h"
#include "host_experiment.h"

#define DRV_SOURCE_DIR "source" /* in a run directory */
#define DRV_STDLIB_DIR "stdlib"

/* Every file of s (the .duet file first), its text in s, the paths in the
 * source's arena; their number into *n. stdlib_dir: the directory the
 * program's standard library files were read from. */
host_source_file *drv_program_files(drv_source *s, const char *stdlib_dir, int *n);

#endif
