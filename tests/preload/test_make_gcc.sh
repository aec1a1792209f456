#!/usr/bin/env bash
# make runs gcc, and the gcc driver runs cc1 and as with vfork + exec: both
# must descend from the driver's event, not from make's spawn event; the
# driver waited for cc1 before it started as, so as also joins cc1's exit
# (not under TSan, whose runtime turns vfork into fork: the child's entry in
# the parent's table of traced children lands in the child's own copy).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/process_lib.sh"
pl_start_server
mkdir "$PL_TMP/proj"
printf 'int main(void) { return 0; }\n' >"$PL_TMP/proj/t.c"
printf 't.o: t.c\n\tgcc -c -o t.o t.c\n' >"$PL_TMP/proj/Makefile"
traced make -s -C "$PL_TMP/proj" >"$PL_TMP/out" 2>&1 || fail "make failed: $(cat "$PL_TMP/out")"
[ -f "$PL_TMP/proj/t.o" ] || fail "no t.o"
# The reports of a program: its process start event.
defs='def prog($n): [.[] | select((.ProcessName | split(" ")[0] | split("/")[-1]) == $n
  and (.Tag | index("start")))] | if length == 1 then .[0] else error("not one \($n)") end;'
r=$(wait_task_where "make -s -C" "$defs"' prog("as") and prog("cc1") and prog("gcc")
  and any(.[]; .ProcessName == "make -s -C '"$PL_TMP/proj"'" and (.Tag | index("exit")))')
check "$r" "$defs"' prog("gcc") as $g | [.[] | select(.ProcessID == $g.ProcessID) | .EventID] as $gev
  | prog("cc1") as $c | [.[] | select(.ProcessID == $c.ProcessID and (.Tag | index("exit"))) | .EventID] as $cx
  | (prog("cc1").ParentEventID | length == 1 and (.[0] as $p | $gev | index($p)))
  and (prog("as").ParentEventID | .[0] as $p | $gev | index($p))
  and (prog("as").ParentEventID[1:] == (if env.XT_SANITIZE == "thread" then [] else $cx end))' \
  "cc1 and as must descend from an event of the gcc driver, as also from the exit of cc1 it waited for"
