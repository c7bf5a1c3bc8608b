/* "Did you mean" (storage_suggest() in storage.h): the closest indexed
 * folded word to each word the index lacks.
 *
 * Suggestions come from the index's own dictionary of folded words rather
 * than Xapian's spelling table: filling that table doubled the CPU time of
 * indexing (bench/RESULTS.md), while this scan runs only for words that
 * matched nothing, over the words that share their first letter.
 *
 * Cost: a pass over one letter of a 50,000-document archive's dictionary
 * reads a few thousand words (one to two milliseconds), and a large
 * archive's letters hold many more, so the scan goes in two stages, each
 * pass checking the caller's limits (struct storage_suggest_limits):
 *   1. the words sharing the first two letters (most typing errors come
 *      after them: "bihn" -> "binh"), a pass of a few hundred words;
 *   2. the words sharing the first letter, which may find a closer one;
 *      the words that share a first letter share the pass.
 * A pass cut short counts for nothing (its best so far is alphabetically
 * biased), so a word keeps what the complete passes found.  A pass the
 * index moved under runs again from its start on the reopened index. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"
#include "storage/internal.h"
#include "storage/xap.h"

struct suggest {
    struct storage_suggestion *s;
    size_t *idx; /* the words of this pass */
    size_t n;
    unsigned seen, max_terms;
    const struct storage_suggest_limits *lim;
    int cut;
};

static double clock_ms(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int past_limits(const struct storage_suggest_limits *lim)
{
    return (lim->cpu_ms > 0 && clock_ms(CLOCK_THREAD_CPUTIME_ID) > lim->cpu_ms) ||
           (lim->wall_ms > 0 && clock_ms(CLOCK_MONOTONIC) > lim->wall_ms);
}

/* Edit distance of (a, n) and (b, m) in bytes, counting a swap of two
 * neighbouring letters as one edit ("dihn" -> "dinh"), or max + 1 when it
 * exceeds max. */
static int edit_distance(const char *a, size_t n, const char *b, size_t m, int max)
{
    int d[3][64], best;

    if (n >= 63 || m >= 63 || (n > m ? n - m : m - n) > (size_t)max)
        return max + 1;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        int *cur = d[i % 3], *up = d[(i - 1) % 3], *up2 = d[(i + 1) % 3];
        cur[0] = (int)i;
        best = cur[0];
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = up[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (up[j - 1] + cost < v)
                v = up[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && up2[j - 2] + 1 < v)
                v = up2[j - 2] + 1;
            cur[j] = v;
            if (v < best)
                best = v;
        }
        if (best > max)
            return max + 1;
    }
    return d[n % 3][m];
}

static int suggest_cb(void *data, const char *term, size_t len, unsigned freq)
{
    struct suggest *sg = data;

    if (++sg->seen > sg->max_terms || (sg->seen % 64 == 0 && past_limits(sg->lim))) {
        sg->cut = 1;
        return 1;
    }
    if (len > STORAGE_MAX_TERM)
        return 0;
    for (size_t k = 0; k < sg->n; k++) {
        struct storage_suggestion *w = &sg->s[sg->idx[k]];
        int max = w->_len <= 4 ? 1 : 2;
        int d = edit_distance(w->word, w->_len, term, len, max);
        if (d == 0 || d > max)
            continue;
        if (d < w->_cdist || (d == w->_cdist && freq > w->_cfreq)) {
            w->_cdist = d;
            w->_cfreq = freq;
            memcpy(w->_cand, term, len);
            w->_cand[len] = '\0';
        }
    }
    return 0;
}

/* One pass over the dictionary words starting with prefix, for the words
 * of s not yet done whose first plen bytes are prefix (marked done).
 * 1 if the pass completed, 0 if it was cut short, or a negative code. */
static int suggest_pass(struct storage *st, struct suggest *sg, const char *prefix, size_t plen,
                        size_t from, size_t n, struct vt_err *err)
{
    struct storage_suggestion *s = sg->s;
    int rc, tries = 0;

    sg->n = 0;
    for (size_t k = from; k < n; k++)
        if (!s[k]._done && s[k]._len > plen && memcmp(s[k].word, prefix, plen) == 0) {
            s[k]._done = 1;
            sg->idx[sg->n++] = k;
        }
    do {
        for (size_t k = 0; k < sg->n; k++) {
            s[sg->idx[k]]._cdist = 99;
            s[sg->idx[k]]._cfreq = 0;
        }
        sg->seen = 0;
        sg->cut = 0;
        rc = xap_each_term(st->reader, prefix, suggest_cb, sg, err);
    } while (storage__again(st, rc, &tries, err));
    if (rc < 0)
        return rc;
    if (sg->cut)
        return 0;
    for (size_t k = 0; k < sg->n; k++) {
        struct storage_suggestion *w = &s[sg->idx[k]];
        if (w->_cdist < w->_dist || (w->_cdist == w->_dist && w->_cfreq > w->_freq)) {
            w->_dist = w->_cdist;
            w->_freq = w->_cfreq;
            memcpy(w->best, w->_cand, strlen(w->_cand) + 1);
        }
    }
    return 1;
}

int storage_suggest(struct storage *st, struct storage_suggestion *s, size_t n,
                    const struct storage_suggest_limits *lim, struct vt_err *err)
{
    struct suggest sg = {0};
    int rc = 1, found = 0;

    if (st->reader == NULL)
        return vt_err_set(err, VT_EINTERNAL, "suggestions need an index opened for reading");
    for (size_t i = 0; i < n; i++) {
        s[i].best[0] = '\0';
        s[i]._len = strlen(s[i].word);
        s[i]._dist = 99;
        s[i]._freq = 0;
        s[i]._skip = s[i]._len < 3 || s[i]._len > 40 || s[i].word[0] < 'a' || s[i].word[0] > 'z';
    }
    sg.s = s;
    sg.idx = xmalloc((n ? n : 1) * sizeof(*sg.idx));
    sg.max_terms = lim->max_terms ? lim->max_terms : ~0u;
    sg.lim = lim;
    /* Stage 1 by two-letter prefix (ASCII second byte: folded words are
     * ASCII but for letters outside Vietnamese), stage 2 by first letter. */
    for (size_t plen = 2; plen >= 1 && rc > 0; plen--) {
        /* A word one edit away from its best needs no wider pass. */
        for (size_t i = 0; i < n; i++)
            s[i]._done = s[i]._skip || s[i]._dist <= 1 ||
                         (plen == 2 && (unsigned char)s[i].word[1] >= 0x80);
        for (size_t i = 0; i < n && rc > 0; i++) {
            char prefix[3];
            if (s[i]._done)
                continue;
            if (past_limits(lim)) {
                rc = 0;
                break;
            }
            memcpy(prefix, s[i].word, plen);
            prefix[plen] = '\0';
            rc = suggest_pass(st, &sg, prefix, plen, i, n, err);
        }
    }
    free(sg.idx);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        found += s[i].best[0] != '\0';
    return found;
}

