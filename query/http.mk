# query/http*.c: the libh2o server (issue 5).  It joins libquery.a; a
# program that calls query_http_* links $(H2O_LIBS) $(UV_LIBS) too.
libquery_a_SOURCES += query/http.c query/http.h query/http_internal.h query/http_conn.c \
	query/http_file.c query/http_host.c query/http_jobs.c query/http_metrics.c \
	query/http_routes.c
libquery_a_CFLAGS += $(H2O_CFLAGS) $(UV_CFLAGS)
# Where the page is installed: the default when no web_dir is configured.
libquery_a_CPPFLAGS = $(AM_CPPFLAGS) -DVANTHU_WEB_DIR='"$(pkgdatadir)"'
dist_pkgdata_DATA = web/index.html web/app.js web/style.css web/favicon.svg
