#!/bin/sh
# The file route never serves bytes other than the ones indexed (the real
# `vanthu serve`): (a) an indexed file replaced by a symlink to a file
# outside the archive, (b) a renameat2(RENAME_EXCHANGE) loop flipping the
# indexed file with another one of the same size and mtime while it is
# downloaded hundreds of times, (c) a directory on the path replaced by a
# symlink to an outside directory holding a file of the same name, and
# flipped with it.  404 and 409 are fine; wrong bytes never.  The server
# runs with --no-watch so the records stay while the names change (with
# the watcher, a record may also vanish: 404).  TAP output.
. "$(dirname "$0")/tap.sh"

if ! command -v curl >/dev/null || ! command -v python3 >/dev/null; then
    echo "1..0 # SKIP curl and python3 are needed"
    exit 0
fi
work=$(mktemp -d /tmp/vanthu-swap-XXXXXX)
pid=
fpid=
cleanup() {
    [ -n "$fpid" ] && kill "$fpid" 2>/dev/null && wait "$fpid" 2>/dev/null
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
slow=1
[ -n "${VT_SANITIZERS:-}" ] && slow=3

arch=$work/archive
out=$work/outside
mkdir -p "$arch/sub" "$out"
printf 'Biên bản bàn giao hồ sơ victimone lưu trữ\n' >"$arch/victim.txt"
printf 'Biên bản bàn giao hồ sơ victimtwo AAAAAAAA\n' >"$arch/victim2.txt"
printf 'Biên bản bàn giao hồ sơ victimtwo BBBBBBBB\n' >"$arch/.other"
touch -r "$arch/victim2.txt" "$arch/.other"
printf 'Biên bản bàn giao hồ sơ victimthree\n' >"$arch/sub/victim3.txt"
printf 'secret outside the archive\n' >"$out/victim3.txt"

"$VANTHU" serve --archive "$arch" --data "$work/data" --no-ocr --no-watch \
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

# The client: GET a document's file N times on one connection; print the
# count of each status, and "WRONG" for every 200 whose bytes do not hash
# to the record's sha256.
cat >"$work/get.py" <<'EOF'
import hashlib, http.client, json, sys
port, q, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
def get(path):
    c.request("GET", path)
    r = c.getresponse()
    return r.status, r.read()
st, body = get("/api/search?q=" + q)
res = json.loads(body)["results"]
if len(res) != 1:
    print("nodoc")
    sys.exit(1)
doc = res[0]["id"]
st, body = get("/api/documents/" + doc)
want = json.loads(body)["sha256"]
if len(sys.argv) > 4:
    print(doc, want)
    sys.exit(0)
counts, wrong = {}, 0
for i in range(n):
    st, body = get("/api/documents/%s/file" % doc)
    counts[st] = counts.get(st, 0) + 1
    if st == 200 and hashlib.sha256(body).hexdigest() != want:
        wrong += 1
print(" ".join("%d=%d" % kv for kv in sorted(counts.items())), "WRONG=%d" % wrong)
EOF
indexed() { [ "$(python3 "$work/get.py" "$port" "$1" 0 info 2>/dev/null | wc -w)" = 2 ]; }
wait_for $((30 * slow)) indexed victimone &&
    wait_for $((10 * slow)) indexed victimtwo && wait_for $((10 * slow)) indexed victimthree
ok $? "the three victims are indexed"

set -- $(python3 "$work/get.py" "$port" victimone 0 info)
id1=$1
[ "$2" = "$(sha256sum "$arch/victim.txt" | cut -d' ' -f1)" ] &&
    [ "$(python3 "$work/get.py" "$port" victimone 5)" = "200=5 WRONG=0" ]
ok $? "before any swap the file route serves the recorded bytes"

# (a) victim.txt becomes a symlink to /etc/passwd.
ln -s /etc/passwd "$arch/.v" && mv -T "$arch/.v" "$arch/victim.txt"
r=$(python3 "$work/get.py" "$port" victimone 20)
case $r in *200=*) bad=1 ;; *) bad=0 ;; esac
[ "$bad" = 0 ] && case $r in *WRONG=0) true ;; *) false ;; esac
ok $? "(a) a symlink swapped in: never served ($r)"
code=$(curl -s -o "$work/a.json" -w '%{http_code}' "$base/api/documents/$id1/file")
[ "$code" = 404 ] && json_get "$work/a.json" 'd["error"]' >/dev/null && ! grep -q root: "$work/a.json"
ok $? "(a) the answer is a JSON 404, not the target's bytes (got $code)"
grep "warn" "$work/log" | grep -q "document $id1: the original is no longer a plain file" &&
    ! grep "document $id1" "$work/log" | grep -q "/etc/passwd"
