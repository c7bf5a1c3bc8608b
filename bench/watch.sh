#!/bin/sh
# bench/watch.sh: issue 4's full-scale figures for `vanthu serve` (run by
# hand, never by make check).  Wrap it in the shared lock so timings never
# overlap with another benchmark:
#
#   flock /tmp/vanthu-bench.lock bench/watch.sh BUILD_DIR [latency|recoll|bulk|crash|move|term|all]
#
#   latency  text file closed -> searchable, settle = 1 s: p50/p90 over N files
#   bulk     50,000 small files dropped at once (and 10,000 in one folder):
#            peak RSS of the server and files/s
#   crash    2,000 files (text, images, PDFs; nested 3 levels; 100 written slowly
#            in chunks over 5 s) copied in while the server runs, kill -9 twice,
#            restart: index == file system, each file once, slow files whole
#   move     a folder of 100 indexed scans moved: paths updated, zero new OCR jobs
#   term     SIGTERM during heavy OCR: seconds to exit, status
#
#   recoll   the latency test against `recollindex -m` (same files, same polling)
#
# Env: N (latency samples, default 50), BULK (default 50000), FLAT (files in
# the one-level folder, default 10000), SLOW_GAP (seconds between the chunks
# of a slowly written file, default 0.5: below the 1 s settle time, as the
# settle rule requires of any writer), BULK_MODE (mv or cp), STEP (bulk
# sampling, s), TILES and TERM_N (term: pages tiled k x k, how many), RC_IX
# (recoll's monixinterval), KEEP=1 (keep the work folder).
# Every server listens on port 0 and runs at most 2 OCR workers; every wait
# has a deadline.
set -u
build=${1:?usage: bench/watch.sh BUILD_DIR [what]}
what=${2:-all}
V=$(cd "$build" && pwd)/vanthu
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/vanthu-bench-watch-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

now() { date +%s.%N; }
start() { # start ARCH DATA [flags...]
    a=$1 d=$2
    shift 2
    rm -f "$work/ready"
    "$V" serve --archive "$a" --data "$d" --ready-file "$work/ready" \
        --listen 127.0.0.1:0 --ocr-workers 2 "$@" >>"$work/log" 2>&1 &
    pid=$!
    t=0
    while [ ! -s "$work/ready" ]; do
        kill -0 "$pid" 2>/dev/null || { echo "server exited at start"; tail "$work/log"; exit 1; }
        t=$((t + 1))
        [ "$t" -gt 600 ] && { echo "server not ready after 30 s"; exit 1; }
        sleep 0.05
    done
}
# stop: SIGTERM, then wait at most 30 s (SIGKILL after that; status 137).
stop() {
    kill -TERM "$pid"
    ( sleep 30; kill -9 "$pid" 2>/dev/null ) &
    dog=$!
    wait "$pid"
    rc=$?
    kill "$dog" 2>/dev/null
    wait "$dog" 2>/dev/null
    pid=
    return $rc
}
# deadline SECONDS: sets $end for `while before; do ...`
deadline() { end=$(($(date +%s) + $1)); }
before() { [ "$(date +%s)" -lt "$end" ]; }
total() { "$V" search --data "$1" --json --limit 1 "$2" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }
alldocs() { # alldocs DATA FIELD: that field of every document, 1000 a page
    python3 - "$V" "$1" "$2" <<'EOF'
import json, subprocess, sys
v, data, field = sys.argv[1:4]
off, total = 0, 1
while off < total:
    r = json.loads(subprocess.run([v, "search", "--data", data, "--json", "--limit", "1000",
                                   "--offset", str(off), ""], capture_output=True).stdout)
    total = r["total"]
    if not r["results"]:
        break
    for d in r["results"]:
        print(d.get(field))
    off += len(r["results"])
EOF
}
exact() { # exact ARCH DATA: index paths == file paths, each once
    alldocs "$2" path | sort >"$work/idx"
    find "$1" -type f | sort >"$work/fs"
    echo "index $(wc -l <"$work/idx") docs ($(sort -u "$work/idx" | wc -l) distinct), archive $(wc -l <"$work/fs") files, differences $(diff "$work/idx" "$work/fs" | grep -c '^[<>]')"
}
rss_now() { awk '/VmRSS/ {print $2 / 1024}' "/proc/$pid/status" 2>/dev/null; }
rss_peak() { awk '/VmHWM/ {print $2 / 1024}' "/proc/$pid/status" 2>/dev/null; }
load() { uptime | sed 's/.*load average/load average/'; }

