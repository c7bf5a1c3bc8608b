# The query server over HTTP: the real `vanthu serve`, driven with curl
# and raw sockets.
HTTP_ITESTS = tests/integration/http.sh tests/integration/slots.sh tests/integration/swap.sh \
	tests/integration/wire.sh
TESTS += $(HTTP_ITESTS)
EXTRA_DIST += $(HTTP_ITESTS)
# The Range parser, the Host allow-list and the /metrics text.
check_PROGRAMS += tests/unit/query/test-http
tests_unit_query_test_http_SOURCES = tests/unit/query/test-http.c
nodist_EXTRA_tests_unit_query_test_http_SOURCES = dummy.cxx
tests_unit_query_test_http_CFLAGS = $(TEST_CFLAGS) $(JANSSON_CFLAGS) $(UV_CFLAGS) $(H2O_CFLAGS)
tests_unit_query_test_http_LDADD = libquery.a $(STORAGE_LIBS) $(H2O_LIBS) $(UV_LIBS) $(CMOCKA_LIBS)
TESTS += tests/unit/query/test-http
