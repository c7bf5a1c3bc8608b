#!/bin/sh
# bench/watch.sh: issue 4's full-scale figures for `vanthu serve` (run by
# hand, never by make check).  Wrap it in the shared lock so timings never
# overlap with another benchmark:
#
#   flock /tmp/vanthu-bench.lock bench/watch.sh BUILD_DIR [latency|bulk|crash|move|term|all]
#
#   latency  text file closed -> searchable, settle = 1 s: p50/p90 over N files
#            (recollindex -m is compared when installed)
#   bulk     50,000 small files dropped at once (and 10,000 in one folder):
#            peak RSS of the server and files/s
#   crash    2,000 files (text, images, PDFs; nested 3 levels; 100 written slowly
#            in chunks over 5 s) copied in while the server runs, kill -9 twice,
#            restart: index == file system, each file once, slow files whole
#   move     a folder of 100 indexed scans moved: paths updated, zero new OCR jobs
#   term     SIGTERM during heavy OCR: seconds to exit, status
#
# Env: N (latency samples, default 50), BULK (default 50000).
set -u
build=${1:?usage: bench/watch.sh BUILD_DIR [what]}
what=${2:-all}
V=$(cd "$build" && pwd)/vanthu
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/vanthu-bench-watch-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$work"' EXIT

now() { date +%s.%N; }
start() { # start ARCH DATA [flags...]
    a=$1 d=$2
    shift 2
    rm -f "$work/ready"
    "$V" serve --archive "$a" --data "$d" --ready-file "$work/ready" "$@" >>"$work/log" 2>&1 &
    pid=$!
    while [ ! -s "$work/ready" ]; do sleep 0.05; done
}
stop() { kill -TERM "$pid"; wait "$pid"; rc=$?; pid=; return $rc; }
total() { "$V" search --data "$1" --json --limit 1 "$2" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }
exact() { # exact ARCH DATA: index paths == file paths, each once
    "$V" search --data "$2" --json --limit 1000000 "" |
        python3 -c 'import json,sys
for r in json.load(sys.stdin)["results"]: print(r["path"])' | sort >"$work/idx"
    find "$1" -type f | sort >"$work/fs"
    echo "index $(wc -l <"$work/idx") docs ($(sort -u "$work/idx" | wc -l) distinct), archive $(wc -l <"$work/fs") files, differences $(diff "$work/idx" "$work/fs" | grep -c '^[<>]')"
}
rss_watch() { # peak RSS of $pid in MB, sampled until it exits or $1 says so
    awk '/VmHWM/ {print $2 / 1024}' "/proc/$pid/status" 2>/dev/null
}

latency() {
    n=${N:-50}
    mkdir -p "$work/lat/a"
    start "$work/lat/a" "$work/lat/d" --settle-ms 1000 --no-ocr --log-level warn
    : >"$work/lat.txt"
    for i in $(seq 1 "$n"); do
        tok=latencytoken$i
        t0=$(now)
        printf 'Công văn %s\n' "$tok" >"$work/lat/a/f$i.txt"
        while [ "$(total "$work/lat/d" "$tok")" != 1 ]; do sleep 0.02; done
        echo "$(now) $t0" | awk '{print $1 - $2}' >>"$work/lat.txt"
    done
    stop
    sort -n "$work/lat.txt" | awk '{v[NR]=$1} END {printf "latency (settle 1 s, %d files, one at a time): p50 %.2f s, p90 %.2f s, max %.2f s\n", NR, v[int(NR*0.5+0.5)], v[int(NR*0.9+0.5)], v[NR]}'
    if command -v recollindex >/dev/null; then
        echo "recollindex -m: not automated here; see bench/RESULTS.md"
    else
        echo "recollindex not installed: no comparison"
    fi
}

bulk() {
    n=${BULK:-50000}
    mkdir -p "$work/bulk/a" "$work/bulk/src"
    python3 - "$work/bulk/src" "$n" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%03d" % (i % 500), "e%02d" % (i % 7))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%06d.txt" % i), "w") as f:
        f.write("Hồ sơ số %d về việc lưu trữ tài liệu điện tử %d\n" % (i, i * 7))
flat = os.path.join(root, "flat")
os.makedirs(flat, exist_ok=True)
for i in range(10000):
    with open(os.path.join(flat, "g%05d.txt" % i), "w") as f:
        f.write("Tờ trình số %d\n" % i)
