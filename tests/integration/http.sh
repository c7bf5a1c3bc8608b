#!/bin/sh
# The query server over HTTP: the real `vanthu serve` on an index built by
# the real `vanthu index`: results equal `vanthu search --json`, documents
# and downloads, every malformed request a JSON 4xx with the server still
# healthy, slowloris, reopen after a commit of the server's own indexer,
# overload (a second server that indexes the archive itself), clean stop.
. "$(dirname "$0")/tap.sh"

if ! command -v curl >/dev/null; then
    echo "1..0 # SKIP curl is not installed"
    exit 0
fi
work=$(mktemp -d /tmp/vanthu-http-XXXXXX)
pid=""
pid2=""
cleanup() {
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    [ -n "$pid2" ] && kill -TERM "$pid2" 2>/dev/null && wait "$pid2" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
data=$work/data
arch=$work/archive
cp -r "$top_srcdir/samples/archive" "$arch"
chmod -R u+w "$arch"
# Deadlines scale under the sanitizers.
slow=1
[ -n "${VT_SANITIZERS:-}" ] && slow=4

"$VANTHU" index --data "$data" "$arch" >/dev/null 2>"$work/index.err"
ok $? "index the sample archive with vanthu index"

# idle BASE LOG: the server's indexer has nothing to do (its start-up
# scan, logged to LOG, is over and nothing waits), so the index holds still.
idle() {
    grep -q "reconcile scan 1 finished" "$2" &&
        curl -s --max-time 5 "$1/api/status" >"$work/idle.json" &&
        [ "$(json_get "$work/idle.json" 'd["scanning"] is False and d["queued"] == 0')" = True ]
}

# The search page from the source tree.  A long settle time: the file
# tests below change an indexed original and put it back well before the
# watcher would index it again.  The request timeout is short for the
# slowloris test; debug logging shows the indexer's re-check.
cat >"$work/vanthu.conf" <<EOF
[server]
web_dir = $top_srcdir/web
EOF
"$VANTHU" serve -c "$work/vanthu.conf" --archive "$arch" --data "$data" --no-ocr \
    --settle-ms $((3000 * slow)) --request-timeout-ms 2000 --log-level debug \
    --listen 127.0.0.1:0 --ready-file "$work/ready" >"$work/server.err" 2>&1 &
pid=$!
wait_for $((10 * slow)) test -s "$work/ready"
port=$(cat "$work/ready" 2>/dev/null)
[ -n "$port" ]
ok $? "the server writes its port to the ready file"
if [ -z "$port" ]; then diag <"$work/server.err"; tap_done; exit 1; fi
base=http://127.0.0.1:$port
wait_for $((30 * slow)) idle "$base" "$work/server.err"
ok $? "the server's start-up scan finds the index up to date and ends"

# Python does the JSON comparisons and the raw-socket clients.
cat >"$work/t.py" <<'EOF'
import json, socket, subprocess, sys, time, urllib.parse, urllib.request

def get(base, path):
    try:
        r = urllib.request.urlopen(base + path, timeout=30)
        return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()

def strip(d):
    d.pop("took_ms", None)
    return d

def same(vanthu, data, base, params, cli):
    """GET /api/search?params equals vanthu search --json cli."""
    st, _, body = get(base, "/api/search?" + urllib.parse.urlencode(params))
    out = subprocess.run([vanthu, "search", "--data", data, "--json"] + cli,
                         capture_output=True, check=False).stdout
    a, b = strip(json.loads(body)), strip(json.loads(out))
    if st != 200 or a != b:
        print("# HTTP %d: %s\n# CLI: %s" % (st, json.dumps(a)[:400], json.dumps(b)[:400]))
        return 1
    return 0

def raw(port, data, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        pass
    s.close()
    return out

def json_error(resp):
    """A raw HTTP response: (status, is a JSON error)."""
    head, _, body = resp.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ")[1])
    except Exception:
        return 0, False
    try:
        return status, "error" in json.loads(body)
    except Exception:
        return status, False

cmd = sys.argv[1]
if cmd == "same":
    base, vanthu, data = sys.argv[2:5]
    params = json.loads(sys.argv[5])
    sys.exit(same(vanthu, data, base, params, sys.argv[6:]))
elif cmd == "raw":
    port, req = int(sys.argv[2]), sys.argv[3].encode().decode("unicode_escape").encode("latin-1")
    st, is_json = json_error(raw(port, req))
    print(st, "json" if is_json else "text")
elif cmd == "trickle":
    # A legal request, one byte per packet: the gate must put it together.
    port = int(sys.argv[2])
    req = sys.argv[3].encode().decode("unicode_escape").encode("latin-1")
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(len(req)):
        s.sendall(req[i:i + 1])
        time.sleep(0.002)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    print(out.split(b" ")[1].decode() if out else "none")
elif cmd == "headerflood":
    port = int(sys.argv[2])
    req = b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(
        b"X-Flood-%d: %s\r\n" % (i, b"v" * 100) for i in range(int(sys.argv[3]))) + b"\r\n"
    st, is_json = json_error(raw(port, req))
    print(st, "json" if is_json else "text")
elif cmd == "slowloris":
    # n clients trickle a request head; meanwhile searches must stay fast,
    # and the server must drop the trickling clients after its timeout.
    port, n, base = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    conns = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /api/search?q=a HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        conns.append(s)
    worst = 0.0
    t_end = time.time() + 4
    while time.time() < t_end:
        for s in conns:
            try:
                s.sendall(b"X-a: b\r\n")
            except OSError:
                pass
        t0 = time.time()
        st, _, _ = get(base, "/api/search?q=quyet+dinh")
        worst = max(worst, time.time() - t0)
        if st != 200:
            worst = 99
        time.sleep(0.25)
    # Dropped: the server closed the socket (it reads as the end of the
    # stream, or a reset for the bytes sent after); one still open has
    # nothing to read.  All are looked at at once, long after the timeout.
    closed = 0
    for s in conns:
        s.setblocking(False)
        try:
            if s.recv(65536) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
        s.close()
    print("%.3f %d" % (worst, closed))
EOF
t() { python3 "$work/t.py" "$@"; }

# 1. Same results as the CLI (took_ms aside), with every parameter.
t same "$base" "$VANTHU" "$data" '{"q":"quyet dinh chuyen doi so"}' "quyet dinh chuyen doi so"
ok $? "search: unaccented query equals vanthu search --json"
t same "$base" "$VANTHU" "$data" '{"q":"512/qđ-ubnd"}' "512/qđ-ubnd"
ok $? "search: document number equals the CLI"
t same "$base" "$VANTHU" "$data" '{"q":"chữ ký số"}' "chữ ký số"
ok $? "search: accented query, snippets equal the CLI"
t same "$base" "$VANTHU" "$data" '{"q":""}' ""
ok $? "search: empty q lists every document, facets equal the CLI"
t same "$base" "$VANTHU" "$data" '{"q":"","type":"Quyết định"}' --type "Quyết định" ""
ok $? "search: type filter and its facets equal the CLI"
t same "$base" "$VANTHU" "$data" '{"q":"","year":"2021","sort":"date"}' --year 2021 --sort date ""
ok $? "search: year filter, sort=date"
t same "$base" "$VANTHU" "$data" '{"q":"văn bản","limit":"2","offset":"1","sort":"-date"}' \
    --limit 2 --offset 1 --sort -date "văn bản"
ok $? "search: limit, offset, sort=-date"
t same "$base" "$VANTHU" "$data" '{"q":"thông tin","from":"2021-01-01","to":"2021-12-31"}' \
    --from 2021-01-01 --to 2021-12-31 "thông tin"
ok $? "search: from/to date range"
t same "$base" "$VANTHU" "$data" '{"q":"số","exact":"1"}' --exact "số"
ok $? "search: exact=1"
t same "$base" "$VANTHU" "$data" '{"q":"ủy ban","agency":"ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH"}' \
    --agency "ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH" "ủy ban"
ok $? "search: agency filter"

# 2. The document and its original.
curl -s "$base/api/search?q=tiep+cong+dan" >"$work/res.json"
id=$(json_get "$work/res.json" 'd["results"][0]["id"]')
path=$(json_get "$work/res.json" 'd["results"][0]["path"]')
curl -s -o "$work/doc.json" -w '%{http_code}' "$base/api/documents/$id" >"$work/code"
[ "$(cat "$work/code")" = 200 ] &&
    [ "$(json_get "$work/doc.json" 'd["meta"]["number"]')" = "88/TB-UBND" ] &&
    json_get "$work/doc.json" 'd["text"]' 2>/dev/null | grep -q "tiếp công dân" &&
    [ "$(json_get "$work/doc.json" 'len(d["sha256"])')" = 64 ]
ok $? "document: record with meta, fixity and full text"
curl -s -D "$work/hdr" -o "$work/file" "$base/api/documents/$id/file"
cmp -s "$work/file" "$path"
ok $? "file: the original bytes"
grep -qi '^content-type: text/html' "$work/hdr"
ok $? "file: Content-Type from the record's type"
grep -qi "^content-disposition: attachment; filename=\"thong-bao-lich-tiep-dan.html\"" "$work/hdr"
ok $? "file: Content-Disposition with the real file name"
code=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -I "$base/api/documents/$id/file")
[ "$code" = "200 0" ]
ok $? "file: HEAD answers without a body (got $code)"
# The original changes after it was indexed: 409, one warning with the id,
# and the file_changed callback with the path (the indexer is asked to
# check it again, and says so at debug level).
cp -p "$path" "$work/orig"
printf 'thêm một dòng\n' >>"$path"
code=$(curl -s -o "$work/chg.json" -w '%{http_code}' "$base/api/documents/$id/file")
[ "$code" = 409 ] &&
    [ "$(json_get "$work/chg.json" 'd["error"]')" = "the file changed since it was indexed; it is being indexed again" ]
ok $? "file: an original modified since indexing gets 409 (got $code)"
grep -q "warn query server: document $id: the file changed" "$work/server.err" &&
    grep -qF "'$path': checking it again on request" "$work/server.err"
ok $? "file: the change is logged with the id and reported to the file_changed callback"
# Same size and mtime, other bytes, a newer ctime: the hash decides.
cp "$work/orig" "$path"
touch -r "$work/orig" "$path"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/documents/$id/file")
[ "$code" = 200 ]
ok $? "file: the original put back is served again (got $code)"
python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[0] ^= 1; open(sys.argv[1], "wb").write(d)' "$path"
touch -r "$work/orig" "$path"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/documents/$id/file")
[ "$code" = 409 ]
ok $? "file: same size and mtime but other bytes: 409 (got $code)"
cp "$work/orig" "$path"
touch -r "$work/orig" "$path"
curl -s -o /dev/null -w '%{http_code}' "$base/api/documents/0123456789abcdef0123456789abcdef" >"$work/code"
[ "$(cat "$work/code")" = 404 ]
ok $? "document: unknown id is 404"
curl -s -D "$work/hdr" -o "$work/page" "$base/"
grep -qi '^content-type: text/html' "$work/hdr" && cmp -s "$work/page" "$top_srcdir/web/index.html"
ok $? "the search page at /"

# 3. Malformed requests: each a JSON 4xx.
bad() { # DESCRIPTION EXPECTED-STATUS URL-PATH
    code=$(curl -s --path-as-is -o "$work/bad.json" -w '%{http_code}' "$base$3")
    if [ "$code" = "$2" ] && json_get "$work/bad.json" 'd["error"]' >/dev/null 2>&1; then
        ok 0 "malformed: $1 -> JSON $code"
    else
        ok 1 "malformed: $1 -> JSON $2 (got $code: $(head -c 200 "$work/bad.json"))"
    fi
}
bad "bad percent-encoding" 400 "/api/search?q=%zz"
bad "truncated percent-encoding" 400 "/api/search?q=abc%4"
bad "invalid UTF-8 in q" 400 "/api/search?q=%C3%28"
bad "NUL in q" 400 "/api/search?q=a%00b"
python3 -c 'print("a" * 102400)' >"$work/bigq"
bad "a 100 KB q" 414 "/api/search?q=$(cat "$work/bigq")"
bad "a 5 KB q" 413 "/api/search?q=$(python3 -c 'print("b" * 5000)')"
bad "unknown parameter" 400 "/api/search?q=a&foo=1"
bad "parameter given twice" 400 "/api/search?q=a&q=b"
bad "invalid date" 400 "/api/search?from=2021-02-30"
bad "not a date" 400 "/api/search?to=yesterday"
bad "limit=-1" 400 "/api/search?limit=-1"
bad "limit=10^9" 400 "/api/search?limit=1000000000"
bad "bad sort" 400 "/api/search?sort=random"
bad "bad year" 400 "/api/search?year=20x1"
bad "deeply nested parentheses" 400 "/api/search?q=$(python3 -c 'print("(" * 200 + "a" + ")" * 200)')"
bad "unbalanced parenthesis" 400 "/api/search?q=(a"
bad "a query of 10,000 terms" 414 "/api/search?q=$(python3 -c 'print("+".join("w%d" % i for i in range(10000)))')"
bad "a query of 100 terms" 400 "/api/search?q=$(python3 -c 'print("+".join("w%d" % i for i in range(100)))')"
bad "path traversal on the file route" 404 "/api/documents/../../../../etc/passwd/file"
bad "encoded path traversal" 404 "/api/documents/%2e%2e%2f%2e%2e%2fetc%2fpasswd/file"
bad "absolute path as id" 404 "/api/documents/%2Fetc%2Fpasswd/file"
bad "bad percent-encoding in the path" 400 "/api/documents/%zz/file"
bad "unknown route" 404 "/etc/passwd"
bad "parameters on the document route" 400 "/api/documents/$id?path=/etc/passwd"
code=$(curl -s -X POST -o "$work/bad.json" -w '%{http_code}' "$base/api/search")
[ "$code" = 405 ] && json_get "$work/bad.json" 'd["error"]' >/dev/null
ok $? "malformed: POST -> JSON 405"
code=$(curl -s -o "$work/bad.json" -w '%{http_code}' -H "X-Big: $(python3 -c 'print("a" * 20000)')" "$base/api/status")
[ "$code" = 431 ] && json_get "$work/bad.json" 'd["error"]' >/dev/null
ok $? "malformed: a 20 KB header -> JSON 431"
set -- $(t headerflood "$port" 80)
[ "$1" = 431 ] && [ "$2" = json ]
ok $? "malformed: header flood (80 fields) -> JSON 431 (got $*)"
set -- $(t headerflood "$port" 500)
[ "$1" -ge 400 ] && [ "$1" -lt 500 ] && [ "$2" = json ]
ok $? "malformed: header flood (500 fields) -> JSON 4xx (got $*)"
set -- $(t raw "$port" 'GARBAGE\r\n\r\n')
[ "$1" -ge 400 ] && [ "$1" -lt 500 ]
ok $? "malformed: not HTTP at all -> 4xx (got $*)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/status")
[ "$code" = 200 ]
ok $? "the server is healthy after every malformed request"
code=$(t trickle "$port" 'GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: b\r\nConnection: close\r\n\r\n')
[ "$code" = 200 ]
ok $? "a request sent one byte per packet is answered (got $code)"
code=$(t trickle "$port" 'GET /api/status HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n\n')
[ "$code" = 200 ]
ok $? "a request with bare LF line ends is answered (got $code)"

