# tests for unit/indexer: added with the module.
include tests/unit/indexer/extract.mk
include tests/unit/indexer/serve.mk
include tests/unit/indexer/pipeline.mk
