# ocr/ tests.  The codec and the pool link only libocr.a + libcommon.a; the
# pool's fault tests drive the real worker in its test modes (no model is
# loaded).  The integration script runs the real vanthu on pages rendered at
# test time by tests/fixtures/make-ocr-fixtures.sh, scored by ocr-cer.
OCR_TEST_CFLAGS = $(TEST_CFLAGS) $(UV_CFLAGS) $(JANSSON_CFLAGS)
OCR_TEST_LIBS = libocr.a libcommon.a $(UV_LIBS) $(JANSSON_LIBS) $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/ocr/test-proto tests/unit/ocr/test-pool
tests_unit_ocr_test_proto_CFLAGS = $(OCR_TEST_CFLAGS)
tests_unit_ocr_test_proto_LDADD = $(OCR_TEST_LIBS)
# test-pool includes pool.c (for its kill table), hence the worker dir.
tests_unit_ocr_test_pool_CPPFLAGS = $(AM_CPPFLAGS) -DOCR_WORKER_DIR='"$(pkglibexecdir)"'
tests_unit_ocr_test_pool_CFLAGS = $(OCR_TEST_CFLAGS)
tests_unit_ocr_test_pool_LDADD = $(OCR_TEST_LIBS)
TESTS += tests/unit/ocr/test-proto tests/unit/ocr/test-pool

# The worker's sandbox, through the pool (--test-sandbox), and fdpass.c.
check_PROGRAMS += tests/unit/ocr/test-sandbox
tests_unit_ocr_test_sandbox_CFLAGS = $(OCR_TEST_CFLAGS)
tests_unit_ocr_test_sandbox_LDADD = $(OCR_TEST_LIBS)
TESTS += tests/unit/ocr/test-sandbox
# Their shared fixture (a worker, a loop, the recorded results).
EXTRA_DIST += tests/unit/ocr/pool-fixture.h

# Helpers for the integration test and bench/ocr.sh: a CER scorer and a
# cairo PDF writer (text-layer and image-only PDFs with known text).
check_PROGRAMS += tests/unit/ocr/ocr-cer tests/unit/ocr/ocr-mkpdf
tests_unit_ocr_ocr_cer_SOURCES = tests/unit/ocr/ocr-cer.c
tests_unit_ocr_ocr_mkpdf_SOURCES = tests/unit/ocr/ocr-mkpdf.c
tests_unit_ocr_ocr_mkpdf_CFLAGS = $(AM_CFLAGS) $(POPPLER_CFLAGS)
tests_unit_ocr_ocr_mkpdf_LDADD = $(POPPLER_LIBS)

TESTS += tests/integration/ocr.sh
EXTRA_DIST += tests/integration/ocr.sh tests/fixtures/make-ocr-fixtures.sh \
	tests/fixtures/ocr/letter.txt tests/fixtures/ocr/notice.txt

# The workers' hardening end to end: the sandbox selftest, a clean stop of
# vanthu serve on SIGINT to its process group, no worker outliving kill -9.
TESTS += tests/integration/ocr-workers.sh
EXTRA_DIST += tests/integration/ocr-workers.sh

# End-to-end metadata: rendered official pages indexed (OCR included) by
# the real vanthu index, fields read back from vanthu search --json.
# Skipped without ImageMagick's pango coder (libmagickcore-6.q16-6-extra).
TESTS += tests/integration/meta.sh
EXTRA_DIST += tests/integration/meta.sh
