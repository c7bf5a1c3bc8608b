#!/bin/sh
# The query server's wire rules (the real `vanthu serve` with [server]
# hostnames): a Host (HTTP/2 :authority) that is not ours gets a JSON 421
# and nothing else; the listen address, localhost and the configured names
# pass; HEAD answers every GET route with its headers and no body; the
# file route honours one Range (206, Content-Range), refuses an
# unsatisfiable one (416) and sends the whole file otherwise; /api/status
# counts 'empty' documents.  TAP output.
. "$(dirname "$0")/tap.sh"

if ! command -v curl >/dev/null || ! command -v python3 >/dev/null; then
    echo "1..0 # SKIP curl and python3 are needed"
    exit 0
fi
work=$(mktemp -d /tmp/vanthu-wire-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
slow=1
[ -n "${VT_SANITIZERS:-}" ] && slow=3

arch=$work/archive
mkdir -p "$arch"
python3 -c 'import sys; sys.stdout.write("".join("Dòng %04d của công văn wirefile lưu trữ\n" % i for i in range(400)))' \
    >"$arch/cong-van.txt"
: >"$arch/blank.txt" # no text at all: status "empty"
cat >"$work/vanthu.conf" <<EOF
[archive]
settle_ms = 200
[server]
hostnames = vanthu.example, Archive.Example.
web_dir = $top_srcdir/web
EOF
"$VANTHU" serve -c "$work/vanthu.conf" --archive "$arch" --data "$work/data" --no-ocr \
    --listen 127.0.0.1:0 --ready-file "$work/ready" >"$work/log" 2>&1 &
pid=$!
wait_for $((20 * slow)) test -s "$work/ready"
ok $? "serve starts"
port=$(cat "$work/ready" 2>/dev/null)
if [ -z "$port" ]; then
    tail -5 "$work/log" | diag
    tap_done
    exit 1
fi
base=http://127.0.0.1:$port
found() { curl -s "$base/api/search?q=wirefile" | grep -q '"total":1'; }
wait_for $((30 * slow)) found
ok $? "the archive is indexed"
id=$(curl -s "$base/api/search?q=wirefile" | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["id"])')
size=$(wc -c <"$arch/cong-van.txt")

# raw.py REQUEST: send the bytes (\r\n escapes), print the response's
# status, its headers as JSON, and the length of what followed them.
cat >"$work/raw.py" <<'EOF'
import json, socket, sys
port, req = int(sys.argv[1]), sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(req)
out = b""
while True:
    try:
        b = s.recv(65536)
    except socket.timeout:
        break
    if not b:
        break
    out += b
head, _, rest = out.partition(b"\r\n\r\n")
lines = head.decode("latin-1").split("\r\n")
hdr = {}
for l in lines[1:]:
    k, _, v = l.partition(":")
    hdr[k.strip().lower()] = v.strip()
print(lines[0].split(" ")[1] if lines[0] else "000", json.dumps(hdr), len(rest))
sys.stdout.flush()
sys.stdout.buffer.write(rest)
EOF
raw() { python3 "$work/raw.py" "$port" "$1"; }

# ---- Host ----

host_code() { # HOST PATH
    curl -s -o "$work/host.out" -w '%{http_code}' -H "Host: $1" "$base$2"
}
refused=0
for h in evil.example evil.example:$port vanthu.example.evil.example 127.0.0.2 "[::1]" \
    localhost.evil.example "a b" ""; do
    for p in /api/status "/api/search?q=wirefile" / "/api/documents/$id" "/api/documents/$id/file"; do
        [ -z "$h" ] && [ "$p" != /api/status ] && continue
        if [ -z "$h" ]; then
            # An empty Host: curl sends none with -H 'Host:'; send it raw.
            set -- $(raw 'GET /api/status HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n' | head -1)
            [ "$1" = 200 ] || refused=$((refused + 100))
            continue
        fi
        c=$(host_code "$h" "$p")
        if [ "$c" = 421 ] && json_get "$work/host.out" 'd["error"]' >/dev/null &&
            ! grep -q wirefile "$work/host.out"; then
            :
        else
            refused=$((refused + 1))
            echo "# Host '$h' $p: $c $(head -c 100 "$work/host.out")"
        fi
    done
done
[ "$refused" = 0 ]
ok $? "a Host that is not ours gets a JSON 421 and nothing else, on every route"
passed=0
for h in 127.0.0.1 127.0.0.1:$port localhost localhost:$port LOCALHOST vanthu.example \
    VANTHU.EXAMPLE:8443 archive.example archive.example. ; do
    c=$(host_code "$h" /api/status)
    if [ "$c" = 200 ]; then passed=$((passed + 1)); else echo "# Host '$h': $c"; fi
done
[ "$passed" = 9 ]
ok $? "the listen address, localhost and the configured names pass ($passed of 9)"
set -- $(raw 'GET /api/status HTTP/1.0\r\n\r\n' | head -1)
[ "$1" = 200 ]
ok $? "an HTTP/1.0 request with no Host is answered (got $1)"
set -- $(raw 'GET /api/status HTTP/1.1\r\nConnection: close\r\n\r\n' | head -1)
[ "$1" = 421 ]
ok $? "an HTTP/1.1 request with no Host is refused (got $1)"
if curl -s --http2-prior-knowledge -o /dev/null "$base/api/status" 2>/dev/null; then
    c1=$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_version} %{http_code}' "$base/api/status")
    c2=$(curl -s --http2-prior-knowledge -o "$work/h2.out" -w '%{http_version} %{http_code}' \
        -H "Host: evil.example" "$base/api/status")
    [ "$c1" = "2 200" ] && [ "$c2" = "2 421" ] && json_get "$work/h2.out" 'd["error"]' >/dev/null
    ok $? "HTTP/2: :authority is checked the same way (ours: $c1, evil.example: $c2)"
