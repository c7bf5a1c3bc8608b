# text/: Unicode and Vietnamese text; depends on common/ and utf8proc only.
noinst_LIBRARIES += libtext.a
libtext_a_SOURCES = \
	text/norm.c text/norm.h text/norm_internal.h \
	text/tok.c text/tok.h \
	text/snippet.c text/snippet.h \
	text/meta.h text/meta_internal.h \
	text/meta_page.c text/meta_layout.c text/meta_match.c \
	text/meta_number.c text/meta_type.c text/meta_date.c text/meta_stamp.c \
	text/meta_agency.c text/meta_subject.c text/meta_signer.c \
	text/meta_generic.c text/meta_extract.c text/meta_result.c \
	text/meta_title.c text/meta_markdown.c
libtext_a_CFLAGS = $(AM_CFLAGS) $(UTF8PROC_CFLAGS)
# The metadata extractor's benchmarks (issue 6) keep their own fragment.
include text/meta.mk
