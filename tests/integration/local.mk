# tests for integration: added with the module.
