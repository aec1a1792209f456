/* The live stream on ClickHouse: several collectors write to one cluster,
 * so a collector's own commits do not tell it every task that changed. A
 * thread polls the summary table once a second for the tasks that received
 * reports since the last poll, whoever stored them, and publishes them
 * (events.c), while stream clients are connected. */
#ifndef XT_SERVER_CHPOLL_H
#define XT_SERVER_CHPOLL_H

#include "chconn.h"
#include "events.h"

typedef struct xt__chpoll xt__chpoll;

/* u and e must outlive the poller. */
int xt__chpoll_start(xt__chpoll **out, const xt__ch_url *u, xt__events *e);
void xt__chpoll_stop(xt__chpoll *p);

#endif
