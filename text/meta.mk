# Programs around the official-document metadata extractor (issue 6,
# text/meta_*.c, listed in text/local.mk).
#
# A micro-benchmark, built on request only (`make bench/meta-bench`), never
# by `make` or `make check`.
EXTRA_PROGRAMS += bench/meta-bench
bench_meta_bench_SOURCES = bench/meta-bench.c
bench_meta_bench_CFLAGS = $(AM_CFLAGS) $(UTF8PROC_CFLAGS)
bench_meta_bench_LDADD = libtext.a libcommon.a $(UTF8PROC_LIBS)
CLEANFILES += bench/meta-bench$(EXEEXT)

# The end-to-end driver of bench/meta-e2e.sh (`make bench/meta-e2e`): the
# extractor over `vanthu ocr --out` files, one TSV row per file.
EXTRA_PROGRAMS += bench/meta-e2e
bench_meta_e2e_SOURCES = bench/meta-e2e.c
bench_meta_e2e_CFLAGS = $(AM_CFLAGS) $(UTF8PROC_CFLAGS)
bench_meta_e2e_LDADD = libtext.a libcommon.a $(UTF8PROC_LIBS)
EXTRA_DIST += bench/meta-e2e.sh tests/fixtures/official-pages.py
CLEANFILES += bench/meta-e2e$(EXEEXT)
