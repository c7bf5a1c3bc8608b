# text/meta.c: the official-document metadata extractor (issue 6) adds its rules here.