ok $? "(a) one warning names the document's id, not the path"

# (b) victim2.txt and .other (same size, same mtime) flipped in a loop.
cat >"$work/flip.py" <<'EOF'
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
a, b, t_end = sys.argv[1].encode(), sys.argv[2].encode(), time.time() + float(sys.argv[3])
AT_FDCWD, RENAME_EXCHANGE = -100, 2
n = 0
while time.time() < t_end:
    if libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0:
        sys.exit("renameat2: " + os.strerror(ctypes.get_errno()))
    n += 1
print(n)
EOF
python3 "$work/flip.py" "$arch/victim2.txt" "$arch/.other" $((60 * slow)) >"$work/flips" 2>&1 &
fpid=$!
r=$(python3 "$work/get.py" "$port" victimtwo 300)
alive=0
kill -0 "$fpid" 2>/dev/null && alive=1
kill "$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null
fpid=
[ "$alive" = 1 ] && case $r in *WRONG=0) true ;; *) false ;; esac
ok $? "(b) 300 downloads during a RENAME_EXCHANGE loop: every 200 is the recorded bytes ($r)"
# Put the right file back under its name (an even number of flips, or one more).
if [ "$(head -c 60 "$arch/victim2.txt" | grep -c AAAA)" = 0 ]; then
    python3 -c 'import ctypes,sys; ctypes.CDLL(None).renameat2(-100, sys.argv[1].encode(), -100, sys.argv[2].encode(), 2)' \
        "$arch/victim2.txt" "$arch/.other"
fi
r=$(python3 "$work/get.py" "$port" victimtwo 3)
[ "$r" = "200=3 WRONG=0" ]
ok $? "(b) once the name holds the recorded file again it is served ($r)"

# (c) sub/ becomes a symlink to a directory outside holding victim3.txt.
mv "$arch/sub" "$arch/.sub-real"
ln -s "$out" "$arch/sub"
r=$(python3 "$work/get.py" "$port" victimthree 20)
case $r in *200=*) bad=1 ;; *) bad=0 ;; esac
[ "$bad" = 0 ]
ok $? "(c) a directory swapped for a symlink: never served ($r)"
# ... and flipped with the real directory in a loop.
rm "$arch/sub"
mv "$arch/.sub-real" "$arch/sub"
ln -s "$out" "$arch/.sub-link"
python3 "$work/flip.py" "$arch/sub" "$arch/.sub-link" $((60 * slow)) >"$work/flips2" 2>&1 &
fpid=$!
r=$(python3 "$work/get.py" "$port" victimthree 300)
alive=0
kill -0 "$fpid" 2>/dev/null && alive=1
kill "$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null
fpid=
[ "$alive" = 1 ] && case $r in *WRONG=0) true ;; *) false ;; esac
ok $? "(c) 300 downloads while the directory and the symlink flip: every 200 is the recorded bytes ($r)"

code=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/status")
[ "$code" = 200 ]
ok $? "the server is healthy afterwards"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ]
ok $? "serve stops cleanly (status $rc)"
[ "$rc" = 0 ] || tail -5 "$work/log" | diag

tap_done
