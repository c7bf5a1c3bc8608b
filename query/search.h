/* Search: a request struct in, a JSON result out (the body of
 * GET /api/search and of `vanthu search --json`).  No sockets here.
 *
 * Query language: words are all required; "quoted words" form a phrase;
 * OR, AND and NOT (upper case) and a leading '-' combine; parentheses
 * group.  A word without diacritics matches every accented form; a word
 * with diacritics ranks its exact form first and, with exact=1, matches
 * only it.  Document numbers (512/QĐ-UBND) match as written.
 * Ranking: BM25 plus phrase and proximity evidence for runs of words.
 *
 * Threads: any, with a struct storage that thread owns. */
#ifndef VT_QUERY_SEARCH_H
#define VT_QUERY_SEARCH_H

#include <jansson.h>

#include "common/err.h"
#include "storage/storage.h"

#define QUERY_MAX_LEN 4096   /* bytes of query text */
#define QUERY_MAX_TERMS 64   /* words in a query */
#define QUERY_MAX_DEPTH 16   /* nested parentheses */
#define QUERY_MAX_LIMIT 1000 /* results per page */

enum query_sort { QUERY_SORT_RELEVANCE, QUERY_SORT_DATE_ASC, QUERY_SORT_DATE_DESC };

struct query_request {
    const char *q;       /* may be NULL or "": every document, newest first */
    unsigned offset;
    unsigned limit;
    enum query_sort sort;
    const char *type;    /* filters; NULL = any */
    const char *agency;
    int year;            /* 0 = any */
    const char *from;    /* "YYYY-MM-DD" or NULL */
    const char *to;
    int exact;
};

/* Run req against st.  *result: new reference (json_decref) holding
 * {"total","took_ms","query","results":[...],"facets":{...}}, plus
 * "suggestion" (the query with misspelt words corrected, folded) when
 * nothing matched and a correction exists.
 * Errors: VT_EQUERY (with a message fit for the user) for a query or a
 * filter that cannot be understood, index errors otherwise. */
int query_search(struct storage *st, const struct query_request *req, json_t **result,
                 struct vt_err *err);

#endif
