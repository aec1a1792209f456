#!/usr/bin/env bash
# Who may talk to the server: HTTP requests whose Host is not one of the
# server's names (a page that rebound its own DNS name to this machine) get
# 403 and read nothing; every response carries the safety headers and no CORS
# header; publishers outside --reports-allow are closed and counted.
# usage: access_test.sh PUBLISHER   (XT_SERVER_BIN in the environment)
set -euo pipefail
. "$(dirname "$0")/../lib/xtserver.sh"
pub=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
task=1234abcd5678ef01

# ---- HTTP: server bound to loopback, one extra name allowed.
xt_server_start --allow-host trace.example
port=${XT_HTTP##*:}
"$pub" "$XTRACE_SERVER" scenario
xt_wait_reports 7
# GET with the given Host; prints the status, the body goes to $out.
out=$XT_DATA_DIR/body
get_as() { # host path [curl args...]
  local host=$1 path=$2
  shift 2
  curl -s -o "$out" -w '%{http_code}' --max-time 10 -H "Host: $host" "$@" "$XT_HTTP$path"
}

# DNS rebinding: the attacker's name now resolves to 127.0.0.1, so the
# browser connects here and sends the attacker's name as Host.
for path in "/interactive/reports/$task" "/reports/$task" /api/tasks /api/stats /api/events / /index.html; do
  got=$(curl -s -o "$out" -w '%{http_code}' --max-time 10 \
    --resolve "attacker.example:$port:127.0.0.1" "http://attacker.example:$port$path")
  [ "$got" = 403 ] || fail "rebound name, GET $path: status $got"
  if grep -q 'request start\|1234abcd\|<script' "$out"; then fail "rebound name read data from $path"; fi
done
[ "$(get_as "attacker.example:$port" "/api/tasks?q=request")" = 403 ] || fail "foreign Host header"
[ "$(get_as "127.0.0.1:1" /api/tasks)" = 403 ] || fail "Host with another port"
[ "$(get_as "127.0.0.1.attacker.example:$port" /api/tasks)" = 403 ] || fail "Host that only starts like ours"
[ "$(get_as "" /api/tasks --http1.0)" = 403 ] || fail "no Host at all"

# The server's own names, with or without the port, and the allowed one.
for host in "127.0.0.1:$port" "localhost:$port" "LOCALHOST.:$port" "[::1]:$port" 127.0.0.1 \
  "trace.example:$port" "Trace.Example"; do
  [ "$(get_as "$host" "/interactive/reports/$task")" = 200 ] || fail "Host $host refused"
  grep -q '"Label":"request start"' "$out" || fail "Host $host: no reports"
done
got=$(curl -s -o "$out" -w '%{http_code}' --max-time 10 \
  --resolve "trace.example:$port:127.0.0.1" "http://trace.example:$port/api/tasks")
[ "$got" = 200 ] && grep -q "$task" "$out" || fail "--allow-host name: status $got"

# Safety headers on every kind of response, none of CORS even when asked.
for spec in "200 /api/tasks" "200 /api/stats" "404 /api/nothing" "400 /interactive/reports/xyz" "403 /api/tasks"; do
  want=${spec%% *} path=${spec#* } host=127.0.0.1:$port
  [ "$want" = 403 ] && host=attacker.example
  headers=$(curl -s -D - -o /dev/null --max-time 10 -H "Host: $host" -H "Origin: http://attacker.example" \
    "$XT_HTTP$path" | tr -d '\r')
  head -1 <<<"$headers" | grep -q " $want " || fail "GET $path: $(head -1 <<<"$headers")"
  grep -qix 'X-Content-Type-Options: nosniff' <<<"$headers" || fail "GET $path: no nosniff"
  grep -qi '^Content-Security-Policy: ' <<<"$headers" || fail "GET $path: no CSP"
  if grep -qi '^Access-Control-' <<<"$headers"; then fail "GET $path: CORS header"; fi
done
# The UI's policy: scripts from this origin only, never inline or eval'd.
headers=$(curl -s -D - -o /dev/null --max-time 10 "$XT_HTTP/" | tr -d '\r')
csp=$(sed -n 's/^[Cc]ontent-[Ss]ecurity-[Pp]olicy: //p' <<<"$headers")
grep -q "default-src 'none'" <<<"$csp" || fail "CSP: default-src: $csp"
script=$(tr ';' '\n' <<<"$csp" | sed -n "s/^ *script-src //p")
[ "$script" = "'self'" ] || fail "CSP: script-src is '$script'"
grep -q "frame-ancestors 'none'" <<<"$csp" || fail "CSP: frame-ancestors: $csp"
headers=$(curl -s -D - -o /dev/null --max-time 10 -X OPTIONS -H "Origin: http://attacker.example" \
  -H "Access-Control-Request-Method: GET" "$XT_HTTP/api/tasks" | tr -d '\r')
if grep -qi '^Access-Control-' <<<"$headers"; then fail "preflight answered with CORS headers"; fi
xt_server_stop || fail "SIGTERM: non-zero exit"

# Malformed lists are usage errors.
for bad in "--allow-host a:80" "--allow-host ," "--allow-host a,,b" "--reports-allow 10.0.0.0/33" \
  "--reports-allow 10.0.0.0/8," "--reports-allow example.com" "--reports-allow ::1/129"; do
  rc=0
  # shellcheck disable=SC2086
  "$XT_SERVER_BIN" --reports-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --data-dir "$XT_DATA_DIR" $bad \
    >/dev/null 2>&1 </dev/null || rc=$?
  [ "$rc" = 2 ] || fail "$bad: exit $rc, expected 2"
done

# ---- Reports: loopback is outside the allowed network, so a publisher on
# this machine is closed before anything it sends is read, and counted.
unset XT_DATA_DIR
xt_server_start --reports-allow 10.0.0.0/8
"$pub" "$XTRACE_SERVER" one 77 "from outside" 2>/dev/null || true
for _ in $(seq 1 200); do
  [ "$(xt_stats_json | jq .rejected.network_not_allowed)" -ge 1 ] && break
  sleep 0.05
done
stats=$(xt_stats_json)
[ "$(jq .rejected.network_not_allowed <<<"$stats")" = 1 ] || fail "refused publisher not counted: $stats"
[ "$(jq '[.received, .accepted, .connections] | add' <<<"$stats")" = 0 ] || fail "refused publisher read: $stats"
grep -q 'publishers accepted from 10.0.0.0/8$' "$XT_SERVER_LOG" || fail "allowed networks not logged"
xt_server_stop || fail "SIGTERM: non-zero exit"

# Listed networks, loopback among them: accepted.
unset XT_DATA_DIR
xt_server_start --reports-allow 10.0.0.0/8,127.0.0.1
"$pub" "$XTRACE_SERVER" one 78 "from inside"
xt_wait_reports 1
[ "$(xt_stats_json | jq .rejected.network_not_allowed)" = 0 ] || fail "allowed publisher refused"
xt_server_stop || fail "SIGTERM: non-zero exit"

# ---- Bound to every address: the machine's hostname and loopback names
# are its own, other names are not; the default networks take loopback.
unset XT_DATA_DIR
xt_server_start --http-addr 0.0.0.0:0 --reports-addr 0.0.0.0:0
port=${XT_HTTP##*:}
XT_HTTP=http://127.0.0.1:$port
"$pub" "127.0.0.1:${XTRACE_SERVER##*:}" one 79 "on any"
xt_wait_reports 1
[ "$(get_as "$(hostname):$port" /api/tasks)" = 200 ] || fail "hostname refused when bound to any"
[ "$(get_as "localhost:$port" /api/tasks)" = 200 ] || fail "localhost refused when bound to any"
[ "$(get_as "attacker.example:$port" /api/tasks)" = 403 ] || fail "foreign Host answered when bound to any"
[ "$(get_as "0.0.0.0:$port" /api/tasks)" = 403 ] || fail "the wildcard address is not a name"
xt_server_stop || fail "SIGTERM: non-zero exit"
echo PASS
