# common/: libc + jansson only.
noinst_LIBRARIES += libcommon.a
libcommon_a_SOURCES = \
	common/err.c common/err.h \
	common/buf.c common/buf.h \
	common/xalloc.c common/xalloc.h \
	common/log.c common/log.h \
	common/sha256.c common/sha256.h \
	common/safefile.c common/safefile.h \
	common/map.c common/map.h \
	common/queue.h
include common/conf.mk
