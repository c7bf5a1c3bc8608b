#!/bin/sh
# The browser end-to-end test, run by .ci/run after `make check` (never by
# make check itself): index the sample archive with the real vanthu, serve
# it with the real `vanthu serve` (the page from the source tree), and
# drive the page in Debian's chromium with playwright-core.
#
#   tests/browser/run.sh [BUILDDIR] [--screenshots DIR]
#
# Needs: chromium, nodejs, and `npm ci` run in tests/browser.  The last
# line is "N passed, N failed"; the exit status is 0 when nothing failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$top/build-normal
shots=""
while [ $# -gt 0 ]; do
    case $1 in
    --screenshots) shots=$(cd "$2" && pwd); shift 2 ;;
    *) build=$(cd "$1" && pwd); shift ;;
    esac
done
fail() {
    echo "not ok 1 - $1"
    echo "0 passed, 1 failed"
    exit 1
}
[ -x "$build/vanthu" ] || fail "no vanthu in $build (build first)"
command -v node >/dev/null || fail "node is not installed (apt-get install nodejs)"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail "chromium is not installed (apt-get install chromium)"
if [ ! -d "$here/node_modules/playwright-core" ]; then
    (cd "$here" && npm ci --no-audit --no-fund >/dev/null 2>&1) || fail "npm ci in tests/browser failed"
fi

work=$(mktemp -d /tmp/vanthu-browser-XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid"; rm -rf "$work"' EXIT
cp -r "$top/samples/archive" "$work/archive"
chmod -R u+w "$work/archive"
"$build/vanthu" index --data "$work/data" "$work/archive" >/dev/null 2>"$work/index.err" ||
    fail "vanthu index failed: $(tail -1 "$work/index.err")"
printf '[server]\nweb_dir = %s\n' "$top/web" >"$work/vanthu.conf"
"$build/vanthu" serve -c "$work/vanthu.conf" --archive "$work/archive" --data "$work/data" \
    --no-ocr --no-watch --listen 127.0.0.1:0 --ready-file "$work/ready" >"$work/server.err" 2>&1 &
pid=$!
i=0
while [ ! -s "$work/ready" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$work/ready" ] || fail "the query server did not start: $(tail -3 "$work/server.err")"
# Its start-up scan finds the index up to date; the page sees it still.
i=0
until grep -q "reconcile scan 1 finished" "$work/server.err" &&
    curl -s "http://127.0.0.1:$(cat "$work/ready")/api/status" 2>/dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(not (d["scanning"] is False and d["queued"] == 0))' 2>/dev/null; do
    [ $i -lt 200 ] || fail "the start-up scan did not end: $(tail -3 "$work/server.err")"
    sleep 0.1
    i=$((i + 1))
done
BASE="http://127.0.0.1:$(cat "$work/ready")" ARCHIVE="$work/archive" SHOTS="$shots" \
    node "$here/e2e.mjs"
rc=$?
if [ $rc -ne 0 ]; then
    echo "# query server log (last lines):"
    tail -5 "$work/server.err" | sed 's/^/#   /'
fi
kill -TERM "$pid"
wait "$pid"
src=$?
pid=""
if [ $src -ne 0 ]; then
    echo "# the query server did not stop cleanly (exit $src)"
    sed 's/^/# /' "$work/server.err" | tail -5
    [ $rc -eq 0 ] && rc=1
fi
exit $rc
