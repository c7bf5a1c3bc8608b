#!/bin/sh
# Huge and sparse files: two 1 TB sparse files (hashed, the limit raised
# above them) do not hold up a small file dropped in after them, SIGTERM
# during their hashes exits within seconds, and with the default limit
# (2 GiB) a 3 GiB sparse file is recorded by name with the reason at once,
# by `vanthu serve` and by `vanthu index`.  Sparse files take no disk
# space.  Every wait has a deadline.  TAP output.
. "$(dirname "$0")/tap.sh"

work=$(mktemp -d /tmp/vanthu-huge-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
arch=$work/archive
data=$work/data
mkdir -p "$arch"
# Sanitizer builds run several times slower; only the waits that do not
# measure anything are scaled.
slow=1
[ -n "${VT_SANITIZERS:-}" ] && slow=3

cat >"$work/raised.conf" <<EOF
[archive]
settle_ms = 300
[index]
commit_ms = 200
; 2 TiB: the 1 TB files are hashed
max_file_bytes = 2199023255552
EOF
cat >"$work/default.conf" <<EOF
[archive]
settle_ms = 300
[index]
commit_ms = 200
EOF

ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
    limit=$1
    shift
    end=$(($(date +%s) + limit))
    while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.1
    done
    return 0
}

start() {
    rm -f "$work/ready"
    "$VANTHU" serve -c "$1" --archive "$arch" --data "$data" --no-ocr \
        --listen 127.0.0.1:0 --ready-file "$work/ready" >>"$work/log" 2>&1 &
    pid=$!
    wait_for "$((20 * slow))" test -s "$work/ready"
}

# Searches go to the running server: a new process per look would measure
# its own start (slow under sanitizers) more than the indexer.
count() { curl -s -f "http://127.0.0.1:$(cat "$work/ready")/api/search?q=$1&limit=100" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }
count_is() { [ "$(count "$2")" = "$1" ]; }
# record WORD: the record of the one document found by WORD (its name).
record() {
    id=$("$VANTHU" search --data "$data" --json "$1" 2>/dev/null |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["results"]; print(r[0]["id"] if len(r)==1 else "")')
    [ -n "$id" ] && curl -s -f "http://127.0.0.1:$(cat "$work/ready")/api/documents/$id"
}
# too_large WORD LIMIT: its record says it is over the limit, unread.
too_large() {
    record "$1" >"$work/rec.json" &&
        json_get "$work/rec.json" 'd["status"]+" | "+d["error"]+" | "+d["sha256"]' |
        grep -qx "failed | larger than the $2-byte limit (max_file_bytes) | "
}

# 1. Two 1 TB sparse files, the limit raised above them: they are hashed
#    (a pass over 2 TB of zeros takes hours), one at a time on the
#    big-file thread; a small file dropped in after them is searchable
#    within 5 s.
start "$work/raised.conf"
ok $? "serve starts with max_file_bytes raised to 2 TiB"
truncate -s 1T "$arch/motteraa.bin"
truncate -s 1T "$arch/motterab.bin"
big_reading() {
    grep -q "reading '$arch/mottera[ab]\.bin' (1099511627776 bytes) on the big-file thread" "$work/log"
}
wait_for "$((20 * slow))" big_reading
ok $? "a 1 TB sparse file is being hashed on the big-file thread"
[ $? -eq 0 ] || tail -20 "$work/log" | diag
t0=$(ms)
printf 'Công văn khẩn về việc nhoxiunhanh\n' >"$arch/nho.txt"
wait_for 10 count_is 1 nhoxiunhanh
t1=$(ms)
[ $((t1 - t0)) -le 5000 ]
ok $? "a small file dropped in after them is searchable within 5 s ($((t1 - t0)) ms)"
! grep -q "indexed '$arch/mottera" "$work/log"
ok $? "while the 1 TB files are still being hashed"

# 2. SIGTERM during the hashes: the hash stops at its next chunk.
t0=$(ms)
kill -TERM "$pid"
wait "$pid"
rc=$?
t1=$(ms)
pid=
[ "$rc" = 0 ] && [ $((t1 - t0)) -le 5000 ]
ok $? "SIGTERM during the big hashes: exit 0 within 5 s (status $rc, $((t1 - t0)) ms)"
grep -q "stopped cleanly" "$work/log"
ok $? "shutdown closed every handle"

# 3. The default limit (2 GiB): a 3 GiB sparse file is recorded by name,
#    with the reason, at once (neither hashed nor read); so are the 1 TB
#    files left from before.
start "$work/default.conf"
ok $? "serve restarts with the default limit"
t0=$(ms)
truncate -s 3G "$arch/balonquaba.bin"
wait_for "$((10 * slow))" too_large balonquaba 2147483648
rc=$?
t1=$(ms)
ok $rc "a 3 GiB sparse file is recorded with 'larger than the 2147483648-byte limit' ($((t1 - t0)) ms)"
[ $rc -eq 0 ] || { cat "$work/rec.json" | diag; tail -20 "$work/log" | diag; }
wait_for "$((10 * slow))" too_large motteraa 2147483648 && too_large motterab 2147483648
ok $? "the 1 TB files are recorded the same way"
wait_for "$((10 * slow))" count_is 1 nhoxiunhanh
ok $? "the small file is still indexed"
kill -TERM "$pid"
wait "$pid"
pid=

# 4. `vanthu index`: the same limit, and --max-file-bytes.
mkdir -p "$work/one"
truncate -s 3G "$work/one/balonquaba.bin"
printf 'Tệp nhỏ binhthuong\n' >"$work/one/nho.txt"
t0=$(ms)
"$VANTHU" index --data "$work/data2" --no-ocr "$work/one" 2>"$work/index.err"
rc=$?
t1=$(ms)
[ "$rc" = 0 ] && grep -q "balonquaba.bin': larger than the 2147483648-byte limit (max_file_bytes) (recorded as failed)" "$work/index.err"
ok $? "vanthu index records a 3 GiB file with the reason ($((t1 - t0)) ms)"
[ $? -eq 0 ] || diag <"$work/index.err"
printf 'Thêm một dòng\n' >>"$work/one/nho.txt"
"$VANTHU" index --data "$work/data2" --no-ocr --max-file-bytes 8 "$work/one" 2>"$work/index.err"
grep -q "nho.txt': larger than the 8-byte limit (max_file_bytes) (recorded as failed)" "$work/index.err"
ok $? "vanthu index --max-file-bytes sets the limit"
[ $? -eq 0 ] || diag <"$work/index.err"

tap_done
