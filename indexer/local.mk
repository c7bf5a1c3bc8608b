# indexer
