#!/bin/sh
# Search latency while the indexer OCRs at full speed (issue 5), by hand.
#
#   bench/http-ocr.sh [BUILDDIR] [DURATION=20s] [CONNS=8]
#
# Serves the en-large index that bench/http.sh built (/tmp/vanthu-bench-http)
# with the real `vanthu serve`, watching a second, empty archive folder;
# drops bench/ocr.sh's page set (/tmp/vanthu-bench-ocr/pages: scans, noisy,
# rotated and image-only PDF pages, each file distinct) into it, waits until
# both OCR workers are busy, then drives /api/search with wrk through the
# harness's lib/httpload.sh for DURATION and reads /api/status before and
# after.  Holds /tmp/vanthu-bench.lock.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build-normal}" && pwd)
dur=${2:-20s}
conns=${3:-8}
HARNESS=${HARNESS:-$top/../shared/bench/search}
pages=/tmp/vanthu-bench-ocr/pages
index=/tmp/vanthu-bench-http/en-large
work=/tmp/vanthu-bench-http-ocr
queries=/tmp/corpus/queries/en-large/all.tsv
[ -d "$index" ] || { echo "run bench/http.sh first (no $index)" >&2; exit 1; }
[ -d "$pages" ] || { echo "run bench/ocr.sh pages first (no $pages)" >&2; exit 1; }

exec 9>/tmp/vanthu-bench.lock
flock 9
rm -rf "$work"
mkdir -p "$work/drop"
cp -r "$index" "$work/data"
"$build/vanthu" serve --archive /tmp/corpus/en-large --archive "$work/drop" --data "$work/data" \
    --listen 127.0.0.1:0 --ready-file "$work/ready" --ocr-workers 2 2>"$work/serve.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
i=0
while [ ! -s "$work/ready" ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
port=$(cat "$work/ready")
base=http://127.0.0.1:$port
status() { curl -s "$base/api/status"; }
# Wait for the start-up reconcile of the 20,000 files to finish.
i=0
while status | grep -q '"scanning":true' && [ $i -lt 600 ]; do sleep 0.5; i=$((i + 1)); done
for f in "$pages"/*; do
    case $f in *.gt.txt) continue ;; esac
    cp "$f" "$work/drop/"
done
i=0
while ! status | grep -q '"ocr_busy":2' && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
echo "before: $(status)"
echo "load: $(uptime)"
"$HARNESS/lib/httpload.sh" "$base" "$queries" "vanthu serve while OCRing" "$dur" "$conns"
echo "after: $(status)"
