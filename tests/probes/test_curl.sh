#!/usr/bin/env bash
# Debian's curl, unmodified, fetching from a local HTTP server (the
# collector's own API) with curl_easy_perform probed, restricted to the
# definition in libcurl: curl's verbose lines, logged inside the call,
# descend from the entry event and the return event (CURLE_OK) follows
# them, all on one chain.
. "$(dirname "$0")/lib.sh"
# Debian's curl with libasan or libtsan preloaded alone (no xtrace) hangs
# in setlocale before its work starts; nothing of ours to check there.
[ -n "${XT_SANITIZE:-}" ] && { echo "curl does not run under a preloaded sanitizer runtime" >&2; exit 77; }
pl_start_server
url="$XT_HTTP/api/stats"
XTRACE_PROBES='libcurl.so.4:curl_easy_perform(ptr)->int' traced curl -sSv -o "$PL_TMP/body" "$url" \
  2>"$PL_TMP/err" || fail "curl failed: $(cat "$PL_TMP/err")"
jq -e '.received >= 0' "$PL_TMP/body" >/dev/null || fail "body changed: $(cat "$PL_TMP/body")"
t=$(wait_task_titled "curl -sSv -o $PL_TMP/body $url" 'any(.[]; .Label == "exit 0")')
r=$(reports "$t")
jq -e '(map(.Label | startswith("→ curl_easy_perform(0x")) | index(true)) as $a |
  (map(.Label | startswith("← curl_easy_perform = 0 (")) | index(true)) as $b |
  $a != null and $b != null and $a < $b
  and ([.[$a+1:$b][] | select(.Label | test("^[*<>] "))] | length) >= 3
  and any(.[$a+1:$b][]; .Label | startswith("> GET /api/stats"))
  and ([range($a+1; $b+1)] | all(. as $i | $r[$i].ParentEventID == [$r[$i-1].EventID]))' \
  --argjson r "$r" <<<"$r" >/dev/null || fail "curl's lines are not inside the call: $(jq -c '[.[] | {Agent, Label, EventID, ParentEventID}]' <<<"$r")"
