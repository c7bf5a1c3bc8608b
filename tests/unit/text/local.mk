check_PROGRAMS += tests/unit/text/test-norm
tests_unit_text_test_norm_CFLAGS = $(TEST_CFLAGS) $(UTF8PROC_CFLAGS)
tests_unit_text_test_norm_LDADD = libtext.a libcommon.a $(UTF8PROC_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/text/test-norm

include tests/unit/text/meta.mk

check_PROGRAMS += tests/unit/text/test-snippet
tests_unit_text_test_snippet_CFLAGS = $(TEST_CFLAGS)
tests_unit_text_test_snippet_LDADD = libtext.a libcommon.a $(UTF8PROC_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/text/test-snippet
