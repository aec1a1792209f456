/* The ClickHouse store's connection: the parsed --store URL and one libcurl
 * handle that speaks ClickHouse's HTTP interface (a statement in the query
 * string, data or a statement in the body, the answer in the body; any
 * status but 200 is an error whose text is the body).
 *
 *   clickhouse+http://HOST:PORT[,HOST:PORT...]/DATABASE[?cluster=NAME]
 *
 * Statements go to the first node. With a cluster, every node listed gets
 * the schema's local tables (without ZooKeeper there is no ON CLUSTER), so
 * list one node of each shard, or run a collector against each. */
#ifndef XT_SERVER_CHCONN_H
#define XT_SERVER_CHCONN_H

#include <stddef.h>

#include "json.h"

#define XT_CH_MAX_NODES 16
#define XT_CH_NAME_MAX 64

typedef struct xt__ch_url {
  char nodes[XT_CH_MAX_NODES][128]; /* HOST:PORT */
  int nnodes;
  char db[XT_CH_NAME_MAX];
  char cluster[XT_CH_NAME_MAX]; /* "" without a cluster */
} xt__ch_url;

/* 1 if s starts with the store's scheme. */
int xt__ch_is_url(const char *s);
/* Parses the URL; -EINVAL with the reason in *why. Names are letters,
 * digits and '_' so they go into statements without quoting. */
int xt__ch_parse_url(const char *s, xt__ch_url *u, const char **why);

typedef struct xt__ch xt__ch;

/* A connection to node i of u (no I/O yet); timeout_ms bounds each
 * statement. */
int xt__ch_open(xt__ch **out, const xt__ch_url *u, int node, long timeout_ms);
void xt__ch_close(xt__ch *c);

/* Runs sql; with data, sql goes in the query string and data[0..len) is the
 * body (an INSERT's rows). The answer is appended to out (if not NULL).
 * Returns 0, -EAGAIN when the node could not be reached or timed out, or
 * -EIO when it answered with an error; the reason is in xt__ch_error. */
int xt__ch_exec(xt__ch *c, const char *sql, const void *data, size_t len, xt__buf *out);
const char *xt__ch_error(const xt__ch *c);

/* Appends s as a ClickHouse string literal: quoted, with backslash and
 * quote escaped (any other byte stands for itself). */
void xt__ch_quote(xt__buf *b, const char *s);

#endif
