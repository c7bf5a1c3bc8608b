#!/bin/sh
# OCR worker hardening, end to end with the real binaries:
#   1. the worker's sandbox as it applies it in service (--sandbox-selftest):
#      no socket of any family, no connect, another uid when run as root;
#   2. a terminal's Ctrl-C, i.e. SIGINT to the whole foreground process
#      group, while `vanthu serve` has an image in OCR and has just OCR'd
#      another under the sandbox: a clean stop (exit 0), no warning or
#      error on stderr, no worker left running;
#   3. kill -9 of vanthu: its workers die with it instead of lingering;
#   4. a bad [ocr] sandbox value is a clear configuration error.
# Every wait has a deadline.  TAP output.
. "$(dirname "$0")/tap.sh"

WORKER=$top_builddir/vanthu-ocr-worker
work=$(mktemp -d /tmp/vanthu-ocrw-XXXXXX)
vpid=
cleanup() {
    [ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
slow=1
[ -n "${VT_SANITIZERS:-}" ] && slow=3

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

# value NAME FILE: the value on the "NAME: VALUE" line of a probe report.
value() { sed -n "s/^$1: //p" "$2" | head -1; }
denied() { case $(value "$1" "$2") in EACCES | EPERM) return 0 ;; *) return 1 ;; esac; }

# ---- 1. the sandbox, from the worker itself ---------------------------------
"$WORKER" --sandbox-selftest >"$work/self.txt" 2>"$work/self.err"
ok $? "the worker applies its sandbox (--sandbox-selftest exits 0)" || diag <"$work/self.err"
for probe in "socket AF_INET" "socket AF_INET6" "socket AF_UNIX" "socketpair AF_UNIX" \
    "connect 127.0.0.1:9" "bind inherited" "listen inherited"; do
    denied "$probe" "$work/self.txt"
    ok $? "sandboxed worker: $probe fails with EACCES/EPERM ($(value "$probe" "$work/self.txt"))"
done
check "sandboxed worker has no_new_privs and a seccomp filter" \
    sh -c "grep -qx 'no_new_privs: 1' '$work/self.txt' && grep -qx 'seccomp: 2' '$work/self.txt'"
check "sandboxed worker keeps only its standard descriptors and channel" \
    sh -c "grep -Eqx 'fds: 0 1 2( 3)?' '$work/self.txt'"
if [ "$(id -u)" = 0 ]; then
    uid=$(value uid "$work/self.txt" | cut -d' ' -f1)
    check "run as root, the worker drops to another uid ($uid)" test -n "$uid" -a "$uid" != 0
    denied "setuid 0" "$work/self.txt"
    ok $? "the dropped worker cannot setuid(0) back"
fi
[ "$tap_failed" -eq 0 ] || diag <"$work/self.txt"

# ---- 2. Ctrl-C on the terminal ----------------------------------------------
# These are in .ci/packages (imagemagick, procps; setsid is util-linux's):
# a machine without them fails here rather than skipping half the test.
if ! command -v convert >/dev/null || ! command -v setsid >/dev/null || ! [ -x /bin/kill ] ||
    ! command -v ps >/dev/null; then
    ok 1 "the serve tests have convert (imagemagick), setsid, /bin/kill and ps (procps)"
    tap_done
    exit $?
fi
arch=$work/archive
mkdir -p "$arch"
# render TEXT OUT: a small page with one line of text.
render() {
    convert -size 900x220 xc:white -font DejaVu-Sans -pointsize 48 -fill black \
        -annotate +30+130 "$1" -depth 8 -type Grayscale "$2" 2>>"$work/convert.err"
}
render 'Thông báo số 512 khẩn' "$arch/page.png" &&
    render 'Quyết định số 7 mật' "$arch/hang-page.png"
ok $? "render two pages to OCR" || diag <"$work/convert.err"
# The second page never finishes (the worker's --hang-on test mode): its job
# is in flight when Ctrl-C comes.  (Its text differs: vanthu reuses the text
# of a file with the same bytes instead of OCRing it again.)
cat >"$work/worker.sh" <<EOF
#!/bin/sh
exec "$WORKER" --hang-on hang-page "\$@"
EOF
chmod +x "$work/worker.sh"
cat >"$work/vanthu.conf" <<EOF
[archive]
settle_ms = 300
[index]
commit_ms = 200
[ocr]
workers = 2
sandbox = required
EOF