# 4. Slowloris: 20 clients trickling headers do not delay a search, and are
# dropped after the request timeout (2 s here).
set -- $(t slowloris "$port" 20 "$base")
awk -v w="$1" -v s="$slow" 'BEGIN { exit !(w < 0.5 * s) }'
ok $? "slowloris: searches stay fast meanwhile (worst $1 s)"
[ "$2" = 20 ]
ok $? "slowloris: the trickling clients are dropped ($2 of 20)"

# 5. A commit is seen by readers opened before it: the server's own
# indexer picks up a file dropped in, commits, and the next searches
# reopen (query_http_index_changed).
found_new() {
    curl -s "$base/api/search?q=nghiem+thu+kho" >"$work/res.json" &&
        [ "$(json_get "$work/res.json" 'd["total"]')" = 1 ]
}
printf 'Biên bản nghiệm thu kho lưu trữ số hóa\n' >"$arch/van-ban-den/bien-ban-nghiem-thu.txt"
wait_for $((30 * slow)) found_new
ok $? "index change: new documents found after the reopen"

# 6. Status and metrics, once the indexer is done (the re-checked
# original, the new file).
wait_for $((30 * slow)) idle "$base" "$work/server.err"
curl -s "$base/api/status" >"$work/status.json"
"$VANTHU" search --data "$data" --json --limit 1000 "" >"$work/all.json"
want=$(json_get "$work/all.json" '" ".join("%s=%d" % (s, sum(r["status"] == s for r in d["results"])) for s in ("indexed", "needs-ocr", "failed"))')
got=$(json_get "$work/status.json" '" ".join("%s=%d" % (s, d["by_status"][s]) for s in ("indexed", "needs-ocr", "failed"))')
[ "$(json_get "$work/status.json" 'd["documents"]')" = "$(json_get "$work/all.json" 'd["total"]')" ] &&
    [ "$got" = "$want" ] &&
    [ "$(json_get "$work/status.json" 'd["indexed"] > 0 and d["watched_folders"] > 0 and d["scanning"] is False')" = True ]
