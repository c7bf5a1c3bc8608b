# The query server's test driver (until `vanthu serve` exists) and the
# integration test that drives it with curl.
check_PROGRAMS += tests/unit/query/http-driver
tests_unit_query_http_driver_SOURCES = tests/unit/query/http-driver.c
nodist_EXTRA_tests_unit_query_http_driver_SOURCES = dummy.cxx
tests_unit_query_http_driver_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(UV_CFLAGS)
tests_unit_query_http_driver_LDADD = libquery.a $(STORAGE_LIBS) $(H2O_LIBS) $(UV_LIBS)
TESTS += tests/integration/http.sh tests/integration/slots.sh tests/integration/swap.sh
EXTRA_DIST += tests/integration/http.sh tests/integration/slots.sh tests/integration/swap.sh
