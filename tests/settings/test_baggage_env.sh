#!/usr/bin/env bash
# XTRACE_BAGGAGE is adopted at start and handed on, items and all, to every
# generation: a shell given the context starts a shell that runs printenv,
# whose line (the grandchild's event, in the given task) shows the
# XTRACE_BAGGAGE its parent built from its own context: the same items.
. "$(dirname "$0")/lib.sh"
st_start_server
XTRACE_BAGGAGE=$ST_BAGGAGE traced sh -c \
  'sh -c "printenv XTRACE_BAGGAGE >&2; exit 0"; exit 0' 2>"$PL_TMP/err" ||
  fail "the shells failed: $(cat "$PL_TMP/err")"
# Three processes, three exit events: then every line is in.
must_match "$ST_TASK" '[.[] | select(.Label == "exit 0")] | length == 3' \
  "the three generations' events are not in the given task"
r=$(reports "$ST_TASK")
bag=$(jq -r '[.[] | select(.Label | startswith("1;"))] | if length == 1 then .[0].Label else empty end' <<<"$r")
[ -n "$bag" ] || fail "no single XTRACE_BAGGAGE line from the grandchild: $(jq -c 'map(.Label)' <<<"$r")"
jq -e '(.[] | select(.Label == "printenv XTRACE_BAGGAGE") | .ProcessID) as $p
  | any(.[]; .ProcessID == $p and (.Label | startswith("1;")))' <<<"$r" >/dev/null ||
  fail "the XTRACE_BAGGAGE line is not printenv's"
IFS=';' read -r ver task parents items <<<"$bag"
[ "$ver;$task" = "1;$ST_TASK" ] || fail "the grandchild's context is another task: $bag"
[ -n "$parents" ] || fail "the grandchild's context has no parents: $bag"
same_items "$items" || fail "the grandchild's baggage items are '$items', not '$ST_ITEMS'"
