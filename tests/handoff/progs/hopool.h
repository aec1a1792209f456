/* A fixed-size thread pool with a mutex + condition variable queue, as C
 * servers write them. Lives in its own library so a test can make its
 * threads "a library's threads" (XTRACE_EXCLUDE_LIBS=libhopool*). */
#ifndef HOPOOL_H
#define HOPOOL_H

typedef struct hopool hopool;
typedef void (*hopool_fn)(void *arg);

hopool *hopool_new(int workers);
/* Runs fn(arg) on a worker and returns once it has run. */
void hopool_run(hopool *p, hopool_fn fn, void *arg);
/* Queues fn(arg) and returns. */
void hopool_submit(hopool *p, hopool_fn fn, void *arg);
void hopool_free(hopool *p);

#endif
