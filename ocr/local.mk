# ocr/: image/PDF -> text.  Depends on common/ only.
#
# libocr.a is what the parent links: the frame codec and the worker pool
# (libuv + jansson).  It never links Tesseract, Leptonica or poppler; those
# live in the separate program vanthu-ocr-worker, which the pool spawns.
noinst_LIBRARIES += libocr.a
libocr_a_SOURCES = \
	ocr/proto.c ocr/proto.h \
	ocr/fdpass.c ocr/fdpass.h \
	ocr/pool.c ocr/pool.h
libocr_a_CPPFLAGS = $(AM_CPPFLAGS) -DOCR_WORKER_DIR='"$(pkglibexecdir)"'
libocr_a_CFLAGS = $(AM_CFLAGS) $(UV_CFLAGS) $(JANSSON_CFLAGS)

# The worker: installed in $(pkglibexecdir); in the build tree it sits next
# to vanthu, where ocr_worker_default_path() finds it first.
pkglibexec_PROGRAMS = vanthu-ocr-worker
# The sandbox (and libseccomp) is the worker's alone.
vanthu_ocr_worker_SOURCES = ocr/worker.c ocr/proto.c ocr/proto.h \
	ocr/fdpass.c ocr/fdpass.h ocr/sandbox.c ocr/sandbox.h
vanthu_ocr_worker_CFLAGS = $(AM_CFLAGS) $(TESSERACT_CFLAGS) $(LEPT_CFLAGS) $(POPPLER_CFLAGS) \
	$(JANSSON_CFLAGS) $(SECCOMP_CFLAGS)
vanthu_ocr_worker_LDADD = libcommon.a $(TESSERACT_LIBS) $(LEPT_LIBS) $(POPPLER_LIBS) $(JANSSON_LIBS) \
	$(SECCOMP_LIBS) -lm
