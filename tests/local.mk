# Unit tests link only their own module's library and what it may use.
TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)

check_PROGRAMS += tests/unit/common/test-common
tests_unit_common_test_common_CFLAGS = $(TEST_CFLAGS)
tests_unit_common_test_common_LDADD = libcommon.a $(CMOCKA_LIBS)
TESTS += tests/unit/common/test-common

include tests/unit/text/local.mk
include tests/unit/storage/local.mk
include tests/unit/indexer/local.mk
include tests/unit/query/local.mk
include tests/integration/local.mk
include tests/unit/ocr/local.mk

# The module graph of the layout, checked on every include.
TESTS += tests/check-includes.sh
EXTRA_DIST += tests/check-includes.sh

# Function length: none over 100 lines, each over 60 says why (ctags).
TESTS += tests/check-functions.sh
EXTRA_DIST += tests/check-functions.sh