fi
curl -s "$base/metrics" | grep -q '^vanthu_http_wrong_host_total [1-9]'
ok $? "refused hosts are counted in /metrics"

# ---- HEAD ----

# head_ok PATH: HEAD then GET /api/status pipelined on one connection: the
# HEAD answer is 200 with headers only (the next answer follows at once).
cat >"$work/head.py" <<'EOF'
import socket, sys
port, path = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"HEAD %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
          b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % path.encode())
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
head, _, rest = out.partition(b"\r\n\r\n")
sys.exit(0 if head.startswith(b"HTTP/1.1 200 ") and rest.startswith(b"HTTP/1.1 200 ") else 1)
EOF
head_ok() { python3 "$work/head.py" "$port" "$1"; }
bad=
for p in / /index.html /app.js /style.css /favicon.svg "/api/search?q=wirefile" /api/status \
    /metrics "/api/documents/$id" "/api/documents/$id/file"; do
    head_ok "$p" || bad="$bad $p"
done
[ -z "$bad" ]
ok $? "HEAD on every GET route: 200, headers, no body${bad:+ (failed:$bad)}"
curl -s -I "$base/api/documents/$id/file" >"$work/hdr"
grep -qi "^content-length: $size" "$work/hdr" && grep -qi '^accept-ranges: bytes' "$work/hdr" &&
    grep -qi '^etag: "' "$work/hdr"
ok $? "HEAD on the file: its length, Accept-Ranges and an ETag"
curl -s -I "$base/" >"$work/hdr"
grep -qi "^content-length: $(wc -c <"$top_srcdir/web/index.html" | tr -d ' ')" "$work/hdr" &&
    grep -qi '^content-type: text/html' "$work/hdr"
ok $? "HEAD on the page: its length and type"
code=$(curl -s -o "$work/m.json" -w '%{http_code}' -X DELETE "$base/api/status")
curl -s -D "$work/hdr" -o /dev/null -X POST "$base/api/status"
[ "$code" = 405 ] && grep -qi '^allow: GET, HEAD' "$work/hdr"
ok $? "other methods: 405 with Allow: GET, HEAD"

