/* The reports of one task, one at a time, in time order and then arrival
 * order, without holding the task in memory.
 *
 * This is the one read primitive every view of a task is built on (the
 * compatibility endpoints, the pages of the JSON API, the condensed view):
 * a store backend that can walk a task's reports in this order implements
 * these functions and gets every task view. */
#ifndef XT_SERVER_TASKITER_H
#define XT_SERVER_TASKITER_H

#include <sqlite3.h>
#include <stdint.h>

typedef struct xt__task_iter xt__task_iter;

/* Starts walking a task (an unknown task walks nothing): the task as it is
 * now; reports stored later are not in the walk. The iterator reads through
 * db until closed, but holds no read transaction open between calls.
 * Returns 0 or a negative errno. */
int xt__task_iter_open(sqlite3 *db, int64_t task, xt__task_iter **out);

/* The number of stored reports of the task, counted at open. */
int64_t xt__task_iter_total(const xt__task_iter *it);

/* A value that, with the total, changes whenever the task's stored reports
 * do: what a cache of a view of the task is keyed on. */
int64_t xt__task_iter_version(const xt__task_iter *it);

/* The next report: returns 1 and sets its stored time and serialized bytes
 * (valid until the next call), 0 after the last, or a negative errno. */
int xt__task_iter_next(xt__task_iter *it, int64_t *ts, const uint8_t **raw, uint32_t *len);

void xt__task_iter_close(xt__task_iter *it);

#endif
