#!/usr/bin/env bash
# XTRACE_SOCKET_EVENTS=1: connect/accept events carry both addresses; three
# back-to-back sends are one event of 30 bytes at offset 0; receives carry
# their byte offsets, which add up to the bytes sent.
. "$(dirname "$0")/lib.sh"
pl_start_server
XTRACE_SOCKET_EVENTS=1 traced "$XT_PROGS/sockets" 2>/dev/null || fail "sockets program failed"
xt_wait_reports 8
r=$(reports "$(task_titled "$XT_PROGS/sockets")")
jq -e '[.[] | select(.Agent == "socket" and .op == "connect")] | length == 1
  and (.[0].peer | test("^127.0.0.1:[0-9]+$")) and (.[0].local | test("^127.0.0.1:"))' <<<"$r" >/dev/null \
  || fail "connect event: $r"
jq -e '[.[] | select(.op == "accept")] | length == 1' <<<"$r" >/dev/null || fail "accept event: $r"
port=$(jq -r '.[] | select(.op == "connect") | .peer' <<<"$r")
jq -e --arg p "$port" '[.[] | select(.op == "send" and .peer == $p)] | length == 1
  and .[0].bytes == "30" and .[0].offset == "0"' <<<"$r" >/dev/null \
  || fail "client sends not coalesced: $(jq -c '[.[] | select(.Agent == "socket")]' <<<"$r")"
jq -e --arg p "$port" '[.[] | select(.op == "recv" and .local == $p)]
  | (map(.bytes | tonumber) | add) == 30 and .[0].offset == "0"' <<<"$r" >/dev/null \
  || fail "server receives: $(jq -c '[.[] | select(.Agent == "socket")]' <<<"$r")"
jq -e --arg p "$port" '[.[] | select(.op == "recv" and .peer == $p)] | length == 1 and .[0].bytes == "2"' \
  <<<"$r" >/dev/null || fail "client receive: $r"