latency() {
    n=${N:-50}
    mkdir -p "$work/lat/a"
    echo "latency: start, $(load)"
    start "$work/lat/a" "$work/lat/d" --settle-ms 1000 --no-ocr --log-level warn
    : >"$work/lat.txt"
    for i in $(seq 1 "$n"); do
        tok=latencytoken$i
        t0=$(now)
        printf 'Công văn %s\n' "$tok" >"$work/lat/a/f$i.txt"
        deadline 30
        while [ "$(total "$work/lat/d" "$tok")" != 1 ] && before; do sleep 0.02; done
        echo "$(now) $t0" | awk '{print $1 - $2}' >>"$work/lat.txt"
    done
    stop
    sort -n "$work/lat.txt" | awk '{v[NR]=$1} END {printf "latency (settle 1 s, %d files, one at a time): p50 %.2f s, p90 %.2f s, max %.2f s\n", NR, v[int(NR*0.5+0.5)], v[int(NR*0.9+0.5)], v[NR]}'
    echo "latency: end, $(load)"
}

# The same test against `recollindex -m` (its own configuration: the folder,
# Vietnamese unaccented, no delay patterns; recollq polled every 20 ms).
recoll() {
    n=${N:-50}
    command -v recollindex >/dev/null || { echo "recoll: recollindex not installed"; return; }
    mkdir -p "$work/rc/a" "$work/rc/conf"
    cat >"$work/rc/conf/recoll.conf" <<EOF
topdirs = $work/rc/a
dbdir = $work/rc/xapiandb
loglevel = 2
logfilename = $work/rc/recoll.log
monauxinterval = 3600
EOF
    # RC_IX: monixinterval, recoll's batching of monitor events (default 30 s).
    [ -n "${RC_IX:-}" ] && echo "monixinterval = $RC_IX" >>"$work/rc/conf/recoll.conf"
    printf 'Công văn khởi đầu\n' >"$work/rc/a/seed.txt"
    recollindex -c "$work/rc/conf" >/dev/null 2>&1
    echo "recoll: start, $(load)"
    recollindex -c "$work/rc/conf" -m -D -x >/dev/null 2>&1 &
    rpid=$!
    # Warm-up: the monitor takes about a minute before its first indexing.
    t0=$(now)
    printf 'Công văn khoidongtoken\n' >"$work/rc/a/warm.txt"
    deadline 180
    while ! recollq -c "$work/rc/conf" -b khoidongtoken 2>/dev/null | grep -q warm.txt && before; do
        sleep 0.1
    done
    echo "$(now) $t0" | awk '{printf "recoll: first file after the monitor start (warm-up, not counted): %.1f s\n", $1 - $2}'
    : >"$work/rc.txt"
    for i in $(seq 1 "$n"); do
        tok=latencytoken$i
        t0=$(now)
        printf 'Công văn %s\n' "$tok" >"$work/rc/a/f$i.txt"
        deadline 60
        while ! recollq -c "$work/rc/conf" -b "$tok" 2>/dev/null | grep -q "f$i.txt" && before; do
            sleep 0.02
        done
        before || echo "recoll: f$i.txt not found in 60 s"
        echo "$(now) $t0" | awk '{print $1 - $2}' >>"$work/rc.txt"
    done
    kill "$rpid"
    wait "$rpid" 2>/dev/null
    sort -n "$work/rc.txt" | awk '{v[NR]=$1} END {printf "recollindex -m (monixinterval %s, %d files, one at a time): p50 %.2f s, p90 %.2f s, max %.2f s\n", ix, NR, v[int(NR*0.5+0.5)], v[int(NR*0.9+0.5)], v[NR]}' ix="${RC_IX:-30 (default)}"
    echo "recoll: end, $(load)"
}

