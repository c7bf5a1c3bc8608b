# indexer/: the long-running indexer of `vanthu serve` (issue 4): the
# watcher and the service, its glue to the pipeline (local.mk).
libindexer_a_SOURCES += \
	indexer/watch.c indexer/watch.h \
	indexer/service.c indexer/service.h
libindexer_a_CFLAGS += $(UV_CFLAGS)
