#!/bin/sh
# vanthu index and vanthu serve make the same record for the same file:
# plain text, a born-digital PDF (text layer), an image-only PDF, a PNG
# scan and a two-page TIFF (OCR), HTML and Markdown.  Both index the same
# folder (ids hash the folder name and path) into their own data folders; every field of
# every record (GET /api/documents/ID, text included) must be equal.
# TAP output.
. "$(dirname "$0")/tap.sh"

work=$(mktemp -d /tmp/vanthu-records-XXXXXX)
p1= p2=
cleanup() {
    for p in $p1 $p2; do kill -TERM "$p" 2>/dev/null && wait "$p"; done
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
slow=1
[ -n "${VT_SANITIZERS:-}" ] && slow=3
if ! command -v curl >/dev/null || ! command -v python3 >/dev/null; then
    echo "1..0 # SKIP curl and python3 are needed"
    exit 77
fi

arch=$work/archive
mkdir -p "$arch"
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" MKPDF=$top_builddir/tests/unit/ocr/ocr-mkpdf \
    "$top_srcdir/tests/fixtures/make-ocr-fixtures.sh" "$work/fx" test >"$work/fx.log" 2>&1
ok $? "OCR fixtures rendered"
for f in clean_letter.png tiff_two.tif pdfimage_letter.pdf pdftext_letter.pdf; do
    cp "$work/fx/pages/$f" "$arch/" 2>/dev/null || echo "missing fixture $f" | diag
done
cp "$top_srcdir/samples/archive/van-ban-di/qd-512-ubnd-2021.txt" \
    "$top_srcdir/samples/archive/van-ban-den/thong-bao-lich-tiep-dan.html" \
    "$top_srcdir/samples/archive/tham-khao/nghi-dinh-30-2020-nd-cp.md" "$arch/"
n=$(find "$arch" -type f | wc -l)
[ "$n" = 7 ]
ok $? "seven files of five kinds in the archive ($n)"

"$VANTHU" index --quiet --ocr-workers 1 --data "$work/d-index" "$arch" 2>"$work/index.err"
ok $? "vanthu index"

# serve until every file is indexed and no OCR is pending.
start() { # DATA READY [FLAGS]
    d=$1 r=$2
    shift 2
    rm -f "$r"
    "$VANTHU" serve --archive "$arch" --data "$d" --listen 127.0.0.1:0 --ocr-workers 1 \
        --ready-file "$r" "$@" >>"$work/serve.log" 2>&1 &
    spid=$!
    end=$(($(date +%s) + 30 * slow))
    while [ ! -s "$r" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
}
start "$work/d-serve" "$work/r0"
p1=$spid
idle() {
    curl -fsS "http://127.0.0.1:$(cat "$work/r0")/api/status" | python3 -c 'import json,sys
s = json.load(sys.stdin)
sys.exit(0 if s["documents"] == 7 and not s["scanning"] and s["queued"] == 0 and s["ocr_pending"] == 0 and s["ocr_busy"] == 0 else 1)'
}
end=$(($(date +%s) + 120 * slow))
while ! idle 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.3; done
idle
ok $? "vanthu serve indexed the same files"
sleep 1 # the last commit
kill -TERM "$p1"
wait "$p1"
p1=

# Read both indexes back through the API, without watching or OCR.
start "$work/d-index" "$work/r1" --no-watch --no-ocr
p1=$spid
start "$work/d-serve" "$work/r2" --no-watch --no-ocr
p2=$spid
python3 - "$(cat "$work/r1")" "$(cat "$work/r2")" >"$work/diff" 2>&1 <<'PY'
import json, sys, urllib.request
def get(port, path):
    return json.load(urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, path)))
a, b = sys.argv[1], sys.argv[2]
ids = sorted(r["id"] for r in get(a, "/api/search?q=&limit=100")["results"])
ids2 = sorted(r["id"] for r in get(b, "/api/search?q=&limit=100")["results"])
if ids != ids2 or len(ids) != 7:
    print("different or missing documents:", ids, ids2)
    sys.exit(1)
bad = 0
for i in ids:
    ra, rb = get(a, "/api/documents/" + i), get(b, "/api/documents/" + i)
    for f in sorted(set(ra) | set(rb)):
        if ra.get(f) != rb.get(f):
            bad += 1
            print("%s: %s: index %r, serve %r" % (ra.get("name"), f, str(ra.get(f))[:60], str(rb.get(f))[:60]))
print("%d documents, %d differing fields" % (len(ids), bad))
sys.exit(1 if bad else 0)
PY
rc=$?
ok $rc "vanthu index and vanthu serve make identical records ($(tail -1 "$work/diff"))"
[ $rc -eq 0 ] || diag <"$work/diff"
tap_done
