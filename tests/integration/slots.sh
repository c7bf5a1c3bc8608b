#!/bin/sh
# Connection slots (the real `vanthu serve`): a socket that sends nothing
# goes sooner than one sending its head; 1,100 idle sockets held open
# and reconnected as soon as the server closes them, from one address, from
# a hundred addresses, and from the client's own address; meanwhile a new
# client's GET /api/status is answered within 2 s, again and again over
# 15 s.  Then the query server run out of file descriptors (serve again,
# with a low RLIMIT_NOFILE, most of it taken by descriptors it inherits):
# new clients are still answered, and the loop does not spin.  TAP output.
. "$(dirname "$0")/tap.sh"

if ! command -v curl >/dev/null || ! command -v python3 >/dev/null; then
    echo "1..0 # SKIP curl and python3 are needed"
    exit 0
fi
work=$(mktemp -d /tmp/vanthu-slots-XXXXXX)
pid=
apid=
cleanup() {
    [ -n "$apid" ] && kill "$apid" 2>/dev/null && wait "$apid" 2>/dev/null
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
slow=1
[ -n "${VT_SANITIZERS:-}" ] && slow=3
# The answer must come within 2 s (scaled for sanitizer builds).
limit=$((2 * slow))

# The attacker: N sockets that connect and send nothing, from the given
# source addresses (all of 127.0.0.0/8 is loopback on Linux); each one the
# server closes is reconnected at once (mode "churn") or not ("hold").
# Every half second it writes "held reconnects" to OUT.
cat >"$work/attack.py" <<'EOF'
import os, resource, selectors, socket, sys, time
port, n, srcs, out, dur, mode = (int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].split(","),
                                 sys.argv[4], float(sys.argv[5]), sys.argv[6])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
need = n + 100
if soft < need:
    if hard != resource.RLIM_INFINITY and hard < need:
        sys.exit(3)
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
sel = selectors.DefaultSelector()
def connect(i):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.bind((srcs[i % len(srcs)], 0))
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    except OSError:
        s.close()
        return None
    sel.register(s, selectors.EVENT_READ, i)
    return s
socks = [connect(i) for i in range(n)]
reconnects, last, t_end = 0, 0.0, time.time() + dur
while time.time() < t_end:
    for key, _ in sel.select(timeout=0.05):
        s = key.fileobj
        try:
            if s.recv(4096):
                continue  # a 503: the close follows
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            pass
        sel.unregister(s)
        s.close()
        socks[key.data] = None if mode == "churn" else False
    for i in range(n):
        if socks[i] is None:
            socks[i] = connect(i)
            reconnects += 1
    if time.time() - last >= 0.5:
        last = time.time()
        with open(out + ".tmp", "w") as f:
            f.write("%d %d\n" % (sum(1 for s in socks if s), reconnects))
        os.rename(out + ".tmp", out)
EOF

