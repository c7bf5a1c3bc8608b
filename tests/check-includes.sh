#!/bin/sh
# The module graph, enforced: every #include "MODULE/..." in a module's
# sources must follow an edge below, so a change that makes storage/ know
# HTTP, or text/ know the index, fails `make check` instead of slipping
# through review.  tests/, bench/ and fuzz/ may include anything.
#   common   -> (nothing)
#   text     -> common
#   ocr      -> common
#   storage  -> text, common
#   indexer  -> storage, ocr, text, common
#   query    -> storage, text, common
#   cli      -> every module
# And storage/'s private headers stay inside it: xap.h (the C++ shim),
# schema.h and internal.h are included only by storage/*.c, storage/xap.cc
# and storage's own unit tests (which test the exception firewall), so
# the rest of the tree sees Xapian only through storage.h.
# TAP output; one failure per forbidden edge, naming file and line.
. "$(dirname "$0")/integration/tap.sh"

allowed() {
    case $1 in
    common) echo "common" ;;
    text) echo "text common" ;;
    ocr) echo "ocr common" ;;
    storage) echo "storage text common" ;;
    indexer) echo "indexer storage ocr text common" ;;
    query) echo "query storage text common" ;;
    cli) echo "cli indexer query storage ocr text common" ;;
    *) echo "" ;;
    esac
}

root=${CHECK_INCLUDES_ROOT:-$top_srcdir}
bad=0
for mod in common text ocr storage indexer query cli; do
    ok_mods=$(allowed "$mod")
    for f in $(find "$root/$mod" -type f \( -name '*.c' -o -name '*.h' -o -name '*.cc' \) | sort); do
        # "file:line:target-module" for each quoted include with a folder.
        grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]*/' "$f" |
            sed 's/^\([0-9]*\):.*"\([a-z_]*\)\/.*/\1 \2/' >"${TMPDIR:-/tmp}/vt-inc.$$"
        while read -r line target; do
            case " $ok_mods " in
            *" $target "*) ;;
            *)
                ok 1 "${f#"$root"/}:$line: $mod/ may not include $target/"
                bad=$((bad + 1)) ;;
            esac
        done <"${TMPDIR:-/tmp}/vt-inc.$$"
    done
done
rm -f "${TMPDIR:-/tmp}/vt-inc.$$"
[ "$bad" = 0 ]
ok $? "every include follows the module graph ($bad forbidden edges)"

private=0
for f in $(find "$root" -path "$root/build*" -prune -o -type f \( -name '*.c' -o -name '*.h' -o -name '*.cc' \) -print | sort); do
    rel=${f#"$root"/}
    case $rel in
    storage/*.c | storage/xap.cc | tests/unit/storage/*) continue ;;
    esac
    for line in $(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"storage/\(xap\|schema\|internal\)\.h"' "$f" | cut -d: -f1); do
        ok 1 "$rel:$line: only storage/*.c may include storage/'s private headers"
        private=$((private + 1))
    done
done
[ "$private" = 0 ]
ok $? "storage/xap.h, schema.h and internal.h stay inside storage/ ($private outside)"
tap_done
