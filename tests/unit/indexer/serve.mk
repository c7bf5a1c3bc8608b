# tests for indexer/watch.c (issue 4) and the `vanthu serve` integration
# script.  The watcher links libindexer.a (watch, pathmap, scan) with
# libcommon.a and libuv only.
check_PROGRAMS += tests/unit/indexer/test-watch
tests_unit_indexer_test_watch_SOURCES = tests/unit/indexer/test-watch.c
tests_unit_indexer_test_watch_CFLAGS = $(TEST_CFLAGS) $(UV_CFLAGS)
tests_unit_indexer_test_watch_LDADD = libindexer.a libcommon.a $(UV_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/indexer/test-watch

TESTS += tests/integration/serve.sh
EXTRA_DIST += tests/integration/serve.sh