# attack NAME N SOURCES SECONDS MODE: start the attacker on $port; wait
# until it has opened its sockets (churn: until all N are open at once).
held_all() { [ "$(cut -d' ' -f1 "$work/att.$1" 2>/dev/null)" -ge "$2" ] 2>/dev/null; }
attack() {
    rm -f "$work/att.$1"
    python3 "$work/attack.py" "$port" "$2" "$3" "$work/att.$1" "$4" "$5" &
    apid=$!
    if [ "$5" = churn ]; then
        wait_for $((20 * slow)) held_all "$1" "$2"
    else
        wait_for $((20 * slow)) test -s "$work/att.$1"
    fi
}
stop_attack() {
    kill "$apid" 2>/dev/null
    wait "$apid" 2>/dev/null
    apid=
}
metric() {
    curl -s --max-time $((5 * slow)) "http://127.0.0.1:$port/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}

# probe NAME [PATH]: 10 new clients, 1.5 s apart; each must get 200
# within $limit seconds.  Writes "code seconds" lines to $work/probe.NAME.
probe() {
    : >"$work/probe.$1"
    path=${2:-/api/status}
    i=0
    while [ $i -lt 10 ]; do
        curl -s -o /dev/null --max-time "$limit" -w '%{http_code} %{time_total}\n' \
            "http://127.0.0.1:$port$path" >>"$work/probe.$1" 2>/dev/null ||
            echo "000 $limit" >>"$work/probe.$1"
        sleep 1.5
        i=$((i + 1))
    done
    awk -v l="$limit" '$1 != 200 || $2 >= l { bad++ } END { exit bad > 0 }' "$work/probe.$1"
}
worst() { sort -k2 -n "$work/probe.$1" | tail -1; }

# ---- vanthu serve, default limits (1024 connections, 512 per address) ----

arch=$work/archive
data=$work/data
mkdir -p "$arch"
printf 'Công văn số 1 về việc kiểm tra hồ sơ lưu trữ\n' >"$arch/cv-1.txt"
cat >"$work/vanthu.conf" <<EOF
[archive]
settle_ms = 200
[ocr]
workers = 1
EOF
"$VANTHU" serve -c "$work/vanthu.conf" --archive "$arch" --data "$data" --no-ocr \
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

python3 -c 'import resource; s, h = resource.getrlimit(resource.RLIMIT_NOFILE); exit(0 if h == resource.RLIM_INFINITY or h >= 1300 else 1)'
if [ $? -ne 0 ]; then
    echo "# the hard open-file limit is below 1,300: the attacker cannot hold 1,100 sockets"
    tap_done
    exit 0
fi

# 0. Timeouts before a complete request: silent sockets go after 5 s, a
#    head sent too slowly after 10 s from the accept (request_timeout_ms).
cat >"$work/timeouts.py" <<'EOF'
import selectors, socket, sys, time
port = int(sys.argv[1])
sel, t0, closed = selectors.DefaultSelector(), time.time(), {}
for name, first in (("silent", b""), ("slow", b"GET /api/status HTTP/1.1\r\n")):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(first)
    sel.register(s, selectors.EVENT_READ, name)
next_drip = t0 + 1
while len(closed) < 2 and time.time() - t0 < 60:
    for key, _ in sel.select(timeout=0.1):
        try:
            if key.fileobj.recv(4096):
                continue
        except OSError:
            pass
        closed[key.data] = time.time() - t0
        sel.unregister(key.fileobj)
    if time.time() >= next_drip and "slow" not in closed:
        next_drip += 1
        for key in list(sel.get_map().values()):
            if key.data == "slow":
                try:
                    key.fileobj.sendall(b"X-A: b\r\n")
                except OSError:
                    pass
print("%.1f %.1f" % (closed.get("silent", 99), closed.get("slow", 99)))
EOF
set -- $(python3 "$work/timeouts.py" "$port")
awk -v a="$1" -v s="$slow" 'BEGIN { exit !(a >= 4.5 && a < 5 + 2 * s) }'
ok $? "a socket that sends nothing is closed after 5 s ($1 s)"
awk -v a="$1" -v b="$2" -v s="$slow" 'BEGIN { exit !(b >= 9.5 && b < 10 + 2 * s) }'
ok $? "a head dripping a line a second is closed 10 s after the accept ($2 s)"

# 1. One attacking address: it is held to its own 512 slots.
attack one 1100 127.0.0.2 40 churn
ok $? "1,100 idle sockets from 127.0.0.2 are open"
probe one
ok $? "a new client is answered within $limit s while they are held (worst: $(worst one))"
conns=$(metric vanthu_http_connections)
[ -n "$conns" ] && [ "$conns" -le 520 ]
ok $? "the attacking address holds at most its share of slots ($conns open)"
stop_attack

# 2. A hundred attacking addresses, 11 sockets each: every slot is wanted.
srcs=$(python3 -c 'print(",".join("127.0.1.%d" % i for i in range(1, 101)))')
attack many 1100 "$srcs" 40 churn
ok $? "1,100 idle sockets from 100 addresses are open"
probe many
ok $? "a new client is answered within $limit s while they are held (worst: $(worst many))"
evicted=$(metric vanthu_http_connections_evicted_total)
[ -n "$evicted" ] && [ "$evicted" -gt 0 ]
ok $? "idle connections were closed to make room ($evicted)"
stop_attack

# 3. The attacker shares the client's own address.
attack same 1100 127.0.0.1 40 churn
ok $? "1,100 idle sockets from 127.0.0.1 are open"
probe same
ok $? "a client on the attacker's address is answered within $limit s (worst: $(worst same))"
stop_attack

wait_for $((10 * slow)) sh -c "[ \"\$(curl -s http://127.0.0.1:$port/metrics | awk '\$1 == \"vanthu_http_connections\" { print \$2 }')\" -le 1 ]"
ok $? "once the attack stops every slot is given back"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ]
ok $? "serve stops cleanly after the attacks (status $rc)"

# ---- out of file descriptors (RLIMIT_NOFILE 256) ----

# cpu PID: user + system time in clock ticks.
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rm -f "$work/ready"
# 200 descriptors open without close-on-exec, handed down to serve: they
# count against its limit like its own.
(
    ulimit -n 256
    exec python3 -c 'import os, sys
for _ in range(int(sys.argv[1])):
    os.set_inheritable(os.open("/dev/null", os.O_RDONLY), True)
os.execvp(sys.argv[2], sys.argv[2:])' 200 "$VANTHU" serve --archive "$arch" --data "$data" \
        --no-ocr --no-watch --listen 127.0.0.1:0 --ready-file "$work/ready"
) >"$work/fds.log" 2>&1 &
pid=$!
wait_for $((20 * slow)) test -s "$work/ready"
ok $? "serve starts with 256 descriptors, 200 of them taken"
port=$(cat "$work/ready")
grep -q "open-file limit is 256: serving at most 64 connections" "$work/fds.log"
ok $? "the connection cap is lowered to fit the open-file limit"
attack fds 400 "$srcs" 40 hold
ok $? "400 idle sockets try to connect"
# /metrics: a search would need descriptors for the index as well.
probe fds /metrics
ok $? "a new client is answered within $limit s with no descriptor to spare (worst: $(worst fds))"
short=$(metric vanthu_http_accept_fd_shortage_total)
[ -n "$short" ] && [ "$short" -gt 0 ]
ok $? "accept ran out of descriptors ($short times) and recovered"
# Held sockets, no reconnection: the server must sit idle, not spin.
t0=$(cpu "$pid")
sleep 3
t1=$(cpu "$pid")
ticks=$(getconf CLK_TCK)
[ $((t1 - t0)) -lt $((ticks * slow / 2)) ]
ok $? "the loop does not spin meanwhile ($((t1 - t0)) ticks of CPU in 3 s)"
stop_attack
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ]
ok $? "serve stops cleanly with no descriptor to spare (status $rc)"
[ "$rc" = 0 ] || tail -5 "$work/fds.log" | diag

tap_done
