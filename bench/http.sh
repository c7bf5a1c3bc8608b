#!/bin/sh
# HTTP search throughput and latency, run by hand (never by make check).
#
#   bench/http.sh [BUILDDIR] [CORPUS=en-large] [DURATION=10s]
#
# Indexes /tmp/corpus/$CORPUS (from ../shared/bench/search/corpus.sh) with
# the real `vanthu index` once (kept in /tmp/vanthu-bench-http), serves it
# with `vanthu serve --no-ocr --no-watch` (once its start-up scan is over),
# drives it with wrk at 1, 8 and 64 connections through the
# harness's lib/httpload.sh over the corpus's query set, and measures the
# in-process rate of the same queries (bench/http-inproc.c: query_search
# plus the JSON text, one index handle per thread) with 1 and 2 threads.
# Every timed step holds /tmp/vanthu-bench.lock so benchmarks never overlap.
# Prints markdown tables for bench/RESULTS.md.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build-normal}" && pwd)
corpus=${2:-en-large}
dur=${3:-10s}
HARNESS=${HARNESS:-$top/../shared/bench/search}
queries=/tmp/corpus/queries/$corpus/all.tsv
work=/tmp/vanthu-bench-http
data=$work/$corpus
lock="flock /tmp/vanthu-bench.lock"

[ -d "/tmp/corpus/$corpus" ] || { echo "no corpus /tmp/corpus/$corpus (run $HARNESS/corpus.sh all)" >&2; exit 1; }
[ -f "$queries" ] || { echo "no query set $queries" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }
(cd "$build" && make -s vanthu >/dev/null)
mkdir -p "$work"

if [ ! -d "$data" ]; then
    echo "indexing /tmp/corpus/$corpus into $data ..." >&2
    $lock "$build/vanthu" index --data "$data" "/tmp/corpus/$corpus" >/dev/null 2>"$work/index.log"
fi
docs=$("$build/vanthu" search --data "$data" --json --limit 0 "" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')

# The in-process program links the build's libraries.
cc -O2 -std=gnu11 -pthread -I"$top" -I"$build" $(pkg-config --cflags jansson) \
    -c "$top/bench/http-inproc.c" -o "$work/http-inproc.o"
c++ -pthread -o "$work/http-inproc" "$work/http-inproc.o" "$build/libquery.a" \
    "$build/libstorage.a" "$build/libtext.a" "$build/libcommon.a" \
    $(pkg-config --libs xapian-core jansson libutf8proc)

pool=${UV_THREADPOOL_SIZE:-4}
export UV_THREADPOOL_SIZE=$pool
rm -f "$work/ready"
"$build/vanthu" serve --archive "/tmp/corpus/$corpus" --data "$data" --no-ocr --no-watch \
    --listen 127.0.0.1:0 --ready-file "$work/ready" >"$work/server.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$work/ready"' EXIT
i=0
while [ ! -s "$work/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(cat "$work/ready")
# The start-up scan compares every file with the index: wait it out.
i=0
until grep -q "reconcile scan 1 finished" "$work/server.log" &&
    curl -s "http://127.0.0.1:$port/api/status" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(not (d["scanning"] is False and d["queued"] == 0))'; do
    [ $i -lt 600 ] || { echo "the start-up scan did not end" >&2; exit 1; }
    sleep 0.5
    i=$((i + 1))
done

echo "## HTTP (issue 5)"
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores ($(uname -m)), $corpus: $docs documents," \
    "$(wc -l <"$queries") queries from $queries, $dur per level."
echo "Server: vanthu serve --no-ocr --no-watch, UV_THREADPOOL_SIZE=$pool, default limits" \
    "(3 searches running, 256 queued).  wrk runs on the same 2 cores as the server;" \
    "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "Command: \`bench/http.sh $build $corpus $dur\`"
echo
# Warm the page cache and the readers.
$lock "$HARNESS/lib/httpload.sh" "http://127.0.0.1:$port" "$queries" warmup 3s "8" >/dev/null
$lock "$HARNESS/lib/httpload.sh" "http://127.0.0.1:$port" "$queries" vanthu-http "$dur" "1 8 64"
echo "| target | threads | queries | QPS | p50 ms | p99 ms |"
echo "|---|---|---|---|---|---|"
secs=${dur%s}
for t in 1 2; do
    $lock "$work/http-inproc" --data "$data" --threads "$t" --seconds "$secs" "$queries"
done
echo