EOF
    start "$work/bulk/a" "$work/bulk/d" --settle-ms 1000 --no-ocr --log-level warn
    t0=$(now)
    mv "$work/bulk/src"/* "$work/bulk/a/"
    want=$((n + 10000))
    peak=0
    while :; do
        got=$(total "$work/bulk/d" "")
        r=$(rss_watch)
        peak=$(echo "$peak $r" | awk '{print ($2 > $1) ? $2 : $1}')
        echo "$(now) $t0 $got" | awk '{printf "  %6.1f s: %d indexed\n", $1 - $2, $3}'
        [ "$got" -ge "$want" ] && break
        sleep 5
    done
    t1=$(now)
    r=$(rss_watch)
    stop
    echo "$t1 $t0 $want $peak $r" | awk '{printf "bulk: %d files (50k nested + 10k in one folder) in %.1f s, %.0f files/s, peak RSS %.0f MB (VmHWM %.0f MB)\n", $3, $1 - $2, $3 / ($1 - $2), $4, $5}'
}

crash() {
    mkdir -p "$work/cr/a" "$work/cr/src"
    python3 - "$work/cr/src" "$src" <<'EOF'
import os, shutil, sys
root, src = sys.argv[1], sys.argv[2]
tif = os.path.join(src, "samples/archive/tham-khao/scan-phototest.tif")
for i in range(1900):
    d = os.path.join(root, "l1-%d" % (i % 5), "l2-%d" % (i % 4), "l3-%d" % (i % 3))
    os.makedirs(d, exist_ok=True)
    if i % 50 == 0:
        shutil.copy(tif, os.path.join(d, "scan%04d.tif" % i))
    else:
        with open(os.path.join(d, "doc%04d.txt" % i), "w") as f:
            f.write("Văn bản số %d\n" % i)
EOF
    start "$work/cr/a" "$work/cr/d" --settle-ms 1000 --log-level warn
    cp -r "$work/cr/src"/* "$work/cr/a/" &
    cp1=$!
    ( mkdir -p "$work/cr/a/slow"
      for i in $(seq 1 100); do
          ( for c in 1 2 3 4 5; do printf 'phần %s của hồ sơ chậm\n' "$c"; sleep 1; done
            printf 'hetfileslow\n' ) >"$work/cr/a/slow/s$i.txt" &
      done
      wait ) &
    cp2=$!
    for k in 1 2; do
        sleep "$(python3 -c 'import random; print(round(random.uniform(1, 4), 2))')"
        kill -9 "$pid"; wait "$pid" 2>/dev/null
        echo "kill -9 number $k"
        start "$work/cr/a" "$work/cr/d" --settle-ms 1000 --log-level warn
    done
    wait "$cp1" "$cp2"
    # Settle, OCR and commit: wait until the index matches or 10 minutes pass.
    end=$(($(date +%s) + 600))
    while [ "$(date +%s)" -lt "$end" ]; do
        out=$(exact "$work/cr/a" "$work/cr/d")
        case $out in *"differences 0") break ;; esac
        sleep 5
    done
    echo "crash: $out"
    echo "crash: slow files indexed whole: $(total "$work/cr/d" hetfileslow) of 100"
    stop
}

move() {
    mkdir -p "$work/mv/a/scans"
    for i in $(seq 1 100); do
        cp "$src/samples/archive/tham-khao/scan-phototest.tif" "$work/mv/a/scans/p$i.tif"
        printf '%s' "$i" >>"$work/mv/a/scans/p$i.tif" # distinct contents
    done
    start "$work/mv/a" "$work/mv/d" --settle-ms 1000 --log-level info
    while [ "$(grep -c "ocr: .* read" "$work/log")" -lt 100 ]; do sleep 2; done
    sleep 3
    before=$(grep -c "sent to the OCR pool" "$work/log")
    mv "$work/mv/a/scans" "$work/mv/a/moved"
    end=$(($(date +%s) + 120))
    while [ "$(date +%s)" -lt "$end" ]; do
        out=$(exact "$work/mv/a" "$work/mv/d")
        case $out in *"differences 0") break ;; esac
        sleep 1
    done
    after=$(grep -c "sent to the OCR pool" "$work/log")
    echo "move: $out; OCR jobs before $before, after $after (new: $((after - before))), reused $(grep -c 'reused the text' "$work/log")"
    stop
}

term() {
    mkdir -p "$work/tm/a"
    for i in $(seq 1 40); do
        cp "$src/samples/archive/tham-khao/scan-phototest.tif" "$work/tm/a/p$i.tif"
        printf '%s' "$i" >>"$work/tm/a/p$i.tif"
    done
    start "$work/tm/a" "$work/tm/d" --settle-ms 200 --log-level info
    while ! grep -q "sent to the OCR pool" "$work/log"; do sleep 0.2; done
    sleep 2
    t0=$(now)
    stop
    rc=$?
    echo "$(now) $t0 $rc" | awk '{printf "term: SIGTERM during OCR: exit status %d after %.2f s\n", $3, $1 - $2}'
    start "$work/tm/a" "$work/tm/d" --settle-ms 200 --log-level info
    end=$(($(date +%s) + 300))
    while [ "$(date +%s)" -lt "$end" ]; do
        [ "$(total "$work/tm/d" "quick")" = 40 ] && break
        sleep 2
    done
    echo "term: after a restart, $(total "$work/tm/d" quick) of 40 scans OCR'd and searchable"
    stop
}

case $what in
all) latency; bulk; crash; move; term ;;
*) "$what" ;;
esac
