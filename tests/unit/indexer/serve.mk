# tests for indexer/watch.c (issue 4) and the `vanthu serve` integration
# script.  The watcher links libindexer.a (watch, scan; the path map is common/map.c) with
# libcommon.a and libuv only.
check_PROGRAMS += tests/unit/indexer/test-watch
tests_unit_indexer_test_watch_SOURCES = tests/unit/indexer/test-watch.c
tests_unit_indexer_test_watch_CFLAGS = $(TEST_CFLAGS) $(UV_CFLAGS)
tests_unit_indexer_test_watch_LDADD = libindexer.a libcommon.a $(UV_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/indexer/test-watch

TESTS += tests/integration/serve.sh
EXTRA_DIST += tests/integration/serve.sh

# The service with the real watcher, extractor and index (no OCR pool).
check_PROGRAMS += tests/unit/indexer/test-service
tests_unit_indexer_test_service_SOURCES = tests/unit/indexer/test-service.c tests/unit/indexer/loop.h
nodist_EXTRA_tests_unit_indexer_test_service_SOURCES = dummy.cxx
tests_unit_indexer_test_service_CFLAGS = $(TEST_CFLAGS) $(UV_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_indexer_test_service_LDADD = libindexer.a libocr.a libextract.a $(STORAGE_LIBS) \
	$(MAGIC_LIBS) $(UV_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/indexer/test-service

# Huge and sparse files, and paths the indexer must neither skip nor follow.
TESTS += tests/integration/huge.sh tests/integration/paths.sh
EXTRA_DIST += tests/integration/huge.sh tests/integration/paths.sh
