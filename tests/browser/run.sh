#!/bin/sh
# The browser end-to-end test, run by .ci/run after `make check` (never by
# make check itself): index the sample archive with the real vanthu, start
# the query server (tests/unit/query/http-driver until `vanthu serve`
# exists), and drive the page in Debian's chromium with playwright-core.
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
driver=$build/tests/unit/query/http-driver
[ -x "$driver" ] || (cd "$build" && make -s tests/unit/query/http-driver >/dev/null 2>&1) ||
    fail "cannot build $driver"
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
"$driver" --data "$work/data" --web "$top/web" --listen 127.0.0.1:0 \
    --ready-file "$work/ready" 2>"$work/server.err" &
pid=$!
i=0
while [ ! -s "$work/ready" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$work/ready" ] || fail "the query server did not start: $(tail -3 "$work/server.err")"
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
