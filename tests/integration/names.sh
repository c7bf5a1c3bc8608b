#!/bin/sh
# An original whose name is not UTF-8 (Latin-1 or Windows-1258 names from an
# old file server are common) is indexed, findable by its display name and
# downloadable by id with its exact bytes, through the real vanthu serve.
# TAP output.
. "$(dirname "$0")/tap.sh"

work=$(mktemp -d /tmp/vanthu-names-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid"
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
slow=1
[ -n "${VT_SANITIZERS:-}" ] && slow=3
mkdir -p "$work/archive"
name=$(printf 'c\351ng-v\344n-\377.txt') # bytes that are not UTF-8
printf 'Công văn lưu trữ tên tệp cũ\n' >"$work/archive/$name"
"$VANTHU" serve --archive "$work/archive" --data "$work/data" --listen 127.0.0.1:0 --no-ocr \
    --settle-ms 200 --ready-file "$work/ready" >"$work/log" 2>&1 &
pid=$!
end=$(($(date +%s) + 20 * slow))
while [ ! -s "$work/ready" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
port=$(cat "$work/ready" 2>/dev/null)
[ -n "$port" ]
ok $? "vanthu serve started"
found() {
    "$VANTHU" search --data "$work/data" --json "ten tep cu" >"$work/res.json" 2>/dev/null &&
        [ "$(json_get "$work/res.json" 'd["total"]')" = 1 ]
}
end=$(($(date +%s) + 20 * slow))
while ! found && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
found
ok $? "the file with a non-UTF-8 name is indexed and found"
id=$(json_get "$work/res.json" 'd["results"][0]["id"]' 2>/dev/null)
json_get "$work/res.json" 'd["results"][0]["path"]' | grep -q "$(printf '\357\277\275')"
ok $? "its path is shown with U+FFFD for the bytes that are not UTF-8"
code=$(curl -s -o "$work/got" -w '%{http_code}' "http://127.0.0.1:$port/api/documents/$id/file")
[ "$code" = 200 ] && cmp -s "$work/got" "$work/archive/$name"
ok $? "downloaded by id with its exact bytes (HTTP $code)"
[ $? -eq 0 ] || tail -3 "$work/log" | diag
tap_done
