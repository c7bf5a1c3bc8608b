# tests of indexer/extract.c