ok $? "status: counts by status ($got) and the status callback's fields"
curl -s -D "$work/hdr" -o "$work/metrics" "$base/metrics"
grep -qi '^content-type: text/plain; version=0.0.4' "$work/hdr" &&
    grep -q '^vanthu_http_requests_total{route="search",status="200"} [1-9]' "$work/metrics" &&
    grep -q '^vanthu_http_requests_total{route="search",status="400"} [1-9]' "$work/metrics" &&
    grep -q '^vanthu_http_request_duration_seconds_bucket{route="search",le="+Inf"} [1-9]' "$work/metrics" &&
    grep -q '^vanthu_indexed [1-9]' "$work/metrics" &&
    grep -q '^vanthu_scanning 0$' "$work/metrics"
ok $? "metrics: requests by route and status, latency histogram, status fields"

# 7. Overload: one search at a time, one waiting; 40 at once get 503 +
# Retry-After + JSON for the excess, and the rest are answered.  A second
# server (its own index: one server per data folder) indexes the archive
# itself.
"$VANTHU" serve --archive "$arch" --data "$work/data2" --no-ocr --no-watch \
    --max-searches 1 --max-queued 1 --listen 127.0.0.1:0 --ready-file "$work/ready2" \
    >"$work/server2.err" 2>&1 &
