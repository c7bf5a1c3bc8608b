#!/bin/sh
# Ten immediate restarts after kill -9: each must start serving (the write
# lock left by the killed process is waited for, not fatal), and the index
# must still hold every file exactly once at the end.  OCR workers are
# running when the kill lands, so a lock kept alive by a child is covered.
# TAP output.
. "$(dirname "$0")/tap.sh"

work=$(mktemp -d /tmp/vanthu-restart-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
slow=1
[ -n "${VT_SANITIZERS:-}" ] && slow=3
arch=$work/archive
mkdir -p "$arch"
for i in $(seq 1 30); do
    printf 'Công văn số %s về hồ sơ khởi động lại\n' "$i" >"$arch/cv-$i.txt"
done
cp "$top_srcdir/samples/archive/tham-khao/scan-phototest.tif" "$arch/scan.tif"

start() {
    rm -f "$work/ready"
    "$VANTHU" serve --archive "$arch" --data "$work/data" --listen 127.0.0.1:0 \
        --settle-ms 200 --ocr-workers 1 --ready-file "$work/ready" >>"$work/log" 2>&1 &
    pid=$!
    end=$(($(date +%s) + 30 * slow))
    while [ ! -s "$work/ready" ]; do
        kill -0 "$pid" 2>/dev/null || return 1
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.1
    done
    return 0
}

good=0
for round in 1 2 3 4 5 6 7 8 9 10; do
    if start; then
        good=$((good + 1))
    else
        echo "round $round: the restart failed" | diag
        tail -3 "$work/log" | diag
    fi
    sleep 0.3 # let the reconcile scan and an OCR job begin
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=
done
[ "$good" = 10 ]
ok $? "10 immediate restarts after kill -9 all start serving ($good of 10)"
grep -q "already used by\|locked by another" "$work/log"
[ $? -ne 0 ]
ok $? "no restart reported the index as locked by another process"

# A writer that holds the lock for a few seconds (vanthu index on a
# separate index of 2,000 files) is waited for, and said so in the log.
mkdir -p "$work/many"
python3 -c 'import sys
for i in range(2000):
    open("%s/f%d.txt" % (sys.argv[1], i), "w").write("Tờ trình số %d về lưu trữ\n" % i)' "$work/many"
"$VANTHU" index --quiet --no-ocr --data "$work/data2" "$work/many" 2>"$work/index.err" &
ipid=$!
end=$(($(date +%s) + 20 * slow))
while [ ! -d "$work/data2/shard-1" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.05; done
rm -f "$work/ready"
"$VANTHU" serve --archive "$work/many" --data "$work/data2" --listen 127.0.0.1:0 --no-ocr \
    --ready-file "$work/ready" >"$work/log2" 2>&1 &
pid=$!
end=$(($(date +%s) + 30 * slow))
while [ ! -s "$work/ready" ] && kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do
    sleep 0.1
done
wait "$ipid"
irc=$?
[ -s "$work/ready" ] && [ "$irc" = 0 ] && grep -q "is locked; waiting up to" "$work/log2" &&
    grep -q "lock taken after" "$work/log2"
ok $? "a lock held by a running vanthu index is waited for, and logged (index status $irc)"
[ $? -eq 0 ] || tail -3 "$work/log2" | diag
kill -TERM "$pid"
wait "$pid"
pid=

start
total() {
    "$VANTHU" search --data "$work/data" --json --limit 100 '' 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'
}
end=$(($(date +%s) + 60 * slow))
while [ "$(total)" != 31 ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.3; done
[ "$(total)" = 31 ]
ok $? "after the restarts every file is indexed exactly once ($(total) of 31)"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ]
ok $? "the last run stops cleanly (status $rc)"
tap_done
