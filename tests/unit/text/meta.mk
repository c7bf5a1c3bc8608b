# Unit tests of text/meta.c (vietnamese.md §(c) 1-15, Phụ lục III types,
# OCR-damaged variants, non-official text).
check_PROGRAMS += tests/unit/text/test-meta
tests_unit_text_test_meta_CFLAGS = $(TEST_CFLAGS) $(UTF8PROC_CFLAGS)
tests_unit_text_test_meta_LDADD = libtext.a libcommon.a $(UTF8PROC_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/text/test-meta
EXTRA_DIST += tests/fixtures/meta/namdinh-cntt-2016.txt
