#!/usr/bin/env bash
# bash with three background jobs and `wait`: the same output and statuses,
# each job's program descending from bash, and what bash runs after `wait`
# descending from every job's exit (the wait joins them).
. "$(dirname "$0")/lib.sh"
cx_need bash
pl_start_server
cx_pair /bin/bash -c '
for i in 1 2 3; do /usr/bin/printf "job %s\n" "$i" >"out.$i" & done
/bin/sh -c "exit 7" &
failing=$!
wait "$failing" || echo "status $?"
wait
/bin/cat out.1 out.2 out.3'
[ "$(cat "$PL_TMP/base.out")" = "$(printf 'status 7\njob 1\njob 2\njob 3')" ] ||
  fail "unexpected output: $(cat "$PL_TMP/base.out")"

jobs='starts("^/usr/bin/printf ")'
cx_graph 80 "all_exited and ($jobs | length == 3) and (starts(\"^/bin/cat \") | length == 1)
  and (starts(\"^/bin/sh -c exit 7\$\") | length == 1)"
cx_check "not one connected graph" 'connected'
cx_check "a job does not descend from bash" \
  ". as \$all | root.ProcessID as \$b | all(($jobs + starts(\"^/bin/(sh|cat) \"))[];
     . as \$s | \$all | descends_from_pid(\$s; \$b))"
cx_check "the job's exit status is missing" 'any(.[]; is_exit and .Label == "exit 7")'
cx_check "what runs after wait does not descend from every job's exit" \
  ". as \$all | starts(\"^/bin/cat \")[0] as \$c
   | all(.[] | select(is_exit and (.ProcessName | test(\"^/usr/bin/printf |^/bin/sh -c exit\")));
         . as \$x | \$all | descends(\$c; \$x))"