bulk() {
    n=${BULK:-50000}
    nf=${FLAT:-10000}
    mkdir -p "$work/bulk/a" "$work/bulk/src"
    python3 - "$work/bulk/src" "$n" "$nf" <<'EOF'
import os, sys
root, n, nf = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    d = os.path.join(root, "d%03d" % (i % 500), "e%02d" % (i % 7))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%06d.txt" % i), "w") as f:
        f.write("Hồ sơ số %d về việc lưu trữ tài liệu điện tử %d\n" % (i, i * 7))
flat = os.path.join(root, "flat")
os.makedirs(flat, exist_ok=True)
for i in range(nf):
    with open(os.path.join(flat, "g%05d.txt" % i), "w") as f:
        f.write("Tờ trình số %d\n" % i)
EOF
    start "$work/bulk/a" "$work/bulk/d" --settle-ms 1000 --no-ocr --log-level warn
    echo "bulk: start, RSS idle $(rss_now) MB, $(load)"
    # BULK_MODE=mv (default): the folders are renamed in, their files old;
    # cp: copied in (a new file and events for each, while indexing runs).
    t0=$(now)
    if [ "${BULK_MODE:-mv}" = cp ]; then
        cp -r "$work/bulk/src"/* "$work/bulk/a/" &
        cpid=$!
    else
        mv "$work/bulk/src"/* "$work/bulk/a/"
        cpid=
    fi
    want=$((n + nf))
    peak=0
    prev=0
    deadline 600
    tp=$t0
    while before; do
        sleep "${STEP:-2}"
        got=$(total "$work/bulk/d" "")
        r=$(rss_now)
        tn=$(now)
        peak=$(echo "$peak $r" | awk '{print ($2 > $1) ? $2 : $1}')
        echo "$tn $t0 $got $prev $r $tp" | awk '{printf "  %6.1f s: %6d indexed (%4.0f files/s since the last line), RSS %.0f MB\n", $1 - $2, $3, ($3 - $4) / ($1 - $6), $5}'
        prev=$got
        tp=$tn
        [ "$got" -ge "$want" ] && break
    done
    [ -n "$cpid" ] && wait "$cpid"
    t1=$(now)
    r=$(rss_peak)
    echo "bulk: end, $(load)"
    stop
    echo "$t1 $t0 $want $peak $r $n $nf ${BULK_MODE:-mv}" | awk '{printf "bulk (%s): %d files (%d nested + %d in one folder) in %.1f s, %.0f files/s, RSS sampled peak %.0f MB, VmHWM %.0f MB\n", $8, $3, $6, $7, $1 - $2, $3 / ($1 - $2), $4, $5}'
    exact "$work/bulk/a" "$work/bulk/d"
}

# Text PDF and a scanned PDF (one image, no text) without other tools.
mkpdfs() { # mkpdfs DIR
    convert "$src/samples/archive/tham-khao/scan-phototest.tif" -depth 8 gray:"$work/scan.gray"
    python3 - "$1" "$work/scan.gray" <<'EOF'
import sys, zlib
def pdf(path, page, extra=()):
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page] + list(extra)
    out = b"%PDF-1.4\n"; offs = []
    for i, o in enumerate(objs):
        offs.append(len(out)); out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offs)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    open(path, "wb").write(out)
def stream(d, extra=b""):
    return b"<< /Length %d %s>>\nstream\n" % (len(d), extra) + d + b"\nendstream"
d = sys.argv[1]
txt = b"BT /F1 14 Tf 72 700 Td (Quyet dinh so 12 pdftexttoken) Tj ET"
pdf(d + "/text.pdf", b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    [stream(txt), b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"])
img = zlib.compress(open(sys.argv[2], "rb").read())
pdf(d + "/scan.pdf", b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 640 480] /Contents 4 0 R /Resources << /XObject << /Im0 5 0 R >> >> >>",
    [stream(b"q 640 0 0 480 0 0 cm /Im0 Do Q"),
     stream(img, b"/Type /XObject /Subtype /Image /Width 640 /Height 480 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode ")])
EOF
}

crash() {
    gap=${SLOW_GAP:-0.5}
    mkdir -p "$work/cr/a" "$work/cr/src" "$work/pdf"
    mkpdfs "$work/pdf"
    python3 - "$work/cr/src" "$src" "$work/pdf" <<'EOF'
import os, shutil, sys
root, src, pdf = sys.argv[1], sys.argv[2], sys.argv[3]
tif = os.path.join(src, "samples/archive/tham-khao/scan-phototest.tif")
for i in range(1900):
    d = os.path.join(root, "l1-%d" % (i % 5), "l2-%d" % (i % 4), "l3-%d" % (i % 3))
    os.makedirs(d, exist_ok=True)
    if i % 50 == 0:    # 38 images, each with its own bytes (no reuse)
        with open(tif, "rb") as f, open(os.path.join(d, "scan%04d.tif" % i), "wb") as g:
            g.write(f.read() + str(i).encode())
    elif i % 50 == 1:  # 38 scanned PDFs (the same bytes: 1 OCR, 37 reuses)
        shutil.copy(os.path.join(pdf, "scan.pdf"), os.path.join(d, "scan%04d.pdf" % i))
    elif i % 50 == 2:  # 38 text PDFs
        shutil.copy(os.path.join(pdf, "text.pdf"), os.path.join(d, "text%04d.pdf" % i))
    else:
        with open(os.path.join(d, "doc%04d.txt" % i), "w") as f:
            f.write("Văn bản số %d\n" % i)
EOF
    echo "crash: start, $(load)"
    start "$work/cr/a" "$work/cr/d" --settle-ms 1000 --log-level info
    cp -r "$work/cr/src"/* "$work/cr/a/" &
    cp1=$!
    # 100 files written in 10 chunks, $gap s apart; the last chunk is the
    # marker "hetfileslow".
    ( mkdir -p "$work/cr/a/slow"
      for i in $(seq 1 100); do
          ( for c in 1 2 3 4 5 6 7 8 9; do printf 'phần %s của hồ sơ chậm\n' "$c"; sleep "$gap"; done
            printf 'hetfileslow\n' ) >"$work/cr/a/slow/s$i.txt" &
      done
      wait ) &
    cp2=$!
    for k in 1 2; do
        sleep "$(python3 -c 'import random; print(round(random.uniform(1, 4), 2))')"
        kill -9 "$pid"; wait "$pid" 2>/dev/null
        echo "crash: kill -9 number $k at $(date +%T), index holds $(total "$work/cr/d" "") docs"
        start "$work/cr/a" "$work/cr/d" --settle-ms 1000 --log-level info
    done
    wait "$cp1" "$cp2"
    # Files deleted and moved away while the server runs (after the kills,
    # so that they were indexed first): their entries must go.
    sleep 3
    rm -f "$work/cr/a"/l1-0/l2-0/l3-0/doc*.txt
    mv "$work/cr/a/l1-1/l2-1" "$work/cr/moved-away"
    mv "$work/cr/a/l1-2/l2-2" "$work/cr/a/l1-3/l2-2-moved"
    # Settle, OCR and commit: wait until the index matches or 10 minutes pass.
    deadline 600
    while before; do
        out=$(exact "$work/cr/a" "$work/cr/d")
        case $out in *"differences 0") break ;; esac
        sleep 5
    done
    echo "crash: $out"
    echo "crash: slow files indexed whole: $(total "$work/cr/d" hetfileslow) of 100"
    # Every time a slow file was indexed, its text must have been whole.
    whole=$(wc -c <"$work/cr/a/slow/s1.txt")
    grep "indexed '.*/slow/s[0-9]*\.txt'" "$work/log" | grep -c "$whole bytes of text" >"$work/n1"
    grep -c "indexed '.*/slow/s[0-9]*\.txt'" "$work/log" >"$work/n2"
    echo "crash: slow files indexed $(cat "$work/n2") times, $(cat "$work/n1") of them whole ($whole bytes)"
    echo "crash: documents by status: $(alldocs "$work/cr/d" status | sort | uniq -c | tr '\n' ' ')"
    echo "crash: OCR jobs $(grep -c 'sent to the OCR pool' "$work/log"), reused $(grep -c 'reused the text' "$work/log"); scans searchable by their OCR text ("lazy"): $(total "$work/cr/d" lazy) of $(find "$work/cr/a" -name 'scan*' | wc -l) in the archive"
    echo "crash: end, $(load)"
    stop
}

