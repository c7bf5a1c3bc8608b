#!/bin/sh
# Ids survive a move of the archive folder, and so does OCR work: a
# document's id hashes its archive's name and its path inside it, so after
# `mv` of the whole folder (to another parent, same name) a reindex, by
# `vanthu index` and by `vanthu serve`, finds every document under the id
# it had, rewrites its location, and OCRs nothing again.  TAP output.
. "$(dirname "$0")/tap.sh"

work=$(mktemp -d /tmp/vanthu-move-XXXXXX)
spid=
cleanup() {
    [ -n "$spid" ] && kill -TERM "$spid" 2>/dev/null && wait "$spid"
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
slow=1
[ -n "${VT_SANITIZERS:-}" ] && slow=3
if ! command -v curl >/dev/null || ! command -v python3 >/dev/null; then
    echo "1..0 # SKIP curl and python3 are needed"
    exit 77
fi

arch=$work/site1/archive
mkdir -p "$arch/scans" "$arch/text"
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" MKPDF=$top_builddir/tests/unit/ocr/ocr-mkpdf \
    "$top_srcdir/tests/fixtures/make-ocr-fixtures.sh" "$work/fx" test >"$work/fx.log" 2>&1
ok $? "OCR fixtures rendered"
for f in clean_letter.png tiff_two.tif pdfimage_letter.pdf pdftext_letter.pdf; do
    cp "$work/fx/pages/$f" "$arch/scans/" 2>/dev/null || echo "missing fixture $f" | diag
done
cp "$top_srcdir/samples/archive/van-ban-di/qd-512-ubnd-2021.txt" \
    "$top_srcdir/samples/archive/van-ban-den/thong-bao-lich-tiep-dan.html" \
    "$top_srcdir/samples/archive/tham-khao/nghi-dinh-30-2020-nd-cp.md" "$arch/text/"
data=$work/data

# "ID RELATIVE-PATH" for every document, sorted; every path must lie
# under the folder given.
ids() { # UNDER
    "$VANTHU" search --data "$data" --json --limit 100 '' | python3 -c '
import json, sys
under = sys.argv[1] + "/"
for r in sorted(json.load(sys.stdin)["results"], key=lambda r: r["id"]):
    p = r["path"]
    print(r["id"], p[len(under):] if p.startswith(under) else "NOT-UNDER:" + p)' "$1"
}
ocrd() { # the N of "OCR'd N" in an index summary (on stderr)
    sed -n "s/.*OCR'd \([0-9]*\),.*/\1/p" "$1" | tail -1
}

"$VANTHU" index --ocr-workers 1 --data "$data" "$arch" >"$work/i1.out" 2>"$work/i1.err"
ok $? "vanthu index of the archive"
n1=$(ocrd "$work/i1.err")
[ "${n1:-0}" -ge 3 ]
ok $? "the first index OCRs the scans (OCR'd ${n1:-?})"
ids "$arch" >"$work/ids1"
[ "$(wc -l <"$work/ids1")" = 7 ] && ! grep -q NOT-UNDER "$work/ids1"
ok $? "seven documents, each under the archive"

# A move to another parent, same folder name: vanthu index.
mkdir -p "$work/site2"
mv "$arch" "$work/site2/archive"
arch=$work/site2/archive
"$VANTHU" index --ocr-workers 1 --data "$data" "$arch" >"$work/i2.out" 2>"$work/i2.err"
ok $? "vanthu index after the move"
n2=$(ocrd "$work/i2.err")
[ "$n2" = 0 ]
ok $? "nothing is OCR'd again (OCR'd ${n2:-?})"
ids "$arch" >"$work/ids2"
cmp -s "$work/ids1" "$work/ids2"
ok $? "every document keeps its id, and its path is the new one"
if [ $? -ne 0 ]; then diff "$work/ids1" "$work/ids2" | diag; fi

# Another move, then vanthu serve over the new place.
mkdir -p "$work/site3"
mv "$arch" "$work/site3/archive"
arch=$work/site3/archive
ready=$work/ready
"$VANTHU" serve --archive "$arch" --data "$data" --listen 127.0.0.1:0 --ocr-workers 1 \
    --ready-file "$ready" >"$work/serve.log" 2>&1 &
spid=$!
end=$(($(date +%s) + 30 * slow))
while [ ! -s "$ready" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
port=$(cat "$ready" 2>/dev/null)
settled() {
    curl -fsS "http://127.0.0.1:$port/api/search?q=&limit=100" | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d["total"] == 7 and all(r["path"].startswith(sys.argv[1] + "/") for r in d["results"]) else 1)' "$arch"
}
end=$(($(date +%s) + 60 * slow))
while ! settled 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.3; done
settled
ok $? "vanthu serve moves every record to the new place"
jobs=$(curl -fsS "http://127.0.0.1:$port/api/status" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["ocr_jobs"])')
[ "$jobs" = 0 ]
ok $? "vanthu serve sends nothing to OCR (ocr_jobs $jobs)"
sleep 1 # the last commit
kill -TERM "$spid"
wait "$spid"
ok $? "vanthu serve stops cleanly"
spid=
ids "$arch" >"$work/ids3"
cmp -s "$work/ids1" "$work/ids3"
ok $? "after vanthu serve too, every id is the one the first index gave"
if [ $? -ne 0 ]; then diff "$work/ids1" "$work/ids3" | diag; fi

# Two archive folders of one name could give two files one id: refused.
mkdir -p "$work/other/archive"
"$VANTHU" index --data "$work/d2" "$arch" "$work/other/archive" >/dev/null 2>"$work/dup.err"
rc=$?
[ "$rc" -ne 0 ] && grep -q "have the same name" "$work/dup.err"
ok $? "two archive folders of one name are refused, with the reason (exit $rc)"
tap_done
