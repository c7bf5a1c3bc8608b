# The query server's test driver (until `vanthu serve` exists) and the
# integration test that drives it with curl.
check_PROGRAMS += tests/unit/query/http-driver
tests_unit_query_http_driver_SOURCES = tests/unit/query/http-driver.c
nodist_EXTRA_tests_unit_query_http_driver_SOURCES = dummy.cxx
tests_unit_query_http_driver_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(UV_CFLAGS)
tests_unit_query_http_driver_LDADD = libquery.a $(STORAGE_LIBS) $(H2O_LIBS) $(UV_LIBS)
HTTP_ITESTS = tests/integration/http.sh tests/integration/slots.sh tests/integration/swap.sh \
	tests/integration/wire.sh
TESTS += $(HTTP_ITESTS)
EXTRA_DIST += $(HTTP_ITESTS)
# The Range parser and the Host allow-list.
check_PROGRAMS += tests/unit/query/test-http
tests_unit_query_test_http_SOURCES = tests/unit/query/test-http.c
nodist_EXTRA_tests_unit_query_test_http_SOURCES = dummy.cxx
tests_unit_query_test_http_CFLAGS = $(TEST_CFLAGS) $(JANSSON_CFLAGS) $(UV_CFLAGS) $(H2O_CFLAGS)
tests_unit_query_test_http_LDADD = libquery.a $(STORAGE_LIBS) $(H2O_LIBS) $(UV_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/query/test-http
