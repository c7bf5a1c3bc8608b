# indexer/: the long-running indexer of `vanthu serve` (issue 4): the
# watcher and the service (queues, threadpool jobs, OCR, writers).
libindexer_a_SOURCES += \
	indexer/watch.c indexer/watch.h \
	indexer/service.c indexer/service.h
libindexer_a_CFLAGS += $(UV_CFLAGS)
