/* arena.h: the per-compilation bump allocator.
 * Everything the front end and semantic analysis allocate for one compilation
 * (AST nodes, names, lists, types, symbols) lives in one arena and is released
 * by a single arena_free(); nothing allocated here is ever freed on its own. */
#ifndef DUET_ARENA_H
#define DUET_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena arena;

/* A new, empty arena. Never NULL (out of memory ends the process, exit 2). */
arena *arena_new(void);

/* Frees the arena and every block allocated from it. NULL is allowed. */
void arena_free(arena *a);

/* `size` zeroed bytes aligned for any object type. Never NULL; size 0 is
 * allowed and returns a unique non-NULL pointer. */
void *arena_alloc(arena *a, size_t size);

/* Copies `old_size` bytes of `old` (may be NULL when old_size is 0) into a new
 * zeroed block of `new_size >= old_size` bytes; the old block stays allocated
 * until arena_free. Used to grow arrays. */
void *arena_grow(arena *a, const void *old, size_t old_size, size_t new_size);

/* NUL-terminated copies of strings. */
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);

/* printf into a new arena string. */
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Heap memory outside any arena (the diagnostics store, the scanner state,
 * the cells of `duet explain`; each freed by its owner): calloc and realloc
 * that never return NULL. Out of memory anywhere ends the process with
 * "duet: internal error: out of memory" and exit status 2. */
void *arena_heap_calloc(size_t n);
void *arena_heap_realloc(void *p, size_t n);
/* vprintf into a new heap string (the caller frees it). */
char *arena_heap_vprintf(const char *fmt, va_list ap);
_Noreturn void arena_out_of_memory(void);

#endif
