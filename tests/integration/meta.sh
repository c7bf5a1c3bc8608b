#!/bin/sh
# End-to-end metadata test: two official-format pages (a quyết định and a
# công văn, Nghị định 30/2020 layout) and a news page are rendered by
# tests/fixtures/official-pages.py, indexed by the real `vanthu index` (OCR
# included), and every field of the official pages must be in the records
# `vanthu search --json` returns, and none on the news page.  TAP output.
# Skipped (exit 77) when ImageMagick has no pango coder (Debian:
# libmagickcore-6.q16-6-extra).
#
# Env (set by `make check`): top_srcdir, top_builddir, VANTHU.
set -u
: "${top_srcdir:?}" "${top_builddir:?}" "${VANTHU:?}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vt-meta-it.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }

if ! convert -list format 2>/dev/null | grep -q '^ *PANGO'; then
    echo "1..0 # SKIP ImageMagick has no pango coder"
    exit 77
fi
if ! python3 "$top_srcdir/tests/fixtures/official-pages.py" "$tmp/pages" --set test \
    --font "DejaVu Serif" > "$tmp/render.log" 2>&1; then
    notok "render pages"; sed 's/^/# /' "$tmp/render.log"; echo "1..$n"; exit 1
fi
ok "render pages"

mkdir -p "$tmp/archive"
cp "$tmp/pages/d00_clean.png" "$tmp/pages/d01_clean.png" "$tmp/pages/o_news_clean.png" \
    "$tmp/archive/"
"$VANTHU" index --quiet --ocr-workers 1 --data "$tmp/data" "$tmp/archive" 2> "$tmp/index.err"
rc=$?
if [ "$rc" = 0 ]; then ok "vanthu index exits 0"
else notok "vanthu index exits $rc"; sed 's/^/# /' "$tmp/index.err"; fi

# The records as TSV: name (without .png), then the fields below.
"$VANTHU" search --data "$tmp/data" --json --limit 10 '' | python3 -c '
import json, sys
cols = ["number", "type", "issued", "agency", "subject", "signer"]
print("name\t" + "\t".join(cols))
for r in json.load(sys.stdin)["results"]:
    m = r.get("meta") or {}
    name = r["path"].rsplit("/", 1)[-1].rsplit(".", 1)[0]
    print(name + "\t" + "\t".join(str(m.get(c, "")).replace("\t", " ") for c in cols))
' > "$tmp/got.tsv"
# field NAME COLUMN WANT: the indexed value of COLUMN for page NAME
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
