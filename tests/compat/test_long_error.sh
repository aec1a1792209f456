#!/usr/bin/env bash
# coreutils report errors with error(3): a message longer than any line
# buffer (a 6,000-byte file name) reaches stderr byte for byte as without
# the preload, and is still one event.
. "$(dirname "$0")/lib.sh"
cx_need ls
pl_start_server
name=$(printf 'n%.0s' $(seq 1 6000))
cx_pair ls "$name"
[ "$(wc -c <"$PL_TMP/base.err")" -gt 6000 ] || fail "unexpected error output: $(cat "$PL_TMP/base.err")"

cx_graph 10 'all_exited'
cx_check "the error is not one event" \
  '[.[] | select(.Agent != "process")] | length == 1 and (.[0].Label | startswith("ls: cannot access"))'
