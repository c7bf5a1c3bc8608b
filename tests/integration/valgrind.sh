#!/bin/sh
# vanthu index + search under valgrind: no leaks, no memory errors.
# Skipped in sanitizer builds (ASan and valgrind do not mix) and when
# valgrind is missing.
. "$(dirname "$0")/tap.sh"

if [ -n "${VT_SANITIZERS:-}" ] || ! command -v valgrind >/dev/null; then
    echo "1..0 # SKIP valgrind unavailable or sanitizer build"
    exit 0
fi
work=$(mktemp -d /tmp/vanthu-vg-XXXXXX)
trap 'rm -rf "$work"' EXIT
vg="valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --suppressions=$top_srcdir/tests/valgrind.supp"

$vg "$VANTHU" index --threads 2 --data "$work/data" "$top_srcdir/samples/archive" 2>"$work/index.err"
rc=$?
ok $rc "index the sample archive under valgrind"
[ $rc -eq 0 ] || diag <"$work/index.err"

$vg "$VANTHU" search --data "$work/data" --json "quyết định chuyển đổi số" >"$work/out" 2>"$work/search.err"
rc=$?
ok $rc "search under valgrind"
[ $rc -eq 0 ] || diag <"$work/search.err"

$vg "$VANTHU" search --data "$work/data" --json "(bad" >/dev/null 2>"$work/bad.err"
[ $? -eq 2 ]
ok $? "a malformed query under valgrind: exit 2, no leak"
[ $? -eq 0 ] || diag <"$work/bad.err"

tap_done
