# Integration tests: the real binary, real index, real files.
TESTS += tests/integration/cli.sh tests/integration/valgrind.sh
EXTRA_DIST += tests/integration/tap.sh tests/integration/cli.sh tests/integration/valgrind.sh tests/valgrind.supp
TESTS += tests/integration/search-input.sh
EXTRA_DIST += tests/integration/search-input.sh
