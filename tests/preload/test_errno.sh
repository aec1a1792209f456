#!/usr/bin/env bash
# Results and errno of hooked calls are the real ones, traced or disabled.
# Output goes to a file: /dev/null accepts any pointer without reading it.
. "$(dirname "$0")/lib.sh"
pl_start_server
traced "$XT_PROGS/errnos" >"$PL_TMP/out" 2>&1 || fail "errnos failed under the preload"
XTRACE_SOCKET_EVENTS=1 traced "$XT_PROGS/errnos" >"$PL_TMP/out" 2>&1 || fail "errnos failed with socket events"
XTRACE_DISABLE=1 traced "$XT_PROGS/errnos" >"$PL_TMP/out" 2>&1 || fail "errnos failed disabled"
