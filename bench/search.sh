#!/bin/sh
# Indexing and search against the peers, side by side in one run.
#
#   bench/search.sh [small|large] [PEER...]
#
# Uses the team's shared harness (corpora from Debian documentation and
# Vietnamese text, seeded query sets, adapters for omega/omindex, recoll,
# PostgreSQL, SQLite FTS5, Sphinx and vanthu's CLI) found in $HARNESS,
# by default ../shared/bench/search next to this checkout.  vanthu is the
# binary of build-normal/ unless VANTHU_BIN says otherwise; build it first
# (./run-tests or ./quickstart).  Run on an idle machine: the harness
# measures wall time.  Results: the harness's report.md (path printed at
# the end); copy the rows into bench/RESULTS.md with the command line.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
HARNESS=${HARNESS:-$top/../shared/bench/search}
VANTHU_BIN=${VANTHU_BIN:-$top/build-normal/vanthu}
size=${1:-large}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- omega sphinx vanthu
[ -x "$VANTHU_BIN" ] || { echo "no vanthu binary at $VANTHU_BIN" >&2; exit 1; }
[ -x "$HARNESS/run.sh" ] || { echo "no harness at $HARNESS" >&2; exit 1; }
export VANTHU_BIN
cd "$HARNESS"
HTTP=${HTTP:-0} ./run.sh "$size" "$@"