# ---- Range ----

# rng RANGE [IF-RANGE [METHOD]]: the status, Content-Range, whether the
# body's bytes are the file's, the body's length and the ETag.  An empty
# IF-RANGE sends none.
cat >"$work/rng.py" <<'EOF'
import http.client, sys
port, doc, path, rng = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
data = open(path, "rb").read()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
h = {"Range": rng}
if len(sys.argv) > 5 and sys.argv[5]:
    h["If-Range"] = sys.argv[5]
c.request(sys.argv[6] if len(sys.argv) > 6 else "GET", "/api/documents/%s/file" % doc, headers=h)
r = c.getresponse()
body = r.read()
cr = r.getheader("Content-Range", "-")
if r.status == 206:
    a, b = cr.split(" ")[1].split("/")[0].split("-")
    same = body == data[int(a):int(b) + 1] or (not body and len(sys.argv) > 6)
elif r.status == 200:
    same = body == data
else:
    same = True
print(r.status, cr.replace(" ", "_"), "same" if same else "DIFFERENT", len(body), r.getheader("ETag", ""))
EOF
rng() { python3 "$work/rng.py" "$port" "$id" "$arch/cong-van.txt" "$@"; }
last=$((size - 1))
set -- $(rng bytes=0-9)
[ "$1 $2 $3 $4" = "206 bytes_0-9/$size same 10" ]
ok $? "Range bytes=0-9: 206, Content-Range, the first 10 bytes ($*)"
set -- $(rng bytes=100-)
[ "$1 $2 $3 $4" = "206 bytes_100-$last/$size same $((size - 100))" ]
ok $? "Range bytes=100-: the rest of the file ($*)"
set -- $(rng bytes=-7)
[ "$1 $2 $3 $4" = "206 bytes_$((size - 7))-$last/$size same 7" ]
ok $? "Range bytes=-7: the last 7 bytes ($*)"
set -- $(rng "bytes=10-$((size + 1000))")
[ "$1 $2 $3" = "206 bytes_10-$last/$size same" ]
ok $? "Range past the end is cut at the end ($*)"
set -- $(rng "bytes=$size-")
[ "$1 $2" = "416 bytes_*/$size" ]
ok $? "Range beyond the file: 416 with Content-Range bytes */$size ($*)"
set -- $(rng bytes=-0)
[ "$1" = 416 ]
ok $? "Range bytes=-0: 416 ($*)"
set -- $(rng bytes=0-1,5-6)
[ "$1 $3 $4" = "200 same $size" ]
ok $? "several ranges: the whole file, 200 ($1 $4)"
set -- $(rng bytes=9-3)
[ "$1 $3" = "200 same" ]
ok $? "a malformed range (9-3): the whole file ($1)"
set -- $(rng items=0-3)
[ "$1 $3" = "200 same" ]
ok $? "another unit: the whole file ($1)"
etag=$(rng bytes=0-0 | cut -d' ' -f5)
set -- $(rng bytes=0-9 "$etag")
[ "$1" = 206 ]
ok $? "If-Range with the current ETag: the range ($1)"
set -- $(rng bytes=0-9 '"0000"')
[ "$1 $4" = "200 $size" ]
ok $? "If-Range with another ETag: the whole file ($1)"
set -- $(rng bytes=0-9 "" HEAD)
[ "$1 $2 $4" = "206 bytes_0-9/$size 0" ]
ok $? "HEAD with a Range: 206 headers, no body ($*)"

# ---- /api/status ----

blank() { curl -s "$base/api/status" | python3 -c 'import json,sys; exit(json.load(sys.stdin)["by_status"].get("empty", 0) != 1)'; }
wait_for $((20 * slow)) blank
ok $? "/api/status by_status counts the empty document"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ]
ok $? "serve stops cleanly (status $rc)"

tap_done