move() {
    mkdir -p "$work/mv/a/scans"
    for i in $(seq 1 100); do
        cp "$src/samples/archive/tham-khao/scan-phototest.tif" "$work/mv/a/scans/p$i.tif"
        printf '%s' "$i" >>"$work/mv/a/scans/p$i.tif" # distinct contents
    done
    echo "move: start, $(load)"
    start "$work/mv/a" "$work/mv/d" --settle-ms 1000 --log-level info
    deadline 900
    while [ "$(grep -c "ocr: .* read" "$work/log")" -lt 100 ] && before; do sleep 2; done
    sleep 3
    echo "move: $(grep -c "ocr: .* read" "$work/log") scans OCR'd, $(total "$work/mv/d" quick) searchable; $(load)"
    jobs0=$(grep -c "sent to the OCR pool" "$work/log")
    t0=$(now)
    mv "$work/mv/a/scans" "$work/mv/a/moved"
    deadline 120
    while before; do
        out=$(exact "$work/mv/a" "$work/mv/d")
        case $out in *"differences 0") break ;; esac
        sleep 1
    done
    t1=$(now)
    sleep 2
    after=$(grep -c "sent to the OCR pool" "$work/log")
    echo "move: $out after $(echo "$t1 $t0" | awk '{printf "%.1f", $1 - $2}') s; OCR jobs before $jobs0, after $after (new: $((after - jobs0))), reused $(grep -c 'reused the text' "$work/log"), searchable under moved/: $(total "$work/mv/d" quick)"
    echo "move: end, $(load)"
    stop
}

