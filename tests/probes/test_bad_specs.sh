#!/usr/bin/env bash
# Bad specs, a variadic function and a missing symbol: each is reported once
# on stderr (XTRACE_DEBUG) and in the start event; the good probe still
# works and the program's output is what it is without the preload.
. "$(dirname "$0")/lib.sh"
pl_start_server
db=$PL_TMP/t.db
sql="create table t(x); insert into t values(5); select x * 2 from t;"
sqlite3 "$db.plain" "$sql" >"$PL_TMP/want" 2>&1
XTRACE_DEBUG=1 XTRACE_PROBES='sqlite3_step(ptr; printf(str, ...)->int; no_such_fn(int)->int; sqlite3_step(ptr)->int; sqlite3_close(ptr)->widget' \
  traced sqlite3 "$db" "$sql" >"$PL_TMP/out" 2>"$PL_TMP/err" || fail "sqlite3 failed: $(cat "$PL_TMP/err")"
cmp -s "$PL_TMP/want" "$PL_TMP/out" || fail "output changed: $(cat "$PL_TMP/out")"
[ "$(grep -c 'XTRACE_PROBES:' "$PL_TMP/err")" = 1 ] || fail "not reported once: $(cat "$PL_TMP/err")"
for why in "'sqlite3_step(ptr': no ')'" "'printf(str, ...)->int': variadic" "'no_such_fn': not found" \
  "'sqlite3_close(ptr)->widget': unknown return type"; do
  grep -qF -- "$why" "$PL_TMP/err" || fail "stderr lacks $why: $(cat "$PL_TMP/err")"
done
t=$(wait_task_titled "sqlite3 $db $sql" 'any(.[]; .Label == "exit 0")')
r=$(reports "$t")
jq -e '.[0].probe_errors | contains("variadic") and contains("no_such_fn") and contains("unknown return type")' \
  <<<"$r" >/dev/null || fail "start event: $(jq -c '.[0]' <<<"$r")"
jq -e 'any(.[]; .Label | startswith("← sqlite3_step = 100"))' <<<"$r" >/dev/null ||
  fail "the good probe did not fire: $(probe_labels "$t")"
# Without XTRACE_DEBUG nothing of it reaches stderr.
XTRACE_PROBES='printf(str, ...)->int' traced sqlite3 "$db" 'select 1;' >/dev/null 2>"$PL_TMP/err2" || fail "sqlite3 failed"
[ ! -s "$PL_TMP/err2" ] || fail "stderr without XTRACE_DEBUG: $(cat "$PL_TMP/err2")"
