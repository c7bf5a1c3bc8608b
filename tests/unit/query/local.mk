check_PROGRAMS += tests/unit/query/test-search
tests_unit_query_test_search_SOURCES = tests/unit/query/test-search.c
nodist_EXTRA_tests_unit_query_test_search_SOURCES = dummy.cxx
tests_unit_query_test_search_CFLAGS = $(TEST_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_query_test_search_LDADD = libquery.a $(STORAGE_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/query/test-search
include tests/unit/query/http.mk
check_PROGRAMS += tests/unit/query/test-search-cost
tests_unit_query_test_search_cost_SOURCES = tests/unit/query/test-search-cost.c
nodist_EXTRA_tests_unit_query_test_search_cost_SOURCES = dummy.cxx
tests_unit_query_test_search_cost_CFLAGS = $(TEST_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_query_test_search_cost_LDADD = libquery.a $(STORAGE_LIBS)
TESTS += tests/unit/query/test-search-cost
