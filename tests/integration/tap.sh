# TAP helpers for the integration scripts (sourced).
# Environment from make check: top_srcdir, top_builddir, VANTHU.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${VANTHU:=$top_builddir/vanthu}"
tap_n=0
tap_failed=0
ok() {
    tap_n=$((tap_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $tap_n - $2"
    else
        echo "not ok $tap_n - $2"
        tap_failed=$((tap_failed + 1))
    fi
    return "$1"
}
# check DESCRIPTION COMMAND...: run the command, ok if it succeeds.
check() {
    d=$1
    shift
    if "$@" >/dev/null 2>&1; then ok 0 "$d"; else ok 1 "$d"; fi
}
diag() {
    sed 's/^/# /'
}
tap_done() {
    echo "1..$tap_n"
    [ "$tap_failed" -eq 0 ]
}
# json_get FILE PYTHON-EXPR: evaluate an expression over the JSON in FILE (d).
json_get() {
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
# wait_for SECONDS COMMAND...: poll until the command succeeds (0), or
# give up after SECONDS (1).
wait_for() {
    end=$(($(date +%s) + $1))
    shift
    while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.2
    done
}
