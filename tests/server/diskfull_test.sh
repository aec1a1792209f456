#!/usr/bin/env bash
# A full disk under the database: failed commits are counted (store_errors),
# the server stops reading publishers instead of dropping what it accepted,
# and once space is back every report is stored exactly once.
# Needs a small file system: a tmpfs, mounted as root or inside a user and
# mount namespace; without either the test is skipped (exit 77).
# usage: diskfull_test.sh PUBLISHER DBCHECK   (XT_SERVER_BIN in the environment)
set -euo pipefail
if [ -z "${XT_DISKFULL_NS:-}" ] && [ "$(id -u)" != 0 ]; then
  if unshare -rm true 2>/dev/null; then XT_DISKFULL_NS=1 exec unshare -rm "$0" "$@"; fi
  echo "SKIP: cannot mount a tmpfs here (not root, no user namespaces)"
  exit 77
fi
. "$(dirname "$0")/../lib/xtserver.sh"
pub=$1 check=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
stat_of() { xt_stats_json | jq ".$1"; }
mnt=$(mktemp -d "${TMPDIR:-/tmp}/xtfull.XXXXXX")
if ! mount -t tmpfs -o size=64m tmpfs "$mnt" 2>/dev/null; then
  rmdir "$mnt"
  echo "SKIP: cannot mount a tmpfs here"
  exit 77
fi
pub_pid=
cleanup() {
  [ -n "$pub_pid" ] && kill "$pub_pid" 2>/dev/null
  xt__cleanup
  umount "$mnt" && rmdir "$mnt"
}
trap cleanup EXIT
# Leave about 3 MiB for the database: far less than the reports need. Once
# the ballast goes, 64 MiB hold them and the WAL (checkpointed only every
# 128 MiB) several times over.
head -c $((61 << 20)) /dev/zero >"$mnt/ballast"
n=20000
XT_DATA_DIR=$mnt/data xt_server_start
trap cleanup EXIT
"$pub" "$XTRACE_SERVER" bench $n &
pub_pid=$!

for _ in $(seq 1 600); do [ "$(stat_of store_failing)" = true ] && break; sleep 0.1; done
stats=$(xt_stats_json)
[ "$(jq .store_failing <<<"$stats")" = true ] || fail "commits on a full disk not reported failing: $stats"
[ "$(jq .store_errors <<<"$stats")" -ge 1 ] || fail "failed commit not counted: $stats"
[ "$(jq .reports_lost <<<"$stats")" = 0 ] || fail "reports dropped while the disk is full: $stats"
[ "$(jq .stored <<<"$stats")" -lt $n ] || fail "everything stored on a full disk: $stats"

# Space comes back: the held reports are committed and reading resumes.
rm "$mnt/ballast"
wait "$pub_pid" || fail "publisher failed"
pub_pid=
xt_wait_reports $n 120 || fail "reports not stored once space was back: $(xt_stats_json)"
stats=$(xt_stats_json)
[ "$(jq .store_failing <<<"$stats")" = false ] || fail "still failing: $stats"
[ "$(jq .reports_lost <<<"$stats")" = 0 ] || fail "reports lost: $stats"
[ "$(jq .received <<<"$stats")" = $n ] && [ "$(jq .stored <<<"$stats")" = $n ] || fail "counts: $stats"
echo "store_errors $(jq .store_errors <<<"$stats") while the disk was full"
xt_server_stop || fail "SIGTERM: non-zero exit"
# Nothing stored twice or half: rows and task counts match what was sent.
read -r integrity rows tasks reports < <("$check" "$mnt/data")
[ "$integrity" = ok ] || fail "integrity: $integrity"
[ "$rows" = $n ] && [ "$reports" = $n ] || fail "stored rows $rows, task reports $reports, sent $n"
[ "$tasks" = $((n / 100)) ] || fail "tasks $tasks, expected $((n / 100))"
echo PASS
