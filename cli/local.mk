# cli/: the vanthu binary, the only place every module meets.  It comes
# first in Makefile.am so module fragments may add to vanthu_SOURCES.
bin_PROGRAMS += vanthu
vanthu_SOURCES = cli/main.c cli/cmds.h cli/args.c cli/args.h \
	cli/cmd_index.c cli/cmd_search.c cli/datalock.c cli/datalock.h
vanthu_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(UV_CFLAGS)
# The Xapian shim is C++, so link with the C++ driver.
nodist_EXTRA_vanthu_SOURCES = dummy.cxx
vanthu_LDADD = libquery.a libindexer.a libextract.a libstorage.a libtext.a libcommon.a \
	$(XAPIAN_LIBS) $(MAGIC_LIBS) $(JANSSON_LIBS) $(UTF8PROC_LIBS)
