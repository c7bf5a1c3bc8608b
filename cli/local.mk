# cli/: the vanthu binary, the only place every module meets.  Module
# fragments build their own libraries; this one alone says what the
# binary is made of and links.
bin_PROGRAMS += vanthu
vanthu_SOURCES = cli/main.c cli/cmds.h cli/args.c cli/args.h \
	cli/cmd_index.c cli/cmd_search.c cli/cmd_serve.c cli/cmd_ocr.c \
	cli/datalock.c cli/datalock.h
vanthu_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(UV_CFLAGS) $(INIH_CFLAGS)
# The Xapian shim is C++, so link with the C++ driver.
nodist_EXTRA_vanthu_SOURCES = dummy.cxx
vanthu_LDADD = libquery.a libindexer.a libocr.a libextract.a libstorage.a libtext.a libcommon.a \
	$(XAPIAN_LIBS) $(MAGIC_LIBS) $(H2O_LIBS) $(UV_LIBS) $(INIH_LIBS) $(JANSSON_LIBS) \
	$(UTF8PROC_LIBS)
