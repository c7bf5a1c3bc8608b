#!/bin/sh
# bench/ocr.sh - issue 3's OCR benchmark: vanthu ocr against the tesseract
# command line and ocrmypdf, on one page set, in one run.  Run by hand, never
# by `make check`.
#
#   bench/ocr.sh [pages|run|ablate|report|all]     (default: all)
#
# env:
#   BUILD     build directory holding vanthu, vanthu-ocr-worker and
#             tests/unit/ocr/ocr-mkpdf (default: build-normal of this checkout)
#   W         work directory (default: /tmp/vanthu-bench-ocr)
#   LANG_OCR  tesseract language for all three tools (default: vie)
#   SCORE     the scorer (default: ../shared/bench/ocr/score.py)
#   LOCK      flock file that keeps timing runs from overlapping
#             (default: /tmp/vanthu-bench.lock)
#   WAIT_LOAD run: once holding the lock, wait (up to 10 min) until the
#             1-minute load average is under this (other people's builds
#             and tests do not take the lock); unset = do not wait
#
# pages   renders the page set into $W/pages (NAME.ext + NAME.gt.txt, class =
#         the part of NAME before the first "_"): full A4 pages at 300 DPI
#         laid out like Vietnamese administrative letters (Liberation Serif,
#         metric-compatible with Times New Roman), text taken from Nghị định
#         30/2020/NĐ-CP; classes clean, skewp3/skewm3 (+-3 degrees), rot90/
#         rot180/rot270, noisy (gaussian, ImageMagick -attenuate 3), dpi150,
#         jpeg (quality 20), tiff (one 2-page G4 file), pdfimage (image-only
#         PDF), pdftext (born-digital PDF), mixed (Vietnamese + English
#         paragraphs), plus the real scans of ../shared/data/ocr-real.
# run     under the lock, one after the other on the same pages (the load
#         average before and after each goes to $W/runs/load.txt):
#           cli       tesseract FILE - -l $LANG_OCR, one process per page, 2
#                     in parallel, OMP_THREAD_LIMIT=1 (PDF pages go through
#                     pdftoppm -r 300 first, counted in its time)
#           ocrmypdf  ocrmypdf -l $LANG_OCR --deskew --rotate-pages
#                     --output-type pdf --sidecar, 2 files in parallel, one job
#                     each (born-digital PDFs need --force-ocr: it refuses them
#                     otherwise)
#           vanthu    vanthu ocr --workers 2 --out DIR --verbose (all files in
#                     one batch)
#         each wrapped in /usr/bin/time for wall time and peak RSS.
# ablate  under the lock: vanthu with each preprocessing step turned off in
#         turn, and with --lang vie+eng.
# report  prints the tables (markdown) from the runs' outputs.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
BUILD=${BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build-normal}
W=${W:-/tmp/vanthu-bench-ocr}
LANG_OCR=${LANG_OCR:-vie}
SCORE=${SCORE:-$top/../shared/bench/ocr/score.py}
LOCK=${LOCK:-/tmp/vanthu-bench.lock}
REAL=${REAL:-$top/../shared/data/ocr-real}
VANTHU=$BUILD/vanthu
MKPDF=$BUILD/tests/unit/ocr/ocr-mkpdf
P=$W/pages
R=$W/runs
export OMP_THREAD_LIMIT=1
# Liberation Serif (metric-compatible with Times New Roman) from
# fonts-liberation2: the 1.x fonts of fonts-liberation lack Vietnamese.
FONT=${FONT:-/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf}
[ -f "$FONT" ] || FONT=DejaVu-Serif

