#!/bin/sh
# Paths the indexer must not skip silently or follow: names longer than
# PATH_MAX are recorded (status failed, with the reason) by `vanthu index`
# and `vanthu serve`; symlinks are never followed, an in-archive target is
# indexed under its own path only; a born-digital PDF is logged as read
# from its text layer (not "OCR'd ... confidence -1") and recorded with
# text_source "pdf-text" by both pipelines.  Every wait has a deadline.
# TAP output.
. "$(dirname "$0")/tap.sh"

work=$(mktemp -d /tmp/vanthu-paths-XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
arch=$work/archive
mkdir -p "$arch"
slow=1
[ -n "${VT_SANITIZERS:-}" ] && slow=3

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

# A chain of 200-byte folder names: the deepest folder's path is longer
# than PATH_MAX (4096 with its NUL), the one above it is not; in that one,
# a file whose own path is too long.
seg=$(printf 'muc-%.0s' $(seq 1 50))             # 200 bytes
deepseg=thumucsau-$(printf 'muc-%.0s' $(seq 1 47))xx  # 200 bytes
longname=tepsieudai$(printf -- '-aaaaaaaaa%.0s' $(seq 1 24)).txt # 254 bytes
k=$(((4095 - ${#arch}) / 201))
(
    cd "$arch" || exit 1
    mkdir -p ok && printf 'Tệp bình thường tepbinhthuong\n' >ok/thuong.txt
    i=0
    while [ "$i" -lt "$k" ]; do
        mkdir "$seg" && cd "$seg" || exit 1
        i=$((i + 1))
    done
    printf 'Hồ sơ đường dẫn quá dài\n' >"$longname" &&
        mkdir "$deepseg" && printf 'bên trong\n' >"$deepseg/trong.txt"
) || { echo "Bail out! cannot build the deep tree"; exit 1; }
shallow=$arch
i=0
while [ "$i" -lt "$k" ]; do shallow=$shallow/$seg; i=$((i + 1)); done
[ "${#shallow}" -lt 4096 ] && [ $((${#shallow} + 1 + ${#longname})) -ge 4096 ] &&
    [ $((${#shallow} + 1 + ${#deepseg})) -ge 4096 ]
ok $? "the test tree has paths longer than PATH_MAX (${#shallow} + 255)"

# Symlinks: one out of the archive, one to a file inside it.
printf 'Văn bản thật vanbanthat\n' >"$arch/ok/that.txt"
ln -s /etc/passwd "$arch/matkhau.txt"
ln -s "$arch/ok/that.txt" "$arch/bidanh.txt"

# record DATA WORD: the record of the one document WORD (a name) finds.
record_index() {
    "$VANTHU" search --data "$1" --json "$2" >"$work/res.json" 2>/dev/null &&
        json_get "$work/res.json" 'd["total"]' | grep -qx 1
}
path_of() { json_get "$work/res.json" 'd["results"][0]["path"]'; }

# 1. vanthu index.
"$VANTHU" index --data "$work/d1" --no-ocr "$arch" 2>"$work/index.err"
ok $? "vanthu index over the tree completes"
grep -q "path longer than 4095 bytes (recorded as failed): '$arch/$seg/" "$work/index.err"
ok $? "a file path longer than PATH_MAX is recorded as failed, with the reason"
[ $? -eq 0 ] || cut -c 1-300 "$work/index.err" | diag
grep -q "path longer than 4095 bytes (a folder: nothing in it can be indexed) (recorded as failed): '$arch/$seg/" "$work/index.err"
ok $? "a folder path longer than PATH_MAX is recorded as failed, with the reason"
record_index "$work/d1" tepsieudai && [ "$(path_of)" = "$shallow/$longname" ]
ok $? "the long path is findable by name"
grep -q "matkhau.txt': symlink leads outside the archive" "$work/index.err" &&
    grep -q "bidanh.txt': symlink not followed" "$work/index.err"
ok $? "symlinks are reported, not followed"
"$VANTHU" search --data "$work/d1" --json vanbanthat >"$work/res.json" 2>/dev/null
[ "$(json_get "$work/res.json" 'd["total"]')" = 1 ] && [ "$(path_of)" = "$arch/ok/that.txt" ]
ok $? "an in-archive symlink's target is indexed under its own path only"
"$VANTHU" search --data "$work/d1" --json "root" >"$work/res.json" 2>/dev/null
[ "$(json_get "$work/res.json" 'd["total"]')" = 0 ]
ok $? "nothing is read through a symlink out of the archive"

# A name that is not UTF-8: indexed, and known by its raw bytes the next
# time (unchanged, not new, and not "removed" under its display name).
mkdir -p "$work/lat"
printf 'Tên tệp không phải UTF-8 tenlatin\n' >"$work/lat/$(printf 't\340\270n.txt')"
"$VANTHU" index --data "$work/d3" --no-ocr "$work/lat" 2>"$work/lat.err" &&
    "$VANTHU" index --data "$work/d3" --no-ocr "$work/lat" 2>"$work/lat.err" &&
    grep -q "^indexed 0, unchanged 1, removed 0," "$work/lat.err"
ok $? "a name that is not UTF-8 is unchanged on the next run"
[ $? -eq 0 ] || diag <"$work/lat.err"

# 2. A born-digital PDF in vanthu index: read from its text layer.
mkdir -p "$work/pdf"
cp "$top_srcdir/samples/archive/van-ban-di/tb-75-ubnd-2022.pdf" "$work/pdf/"
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$VANTHU" index --data "$work/d2" "$work/pdf" 2>"$work/pdf.err"
grep -q "tb-75-ubnd-2022.pdf': indexed 1 page(s) from the PDF text layer (no OCR)" "$work/pdf.err" &&
    ! grep -q "confidence -1" "$work/pdf.err"
ok $? "vanthu index logs a born-digital PDF as read from its text layer"
[ $? -eq 0 ] || diag <"$work/pdf.err"

# 3. vanthu serve on the same tree.
cp "$work/pdf/tb-75-ubnd-2022.pdf" "$arch/ok/"
cat >"$work/vanthu.conf" <<EOF
[archive]
settle_ms = 300
[index]
commit_ms = 200
[ocr]
workers = 1
EOF
data=$work/data
"$VANTHU" serve -c "$work/vanthu.conf" --archive "$arch" --data "$data" \
    --listen 127.0.0.1:0 --ready-file "$work/ready" >>"$work/log" 2>&1 &
pid=$!
wait_for "$((20 * slow))" test -s "$work/ready"
ok $? "serve starts"
api() { curl -s -f "http://127.0.0.1:$(cat "$work/ready")$1"; }
# failed_with WORD REASON: WORD finds one document, failed with REASON.
failed_with() {
    record_index "$data" "$1" &&
        api "/api/documents/$(json_get "$work/res.json" 'd["results"][0]["id"]')" >"$work/rec.json" &&
        [ "$(json_get "$work/rec.json" 'd["status"]+" | "+d["error"]')" = "failed | $2" ]
}
wait_for "$((20 * slow))" failed_with tepsieudai "path longer than 4095 bytes"
ok $? "serve: a file path longer than PATH_MAX is recorded as failed, with the reason"
wait_for "$((10 * slow))" failed_with thumucsau "path longer than 4095 bytes (a folder: nothing in it can be indexed)"
ok $? "serve: a folder path longer than PATH_MAX is recorded the same way"
# Made while serving: found through a scan of its folder.
(cd "$shallow" && printf 'Mới thêm\n' >"tepmoidai$(printf -- '-aaaaaaaaa%.0s' $(seq 1 24)).txt")
wait_for "$((20 * slow))" failed_with tepmoidai "path longer than 4095 bytes"
ok $? "serve: a long path made while serving is recorded too"
wait_for "$((60 * slow))" grep -q "ocr: '$arch/ok/tb-75-ubnd-2022.pdf' read (1 pages from the PDF text layer, no OCR" "$work/log"
ok $? "serve logs a born-digital PDF as read from its text layer"
[ $? -eq 0 ] || tail -20 "$work/log" | diag
! grep -q "confidence -1" "$work/log"
ok $? "serve never logs 'confidence -1'"
pdf_source() {
    record_index "$data" tb &&
        api "/api/documents/$(json_get "$work/res.json" 'd["results"][0]["id"]')" >"$work/rec.json" &&
        [ "$(json_get "$work/rec.json" 'd["text_source"]')" = pdf-text ]
}
wait_for "$((10 * slow))" pdf_source
ok $? "serve records text_source 'pdf-text' for it, as vanthu index does"
[ $? -eq 0 ] || diag <"$work/rec.json"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ]
ok $? "serve stops cleanly"

tap_done
