#!/bin/sh
# bench/meta-e2e.sh - issue 6's end-to-end measurement: official-format pages
# rendered to images (clean and degraded) and non-official pages, OCR'd by
# `vanthu ocr`, metadata extracted by text/meta_*.c (bench/meta-e2e), fields
# compared with the ground truth.  Run by hand, never by `make check`.
#
#   bench/meta-e2e.sh [pages|ocr|score|all]        (default: all)
#
# env: BUILD (default build-normal of this checkout; needs vanthu, vanthu-ocr-worker and
# bench/meta-e2e: `make bench/meta-e2e`), W (default /tmp/vanthu-bench-meta),
# LOCK (default /tmp/vanthu-bench.lock; the OCR runs under it).
#
# Scoring, per field (number, type, issued, agency, subject, signer): a value
# is correct when it equals the truth after NFC, whitespace collapsing and
# case folding; precision = correct / values given, recall = correct /
# values expected.  On non-official pages every value given is wrong.  The
# "near" columns also accept a value within 10% character edits of the
# truth (an OCR slip inside a correctly located field).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build-normal}
W=${W:-/tmp/vanthu-bench-meta}
LOCK=${LOCK:-/tmp/vanthu-bench.lock}

pages() { rm -rf "$W/pages"; python3 "$here/../tests/fixtures/official-pages.py" "$W/pages" --set bench; }

ocr() {
    rm -rf "$W/ocr"; mkdir -p "$W/ocr"
    (cd "$W/pages" && flock "$LOCK" "$BUILD/vanthu" ocr --workers 2 --out "$W/ocr" --verbose \
        $(awk -F'\t' 'NR > 1 { print $1 }' truth.tsv | while read -r n; do ls "$n".*; done)) \
        2> "$W/ocr.log" || true
}

score() {
    "$BUILD/bench/meta-e2e" "$W"/ocr/*.txt > "$W/got.tsv"
    python3 - "$W/pages/truth.tsv" "$W/got.tsv" <<'EOF'
import sys, unicodedata, re
def norm(s):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", s)).strip().casefold()
def lev(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]
def rows(p):
    f = open(p, encoding="utf-8")
    head = f.readline().rstrip("\n").split("\t")
    return head, {r[0]: dict(zip(head, r)) for r in (l.rstrip("\n").split("\t") for l in f)}
_, truth = rows(sys.argv[1])
_, got = rows(sys.argv[2])
fields = ["number", "type", "issued", "agency", "subject", "signer"]
target = {"number": (0.98, 0.9), "type": (0.98, 0.9), "issued": (0.98, 0.9), "agency": (0.98, 0.9),
          "subject": (0.98, 0.8), "signer": (0.98, 0.8)}
groups = {}
errors = []
for name, t in truth.items():
    g = got.get(name, {})
    for kind in ("all", t["kind"] + ":" + t["degradation"]):
        for f in fields:
            st = groups.setdefault(kind, {}).setdefault(f, [0, 0, 0, 0])  # given, correct, near, expected
            gv, tv = norm(g.get(f, "")), norm(t[f])
            if tv: st[3] += 1
            if gv:
                st[0] += 1
                if tv and gv == tv: st[1] += 1
                if tv and lev(gv, tv) <= max(1, len(tv) // 10): st[2] += 1
    for f in fields:
        gv, tv = g.get(f, ""), t[f]
        if norm(gv) != norm(tv):
            errors.append("%s\t%s\tgot=%r\twant=%r" % (name, f, gv, tv))
def pr(st):
    given, corr, near, exp = st
    p = corr / given if given else float("nan")
    r = corr / exp if exp else float("nan")
    pn = near / given if given else float("nan")
    rn = near / exp if exp else float("nan")
    return p, r, pn, rn
print("| field | given | correct | expected | precision | recall | target P/R | near P | near R |")
print("|---|---:|---:|---:|---:|---:|---|---:|---:|")
for f in fields:
    st = groups["all"][f]
    p, r, pn, rn = pr(st)
    ok = "met" if p >= target[f][0] and r >= target[f][1] else "NOT met"
    print("| %s | %d | %d | %d | %.3f | %.3f | %.2f/%.2f %s | %.3f | %.3f |" % (
        f, st[0], st[1], st[3], p, r, target[f][0], target[f][1], ok, pn, rn))
print()
print("Recall per page class (official) and values given on non-official pages:")
print()
print("| class | pages | " + " | ".join(fields) + " |")
print("|---|---:|" + "---:|" * len(fields))
for kind in sorted(k for k in groups if k != "all"):
    n = sum(1 for t in truth.values() if t["kind"] + ":" + t["degradation"] == kind)
    cells = []
    for f in fields:
        st = groups[kind][f]
        if kind.startswith("official"):
            cells.append("%.2f" % (st[1] / st[3]) if st[3] else "-")
        else:
            cells.append("%d given" % st[0])
    print("| %s | %d | %s |" % (kind, n, " | ".join(cells)))
with open(sys.argv[2] + ".errors", "w", encoding="utf-8") as f:
    f.write("\n".join(errors) + "\n")
print()
print("%d field mismatches listed in %s.errors" % (len(errors), sys.argv[2]))
EOF
}

case ${1:-all} in
    pages) pages ;;
    ocr) ocr ;;
    score) score ;;
    all) pages; ocr; score ;;
    *) echo "usage: $0 [pages|ocr|score|all]" >&2; exit 2 ;;
esac
