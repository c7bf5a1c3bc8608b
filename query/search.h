/* Search: a request struct in, a JSON result out (the body of
 * GET /api/search and of `vanthu search --json`).  No sockets here.
 *
 * Query language: words are all required; "quoted words" form a phrase;
 * OR, AND and NOT (upper case) and a leading '-' combine; parentheses
 * group.  A word without diacritics matches every accented form; a word
 * with diacritics ranks its exact form first and, with exact=1, matches
 * only it.  Document numbers (512/QĐ-UBND) match as written.
 * Ranking: BM25 plus phrase and proximity evidence for runs of words.
 * Words that make no term (emoji, punctuation, words longer than
 * STORAGE_MAX_TERM) are left out; a query of nothing but those matches no
 * document and says so ("notice"), while an empty query lists every one.
 * Sorting by date (either way, and the empty query's newest first) puts
 * the documents with an issue date (meta.issued) first and the undated
 * ones after them, those sorted by their file's date.
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
#define QUERY_MAX_FILTER 200 /* bytes of a filter value (type, agency, from, to) */

/* The bounds of "did you mean" (see suggest() in search.c): the first
 * misspelt words corrected, dictionary words read by one pass, and the
 * time it may take in all: CPU time of the calling thread, and wall time
 * (CLOCK_MONOTONIC) for a thread that gets little CPU. */
#define QUERY_SUGGEST_MAX_WORDS 8
#define QUERY_SUGGEST_MAX_TERMS 100000
#define QUERY_SUGGEST_CPU_MS 3.0
#define QUERY_SUGGEST_WALL_MS 12.0

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
    int no_suggest;      /* 1: no "did you mean" lookup (a server whose queue
                            is deep saves its threads the work) */
};

/* Run req against st.  *result: new reference (json_decref) holding
 * {"total","took_ms","query","results":[...],"facets":{...}}, plus
 * "suggestion" (the query with misspelt words corrected, folded) when
 * nothing matched and a correction exists, and "notice" (a sentence for
 * the user) when the query has no searchable word.  took_ms is the time
 * spent in this call (parsing, both passes, suggestions, snippets).
 * Errors: VT_EQUERY, with a message fit for the user, for a request the
 * caller got wrong: a query or a filter that cannot be understood, text
 * that is not valid UTF-8, holds a control character (the query may hold
 * tabs and line breaks) or is longer than QUERY_MAX_LEN (query) or
 * QUERY_MAX_FILTER (filters) bytes, a year, sort or limit out of range.
 * Index errors otherwise. */
int query_search(struct storage *st, const struct query_request *req, json_t **result,
                 struct vt_err *err);

/* The checks query_search() starts with, for a caller that wants to turn
 * a bad request away before it opens the index or queues the work: 0, or
 * VT_EQUERY with the reason in err.  The query's syntax is not checked
 * here.  Any thread. */
int query_check_request(const struct query_request *req, struct vt_err *err);

#endif
