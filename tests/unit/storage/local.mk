# storage/ links only itself, text/ and common/ (with Xapian, C++ driver).
check_PROGRAMS += tests/unit/storage/test-storage
tests_unit_storage_test_storage_SOURCES = tests/unit/storage/test-storage.c
nodist_EXTRA_tests_unit_storage_test_storage_SOURCES = dummy.cxx
tests_unit_storage_test_storage_CFLAGS = $(TEST_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_storage_test_storage_LDADD = $(STORAGE_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/storage/test-storage