# ---------------------------------------------------------------- pages --
texts() { # write $W/src/*.txt: the page texts
    mkdir -p "$W/src"
    python3 - "$top/../shared/data/vn-legal/nd30-2020-noi-dung.md" "$W/src" <<'EOF'
import re, sys, unicodedata
src, out = sys.argv[1], sys.argv[2]
paras = []
for line in open(src, encoding="utf-8"):
    line = line.strip()
    if not line or line[0] in "#>-|" or line.startswith("**"):
        continue
    line = re.sub(r"`?\[RELEVANT\]`?|\*\*|`", "", line)
    line = line.replace("%", " phần trăm").replace("\\", "/").replace("@", "")
    line = re.sub(r"\s+", " ", line).strip()
    if len(line) > 60:
        paras.append(unicodedata.normalize("NFC", line))
heads = [
    ("ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH", "Số: 512/QĐ-UBND", "Nam Định, ngày 15 tháng 3 năm 2021",
     "QUYẾT ĐỊNH", "Về việc ban hành Quy chế công tác văn thư của cơ quan"),
    ("SỞ NỘI VỤ TỈNH THÁI BÌNH", "Số: 1234/SNV-VTLT", "Thái Bình, ngày 08 tháng 11 năm 2022",
     "V/v hướng dẫn lập hồ sơ và nộp lưu hồ sơ vào Lưu trữ cơ quan", ""),
    ("BỘ NỘI VỤ", "Số: 07/BC-BNV", "Hà Nội, ngày 20 tháng 01 năm 2023",
     "BÁO CÁO", "Kết quả thực hiện công tác văn thư năm 2022"),
]
def page(i, n_chars, start):
    h = heads[i % len(heads)]
    lines = [h[0], h[1], "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", h[2], h[3]]
    if h[4]:
        lines.append(h[4])
    body, k = [], start
    while sum(len(b) for b in body) < n_chars:
        body.append(paras[k % len(paras)]); k += 1
    return "\n".join(lines + body) + "\n", k
k = 0
for i, name in enumerate(["a", "b", "c"]):
    t, k = page(i, 2100, k + 7)
    open("%s/%s.txt" % (out, name), "w", encoding="utf-8").write(t)
EOF
    cat > "$W/src/mixa.txt" <<'EOF'
BẢN GHI NHỚ HỢP TÁC / MEMORANDUM OF UNDERSTANDING
Về hợp tác số hóa tài liệu lưu trữ / On the digitisation of archival records
Căn cứ nhu cầu và khả năng của mỗi bên, Sở Nội vụ tỉnh Nam Định và Trường Đại học Quốc gia Singapore thống nhất ký kết Bản ghi nhớ này với các nội dung sau đây.
Based on the needs and capacities of each party, the Department of Home Affairs of Nam Dinh province and the National University of Singapore agree to sign this Memorandum with the following contents.
Điều 1. Mục tiêu hợp tác. Hai bên phối hợp xây dựng kho lưu trữ điện tử, chuẩn hóa quy trình số hóa và nhận dạng ký tự quang học cho văn bản hành chính tiếng Việt.
Article 1. Objectives. The parties will jointly build an electronic archive, standardise the digitisation workflow and the optical character recognition of Vietnamese administrative documents.
Điều 2. Trách nhiệm của các bên. Sở Nội vụ cung cấp tài liệu mẫu, bố trí cán bộ văn thư và phòng làm việc; Trường Đại học cung cấp phần mềm, đào tạo kỹ thuật viên và đánh giá độ chính xác.
Article 2. Responsibilities. The Department provides sample records, clerical staff and office space; the University provides software, trains technicians and evaluates the accuracy of the results.
EOF
    cat > "$W/src/mixb.txt" <<'EOF'
BÁO CÁO TIẾN ĐỘ DỰ ÁN / PROJECT PROGRESS REPORT
Dự án: Chính quyền điện tử tỉnh Nam Định giai đoạn 2021 - 2025 / E-Government Project, Nam Dinh province
1. Kết quả đạt được. Trong quý III, dự án đã hoàn thành việc lắp đặt máy chủ, triển khai phần mềm quản lý văn bản và điều hành cho 25 sở, ban, ngành và 10 huyện, thành phố.
1. Achievements. In the third quarter the project completed the installation of the servers and deployed the document management software to 25 departments and 10 districts.
2. Khó khăn, vướng mắc. Một số đơn vị chưa bố trí đủ cán bộ có trình độ công nghệ thông tin; đường truyền tại các xã vùng ven biển còn chậm, thường xuyên bị gián đoạn.
2. Difficulties. Some units lack staff with information technology skills; the network links in the coastal communes are still slow and often interrupted.
3. Kiến nghị. Đề nghị Ủy ban nhân dân tỉnh bổ sung kinh phí đào tạo và nâng cấp đường truyền số liệu chuyên dùng trong năm 2024.
3. Recommendations. The Provincial People's Committee is asked to fund further training and to upgrade the dedicated data network in 2024.
EOF
}

