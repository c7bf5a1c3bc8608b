# Integration tests: the real binary, real index, real files.  One test a
# line, so that merges of new tests never collide.
TESTS += tests/integration/cli.sh
TESTS += tests/integration/valgrind.sh
TESTS += tests/integration/readme.sh
TESTS += tests/integration/restart.sh
TESTS += tests/integration/search-input.sh
EXTRA_DIST += tests/integration/tap.sh tests/valgrind.supp
EXTRA_DIST += tests/integration/cli.sh
EXTRA_DIST += tests/integration/valgrind.sh
EXTRA_DIST += tests/integration/readme.sh
EXTRA_DIST += tests/integration/restart.sh
EXTRA_DIST += tests/integration/search-input.sh
TESTS += tests/integration/names.sh
EXTRA_DIST += tests/integration/names.sh
TESTS += tests/integration/records.sh
EXTRA_DIST += tests/integration/records.sh
TESTS += tests/integration/move.sh
EXTRA_DIST += tests/integration/move.sh
