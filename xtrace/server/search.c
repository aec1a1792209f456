#include "search.h"

#include <errno.h>
#include <stddef.h>

#include "log.h"

/* Trigrams, so any substring of three characters or more is looked up in the
 * index, as the LIKE scan it replaces found it; detail=none (no positions)
 * makes the index about half as large and twice as quick to fill, and costs
 * nothing here because every candidate is checked against the stored text
 * anyway (LIKE on an FTS5 table is re-checked by SQLite). External content:
 * the text is read from chunks.labels, not stored twice. A chunk leaves the
 * index with the delete trigger, which must give the text it was indexed
 * with, and only for chunks the index holds. New chunks always get a rowid
 * above the watermark (summary.c's insert says so explicitly, since SQLite
 * would reuse the rowid of a deleted last row). */
const char xt__search_schema[] =
    "CREATE VIRTUAL TABLE IF NOT EXISTS labels_fts USING fts5(labels, content='chunks',"
    " content_rowid='rowid', tokenize='trigram', detail='none');"
    "CREATE TABLE IF NOT EXISTS fts_state(id INTEGER PRIMARY KEY CHECK(id = 0), indexed INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO fts_state VALUES(0, 0);"
    "CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks"
    " WHEN old.rowid <= (SELECT indexed FROM fts_state) BEGIN"
    " INSERT INTO labels_fts(labels_fts, rowid, labels) VALUES('delete', old.rowid, old.labels); END;";

/* Runs sql with ?1 and ?2 bound. Returns the first column of its first row,
 * 0 if it has none, or -EIO; *count (if not NULL) gets the second column. */
static long long run(sqlite3 *db, const char *sql, long long a, long long b, long long *second) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -EIO;
  sqlite3_bind_int64(st, 1, a);
  sqlite3_bind_int64(st, 2, b);
  int rc = sqlite3_step(st);
  long long v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : rc == SQLITE_DONE ? 0 : -EIO;
  if (second) *second = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
  sqlite3_finalize(st);
  return v;
}

int xt__search_index_step(sqlite3 *db, int max_chunks) {
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) goto fail;
  long long n = 0, from = run(db, "SELECT indexed FROM fts_state", 0, 0, NULL);
  long long to = from < 0 ? -EIO
                          : run(db,
                                "SELECT coalesce(max(rowid), 0), count(*) FROM (SELECT rowid FROM chunks"
                                " WHERE rowid > ?1 ORDER BY rowid LIMIT ?2)",
                                from, max_chunks, &n);
  if (to < 0) goto fail;
  if (n > 0 && (run(db,
                    "INSERT INTO labels_fts(rowid, labels) SELECT rowid, labels FROM chunks"
                    " WHERE rowid > ?1 AND rowid <= ?2",
                    from, to, NULL) < 0 ||
                run(db, "UPDATE fts_state SET indexed = ?1", to, 0, NULL) < 0))
    goto fail;
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) goto fail;
  return (int)n;
fail:
  xt__log("store", "search index: %s", sqlite3_errmsg(db));
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return -EIO;
}

long long xt__search_lag(sqlite3 *db) {
  return run(db, "SELECT count(*) FROM chunks WHERE rowid > (SELECT indexed FROM fts_state)", 0, 0, NULL);
}
