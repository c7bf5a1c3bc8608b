# storage/: the index.  xap.cc is the only C++ file in the tree; schema.c
# is the one place the index schema is written.
noinst_LIBRARIES += libstorage.a
libstorage_a_SOURCES = \
	storage/storage.c storage/storage.h storage/internal.h storage/ids.c \
	storage/schema.c storage/schema.h \
	storage/doc.c storage/query.c storage/suggest.c \
	storage/xap.cc storage/xap.h
libstorage_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(UTF8PROC_CFLAGS)
libstorage_a_CXXFLAGS = $(AM_CXXFLAGS) $(XAPIAN_CFLAGS)
STORAGE_LIBS = libstorage.a libtext.a libcommon.a $(XAPIAN_LIBS) $(JANSSON_LIBS) $(UTF8PROC_LIBS)
