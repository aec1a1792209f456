/* The full-text index behind q: an FTS5 trigram index over chunks.labels,
 * filled behind the commits rather than inside them, so that ingest never
 * waits for it. fts_state.indexed is the highest chunk rowid indexed; the
 * chunks above it are searched by a scan until the writer, between commits,
 * indexes them. */
#ifndef XT_SERVER_SEARCH_H
#define XT_SERVER_SEARCH_H

#include <sqlite3.h>

/* Schema of the index (part of store.c's schema; see there). */
extern const char xt__search_schema[];

/* Indexes up to max_chunks chunks past the watermark in one transaction.
 * Returns how many it indexed (0: caught up) or -EIO. */
int xt__search_index_step(sqlite3 *db, int max_chunks);

/* Chunks not indexed yet, or -EIO. */
long long xt__search_lag(sqlite3 *db);

#endif
