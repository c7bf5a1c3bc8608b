# indexer/: the long-running indexer of `vanthu serve` (issue 4): the
# watcher, the service (queues, threadpool jobs, OCR, writers) and the
# subcommand that wires them to the loop.
libindexer_a_SOURCES += \
	indexer/watch.c indexer/watch.h \
	indexer/service.c indexer/service.h
libindexer_a_CFLAGS += $(UV_CFLAGS)

vanthu_SOURCES += cli/cmd_serve.c
vanthu_CFLAGS += $(UV_CFLAGS) $(INIH_CFLAGS)
vanthu_LDADD += libindexer.a libocr.a libextract.a libstorage.a libtext.a libcommon.a \
	$(XAPIAN_LIBS) $(MAGIC_LIBS) $(UV_LIBS) $(INIH_LIBS) $(JANSSON_LIBS) \
	$(UTF8PROC_LIBS)
