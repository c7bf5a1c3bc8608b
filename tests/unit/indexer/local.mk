# tests for unit/indexer: added with the module.