# serve LOG: start vanthu serve in a session of its own, as a terminal's
# foreground job would be (its pid is its process group), pid in $vpid.
serve() {
    rm -f "$work/ready" "$work/pid"
    VANTHU_OCR_WORKER=$work/worker.sh setsid -w sh -c 'echo $$ >"$1"; shift; exec "$@"' sh \
        "$work/pid" "$VANTHU" serve -c "$work/vanthu.conf" --archive "$arch" \
        --data "$work/data" --listen 127.0.0.1:0 --ready-file "$work/ready" 2>"$1" &
    spid=$!
    wait_for 10 test -s "$work/pid"
    vpid=$(cat "$work/pid")
    wait_for "$((20 * slow))" test -s "$work/ready"
}

# status EXPR: a field of /api/status.
status() {
    python3 -c 'import json, sys, urllib.request
d = json.load(urllib.request.urlopen("http://127.0.0.1:%s/api/status" % sys.argv[1], timeout=10))
print(eval(sys.argv[2]))' "$(cat "$work/ready")" "$1"
}
# found: the paths of the documents holding the words of page.png.
found() {
    "$VANTHU" search --data "$work/data" --json "thong bao" 2>/dev/null |
        python3 -c 'import json, sys
print(" ".join(r["path"] for r in json.load(sys.stdin)["results"]))'
}
# busy_and_done: page.png was OCR'd (its words are indexed) and a worker is
# busy (on hang-page.png).
busy_and_done() {
    case $(found) in *archive/page.png*) ;; *) return 1 ;; esac
    [ "$(status 'd.get("ocr_busy", 0) >= 1')" = True ]
}
# workers: the pids of vanthu's children (the OCR workers).
workers() { ps -o pid= --ppid "$vpid" | tr -d ' '; }
alive() { # alive PID...: true if any of them still runs (and is a worker)
    for p in "$@"; do
        grep -q vanthu-ocr-worker "/proc/$p/cmdline" 2>/dev/null && return 0
    done
    return 1
}
none_alive() { ! alive "$@"; }

serve "$work/serve.err"
ok $? "vanthu serve starts in its own session" || diag <"$work/serve.err"
wait_for "$((60 * slow))" busy_and_done
ok $? "one page OCR'd under the sandbox and found by its words, the other in a worker" ||
    { echo "# found: '$(found)'"; diag <"$work/serve.err"; }
pids=$(workers)
set -- $pids
check "two workers run ($*)" test $# = 2
others=0
for p in $pids; do
    [ "$(ps -o pgid= -p "$p" | tr -d ' ')" != "$vpid" ] && others=$((others + 1))
done
check "the workers are outside vanthu's process group" test "$others" = 2
# The terminal's Ctrl-C: SIGINT to every process of the foreground group
# (procps kill: the shell's own may not take a process group).
/bin/kill -INT -- "-$vpid"
wait_for "$((25 * slow))" sh -c "! kill -0 $vpid"
ok $? "vanthu stops after SIGINT to its process group" || kill -9 "$vpid"
wait "$spid"
rc=$?
check "exit status 0 (got $rc)" test "$rc" = 0
check "it stopped cleanly" grep -q "stopped cleanly" "$work/serve.err"
grep -Ei 'warn|error' "$work/serve.err" >"$work/bad-lines"
check "no warning or error line on stderr" test ! -s "$work/bad-lines"
[ -s "$work/bad-lines" ] && diag <"$work/bad-lines"
wait_for 5 none_alive $pids
ok $? "no worker is left running"
vpid=

# ---- 3. kill -9 -------------------------------------------------------------
rm -rf "$work/data"
serve "$work/serve2.err"
ok $? "vanthu serve starts again"
wait_for "$((60 * slow))" busy_and_done
ok $? "again one page done, one in a worker" || diag <"$work/serve2.err"
pids=$(workers)
kill -9 "$vpid"
wait "$spid" 2>/dev/null
vpid=
wait_for "$((10 * slow))" none_alive $pids
ok $? "after kill -9 of vanthu, its workers (busy and idle) are gone"
for p in $pids; do alive "$p" && kill -9 "$p" 2>/dev/null; done

# ---- 4. configuration ---------------------------------------------------------
printf '[ocr]\nsandbox = maybe\n' >"$work/bad.conf"
"$VANTHU" serve -c "$work/bad.conf" --archive "$arch" --data "$work/data" 2>"$work/bad.err"
rc=$?
[ "$rc" = 2 ] && grep -q "bad.conf:2: ocr.sandbox must be 'required' or 'best-effort'" "$work/bad.err"
ok $? "a bad [ocr] sandbox value is a clear error naming the line" || diag <"$work/bad.err"

tap_done
