# tests for indexer/writer.c and indexer/pipeline.c, with the real index
# (and, for the pipeline, the real extractor; no OCR pool).  The pipeline
# test includes pipeline.c to reach its OCR adapter.
check_PROGRAMS += tests/unit/indexer/test-writer tests/unit/indexer/test-pipeline
tests_unit_indexer_test_writer_SOURCES = tests/unit/indexer/test-writer.c tests/unit/indexer/loop.h
nodist_EXTRA_tests_unit_indexer_test_writer_SOURCES = dummy.cxx
tests_unit_indexer_test_writer_CFLAGS = $(TEST_CFLAGS) $(UV_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_indexer_test_writer_LDADD = libindexer.a libextract.a $(STORAGE_LIBS) $(MAGIC_LIBS) \
	$(UV_LIBS) $(CMOCKA_LIBS)
tests_unit_indexer_test_pipeline_SOURCES = tests/unit/indexer/test-pipeline.c tests/unit/indexer/loop.h
nodist_EXTRA_tests_unit_indexer_test_pipeline_SOURCES = dummy.cxx
tests_unit_indexer_test_pipeline_CFLAGS = $(TEST_CFLAGS) $(UV_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_indexer_test_pipeline_LDADD = libindexer.a libocr.a libextract.a $(STORAGE_LIBS) \
	$(MAGIC_LIBS) $(UV_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/indexer/test-writer tests/unit/indexer/test-pipeline