term() {
    # TILES=k: each scan is the sample page tiled k x k (k=3: 1920x1440,
    # several seconds of OCR, longer than the 3 s stop grace); TERM_N scans.
    k=${TILES:-1}
    nt=${TERM_N:-40}
    mkdir -p "$work/tm/a"
    t=$src/samples/archive/tham-khao/scan-phototest.tif
    row=$(for c in $(seq 1 "$k"); do printf '%s ' "$t"; done)
    # shellcheck disable=SC2086
    convert \( $row +append \) -duplicate $((k - 1)) -append -compress Group4 "$work/page.tif"
    for i in $(seq 1 "$nt"); do
        cp "$work/page.tif" "$work/tm/a/p$i.tif"
        printf '%s' "$i" >>"$work/tm/a/p$i.tif"
    done
    echo "term: start, $(load)"
    start "$work/tm/a" "$work/tm/d" --settle-ms 200 --log-level info
    deadline 120
    while ! grep -q "sent to the OCR pool" "$work/log" && before; do sleep 0.2; done
    sleep 2
    t0=$(now)
    stop
    rc=$?
    grep -E 'cancel|stopp' "$work/log" | sed 's/^/  log: /'
    echo "$(now) $t0 $rc $(grep -c 'ocr: .* read' "$work/log")" | awk -v k="$k" '{printf "term: SIGTERM during OCR (%dx%d-tiled pages, %d read before): exit status %d after %.2f s\n", k, k, $4, $3, $1 - $2}'
    start "$work/tm/a" "$work/tm/d" --settle-ms 200 --log-level info
    deadline 300
    while before; do
        [ "$(total "$work/tm/d" "quick")" = "$nt" ] && break
        sleep 2
    done
    echo "term: after a restart, $(total "$work/tm/d" quick) of $nt scans OCR'd and searchable; $(exact "$work/tm/a" "$work/tm/d")"
    echo "term: end, $(load)"
    stop
}

case $what in
all) latency; recoll; bulk; crash; move; term ;;
*) "$what" ;;
esac
