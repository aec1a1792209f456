#!/usr/bin/env bash
# Two collectors on one two-shard ClickHouse cluster (plain processes, see
# tests/lib/chcluster.sh), beside a SQLite collector as the reference:
#  - several publishers into both collectors; both list the same tasks and
#    serve the same reports, and those are what was sent;
#  - the same reports give the same JSON on ClickHouse as on SQLite, with
#    and without a cluster;
#  - a task whose reports went half to each collector is one task in both;
#  - one collector's live stream shows a task stored through the other;
#  - kill -9 of a shard while publishers send, then its restart: the
#    collectors hold the reports back meanwhile (store_failing, errors
#    counted), and every report is stored and shown exactly once;
#  - --retain-days drops old day partitions and keeps today's.
# usage: cluster_test.sh PUBLISHER
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/chcluster.sh"
pub=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

run=$(mktemp -d "${TMPDIR:-/tmp}/xtcluster.XXXXXX")
declare -A cpid chttp crep
cleanup() {
  local n
  for n in "${!cpid[@]}"; do kill -TERM "${cpid[$n]}" 2>/dev/null || true; wait "${cpid[$n]}" 2>/dev/null || true; done
  xt__ch_cleanup
  rm -rf "$run"
}

# collector NAME ARGS...: an xtrace-server on free ports; sets chttp[NAME]
# (http://host:port) and crep[NAME] (the report address).
collector() {
  local name=$1
  shift
  : >"$run/$name.out"
  "$XT_SERVER_BIN" --reports-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 "$@" >"$run/$name.out" 2>"$run/$name.log" &
  cpid[$name]=$!
  local i
  for i in $(seq 200); do
    grep -q '^http: ' "$run/$name.out" && break
    kill -0 "${cpid[$name]}" 2>/dev/null || { cat "$run/$name.log" >&2; fail "collector $name exited"; }
    sleep 0.05
  done
  crep[$name]=$(sed -n 's/^reports: //p' "$run/$name.out")
  chttp[$name]=$(sed -n 's#^http: \(http://[^/]*\)/$#\1#p' "$run/$name.out")
  [ -n "${chttp[$name]}" ] || fail "collector $name printed no address"
}

get() { curl -sS --fail --max-time 30 "${chttp[$1]}$2"; }
stat() { get "$1" /api/stats | jq -r ".$2"; }

# Waits until collector NAME has received at least N reports and stored
# all it received.
settled() {
  local name=$1 want=$2 deadline=$((SECONDS + 120)) s
  while [ "$SECONDS" -le "$deadline" ]; do
    s=$(get "$name" /api/stats)
    if [ "$(jq -r .received <<<"$s")" -ge "$want" ] && [ "$(jq -r '.stored == .received' <<<"$s")" = true ]; then
      return 0
    fi
    sleep 0.1
  done
  fail "collector $name did not store $want reports: $(get "$name" /api/stats)"
}

xt_ch_start 2 || fail "no cluster"
trap cleanup EXIT
url_a=$(xt_ch_store_url xt)
# Collector B talks to shard 2 first.
url_b="clickhouse+http://${XT_CH_HTTP[2]#http://},${XT_CH_HTTP[1]#http://}/xt?cluster=xt"
collector a --store "$url_a"
collector b --store "$url_b"
collector s --data-dir "$run/sqlite"

# 1. Several publishers into both collectors, the fixed scenario into A and
# into the SQLite reference, a task split between A and B.
pids=()
for c in a a b b; do "$pub" "${crep[$c]}" bench 5000 & pids+=($!); done
"$pub" "${crep[a]}" scenario
"$pub" "${crep[s]}" scenario
"$pub" "${crep[a]}" chain 5117 1 30
"$pub" "${crep[b]}" chain 5117 31 30
for p in "${pids[@]}"; do wait "$p" || fail "a publisher failed"; done
settled a $((10000 + 7 + 30))
settled b $((10000 + 30))
settled s 7

