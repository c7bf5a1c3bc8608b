# tests for indexer/extract.c and indexer/detect.c (the test includes
# extract.c to reach its static helpers, hence poppler's flags)
check_PROGRAMS += tests/unit/indexer/test-extract
tests_unit_indexer_test_extract_SOURCES = tests/unit/indexer/test-extract.c
tests_unit_indexer_test_extract_CPPFLAGS = $(AM_CPPFLAGS) \
	-DEXTRACT_FIXTURES='"$(abs_top_srcdir)/tests/fixtures/extract"'
tests_unit_indexer_test_extract_CFLAGS = $(TEST_CFLAGS) $(MAGIC_CFLAGS)
tests_unit_indexer_test_extract_LDADD = libextract.a libtext.a libcommon.a $(MAGIC_LIBS) \
	$(UTF8PROC_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/indexer/test-extract
EXTRA_DIST += tests/fixtures/extract
