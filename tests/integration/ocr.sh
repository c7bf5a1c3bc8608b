#!/bin/sh
# Integration test of `vanthu ocr` with the real worker and Tesseract:
# accuracy on rendered Vietnamese pages (CER bounds per class), hostile
# files that must each fail with a clear reason while the next good file is
# still read, the stdout mode and the exit statuses.  TAP output.
#
# Env (set by `make check`): top_srcdir, top_builddir, VANTHU.
set -u
: "${top_srcdir:?}" "${top_builddir:?}" "${VANTHU:?}"
CER=$top_builddir/tests/unit/ocr/ocr-cer
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vt-ocr-it.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }
# le A B: A <= B for decimal fractions
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }

# The PDF helper goes through fontconfig, whose caches live until exit.
if ! ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" MKPDF=$top_builddir/tests/unit/ocr/ocr-mkpdf \
    "$top_srcdir/tests/fixtures/make-ocr-fixtures.sh" "$tmp/fx" test > "$tmp/fx.log" 2>&1; then
    notok "render fixtures"; sed 's/^/# /' "$tmp/fx.log"; echo "1..$n"; exit 1
fi
ok "render fixtures"
pages=$tmp/fx/pages

# 1. Accuracy: every page class in one run (the model loads once per worker).
set -- "$pages"/*.png "$pages"/*.jpg "$pages"/*.tif "$pages"/*.pdf
"$VANTHU" ocr --workers 2 --out "$tmp/out" --verbose "$@" 2> "$tmp/acc.err"
rc=$?
check "ocr of $# rendered pages exits 0" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/# /' "$tmp/acc.err"
for gt in "$pages"/*.gt.txt; do
    name=$(basename "$gt" .gt.txt)
    class=${name%%_*}
    case $class in
        pdftext) bound=0 ;;        # the text layer, exactly
        noisy) bound=0.10 ;;       # issue 3: readable where the CLI reads nothing
        *) bound=0.03 ;;           # clean, rotated, skewed, 150 dpi, jpeg, tiff, pdf
    esac
    if [ -f "$tmp/out/$name.txt" ]; then
        set -- $("$CER" "$gt" "$tmp/out/$name.txt")
        check "$name: CER $1 <= $bound" le "$1" "$bound"
    else
        notok "$name: no output"
    fi
done
# Rotated and skewed classes as a whole stay under 2% (issue 3).
for class in rot90 rot180 rot270 skewp3 skewm3; do
    cat "$pages/${class}"_*.gt.txt > "$tmp/$class.gt"
    cat "$tmp/out/${class}"_*.txt > "$tmp/$class.hyp" 2>/dev/null
    set -- $("$CER" "$tmp/$class.gt" "$tmp/$class.hyp")
    check "class $class: CER $1 < 0.02" le "$1" 0.0199
done
check "orientation detected on rotated pages" \
    test "$(grep -c 'rotated 90\|rotated 180\|rotated 270' "$tmp/acc.err")" = 6
check "noisy pages were denoised, clean ones not" \
    sh -c "grep -q 'noisy_letter.*denoised' '$tmp/acc.err' && ! grep -q 'clean_.*denoised' '$tmp/acc.err'"
check "born-digital pdf read from its text layer" grep -q 'pdftext_letter.*text-layer' "$tmp/acc.err"
check "two-page tiff gives two pages separated by a form feed" \
    test "$(tr -cd '\f' < "$tmp/out/tiff_two.txt" | wc -c)" = 1

# 2. Hostile files: each fails with its reason; the good file after them is read.
h=$tmp/fx/hostile
"$VANTHU" ocr --workers 1 --max-mem 1024 --timeout 60 --out "$tmp/hout" \
    "$h"/* "$pages/clean_notice.png" > "$tmp/h.out" 2> "$tmp/h.err"
rc=$?
check "hostile batch exits 1 (some files failed)" test "$rc" = 1
expect() { # expect FILE REGEX
    if grep -q "$1: failed: .*$2" "$tmp/h.err"; then ok "$1 fails: $2"
    else notok "$1 fails: $2"; grep "$1" "$tmp/h.err" | sed 's/^/# /'; fi
}
expect truncated.png 'truncated or corrupt'
expect truncated.jpg 'truncated or corrupt'
expect truncated.tif 'corrupt tiff'
expect zero.png 'empty file'
expect random.tif 'corrupt tiff'
expect huge.pgm '50000x50000 pixels, over the limit'
expect many.tif '2000 pages, over the limit'
expect encrypted.pdf 'encrypted and needs a password'
expect cyclic.pdf 'broken page tree'
set -- $("$CER" "$pages/clean_notice.gt.txt" "$tmp/hout/clean_notice.txt" 2>/dev/null || echo 1)
check "good file after the hostile ones: CER $1 <= 0.03" le "$1" 0.03

# 3. One file: its text on stdout.
"$VANTHU" ocr "$pages/pdftext_notice.pdf" > "$tmp/one.txt" 2> "$tmp/one.err"
rc=$?
set -- $("$CER" "$pages/pdftext_notice.gt.txt" "$tmp/one.txt")
check "one file to stdout (exit $rc, CER $1)" test "$rc" = 0 -a "$1" = 0.0000

# 4. Exit statuses.
"$VANTHU" ocr --lang no-such-lang "$pages/clean_notice.png" > /dev/null 2> "$tmp/lang.err"
rc=$?
check "unknown language: exit 3 with the reason" \
    sh -c "test $rc = 3 && grep -q \"cannot load tesseract language 'no-such-lang'\" '$tmp/lang.err'"
"$VANTHU" ocr > /dev/null 2>&1
check "no FILE: exit 2" test $? = 2
"$VANTHU" ocr --help | grep -q '^exit status'
check "--help documents the exit status" test $? = 0

echo "1..$n"
