# Integration tests: the real binary, real index, real files.
TESTS += tests/integration/cli.sh tests/integration/valgrind.sh tests/integration/readme.sh tests/integration/restart.sh
EXTRA_DIST += tests/integration/readme.sh tests/integration/restart.sh tests/integration/tap.sh tests/integration/cli.sh tests/integration/valgrind.sh tests/valgrind.supp
