#!/bin/sh
# The real vanthu binary on the sample archive and on hostile input:
# index, search, incremental re-index, bad files reported and recorded.
. "$(dirname "$0")/tap.sh"

work=$(mktemp -d /tmp/vanthu-cli-XXXXXX)
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
data=$work/data
arch=$work/archive
cp -r "$top_srcdir/samples/archive" "$arch"
chmod -R u+w "$arch"

"$VANTHU" index --data "$data" "$arch" >"$work/out" 2>"$work/err"
ok $? "index the sample archive"
grep -q "^indexed 5, unchanged 0, removed 0, failed 0, unsupported 0, empty 0, awaiting OCR 0, skipped paths 0; OCR'd 2, OCR failed 0" "$work/err"
ok $? "summary line counts every file"
[ $? -eq 0 ] || diag <"$work/err"

s() { "$VANTHU" search --data "$data" --json "$@" >"$work/res.json" 2>"$work/search.err"; }

s "quyet dinh chuyen doi so"
first=$(json_get "$work/res.json" 'd["results"][0]["path"]')
case $first in */qd-512-ubnd-2021.txt) ok 0 "unaccented query finds the accented decision first" ;;
    *) ok 1 "unaccented query finds the accented decision first (got $first)" ;; esac

s "512/qđ-ubnd"
first=$(json_get "$work/res.json" 'd["results"][0]["path"]')
case $first in */qd-512-ubnd-2021.txt) ok 0 "a document number as written" ;;
    *) ok 1 "a document number as written (got $first)" ;; esac

s "tiep cong dan"
first=$(json_get "$work/res.json" 'd["results"][0]["path"]')
number=$(json_get "$work/res.json" 'd["results"][0]["meta"]["number"]')
case $first in *.html) ok 0 "HTML is indexed" ;; *) ok 1 "HTML is indexed (got $first)" ;; esac
[ "$number" = "88/TB-UBND" ]
ok $? "official-document metadata read from the HTML text"

s "kichbanbimat"
[ "$(json_get "$work/res.json" 'd["total"]')" = 0 ]
ok $? "script text in HTML is not indexed"

s "chữ ký số"
json_get "$work/res.json" 'd["results"][0]["snippet"]' | grep -q "<b>chữ</b> <b>ký</b> <b>số</b>"
ok $? "snippet highlights the accented words"

s ""
[ "$(json_get "$work/res.json" 'd["total"]')" = 7 ]
ok $? "empty query lists every document"

s "quick brown fox"
json_get "$work/res.json" 'd["results"][0]["path"]' | grep -q scan-phototest.tif
ok $? "a scanned page is OCR'd during indexing and searchable"
s "số hóa phông lưu trữ"
json_get "$work/res.json" 'd["results"][0]["path"]' | grep -q tb-75-ubnd-2022.pdf &&
    [ "$(json_get "$work/res.json" 'd["results"][0]["meta"]["number"]')" = "75/TB-UBND" ]
ok $? "a born-digital PDF is read from its text layer, with its metadata"
"$VANTHU" search --data "$data" --json --limit 1 "scan phototest" >"$work/res.json"
# The record keeps where the text came from and the confidence of each page.
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["results"][0]; assert r["status"] == "indexed"' "$work/res.json"
ok $? "the OCR'd document is recorded as indexed"
# Its title is the page's first sentence, carried over the scan's line
# wraps, not its first line cut mid-sentence.
title=$(json_get "$work/res.json" 'd["results"][0]["title"]')
case $title in
"This is a lot of 12 point text to test the ocr code and see if it works on all types of file format"*) good=0 ;;
*) good=1 ;;
esac
ok $good "the OCR'd page's title is its first sentence, whole ($title)"

"$VANTHU" search --data "$data" --json "(chữ" >"$work/res.json" 2>/dev/null
[ $? -eq 2 ] && json_get "$work/res.json" 'd["error"]' | grep -q parenthesis
ok $? "a malformed query is a JSON error with exit status 2"

