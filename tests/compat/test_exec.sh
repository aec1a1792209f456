#!/usr/bin/env bash
# bash exec'ing env, which execs sh: one process, three programs. Every
# report names the program that sent it (the preload reads its command line
# again in the new image), and the collector's condensed view of the task
# lists the three in the order they ran, which is what the UI names the
# events after each exec by.
. "$(dirname "$0")/lib.sh"
cx_need bash env sh
pl_start_server
cx_pair /bin/bash -c 'echo before exec >&2; exec /usr/bin/env sh -c "echo after exec >&2"'

cx_graph 20 'any(.Label == "after exec") and any(.ProcessName | test("^sh ")) and any(is_exit)'
cx_check "not one process" '[.[].ProcessID] | unique | length == 1'
cx_check "a line is not named by the program that wrote it" \
  '(map(select(.Label == "before exec"))[0].ProcessName | test("^/bin/bash -c ")) and
   (map(select(.Label == "after exec"))[0].ProcessName | test("^sh -c "))'
task=$(xt_tasks_json | jq -r '.[0].id')
programs=$(curl -sS -f "$XT_HTTP/api/tasks/$task/condensed" | jq -c '[.processes[].programs[].name | split(" ")[0]]')
[ "$programs" = '["/bin/bash","/usr/bin/env","sh"]' ] ||
  fail "the condensed view lists the programs $programs, not bash, env, sh in that order"
