/* Opens a data directory's database the way a restarted server would and
 * prints "<integrity_check result> <reports> <tasks> <sum of tasks.reports>",
 * e.g. "ok 1200 12 1200" (the last two agree when the summaries are exact).
 * Exit status 0 only when integrity_check says ok. */
#include <sqlite3.h>
#include <stdio.h>

static long long scalar(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  long long v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: dbcheck DATA_DIR\n");
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/xtrace.db", argv[1]);
  sqlite3 *db;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
    printf("cannot-open -1 -1 -1\n");
    return 1;
  }
  sqlite3_stmt *st;
  char result[256] = "error";
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    snprintf(result, sizeof result, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  printf("%s %lld %lld %lld\n", result, scalar(db, "SELECT coalesce(sum(n), 0) FROM chunks"),
         scalar(db, "SELECT count(*) FROM tasks"), scalar(db, "SELECT coalesce(sum(reports), 0) FROM tasks"));
  sqlite3_close(db);
  return result[0] == 'o' && result[1] == 'k' && !result[2] ? 0 : 1;
}