tasks_a=$(get a '/api/tasks?limit=1000')
tasks_b=$(get b '/api/tasks?limit=1000')
[ "$tasks_a" = "$tasks_b" ] || fail "the collectors list different tasks"
[ "$(jq length <<<"$tasks_a")" -eq $((200 + 3 + 1)) ] || fail "expected 204 tasks, got $(jq length <<<"$tasks_a")"
[ "$(jq 'map(.reports) | add' <<<"$tasks_a")" -eq $((20000 + 7 + 60)) ] || fail "report counts do not add up"
[ "$(jq '[.[] | select(.title | startswith("handled request")) | .reports == 100] | all' <<<"$tasks_a")" = true ] ||
  fail "a bench task does not hold its 100 reports"

# A sample of bench tasks: the same reports from both collectors.
for t in $(jq -r '[.[] | select(.title | startswith("handled request"))][0:20] | .[].id' <<<"$tasks_a"); do
  ra=$(get a "/reports/$t")
  [ "$ra" = "$(get b "/reports/$t")" ] || fail "task $t differs between the collectors"
  [ "$(grep -c '^X-Trace Report' <<<"$ra")" -eq 100 ] || fail "task $t: not 100 reports"
done

# 2. The same reports, the same JSON as SQLite's.
for path in "/interactive/reports/1234abcd5678ef01,2,3" "/reports/1234abcd5678ef01" \
            "/api/tasks?q=BACKEND" "/api/tasks?tag=rpc" "/api/tasks?process=front" "/api/tasks?q=other&limit=5" \
            "/api/tasks/1234abcd5678ef01/reports?limit=2" "/api/tasks/1234abcd5678ef01/reports?offset=1&pid=202" \
            "/api/tasks/1234abcd5678ef01/reports?host=beta&tid=202" "/api/tasks/1234abcd5678ef01/condensed" \
            "/api/tasks/2/condensed"; do
  ref=$(get s "$path")
  [ "$(get a "$path")" = "$ref" ] || { echo "sqlite: $ref" >&2; echo "clickhouse: $(get a "$path")" >&2; fail "$path differs from SQLite"; }
  [ "$(get b "$path")" = "$ref" ] || fail "$path on B differs from SQLite"
