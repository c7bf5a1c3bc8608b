#!/bin/sh
# Indexing throughput of two vanthu binaries on the same synthetic corpus,
# runs interleaved (old, new, old, new, ...) so that both see the same
# machine.  The corpus: N text files of 150-1,200 words drawn from the
# system's licence texts and the sample archive, 200 to a folder, made
# once per size under $WORK (deterministic: the same N gives the same
# files).
#
#   bench/index.sh OLD_VANTHU NEW_VANTHU N [RUNS]
#
# Prints one line per run: wall, user and system seconds, peak RSS, and
# the index summary.  Run on an idle machine.
set -eu
old=$1 new=$2 n=$3 runs=${4:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/tmp/vanthu-bench-index}
corpus=$WORK/corpus-$n
mkdir -p "$WORK"
if [ ! -f "$corpus/.done" ]; then
    rm -rf "$corpus"
    python3 - "$corpus" "$n" "$top/samples/archive" <<'PY'
import glob, os, random, sys
out, n, samples = sys.argv[1], int(sys.argv[2]), sys.argv[3]
words = []
for f in sorted(glob.glob('/usr/share/common-licenses/*') + glob.glob(samples + '/*/*.txt') +
                glob.glob(samples + '/*/*.md')):
    if os.path.isfile(f):
        words += open(f, encoding='utf-8', errors='ignore').read().split()
rnd = random.Random(11)
for i in range(n):
    d = os.path.join(out, 'd%04d' % (i // 200))
    os.makedirs(d, exist_ok=True)
    text = ' '.join(rnd.choice(words) for _ in range(rnd.randint(150, 1200)))
    with open(os.path.join(d, 'f%06d.txt' % i), 'w') as fh:
        fh.write('Công văn số %d/UBND\n' % i + text + '\n')
PY
    touch "$corpus/.done"
fi
i=1
while [ "$i" -le "$runs" ]; do
    for which in old new; do
        bin=$old
        [ "$which" = new ] && bin=$new
        d=$(mktemp -d "$WORK/data-XXXXXX")
        /usr/bin/time -f "$which run $i: wall %e s, user %U s, sys %S s, peak RSS %M KB" \
            "$bin" index --data "$d" "$corpus" 2>&1 >/dev/null | grep -E '^(old|new) run|^indexed' |
            tr '\n' ' '
        echo
        rm -rf "$d"
    done
    i=$((i + 1))
done
