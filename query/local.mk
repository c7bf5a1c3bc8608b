# query/: search.c (no sockets); http.c joins with issue 5.
noinst_LIBRARIES += libquery.a
libquery_a_SOURCES = query/search.c query/search.h
libquery_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
include query/http.mk
