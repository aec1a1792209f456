#!/usr/bin/env bash
# Probes survive fork (the child's GOT is a copy of the patched one, and its
# calls are recorded by the child in the inherited task) and fire in a
# signal handler.
. "$(dirname "$0")/lib.sh"
pl_start_server
XTRACE_PROBES='plug_mul(long, long)->long' traced "$XT_PR_PROGS/forksig" 2>"$PL_TMP/err" ||
  fail "forksig failed: $(cat "$PL_TMP/err")"
grep -qx 'forksig done 1' "$PL_TMP/err" || fail "output changed: $(cat "$PL_TMP/err")"
t=$(wait_task_titled "forksig" "$(all_exited 2)")
r=$(reports "$t")
main=$(jq '.[0].ProcessID' <<<"$r")
jq -e --argjson m "$main" '
  ([.[] | select(.ProcessID == $m and .Agent == "probe") | .Label | sub(" \\([0-9]+ µs\\)$"; "")] ==
    ["→ plug_mul(1, 2)", "← plug_mul = 2", "→ plug_mul(4, 5)", "← plug_mul = 20"])
  and ([.[] | select(.ProcessID != $m and .Agent == "probe") | .Label | sub(" \\([0-9]+ µs\\)$"; "")] ==
    ["→ plug_mul(2, 3)", "← plug_mul = 6"])' <<<"$r" >/dev/null ||
  fail "probe events: $(jq -c '[.[] | {ProcessID, Agent, Label}]' <<<"$r")"
