# indexer/: filesystem -> index.  Extraction (extract.c, detect.c) keeps its
# own fragment.
noinst_LIBRARIES += libindexer.a
libindexer_a_SOURCES = \
	indexer/scan.c indexer/scan.h \
	indexer/ingest.c indexer/ingest.h \
	indexer/batch.c indexer/batch.h
libindexer_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(UTF8PROC_CFLAGS) $(UV_CFLAGS)
include indexer/extract.mk
include indexer/serve.mk