done
for id in 1234abcd5678ef01 2 3; do
  [ "$(get a "/api/tasks?limit=1000" | jq -c ".[] | select(.id == \"$(printf %016x 0x$id)\")")" = \
    "$(get s "/api/tasks" | jq -c ".[] | select(.id == \"$(printf %016x 0x$id)\")")" ] || fail "summary of $id differs"
done

# Without a cluster: plain tables on one node, the same answers.
collector one --store "clickhouse+http://${XT_CH_HTTP[1]#http://}/xtsingle"
"$pub" "${crep[one]}" scenario
settled one 7
for path in "/interactive/reports/1234abcd5678ef01,2,3" "/api/tasks" "/api/tasks?q=uote" "/api/tasks?tag=batch"; do
  [ "$(get one "$path")" = "$(get s "$path")" ] || fail "$path without a cluster differs from SQLite"
done
[ "$(xt_ch_query 1 "SELECT engine FROM system.tables WHERE database = 'xtsingle' AND name = 'reports'")" = \
  ReplacingMergeTree ] || fail "without a cluster, reports is not a plain table"

# 3. The split task: one task of 60 reports in order, on both.
split_a=$(get a /interactive/reports/5117)
[ "$split_a" = "$(get b /interactive/reports/5117)" ] || fail "the split task differs between the collectors"
[ "$(get a /api/tasks/5117/condensed)" = "$(get b /api/tasks/5117/condensed)" ] ||
  fail "the split task's condensed view differs between the collectors"
[ "$(get b '/api/tasks/5117/reports?offset=25&limit=10' | jq -c '[.total, [.reports[].EventID], .next]')" = \
  '[60,["26","27","28","29","30","31","32","33","34","35"],35]' ] || fail "a page of the split task is wrong"
[ "$(jq -c '[.[0].reports[].EventID | tonumber]' <<<"$split_a")" = "$(jq -c '[range(1; 61)]' <<<null)" ] ||
  fail "the split task does not hold events 1..60 in order"
[ "$(jq -c '.[] | select(.id == "0000000000005117") | [.reports, .first, .last]' <<<"$tasks_b")" = \
  "[60,1700000000000010,1700000000000600]" ] || fail "the split task's summary is wrong"

# A task longer than a page of the walk (XT_CH_PAGE_ROWS, 16,384 rows):
# half of it through each collector, every view of it as SQLite gives it,
# streamed page by page.
"$pub" "${crep[a]}" chain 10ca1 1 20000
"$pub" "${crep[b]}" chain 10ca1 20001 20000
"$pub" "${crep[s]}" chain 10ca1 1 40000
settled a $((10000 + 7 + 30 + 20000))
settled b $((10000 + 30 + 20000))
settled s $((7 + 40000))
for path in /interactive/reports/10ca1 /reports/10ca1 "/api/tasks/10ca1/reports?offset=32760&limit=10" \
            /api/tasks/10ca1/condensed; do
  get s "$path" >"$run/long.sqlite"
  get a "$path" >"$run/long.a"
  get b "$path" >"$run/long.b"
  cmp -s "$run/long.sqlite" "$run/long.a" || fail "$path of the long task differs from SQLite on A"
  cmp -s "$run/long.sqlite" "$run/long.b" || fail "$path of the long task differs from SQLite on B"
done
get a /interactive/reports/10ca1 | jq -e '[.[0].reports[].EventID | tonumber] == [range(1; 40001)]' >/dev/null ||
  fail "the long task is not events 1..40000 in order"

# The live stream of B shows a task that only A received.
curl -sS -N --max-time 60 "${chttp[b]}/api/events" >"$run/events" 2>/dev/null &
spid=$!
until grep -q '^: connected' "$run/events"; do kill -0 $spid 2>/dev/null || fail "no event stream"; sleep 0.05; done
"$pub" "${crep[a]}" one 5eed "seen everywhere"
deadline=$((SECONDS + 30))
until grep -q '"id":"0000000000005eed","title":"seen everywhere"' "$run/events"; do
  [ "$SECONDS" -le "$deadline" ] || fail "B's live stream did not show a task stored through A"
  sleep 0.1
done
kill $spid 2>/dev/null || true
wait $spid 2>/dev/null || true
settled a $((10000 + 7 + 30 + 1))

# A retried INSERT stores rows a second time: the copies must stay
# invisible, in the reports and in the summary. Merges are stopped
# meanwhile: a ReplacingMergeTree merge may collapse the copies at any
# moment, and the check below that they are stored would then fail by chance.
split_sum=$(get a '/api/tasks?limit=1000' | jq -c '.[] | select(.id == "0000000000005117")')
for ((i = 1; i <= XT_CH_N; i++)); do xt_ch_query "$i" "SYSTEM STOP MERGES" || fail "merges not stopped"; done
curl -sS --fail "${XT_CH_HTTP[1]}/?insert_distributed_sync=1" \
  --data-binary "INSERT INTO xt.reports SELECT * FROM xt.reports WHERE task = $((0x5117))" || fail "no copy inserted"
[ "$(xt_ch_query 2 "SELECT count() FROM xt.reports WHERE task = $((0x5117))")" -eq 120 ] || fail "the copy is not stored"
[ "$(get b /interactive/reports/5117)" = "$split_a" ] || fail "rows stored twice show twice"
[ "$(get b /api/tasks/5117/reports | jq .total)" -eq 60 ] || fail "rows stored twice count twice in a page"
[ "$(get b '/api/tasks?limit=1000' | jq -c '.[] | select(.id == "0000000000005117")')" = "$split_sum" ] ||
  fail "rows stored twice change the summary"
for ((i = 1; i <= XT_CH_N; i++)); do xt_ch_query "$i" "SYSTEM START MERGES" || fail "merges not started"; done

# 4. kill -9 of shard 2 while publishers send, then its restart.
before_a=$(stat a received)
before_b=$(stat b received)
pids=()
for c in a a b b; do "$pub" "${crep[$c]}" bench 20000 & pids+=($!); done
xt_wait_stored_more() {
  local deadline=$((SECONDS + 60))
  while [ "$SECONDS" -le "$deadline" ]; do
    [ "$(stat a stored)" -gt $((before_a + 2000)) ] && return 0
    sleep 0.05
  done
  fail "no ingest before the kill"
}
xt_wait_stored_more
xt_ch_kill9 2
# Reports sent after the kill cannot be stored until the shard is back,
# whoever receives them: each collector must see its commits fail.
"$pub" "${crep[a]}" bench 2000
"$pub" "${crep[b]}" bench 2000
for c in a b; do
  deadline=$((SECONDS + 60))
  until [ "$(stat $c store_failing)" = true ]; do
    [ "$SECONDS" -le "$deadline" ] || fail "collector $c never saw the shard down"
    sleep 0.05
  done
done
xt_ch_restart 2 || fail "shard 2 did not restart"
for p in "${pids[@]}"; do wait "$p" || fail "a publisher failed"; done
settled a $((before_a + 42000))
settled b $((before_b + 42000))
for c in a b; do
  [ "$(stat $c store_errors)" -gt 0 ] || fail "collector $c counted no store errors"
  [ "$(stat $c reports_lost)" -eq 0 ] || fail "collector $c lost reports"
done
total=$((20000 + 7 + 60 + 40000 + 1 + 80000 + 4000))
all=$( (get a '/api/tasks?limit=1000&offset=0'; get a '/api/tasks?limit=1000&offset=1000') | jq -s 'add')
ntasks=$((200 + 3 + 1 + 1 + 1 + 800 + 40))
[ "$(jq length <<<"$all")" -eq "$ntasks" ] || fail "expected $ntasks tasks after the kill, got $(jq length <<<"$all")"
[ "$(jq 'map(.reports) | add' <<<"$all")" -eq "$total" ] || fail "after the kill the summaries count $(jq 'map(.reports) | add' <<<"$all"), sent $total"
[ "$(xt_ch_query 1 'SELECT count() FROM xt.reports FINAL')" -eq "$total" ] || fail "stored reports are not those sent"
raw=$(xt_ch_query 1 'SELECT count() FROM xt.reports')
# Every task of the run shows 100 reports, no more: duplicates stay invisible.
for t in $(jq -r '[.[] | select(.title | startswith("handled request"))] | .[-30:] | .[].id' <<<"$all"); do
  n=$(get b "/interactive/reports/$t" | jq '.[0].reports | length')
  [ "$n" -eq 100 ] || fail "task $t shows $n reports"
done

# 5. Retention: reports of 2023 go, today's stay.
collector r --store "clickhouse+http://${XT_CH_HTTP[1]#http://},${XT_CH_HTTP[2]#http://}/xtret?cluster=xt" --retain-days 1
# Scenario reports are of November 2023, bench ones of now.
"$pub" "${crep[r]}" scenario
"$pub" "${crep[r]}" bench 300
settled r 307
deadline=$((SECONDS + 60))
until [ "$(get r '/api/tasks?limit=1000' | jq '[.[] | select(.first < 1750000000000000)] | length')" -eq 0 ] &&
      [ "$(get r /interactive/reports/3 | jq '.[0].reports | length')" -eq 0 ]; do
  [ "$SECONDS" -le "$deadline" ] || fail "old reports were not dropped"
  sleep 0.1
done
[ "$(get r '/api/tasks?limit=1000' | jq 'map(.reports) | add')" -eq 300 ] || fail "retention dropped today's reports"
[ "$(stat r partitions_dropped)" -gt 0 ] || fail "no partition counted as dropped"

# Each collector stops cleanly (a sanitizer's report would make it fail).
for c in "${!cpid[@]}"; do
  kill -TERM "${cpid[$c]}"
  rc=0
  wait "${cpid[$c]}" || rc=$?
  unset "cpid[$c]"
  [ "$rc" -eq 0 ] || { cat "$run/$c.log" >&2; fail "collector $c exited with $rc"; }
done

echo "PASS ($total reports in $ntasks tasks; $raw rows in the table before merges collapse copies)"
