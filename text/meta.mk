# text/meta.c: the official-document metadata extractor (issue 6).
libtext_a_SOURCES += text/meta.c text/meta.h

# A micro-benchmark, built on request only (`make bench/meta-bench`), never
# by `make` or `make check`.
EXTRA_PROGRAMS += bench/meta-bench
bench_meta_bench_SOURCES = bench/meta-bench.c
bench_meta_bench_CFLAGS = $(AM_CFLAGS) $(UTF8PROC_CFLAGS)
bench_meta_bench_LDADD = libtext.a libcommon.a $(UTF8PROC_LIBS)
CLEANFILES += bench/meta-bench$(EXEEXT)
