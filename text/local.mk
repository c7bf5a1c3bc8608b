# text/: Unicode and Vietnamese text; depends on common/ and utf8proc only.
noinst_LIBRARIES += libtext.a
libtext_a_SOURCES = \
	text/norm.c text/norm.h text/norm_internal.h \
	text/tok.c text/tok.h \
	text/snippet.c text/snippet.h
libtext_a_CFLAGS = $(AM_CFLAGS) $(UTF8PROC_CFLAGS)
# Metadata extraction (issue 6) keeps its own fragment.
include text/meta.mk
