#!/bin/sh
# Search input the caller got wrong, over the real `vanthu serve` and the
# CLI: a filter too long, not UTF-8 or holding a control character is a
# 400 with the reason (never "the index cannot be read"), and searches
# after it work; the CLI says the same on stderr with exit 2.  A query of
# nothing but unindexable words finds nothing and says why, an empty one
# lists everything; the CLI prints the notice and "did you mean".
# Every wait has a deadline.  TAP output.
. "$(dirname "$0")/tap.sh"

work=$(mktemp -d /tmp/vanthu-input-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
arch=$work/archive
data=$work/data
mkdir -p "$arch/van-ban-di"
slow=1
[ -n "${VT_SANITIZERS:-}" ] && slow=3

printf 'Quyết định về việc phê duyệt kế hoạch chuyển đổi số\n' >"$arch/van-ban-di/qd.txt"
printf 'Công văn về việc kiểm tra hồ sơ lưu trữ\n' >"$arch/van-ban-di/cv.txt"
printf 'Thông báo lịch tiếp công dân\n' >"$arch/van-ban-di/tb.txt"
cat >"$work/vanthu.conf" <<EOF
[archive]
settle_ms = 200
[index]
commit_ms = 200
[ocr]
workers = 1
EOF

# wait_for SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
    limit=$1
    shift
    end=$(($(date +%s) + limit))
    while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.2
    done
    return 0
}

"$VANTHU" serve -c "$work/vanthu.conf" --archive "$arch" --data "$data" \
    --listen 127.0.0.1:0 --ready-file "$work/ready" >>"$work/log" 2>&1 &
pid=$!
wait_for "$((20 * slow))" test -s "$work/ready"
ok $? "serve starts and writes its ready file"
port=$(cat "$work/ready" 2>/dev/null)
if [ -z "$port" ]; then diag <"$work/log"; tap_done; exit 1; fi

# get PARAMS...: GET /api/search with the parameters (name=value, the
# value given raw and percent-encoded here); prints "STATUS BODY".
cat >"$work/get.py" <<'EOF'
import sys, urllib.error, urllib.parse, urllib.request
port, params = sys.argv[1], sys.argv[2:]
qs = "&".join(p.split("=", 1)[0] + "=" +
              urllib.parse.quote(p.split("=", 1)[1].encode("utf-8", "surrogateescape"), safe="")
              for p in params)
try:
    r = urllib.request.urlopen("http://127.0.0.1:%s/api/search?%s" % (port, qs), timeout=30)
    status, body = r.status, r.read()
except urllib.error.HTTPError as e:
    status, body = e.code, e.read()
print(status, body.decode("utf-8", "replace"))
EOF
get() { python3 "$work/get.py" "$port" "$@"; }
# expect STATUS PYTHON-EXPR PARAMS...: the status, and the expression over
# the JSON body (d) true.
expect() {
    want=$1 cond=$2
    shift 2
    get "$@" >"$work/out" 2>&1
    python3 -c 'import json,sys
s, b = open(sys.argv[1]).read().split(" ", 1)
d = json.loads(b)
sys.exit(0 if int(s) == int(sys.argv[2]) and eval(sys.argv[3]) else 1)' "$work/out" "$want" "$cond"
}
indexed() { expect 200 'd["total"] == 3' q=; }
wait_for "$((30 * slow))" indexed
ok $? "the three files are indexed"

long=$(python3 -c 'print("a" * 2000)')
expect 400 '"longer than 200 bytes" in d["error"] and "type" in d["error"]' q=kiem type="$long"
ok $? "a 2,000-byte type is a 400 that says why"
[ $? -eq 0 ] || diag <"$work/out"
expect 400 '"longer than 200 bytes" in d["error"] and "agency" in d["error"]' agency="$long"
ok $? "a 2,000-byte agency is a 400 that says why"
[ $? -eq 0 ] || diag <"$work/out"
expect 400 '"control character" in d["error"]' q=kiem type="$(printf 'a\001b')"
ok $? "a type with a control character is a 400 that says why"
[ $? -eq 0 ] || diag <"$work/out"
expect 400 '"from" in d["error"]' q=kiem from="$long"
ok $? "a 2,000-byte from is a 400"
# Every query thread must still hold a working index handle.
n=0
for i in 1 2 3 4 5 6 7 8; do
    expect 200 'd["total"] == 1' q="kiem tra" && n=$((n + 1))
done
[ "$n" = 8 ]
ok $? "searches after the bad requests work ($n of 8)"
! grep -q " error \|the index cannot be read" "$work/log"
ok $? "the bad requests logged no index error"
[ $? -eq 0 ] || tail -5 "$work/log" | diag

expect 200 'd["total"] == 0 and d["notice"] == "the query has no searchable words"' q=/////
ok $? "q=///// finds nothing and says why"
[ $? -eq 0 ] || diag <"$work/out"
expect 200 'd["total"] == 0 and "notice" in d' q="$(python3 -c 'print("a" * 4096)')"
ok $? "a 4,096-letter word finds nothing and says why"
expect 200 'd["total"] == 0 and "notice" in d' q="$(printf '\360\237\231\202 \360\237\216\211')"
ok $? "a query of emoji finds nothing and says why"
expect 200 'd["total"] == 3 and "notice" not in d' q=
ok $? "an empty query still lists every document"

"$VANTHU" search --data "$data" --type "$(printf '\205')" ho so >"$work/cli.out" 2>"$work/cli.err"
rc=$?
[ "$rc" = 2 ] && grep -qx "vanthu search: 'type' is not valid UTF-8" "$work/cli.err"
ok $? "vanthu search --type \$'\\x85': a clear error, exit 2 (got $rc)"
[ $? -eq 0 ] || diag <"$work/cli.err"
"$VANTHU" search --data "$data" --agency "$long" ho so >"$work/cli.out" 2>"$work/cli.err"
rc=$?
[ "$rc" = 2 ] && grep -qx "vanthu search: 'agency' is longer than 200 bytes" "$work/cli.err"
ok $? "vanthu search --agency (2,000 bytes): a clear error, exit 2 (got $rc)"
[ $? -eq 0 ] || diag <"$work/cli.err"
"$VANTHU" search --data "$data" '/////' >"$work/cli.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "^0 results" "$work/cli.out" &&
    grep -qx "the query has no searchable words" "$work/cli.out"
ok $? "vanthu search '/////' prints why nothing was searched"
[ $? -eq 0 ] || diag <"$work/cli.out"
"$VANTHU" search --data "$data" 'kiemm traa' >"$work/cli.out" 2>&1
grep -qx "did you mean: kiem tra" "$work/cli.out"
ok $? "vanthu search prints the did-you-mean suggestion"
[ $? -eq 0 ] || diag <"$work/cli.out"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ]
ok $? "serve exits 0 on SIGTERM"
tap_done