render() { # render TEXTFILE DPI OUT: an A4-wide page, 12 pt, margins as NĐ 30
    rw=$(awk -v d="$2" 'BEGIN { printf "%d", d * (8.27 - 1.18 - 0.79) }')
    rl=$(awk -v d="$2" 'BEGIN { printf "%d", d * 1.18 }')
    rt=$(awk -v d="$2" 'BEGIN { printf "%d", d * 0.79 }')
    # One caption per line (ImageMagick 6.9.11 refuses a long caption:
    # "width or height exceeds limit"), stacked with -append.
    set -- "$@" -density "$2" -units PixelsPerInch -background white -fill black \
        -font "$FONT" -pointsize 12 -size "${rw}x"
    rsrc=$1 rout=$3
    shift 3
    while IFS= read -r line; do
        set -- "$@" caption:"$line"
    done < "$rsrc"
    convert "$@" -append +repage -gravity northwest -splice "${rl}x${rt}" \
        -gravity southeast -splice "${rt}x${rt}" -depth 8 -type Grayscale "$rout"
}

pages() {
    rm -rf "$P" && mkdir -p "$P"
    texts
    for t in a b; do
        tf=$W/src/$t.txt
        base=$W/src/base_$t.png
        render "$tf" 300 "$base"
        cp "$base" "$P/clean_$t.png"
        for r in 90 180 270; do convert "$base" -rotate "$r" "$P/rot${r}_$t.png"; done
        convert "$base" -background white -rotate 3 -depth 8 "$P/skewp3_$t.png"
        convert "$base" -background white -rotate -3 -depth 8 "$P/skewm3_$t.png"
        convert -seed 7 "$base" -attenuate 3 +noise Gaussian -depth 8 -type Grayscale "$P/noisy_$t.png"
        render "$tf" 150 "$P/dpi150_$t.png"
        convert "$base" -density 300 -units PixelsPerInch -quality 20 "$P/jpeg_$t.jpg"
        "$MKPDF" image "$P/pdfimage_$t.pdf" "$base"
        # ocr-mkpdf sets one line per line: wrap the paragraphs to the page.
        python3 -c 'import sys, textwrap
for l in open(sys.argv[1], encoding="utf-8"):
    print("\n".join(textwrap.wrap(l, 85)) if l.strip() else "")' "$tf" > "$W/src/wrapped_$t.txt"
        "$MKPDF" text "$P/pdftext_$t.pdf" "$W/src/wrapped_$t.txt"
        for c in clean rot90 rot180 rot270 skewp3 skewm3 noisy dpi150 jpeg pdfimage pdftext; do
            cp "$tf" "$P/${c}_$t.gt.txt"
        done
    done
    render "$W/src/c.txt" 300 "$W/src/base_c.png"
    convert "$W/src/base_a.png" "$W/src/base_c.png" -threshold 50% -compress Group4 \
        -density 300 -units PixelsPerInch "$P/tiff_ac.tif"
    { cat "$W/src/a.txt"; printf '\f'; cat "$W/src/c.txt"; } > "$P/tiff_ac.gt.txt"
    for t in mixa mixb; do
        render "$W/src/$t.txt" 300 "$P/mixed_${t#mix}.png"
        cp "$W/src/$t.txt" "$P/mixed_${t#mix}.gt.txt"
    done
    for f in "$REAL"/*.gt.txt; do
        n=$(basename "$f" .gt.txt)
        cp "$REAL/$n".* "$P/"
    done
    # name class pages: the manifest score.py groups by; pages for pages/min
    {
        printf 'name\tclass\tpages\tfile\n'
        for g in "$P"/*.gt.txt; do
            n=$(basename "$g" .gt.txt)
            f=$(ls "$P/$n".* | grep -v '\.gt\.txt$')
            np=$(( $(tr -cd '\f' < "$g" | wc -c) + 1 ))
            printf '%s\t%s\t%s\t%s\n' "$n" "${n%%_*}" "$np" "$(basename "$f")"
        done
    } > "$W/manifest.tsv"
    echo "pages: $(($(wc -l < "$W/manifest.tsv") - 1)) files in $P"
}

# ------------------------------------------------------------------ run --
files() { awk -F'\t' 'NR > 1 { print $4 }' "$W/manifest.tsv"; }

cli_one() { # cli_one FILE OUTDIR: the tesseract CLI on one file, timed
    f=$1; o=$2; n=${f%.*}
    s=$(now)
    case $f in
        *.pdf)
            d=$(mktemp -d "$o/pdf.XXXXXX")
            pdftoppm -r 300 -gray -png "$P/$f" "$d/p"
            for p in "$d"/p*.png; do
                tesseract "$p" - -l "$LANG_OCR" 2>/dev/null
                printf '\f'
            done | sed '$ s/\f$//' > "$o/$n.txt"
            rm -rf "$d" ;;
        *) tesseract "$P/$f" - -l "$LANG_OCR" > "$o/$n.txt" 2>/dev/null ;;
    esac
    printf '%s\t%s\n' "$n" "$(since "$s")" >> "$o/times.tsv"
}

ocrmypdf_one() {
    f=$1; o=$2; n=${f%.*}
    extra=
    case $f in pdftext_*) extra=--force-ocr ;; esac
    s=$(now)
    ocrmypdf -q -l "$LANG_OCR" --deskew --rotate-pages --output-type pdf --jobs 1 $extra \
        --sidecar "$o/$n.txt" "$P/$f" "$o/$n.pdf" 2> "$o/$n.err" || echo "$n: exit $?" >> "$o/errors"
    printf '%s\t%s\n' "$n" "$(since "$s")" >> "$o/times.tsv"
}

timed() { # timed NAME CMD...: wall seconds and peak RSS (largest process, KiB)
    n=$1; shift
    /usr/bin/time -f '%e %M' -o "$R/$n.time" "$@"
}

now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.3f", e - s }'; }

run_cli() {
    o=$R/cli; rm -rf "$o"; mkdir -p "$o"
    files | timed cli xargs -P 2 -I{} "$0" _cli_one {} "$o"
}

run_ocrmypdf() {
    o=$R/ocrmypdf; rm -rf "$o"; mkdir -p "$o"
    files | timed ocrmypdf xargs -P 2 -I{} "$0" _ocrmypdf_one {} "$o"
}

run_vanthu() { # run_vanthu NAME [OPTIONS...]
    name=$1; shift
    o=$R/$name; rm -rf "$o"; mkdir -p "$o"
    (cd "$P" && timed "$name" "$VANTHU" ocr --workers 2 --out "$o" --verbose "$@" $(files)) \
        2> "$o/verbose.log" || true
}

run() {
    mkdir -p "$R"
    {
        tesseract --version 2>&1 | head -1
        echo "ocrmypdf $(ocrmypdf --version)"
        echo "vanthu $(cd "$top" && git rev-parse --short HEAD)$(cd "$top" && git diff --quiet -- ocr || echo +ocr-changes)"
        echo "date $(date -u +%FT%TZ); $(env -u OMP_THREAD_LIMIT nproc) cores; $(uname -m); load $(cut -d" " -f1-3 /proc/loadavg)"
    } > "$R/versions.txt"
    # The load average before and after each tool goes to $R/load.txt: other
    # people's builds and tests run outside the lock and inflate the times.
    # cli and vanthu run back to back, so that both see the same machine.
    : > "$R/load.txt"
    flock "$LOCK" sh -c '"$1" _quiet && "$1" _cli && "$1" _vanthu && "$1" _ocrmypdf' sh "$0"
}

quiet() { # with WAIT_LOAD=L: wait (up to 10 min) for a 1-minute load average under L
    [ -n "${WAIT_LOAD:-}" ] || return 0
    i=0
    while [ $i -lt 120 ] && ! awk -v l="$WAIT_LOAD" '{ exit !($1 < l) }' /proc/loadavg; do
        sleep 5; i=$((i + 1))
    done
}

loadavg() { # loadavg TAG: append the load average to $R/load.txt
    printf '%s %s %s\n' "$(date -u +%TZ)" "$1" "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$R/load.txt"
}

ablate() {
    mkdir -p "$R"
    flock "$LOCK" "$0" _ablate
}

_ablate() {
    run_vanthu pre-none --preprocess none
    run_vanthu pre-no-osd --preprocess deskew,denoise,rescale
    run_vanthu pre-no-deskew --preprocess osd,denoise,rescale
    run_vanthu pre-no-denoise --preprocess osd,deskew,rescale
    run_vanthu pre-no-rescale --preprocess osd,deskew,denoise
    run_vanthu lang-vie-eng --lang vie+eng
}

# --------------------------------------------------------------- report --
score() { # score RUN: score.py JSON
    python3 "$SCORE" --json --gt-dir "$P" --hyp-dir "$R/$1" --manifest "$W/manifest.tsv"
}

report() {
    for r in "$R"/*/; do
        r=$(basename "$r")
        [ -s "$R/$r.time" ] || continue
        score "$r" > "$R/$r.score.json"
    done
    python3 - "$W" <<'EOF'
import json, os, re, sys
W = sys.argv[1]; R = W + "/runs"
man = {}
for i, line in enumerate(open(W + "/manifest.tsv", encoding="utf-8")):
    f = line.rstrip("\n").split("\t")
    if i: man[f[0]] = {"class": f[1], "pages": int(f[2]), "file": f[3]}
runs = [r for r in ["cli", "ocrmypdf", "vanthu", "pre-none", "pre-no-osd", "pre-no-deskew",
                    "pre-no-denoise", "pre-no-rescale", "lang-vie-eng"]
        if os.path.exists("%s/%s.score.json" % (R, r)) and os.path.getsize("%s/%s.time" % (R, r))]
S = {r: json.load(open("%s/%s.score.json" % (R, r))) for r in runs}
T = {}
for r in runs:
    wall, rss = open("%s/%s.time" % (R, r)).read().split()[-2:]
    T[r] = (float(wall), int(rss))
def per_file_times(r):
    t = {}
    p = "%s/%s/times.tsv" % (R, r)
    if os.path.exists(p):
        for line in open(p):
            n, s = line.split("\t"); t[n] = float(s)
    else:  # vanthu --verbose: "vanthu ocr: FILE: N pages, confidence C, MS ms"
        for line in open("%s/%s/verbose.log" % (R, r), encoding="utf-8"):
            m = re.match(r"vanthu ocr: (\S+): \d+ pages?, confidence \S+, (\d+) ms", line)
            if m: t[os.path.splitext(m.group(1))[0]] = int(m.group(2)) / 1000.0
    return t
pages_all = sum(v["pages"] for v in man.values())
pages_ocr = sum(v["pages"] for v in man.values() if v["class"] != "pdftext")
def pct(x): return "-" if x is None else "%.2f" % (100 * x)
print("Pages: %d files, %d pages (%d needing OCR, %d born-digital)." % (
    len(man), pages_all, pages_ocr, pages_all - pages_ocr))
print()
print("| tool | wall s | pages/min (all %d) | peak RSS MiB | CER %% all | CER %% fold | WER %% |" % pages_all)
print("|---|---:|---:|---:|---:|---:|---:|")
for r in runs:
    wall, rss = T[r]; tot = S[r]["total"]
    print("| %s | %.1f | %.1f | %.0f | %s | %s | %s |" % (r, wall, pages_all / wall * 60, rss / 1024,
          pct(tot["cer"]), pct(tot["cer_fold"]), pct(tot["wer"])))
print()
# Throughput on OCR pages only: the wall time less the born-digital files'
# own time is not separable in a parallel run, so give both the all-pages
# figure above and the sum of per-file times by class below.
classes = []
for v in man.values():
    if v["class"] not in classes: classes.append(v["class"])
main = [r for r in ("cli", "ocrmypdf", "vanthu") if r in runs]
print("CER / CER with diacritics folded / WER, %, per class:")
print()
print("| class | pages | " + " | ".join("%s CER | fold | WER" % r for r in main) + " |")
print("|---|---:|" + "---:|---:|---:|" * len(main))
for c in classes:
    np_ = sum(v["pages"] for v in man.values() if v["class"] == c)
    cells = []
    for r in main:
        s = S[r]["classes"].get(c)
        cells += [pct(s["cer"]), pct(s["cer_fold"]), pct(s["wer"])] if s else ["-"] * 3
    print("| %s | %d | %s |" % (c, np_, " | ".join(cells)))
print()
print("Seconds per page by class (mean of per-file wall times inside the run; 2 files run at once):")
print()
print("| class | " + " | ".join(main) + " |")
print("|---|" + "---:|" * len(main))
PT = {r: per_file_times(r) for r in main}
for c in classes:
    cells = []
    for r in main:
        ns = [n for n, v in man.items() if v["class"] == c and n in PT[r]]
        pg = sum(man[n]["pages"] for n in ns)
        cells.append("%.3f" % (sum(PT[r][n] for n in ns) / pg) if pg else "-")
    print("| %s | %s |" % (c, " | ".join(cells)))
abl = [r for r in runs if r.startswith("pre-") or r.startswith("lang-")]
if abl:
    print()
    print("vanthu variants, CER % per class (wall s, pages/min):")
    print()
    cols = ["vanthu"] + abl
    print("| class | " + " | ".join(cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for c in classes:
        print("| %s | %s |" % (c, " | ".join(pct(S[r]["classes"][c]["cer"]) if c in S[r]["classes"] else "-"
                                           for r in cols)))
    print("| ALL | %s |" % " | ".join(pct(S[r]["total"]["cer"]) for r in cols))
    print("| wall s | %s |" % " | ".join("%.1f" % T[r][0] for r in cols))
    print("| pages/min | %s |" % " | ".join("%.1f" % (pages_all / T[r][0] * 60) for r in cols))
EOF
}

case ${1:-all} in
    pages) pages ;;
    run) run ;;
    ablate) ablate ;;
    report) report ;;
    all) [ -f "$W/manifest.tsv" ] || pages; run; ablate; report ;;
    _quiet) mkdir -p "$R"; quiet ;;
    _cli) mkdir -p "$R"; loadavg "cli start"; run_cli; loadavg "cli end" ;;
    _ocrmypdf) mkdir -p "$R"; loadavg "ocrmypdf start"; run_ocrmypdf; loadavg "ocrmypdf end" ;;
    _vanthu) mkdir -p "$R"; loadavg "vanthu start"; run_vanthu vanthu; loadavg "vanthu end" ;;
    _ablate) _ablate ;;
    _cli_one) cli_one "$2" "$3" ;;
    _ocrmypdf_one) ocrmypdf_one "$2" "$3" ;;
    *) echo "usage: $0 [pages|run|ablate|report|all]" >&2; exit 2 ;;
esac
