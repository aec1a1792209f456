/* The condensed view of a task: what a task too large to draw event by event
 * is made of. Per process (with each program it ran, so an exec shows) and
 * per thread: report count and time span; the causal edges between threads,
 * counted; and the critical path (from the last event, always to the parent
 * that happened latest) as the runs of it that stay on one thread.
 *
 * Built from one walk of the task (taskiter.h), so any store that walks a
 * task serves it. Memory is bounded whatever the task's size: the event
 * table that resolves parents keeps the last XT_CONDENSE_EVENTS events
 * (about 32 bytes each), threads and edges are capped, and whatever falls
 * outside the bounds is counted in the answer, never silently dropped.
 * The last 8 answers (each up to 1 MiB) are kept, keyed by the task's state,
 * so opening the same task again costs no walk. */
#ifndef XT_SERVER_CONDENSE_H
#define XT_SERVER_CONDENSE_H

#include <sqlite3.h>
#include <stdint.h>

#include "json.h"

#define XT_CONDENSE_EVENTS (1u << 20) /* events whose IDs parents are resolved against */
#define XT_CONDENSE_THREADS 4096
#define XT_CONDENSE_EDGES 65536       /* distinct (from thread, to thread) pairs */
#define XT_CONDENSE_SEGMENTS 4096     /* runs of the critical path listed */

/* Appends the condensed view of a task as one JSON object (an unknown task
 * has no reports). Returns 0 or a negative errno. */
int xt__condense_task(sqlite3 *db, int64_t task, xt__buf *out);

#endif
