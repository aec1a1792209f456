#!/usr/bin/env bash
# make -j2 building a small C project with gcc: the same commands, the same
# object files and program, and a graph in which every compiler pass (cc1,
# as) descends from the gcc driver that ran it, every driver from make, and
# the link from the compiles make waited for.
. "$(dirname "$0")/lib.sh"
cx_need make gcc
pl_start_server
cx_prepare() {
  local f
  for f in a b c; do printf 'int %s(void) { return %d; }\n' "$f" "$(printf %d "'$f")" >"$f.c"; done
  printf '%s\n' '#include <stdio.h>' 'int a(void), b(void), c(void);' \
    'int main(void) { printf("sum %d\n", a() + b() + c()); return 0; }' >main.c
  printf '%s\n' 'prog: main.o a.o b.o c.o' '	gcc -o $@ $^' '%.o: %.c' '	gcc -O1 -c -o $@ $<' >Makefile
}
CX_KEEP=1 cx_pair make -j2
for f in prog main.o a.o b.o c.o; do
  cmp "$PL_TMP/base.work/$f" "$CX_WORK/$f" || fail "$f differs when built under the preload"
done
[ "$("$CX_WORK/prog")" = "sum 294" ] || fail "the program built does not run: $("$CX_WORK/prog")"

cx_graph 150 'all_exited and (starts("^gcc ") | length == 5)
  and (starts("/cc1 ") | length == 4) and (starts("^as ") | length == 4)'
cx_check "not one connected graph" 'connected'
cx_check "a gcc driver does not descend from make" \
  '. as $all | root.ProcessID as $m | all(starts("^gcc ")[]; . as $s | $all | descends_from_pid($s; $m))'
cx_check "a compiler pass does not descend from the gcc driver that ran it" \
  '. as $all | all("main", "a", "b", "c"; . as $o
   | ("^gcc -O1 -c -o " + $o + "[.]o ") as $drv
   | ($all | starts("/cc1 .* " + $o + "[.]c ")) as $cc1
   | ($all | starts("^as .* -o " + $o + "[.]o ")) as $asm
   | ($cc1 | length == 1) and ($asm | length == 1)
     and ($all | descends_from_process($cc1[0]; $drv))
     and ($all | descends_from_process($asm[0]; $drv)))'
cx_check "the link does not descend from the exits of the compiles make waited for" \
  '. as $all | starts("^gcc -o prog ")[0] as $link
   | all(.[] | select(is_exit and (.ProcessName | test("^gcc -O1 -c ")));
         . as $x | $all | descends($link; $x))'
