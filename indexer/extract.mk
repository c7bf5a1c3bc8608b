# indexer/extract.c, detect.c: born-digital text extraction (issue 2, item 5).
noinst_LIBRARIES += libextract.a
libextract_a_SOURCES = \
	indexer/extract.c indexer/extract.h \
	indexer/detect.c indexer/detect.h
libextract_a_CFLAGS = $(AM_CFLAGS) $(MAGIC_CFLAGS)
