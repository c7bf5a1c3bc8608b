# tests for unit/indexer: added with the module.
include tests/unit/indexer/extract.mk
