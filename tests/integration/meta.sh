#!/bin/sh
# End-to-end metadata test (issue 6): two official-format pages (a quyết
# định and a công văn, Nghị định 30/2020 layout) and a news page are
# rendered by bench/meta-e2e.py, OCR'd by the real `vanthu ocr`, and the
# extractor (bench/meta-e2e) must find every field of the official pages and
# none on the news page.  TAP output.  Skipped (exit 77) when ImageMagick has
# no pango coder (Debian: libmagickcore-6.q16-6-extra).
#
# Env (set by `make check`): top_srcdir, top_builddir, VANTHU.
set -u
: "${top_srcdir:?}" "${top_builddir:?}" "${VANTHU:?}"
E2E=$top_builddir/bench/meta-e2e
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vt-meta-it.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }

if ! convert -list format 2>/dev/null | grep -q '^ *PANGO'; then
    echo "1..0 # SKIP ImageMagick has no pango coder"
    exit 77
fi
if ! python3 "$top_srcdir/bench/meta-e2e.py" "$tmp/pages" --set test --font "DejaVu Serif" \
    > "$tmp/render.log" 2>&1; then
    notok "render pages"; sed 's/^/# /' "$tmp/render.log"; echo "1..$n"; exit 1
fi
ok "render pages"

(cd "$tmp/pages" && "$VANTHU" ocr --workers 1 --out "$tmp/ocr" d00_clean.png d01_clean.png \
    o_news_clean.png) 2> "$tmp/ocr.err"
rc=$?
if [ "$rc" = 0 ]; then ok "ocr exits 0"; else notok "ocr exits $rc"; sed 's/^/# /' "$tmp/ocr.err"; fi

"$E2E" "$tmp/ocr/d00_clean.txt" "$tmp/ocr/d01_clean.txt" "$tmp/ocr/o_news_clean.txt" > "$tmp/got.tsv"
# field NAME COLUMN WANT: the extracted value of COLUMN for page NAME
field() {
    got=$(awk -F'\t' -v n="$1" -v c="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $1 == n { print $col[c] }' "$tmp/got.tsv")
    if [ "$got" = "$3" ]; then ok "$1 $2 = '$3'"
    else notok "$1 $2: got '$got', want '$3'"; fi
}
field d00_clean number "512/QĐ-UBND"
field d00_clean type "Quyết định"
field d00_clean issued "2021-03-15"
field d00_clean agency "ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH"
field d00_clean subject "Về việc ban hành Quy chế quản lý văn bản điện tử trên môi trường mạng"
field d00_clean signer "Trần Văn Hùng"
field d01_clean number "1234/SNV"
field d01_clean type "Công văn"
field d01_clean issued "2022-11-08"
field d01_clean agency "SỞ NỘI VỤ"
field d01_clean subject "hướng dẫn lập hồ sơ và nộp lưu hồ sơ vào Lưu trữ cơ quan"
field d01_clean signer "Nguyễn Thị Lan"
for c in number type issued agency subject signer; do
    field o_news_clean "$c" ""
done
echo "1..$n"