# Incremental: nothing changed, then one file changed, one removed, one added.
"$VANTHU" index --data "$data" "$arch" 2>"$work/err"
grep -q "^indexed 0, unchanged 7, removed 0" "$work/err"
ok $? "second run skips unchanged files"
echo "Phụ lục bổ sung: danh mục dự án đầu tư công" >>"$arch/van-ban-di/qd-512-ubnd-2021.txt"
rm "$arch/van-ban-den/thong-bao-lich-tiep-dan.html"
printf 'Biên bản họp giao ban tuần\n' >"$arch/van-ban-den/bien-ban.txt"
"$VANTHU" index --data "$data" "$arch" 2>"$work/err"
grep -q "^indexed 2, unchanged 5, removed 1" "$work/err"
ok $? "changed and new files re-indexed, vanished file removed"
[ $? -eq 0 ] || diag <"$work/err"
s ""
[ "$(json_get "$work/res.json" 'd["total"]')" = 7 ]
ok $? "no duplicates after re-indexing"
s '"danh mục dự án đầu tư công"'
json_get "$work/res.json" 'd["results"][0]["path"]' | grep -q qd-512-ubnd-2021.txt
ok $? "the changed file's new text is searchable"
s "88/TB-UBND"
[ "$(json_get "$work/res.json" 'd["total"]')" = 0 ]
ok $? "the removed file is gone from the index"

# Hostile input next to a good file: each is reported with its reason and
# recorded, nothing crashes, the good file is indexed.
bad=$work/bad
mkdir -p "$bad/sub"
printf 'Tài liệu tốt về lưu trữ hồ sơ\n' >"$bad/good.txt"
head -c 65536 /dev/urandom >"$bad/random.bin"
head -c 4096 /dev/urandom >"$bad/random-named.tif"
printf 'Vi\341\273\207t \377\376 nam\n' >"$bad/invalid-utf8.txt"
: >"$bad/zero.txt"
printf 'secret\n' >"$bad/unreadable.txt"
chmod 000 "$bad/unreadable.txt"
ln -s .. "$bad/sub/loop"
ln -s /etc "$bad/outside"
# 200 MB of text: indexed up to the text limit, memory bounded.
yes "Dòng văn bản rất dài của một tệp nhật ký khổng lồ lưu trữ hồ sơ." | head -c 209715200 >"$bad/huge.txt"
runas=""
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    # root reads any file; check unreadable files as an ordinary user.
    chmod 777 "$work"
    chmod -R a+rwX "$bad"
    chmod 000 "$bad/unreadable.txt"
    runas="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
limit=""
[ -n "${VT_SANITIZERS:-}" ] || limit="ulimit -v 1500000;"
sh -c "$limit exec $runas \"$VANTHU\" index --data \"$work/baddata\" \"$bad\"" 2>"$work/err"
ok $? "indexing hostile files completes (memory capped at 1.5 GB)"
[ $? -eq 0 ] || diag <"$work/err"
grep -q "invalid UTF-8 .*invalid-utf8.txt" "$work/err"
ok $? "invalid UTF-8 reported with its reason"
[ $? -eq 0 ] || diag <"$work/err"
grep -q "random.bin.*recorded as failed" "$work/err"
ok $? "random bytes reported"
if [ -n "$runas" ] || [ "$(id -u)" -ne 0 ]; then
    grep -q "unreadable.txt'.*[Pp]ermission denied" "$work/err"
    ok $? "unreadable file reported"
else
    ok 0 "unreadable file reported # SKIP running as root without setpriv"
fi
grep -q "sub/loop'.*loop" "$work/err"
ok $? "directory symlink loop reported"
grep -q "outside'.*outside the archive" "$work/err"
ok $? "symlink leading out of the archive reported"
grep -q "huge.txt'.*indexed the first" "$work/err"
ok $? "200 MB text file truncated to the text limit, reported"
if [ -n "$runas" ] || [ "$(id -u)" -ne 0 ]; then expect="indexed 2, unchanged 0, removed 0, failed 4"
else expect="indexed 3, unchanged 0, removed 0, failed 3"; fi
grep -q "^$expect, unsupported 0, empty 1" "$work/err"
ok $? "summary counts every hostile file ($expect, 1 empty)"
[ $? -eq 0 ] || diag <"$work/err"
"$VANTHU" search --data "$work/baddata" --json "luu tru ho so" >"$work/res.json"
json_get "$work/res.json" '" ".join(r["path"] for r in d["results"])' | grep -q good.txt
ok $? "the good file next to hostile ones is searchable"
"$VANTHU" search --data "$work/baddata" --json "invalid utf8" >"$work/res.json"
[ "$(json_get "$work/res.json" 'd["results"][0]["status"]')" = failed ] &&
    json_get "$work/res.json" 'd["results"][0]["meta"]' >/dev/null
ok $? "a failed file stays findable by name with status failed"

tap_done
