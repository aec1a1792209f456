#!/usr/bin/env bash
# Debian's sqlite3 CLI, unmodified, with sqlite3_prepare_v2 and sqlite3_step
# probed: the prepared SQL shows in the entry events, the step results are
# what the SQL did (101 SQLITE_DONE for the inserts, 100 SQLITE_ROW once per
# selected row), and each return event closes its own entry.
. "$(dirname "$0")/lib.sh"
pl_start_server
db=$PL_TMP/t.db
sql="create table t(x); insert into t values(11); insert into t values(22); insert into t values(33); select x from t where x > 15;"
XTRACE_PROBES='sqlite3_prepare_v2(ptr, str, int, ptr, ptr)->int; sqlite3_step(ptr)->int' \
  traced sqlite3 "$db" "$sql" >"$PL_TMP/out" 2>"$PL_TMP/err" || fail "sqlite3 failed: $(cat "$PL_TMP/err")"
[ "$(cat "$PL_TMP/out")" = $'22\n33' ] || fail "output changed: $(cat "$PL_TMP/out")"
t=$(wait_task_titled "sqlite3 $db $sql" 'any(.[]; .Label == "exit 0")')
r=$(reports "$t")
# The statements, in order, as the CLI prepared them (each entry shows the
# start of the remaining script).
jq -e '[.[] | select(.Label | startswith("→ sqlite3_prepare_v2(")) | .Label | capture("\"(?<s>[^;]*);").s]
  | map(select(test("^(create|insert|select)"))) ==
  ["create table t(x)", "insert into t values(11)", "insert into t values(22)", "insert into t values(33)", "select x from t where x > 15"]' \
  <<<"$r" >/dev/null || fail "prepared statements: $(probe_labels "$t")"
# Probe events nest like the calls (the CLI's prepare of "create table"
# steps a query of its own inside), each return closes the innermost open
# entry of its function, and the thread's events form one chain, so what
# happens inside a call descends from its entry and leads to its return.
jq -e 'reduce .[] as $e ({stack: [], ok: true, prev: null};
    (if .prev != null and $e.ProcessID == .prev.ProcessID then .ok = (.ok and $e.ParentEventID == [.prev.EventID]) else . end)
    | if $e.Agent != "probe" then .
      elif ($e.Label | startswith("→ ")) then .stack += [$e.probe]
      else .ok = (.ok and (.stack | length) > 0 and .stack[-1] == $e.probe) | .stack |= .[:-1] end
    | .prev = $e) | .ok and (.stack == [])' <<<"$r" >/dev/null ||
  fail "probe events do not nest: $(jq -c '[.[] | {Label, EventID, ParentEventID}]' <<<"$r")"
# What the steps of the select returned: a row, a row, done.
jq -e '(map(.Label | startswith("→ sqlite3_prepare_v2(") and contains("\"select x from t")) | rindex(true)) as $s |
  [.[$s:][] | select(.Label | startswith("← sqlite3_step")) | .return] == ["100", "100", "101"]' <<<"$r" >/dev/null ||
  fail "select steps: $(probe_labels "$t")"
# Each insert's step is done (101) and each prepare returned SQLITE_OK.
jq -e '[.[] | select(.Label | startswith("← sqlite3_prepare_v2")) | .return] | length >= 5 and all(. == "0")' <<<"$r" >/dev/null ||
  fail "prepare results: $(probe_labels "$t")"
jq -e '[.[] | select(.Label | test("^← sqlite3_step = -?[0-9]+ \\([0-9]+ µs\\)$"))] | length >= 7' <<<"$r" >/dev/null ||
  fail "return labels: $(probe_labels "$t")"
[ "$(sqlite3 "$db" 'select count(*) from t')" = 3 ] || fail "the inserts did not happen"
