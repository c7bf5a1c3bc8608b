#!/bin/sh
# Function length, enforced: no function in the product's sources runs
# over 100 lines, and one over 60 says why in its leading comment, on a
# line holding "Long:" between the end of the function before it and its
# own first line (for example "Long: one pass over the bytes; split, each
# part would need the whole state").  Lengths come from universal-ctags
# (start to closing brace, blank lines and comments included), so the
# rule reads the same code a reviewer reads.  tests/, bench/ and fuzz/ are
# not held to it.  TAP output: one line per module, failures name the
# function, its file and line, and its length.
#
#   tests/check-functions.sh            the tree
#   tests/check-functions.sh --list     every function over 60 lines, longest first
. "$(dirname "$0")/integration/tap.sh"

root=${CHECK_FUNCTIONS_ROOT:-$top_srcdir}
modules="common text ocr office storage access audit retrieval indexer query cli"

if ! ctags --version 2>/dev/null | grep -q 'Universal Ctags'; then
    echo "1..1"
    echo "not ok 1 - universal-ctags is needed for this check: apt-get install universal-ctags"
    exit 1
fi

# "length<TAB>file:line<TAB>name<TAB>ok" for each function over 60 lines,
# ok = 1 when a "Long:" line precedes it (after the previous function).
measure() {
    for f in "$@"; do
        ctags --languages=C,C++ --kinds-C=f --kinds-C++=f --fields=+ne -o - "$f" 2>/dev/null |
            awk -F'\t' -v file="$f" '
            {
                ln = ""; en = ""
                for (i = 4; i <= NF; i++) {
                    if ($i ~ /^line:/) ln = substr($i, 6) + 0
                    if ($i ~ /^end:/) en = substr($i, 5) + 0
                }
                if (ln != "" && en != "") { n++; start[n] = ln; end[n] = en; name[n] = $1 }
            }
            END {
                while ((getline l < file) > 0) { lines++; text[lines] = l }
                # ctags lists by name; order by line to find each predecessor.
                for (i = 1; i <= n; i++)
                    for (j = i + 1; j <= n; j++)
                        if (start[j] < start[i]) {
                            t = start[i]; start[i] = start[j]; start[j] = t
                            t = end[i]; end[i] = end[j]; end[j] = t
                            t = name[i]; name[i] = name[j]; name[j] = t
                        }
                prev = 0
                for (i = 1; i <= n; i++) {
                    len = end[i] - start[i] + 1
                    if (len > 60) {
                        ok = 0
                        for (k = prev + 1; k <= start[i]; k++)
                            if (index(text[k], "Long:")) ok = 1
                        printf "%d\t%s:%d\t%s\t%d\n", len, file, start[i], name[i], ok
                    }
                    if (end[i] > prev) prev = end[i]
                }
            }'
    done
}

sources() {
    [ -d "$root/$1" ] || return 0
    find "$root/$1" -type f \( -name '*.c' -o -name '*.cc' \) | sort
}

if [ "${1:-}" = "--list" ]; then
    for mod in $modules; do
        # shellcheck disable=SC2046
        measure $(sources "$mod")
    done | sort -rn | sed "s|$root/||"
    exit 0
fi

n=0
count=0
for mod in $modules; do [ -d "$root/$mod" ] && count=$((count + 1)); done
echo "1..$count"
for mod in $modules; do
    [ -d "$root/$mod" ] || continue
    n=$((n + 1))
    # shellcheck disable=SC2046
    bad=$(measure $(sources "$mod") | awk -F'\t' '$1 > 100 || $4 == 0' | sed "s|$root/||")
    if [ -z "$bad" ]; then
        echo "ok $n - $mod: every function within 100 lines, each over 60 says why"
    else
        echo "not ok $n - $mod"
        echo "$bad" | while IFS="$(printf '\t')" read -r len where name ok; do
            if [ "$len" -gt 100 ]; then
                echo "# $where $name: $len lines (limit 100)"
            else
                echo "# $where $name: $len lines, no \"Long:\" reason before it"
            fi
        done
    fi
done
