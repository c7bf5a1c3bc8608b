# storage/ links only itself, text/ and common/ (with Xapian, C++ driver).
check_PROGRAMS += tests/unit/storage/test-storage
tests_unit_storage_test_storage_SOURCES = tests/unit/storage/test-storage.c
nodist_EXTRA_tests_unit_storage_test_storage_SOURCES = dummy.cxx
tests_unit_storage_test_storage_CFLAGS = $(TEST_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_storage_test_storage_LDADD = $(STORAGE_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/storage/test-storage

check_PROGRAMS += tests/unit/storage/test-schema
tests_unit_storage_test_schema_SOURCES = tests/unit/storage/test-schema.c
nodist_EXTRA_tests_unit_storage_test_schema_SOURCES = dummy.cxx
tests_unit_storage_test_schema_CFLAGS = $(TEST_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_storage_test_schema_LDADD = $(STORAGE_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/storage/test-schema

check_PROGRAMS += tests/unit/storage/test-query
tests_unit_storage_test_query_SOURCES = tests/unit/storage/test-query.c
nodist_EXTRA_tests_unit_storage_test_query_SOURCES = dummy.cxx
tests_unit_storage_test_query_CFLAGS = $(TEST_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_storage_test_query_LDADD = $(STORAGE_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/storage/test-query

check_PROGRAMS += tests/unit/storage/test-xap
tests_unit_storage_test_xap_SOURCES = tests/unit/storage/test-xap.c
nodist_EXTRA_tests_unit_storage_test_xap_SOURCES = dummy.cxx
tests_unit_storage_test_xap_CFLAGS = $(TEST_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_storage_test_xap_LDADD = $(STORAGE_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/storage/test-xap
