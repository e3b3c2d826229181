/* host_conv.h: the convolutions' path of a run (rt_kernels.h, "convolution
 * paths") as --conv sets it (auto, im2col, onednn, or the picks of an
 * earlier run pinned from its summary.json), as summary.json and the
 * checkpoint record it, and as a resumed run takes it back from its
 * checkpoint. `duet run`, compare, sweep, predict and the emitted train and
 * predict share it. */
#ifndef DUET_HOST_CONV_H
#define DUET_HOST_CONV_H

#include "rt_io.h"

/* The fields host_conv_fields writes at most. */
enum { HOST_CONV_FIELDS = 3 };

/* Sets the convolutions' path from --conv's value (NULL: auto), after the
 * GEMM backend is chosen: auto, im2col or onednn, or else the path of a
 * run directory or of its summary.json, whose setting ("conv") the run
 * takes and whose picks ("conv_picks") it pins (rt_conv_pin): its other
 * shapes and passes are timed. Returns 0, or -1 with a message and maybe
 * a hint: onednn or picks to pin without the oneDNN backend, no oneDNN in
 * this build, the file unreadable, not JSON, without the setting or picks,
 * or a pick malformed (nothing is pinned then). */
int host_conv_apply(const char *conv, rt_error *err, rt_error *hint);

/* A resumed run's path: the setting and picks its checkpoint's state file
 * recorded (HOST_META_CONV, written from host_conv_fields), taken as
 * recorded (times, pins and the file they were pinned from), so that the
 * run goes on with the picks it made; `from` (the state file) names them
 * in messages. A checkpoint without them leaves the setting as it is.
 * Returns 0, or -1 with a message: malformed, or picks without the oneDNN
 * backend. */
int host_conv_resume(const rt_st_file *state, const char *from, rt_error *err);

/* The fields of the path into f (room for HOST_CONV_FIELDS): "conv" (the
 * setting), "conv_pinned_from" (the file of host_conv_apply's or
 * host_conv_resume's pins, if any) and "conv_picks" (one object per pick
 * made so far in the process: pass, shape, then the times of a timed pick
 * or "pinned": true, then the pick); their storage in *store, which the
 * caller frees after use. Returns the number of fields. */
size_t host_conv_fields(rt_field *f, rt_field **store);

/* The end-of-run lines of the path: the setting (and the file pins came
 * from), then one line per pick: its shape and pass, then both times and
 * the pick, or "pinned" and the pick. */
void host_conv_print(void);

#endif
