#!/bin/sh
# Every command in README.md's sh blocks, run as the README says, so that
# the README cannot rot: against a real `vanthu serve` on a copy of the
# sample archive, from a folder laid out like the checkout after
# ./quickstart (build/vanthu, samples/, ./vanthu-data).  The address
# 127.0.0.1:8080 becomes the test server's.  A command this script does not
# know fails the test, so a new README command needs a line here.
# ./quickstart and ./run-tests are run with --help only (the first would
# install packages and serve forever, the second is this very test suite:
# CI runs it whole) and the build-by-hand line is not run here (CI builds
# exactly that way, twice); their full runs are CI's and the fresh-machine
# check's.  TAP output.
. "$(dirname "$0")/tap.sh"

work=$(mktemp -d /tmp/vanthu-readme-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid"
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
slow=1
[ -n "${VT_SANITIZERS:-}" ] && slow=3

# README.md's sh blocks, one command a line.
awk '/^```sh$/ { on = 1; next } /^```/ { on = 0 } on && NF' "$top_srcdir/README.md" \
    >"$work/commands"
[ -s "$work/commands" ]
ok $? "README.md has commands ($(wc -l <"$work/commands") lines)"

mkdir -p "$work/tree/samples" "$work/tree/build"
cp -r "$top_srcdir/samples/archive" "$work/tree/samples/archive"
chmod -R u+w "$work/tree/samples"
ln -s "$VANTHU" "$work/tree/build/vanthu"
ln -s "$(dirname "$VANTHU")/vanthu-ocr-worker" "$work/tree/build/vanthu-ocr-worker"
cd "$work/tree" || exit 1
"$VANTHU" serve --archive samples/archive --data ./vanthu-data --listen 127.0.0.1:0 \
    --ready-file "$work/ready" --no-ocr >"$work/log" 2>&1 &
pid=$!
i=0
while [ ! -s "$work/ready" ] && [ $i -lt $((100 * slow)) ]; do sleep 0.2; i=$((i + 1)); done
port=$(cat "$work/ready" 2>/dev/null)
[ -n "$port" ]
ok $? "vanthu serve started for the README's commands"
# Indexed: every sample file has a record (the scan waits for OCR, off here).
indexed() {
    n=$("$VANTHU" search --data ./vanthu-data --json --limit 100 '' 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
    [ "$n" = "$(find samples/archive -type f | wc -l)" ]
}
i=0
while ! indexed && [ $i -lt $((100 * slow)) ]; do sleep 0.2; i=$((i + 1)); done
indexed
ok $? "the sample archive is indexed"

while IFS= read -r line; do
    cmd=${line%%#*} # the README's comments are for people
    cmd=$(printf '%s' "$cmd" | sed 's/[[:space:]]*$//')
    case $cmd in
    ./quickstart | ./run-tests)
        "$top_srcdir/${cmd#./}" --help >"$work/out" 2>&1
        ok $? "README: $cmd (--help)"
        "$top_srcdir/${cmd#./}" --no-such-option >/dev/null 2>&1
        [ $? = 2 ]
        ok $? "README: $cmd refuses an unknown option"
        continue ;;
    "./bootstrap && mkdir -p build && cd build && ../configure && make && make check")
        echo "ok $((tap_n + 1)) - README: build by hand # SKIP CI builds this way, twice"
        tap_n=$((tap_n + 1))
        continue ;;
    "./build/vanthu "* | "curl "* | "cp "*) ;;
    *)
        ok 1 "README command known to this test: $cmd"
        continue ;;
    esac
    run=$(printf '%s' "$cmd" | sed "s/127\.0\.0\.1:8080/127.0.0.1:$port/g")
    sh -c "$run" >"$work/out" 2>"$work/err"
    rc=$?
    good=$rc
    case $cmd in
    *" search "*" --json "*) [ $rc = 0 ] && json_get "$work/out" 'd["total"] > 0' | grep -qx True
        good=$? ;;
    *" search "*) [ $rc = 0 ] && grep -q '^[1-9][0-9]* results' "$work/out"; good=$? ;;
    "curl "*) [ $rc = 0 ] && json_get "$work/out" 'd["total"] > 0' | grep -qx True; good=$? ;;
    "cp "*)
        dst=${cmd##* }
        end=$(($(date +%s) + 15 * slow))
        while [ "$(date +%s)" -lt "$end" ]; do
            "$VANTHU" search --data ./vanthu-data --json --limit 100 '' 2>/dev/null |
                grep -q "$dst" && break
            sleep 0.2
        done
        "$VANTHU" search --data ./vanthu-data --json --limit 100 '' 2>/dev/null | grep -q "$dst"
        good=$? ;;
    *" index "*) [ $rc = 0 ]; good=$? ;;
    esac
    ok "$good" "README: $cmd"
    [ "$good" = 0 ] || { head -5 "$work/out"; head -5 "$work/err"; } | diag
done <"$work/commands"

# Every key vanthu.conf accepts (common/conf.c) is in --help-config.
keys=$(grep -o '"\(archive\|index\|ocr\|server\|log\)", "[a-z_]*"' "$top_srcdir/common/conf.c" |
    sed 's/.*", "//; s/"$//' | sort -u)
keys="$keys $(grep -o 'strcmp(key, "[a-z_]*")' "$top_srcdir/common/conf.c" | sed 's/.*"\(.*\)".*/\1/' | sort -u)"
"$VANTHU" serve --help-config >"$work/help" 2>&1
missing=
for k in $keys; do grep -q "^  $k = " "$work/help" || missing="$missing $k"; done
[ -n "$keys" ] && [ -z "$missing" ]
ok $? "vanthu serve --help-config documents every key of vanthu.conf (missing:${missing:- none})"

# What the README promises of vanthu index on the served folder.
"$VANTHU" index --data ./vanthu-data samples/archive >"$work/out" 2>"$work/err"
rc=$?
[ "$rc" = 1 ] && grep -q "is the index of a running vanthu serve" "$work/err"
ok $? "vanthu index on the served folder refuses, naming the server (exit $rc)"
tap_done
