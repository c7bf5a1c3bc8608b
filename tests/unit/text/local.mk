# tests for unit/text: added with the module.
