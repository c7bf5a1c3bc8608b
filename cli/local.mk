bin_PROGRAMS += vanthu
vanthu_SOURCES = cli/main.c
vanthu_LDADD = libcommon.a