pid2=$!
wait_for $((10 * slow)) test -s "$work/ready2"
base2=http://127.0.0.1:$(cat "$work/ready2")
wait_for $((30 * slow)) idle "$base2" "$work/server2.err"
ok $? "overload: a second server indexes the archive itself"
set --
for i in $(seq 1 40); do
    set -- "$@" -o "$work/ov-b$i" "$base2/api/search?q=van+ban&limit=$i"
done
curl -s --parallel --parallel-immediate --parallel-max 40 \
    -w '%{http_code} %header{retry-after}x %{filename_effective}\n' "$@" >"$work/ov" 2>/dev/null
n200=0 n503=0 good503=0
while read -r code retry file; do
    case $code in
    200) n200=$((n200 + 1)) ;;
    503)
        n503=$((n503 + 1))
        [ "$retry" = 1x ] && json_get "$file" 'd["error"]' >/dev/null && good503=$((good503 + 1)) ;;
    esac
done <"$work/ov"
[ $n503 -gt 0 ] && [ $n200 -gt 0 ] && [ $good503 -eq $n503 ] && [ $((n200 + n503)) -eq 40 ]
ok $? "overload: excess searches get JSON 503 with Retry-After ($n200 answered, $n503 refused)"
curl -s "$base2/metrics" | grep -q '^vanthu_http_overloaded_total [1-9]' &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$base2/api/search?q=van+ban")" = 200 ]
ok $? "overload: counted in /metrics, and the server answers afterwards"
kill -TERM "$pid2"
wait "$pid2"
ok $? "overload: clean stop of the second server"
pid2=""

# 8. Clean stop: every handle closed, uv_loop_close() == 0.
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
[ $rc -eq 0 ]
ok $? "SIGTERM: clean stop (exit $rc)"
[ $rc -eq 0 ] || diag <"$work/server.err"

tap_done
