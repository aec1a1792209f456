#!/usr/bin/env bash
# Every shared object the library needs is mapped and relocated in every
# traced process, most of which only start, exec or exit: so it needs libc
# and the dynamic linker alone (a sanitizer build its runtime too). libffi
# is opened when probes ask for it (preload/probes/libffi.c), libbsd's two
# functions are linked in (preload/CMakeLists.txt), gRPC is found with
# dlsym. A traced program that neither probes nor uses gRPC maps none of
# them.
. "$(dirname "$0")/lib.sh"
needed=$(readelf -dW "$XT_PRELOAD_LIB" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
grep -qx 'libc\.so\.6' <<<"$needed" || fail "readelf shows no libc among NEEDED: $needed"
extra=$(grep -vxE 'libc\.so\.6|ld-linux[-a-z0-9_]*\.so\.[0-9]+|lib(a|ub|t)san\.so\.[0-9]+' \
  <<<"$needed" || true)
[ -z "$extra" ] || fail "the library needs more than libc: $extra"

pl_start_server
maps=$(traced cat /proc/self/maps)
grep -q 'libxtrace-preload' <<<"$maps" || fail "the library is not mapped: $maps"
! grep -E '/lib(ffi|bsd|md|grpc)[.-]' <<<"$maps" || fail "a traced cat maps the objects above"
