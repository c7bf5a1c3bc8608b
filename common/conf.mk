# common/conf.c: vanthu.conf (inih).  inih's pkg-config flags are empty on
# Debian; its library is linked by the programs that use conf.c.
libcommon_a_SOURCES += common/conf.c common/conf.h
