#!/usr/bin/env bash
# The library exports exactly the functions exports.map lists. Its gRPC
# patterns (grpc_*, _ZN9grpc_core6Server*) would let any helper so named
# through, so the gRPC exports are checked against what preload/grpc/*.c*
# define as hooks: each one exported, nothing else.
set -euo pipefail
map=$XT_TOP/preload/exports.map
exported=$(nm -D --defined-only "$XT_PRELOAD_LIB" | awk '{print $3}' | sed 's/@.*//' | sort -u)
grpc_pattern='^(grpc_|_ZN9grpc_core6Server)'
status=0
compare() { # what, want, got
  if [ "$2" != "$3" ]; then
    diff <(echo "$2") <(echo "$3") >&2 || true
    echo "FAIL: exported $1 differ from $4" >&2
    status=1
  fi
}

want=$(sed -e 's#/\*.*\*/##' -e '/\/\*/,/\*\//d' "$map" | tr ' ;{}' '\n\n\n\n' \
  | grep -E '^[A-Za-z_][A-Za-z0-9_]*$' | grep -vE '^(global|local)$' | sort -u)
got=$(grep -vE "$grpc_pattern" <<<"$exported" || true)
compare symbols "$want" "$got" "exports.map"

# C hooks: "XTP_HOOK <type> name(" in preload/grpc/*.c; C++ ones: member
# functions of grpc_core::Server given default visibility in preload/grpc/*.cc.
# A declarator that clang-format put on the next line (the XTP_HOOK or
# attribute line then has no "(" after the attribute) is joined to it first.
joined() {
  perl -0pe 's/^(XTP_HOOK[^(\n]*)\n\s*/$1 /mg;
             s/^(\s*__attribute__\(\(visibility\("default"\)\)\)[^(\n]*)\n\s*/$1 /mg' "$@"
}
want=$( {
  joined "$XT_TOP"/preload/grpc/*.c | sed -n 's/^XTP_HOOK .*[ *]\(grpc_[A-Za-z0-9_]*\)(.*/\1/p'
  joined "$XT_TOP"/preload/grpc/*.cc |
    sed -n 's/.*visibility("default"))) .* \([A-Za-z0-9_]*\)(.*/grpc_core::Server::\1/p'
} | sort -u)
[ "$(wc -l <<<"$want")" -ge 10 ] || { echo "FAIL: found no gRPC hooks in preload/: $want" >&2; exit 1; }
got=$(grep -E "$grpc_pattern" <<<"$exported" | c++filt | sed 's/(.*//' | sort -u || true)
compare "gRPC functions" "$want" "$got" "the hooks preload/grpc/*.c* define"
exit "$status"
