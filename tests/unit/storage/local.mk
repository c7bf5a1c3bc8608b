# tests for unit/storage: added with the module.
