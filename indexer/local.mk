# indexer/: filesystem -> index.  Extraction (extract.c, detect.c) keeps its
# own fragment.  One pipeline (pipeline.c, writer.c) serves both the
# one-shot `vanthu index` (batch.c) and `vanthu serve` (serve.mk).
noinst_LIBRARIES += libindexer.a
libindexer_a_SOURCES = \
	indexer/scan.c indexer/scan.h \
	indexer/ingest.c indexer/ingest.h \
	indexer/writer.c indexer/writer.h \
	indexer/pipeline.c indexer/pipeline.h \
	indexer/batch.c indexer/batch.h
libindexer_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(UTF8PROC_CFLAGS) $(UV_CFLAGS)
include indexer/extract.mk
include indexer/serve.mk
