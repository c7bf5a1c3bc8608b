# tests of text/meta.c (issue 6)
