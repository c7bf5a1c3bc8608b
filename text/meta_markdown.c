/* The title a Markdown text declares (text_title_markdown()).
 *
 * Markdown is read only as far as a title needs: the heading a document
 * opens with (after any front matter), without its markers, and without
 * the inline syntax that would show literally (emphasis, code, links,
 * images, autolinks, tags, escapes).  The emphasis rules are CommonMark's
 * (flanking runs, the rule of three), so "snake_case_name" and "2 * 3 * 4"
 * keep their characters. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "text/meta_internal.h"
#include "text/norm_internal.h"

#define MD_LINE_MAX 4096        /* longest heading line read, in bytes */

/* Markdown, inline */

enum { MD_DROP = 1, MD_LIT = 2 };

struct md_run {
    size_t len;  /* of the run of '*', '_' or '~', as written */
    size_t b, e; /* what is left of it: [b, e) */
    char ch;
    unsigned char open, close;
};

static int is_ascii_punct(unsigned char c)
{
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
}

static int is_md_punct(int32_t c)
{
    if (c < 0x80)
        return is_ascii_punct((unsigned char)c);
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
    case UTF8PROC_CATEGORY_SM:
    case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SK:
    case UTF8PROC_CATEGORY_SO:
        return 1;
    default:
        return 0;
    }
}

static int32_t md_at(const char *s, size_t n, size_t j)
{
    int32_t c;

    if (j >= n)
        return ' ';
    text__decode_lossy(s + j, n - j, &c);
    return c;
}

/* Index of the ']' closing the '[' at s[i], or NOPOS. */
static size_t md_bracket(const char *s, size_t n, size_t i)
{
    unsigned depth = 0;

    for (size_t j = i; j < n; j++) {
        if (s[j] == '\\' && j + 1 < n) {
            j++;
        } else if (s[j] == '[') {
            depth++;
        } else if (s[j] == ']' && --depth == 0) {
            return j;
        }
    }
    return NOPOS;
}

/* Index of the ')' closing the '(' at s[i], or NOPOS. */
static size_t md_paren(const char *s, size_t n, size_t i)
{
    unsigned depth = 0;

    for (size_t j = i; j < n; j++) {
        if (s[j] == '\\' && j + 1 < n) {
            j++;
        } else if (s[j] == '<' && j == i + 1) {
            /* <destination with spaces or parentheses> */
            while (j < n && s[j] != '>')
                j++;
        } else if (s[j] == '(') {
            depth++;
        } else if (s[j] == ')' && --depth == 0) {
            return j;
        }
    }
    return NOPOS;
}

/* Length of the autolink "<scheme:...>" or tag "<b>", "</span>",
 * "<img src=x/>" at s[i], or 0.  *keep: the autolink's URL stays. */
static size_t md_angle(const char *s, size_t n, size_t i, int *keep)
{
    size_t j = i + 1, k;

    *keep = 0;
    k = j;
    while (k < n && k - j < 32 &&
           ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
            (k > j && ((s[k] >= '0' && s[k] <= '9') || s[k] == '+' || s[k] == '.' || s[k] == '-'))))
        k++;
    if (k - j >= 2 && k < n && s[k] == ':') {
        while (k < n && s[k] != '>' && s[k] != '<' && s[k] != ' ')
            k++;
        if (k < n && s[k] == '>') {
            *keep = 1;
            return k + 1 - i;
        }
        return 0;
    }
    if (j < n && s[j] == '/')
        j++;
    k = j;
    while (k < n && ((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
                     (k > j && ((s[k] >= '0' && s[k] <= '9') || s[k] == '-'))))
        k++;
    if (k == j || k >= n)
        return 0;
    if (s[k] == ' ' || s[k] == '\t') {
        while (k < n && s[k] != '>' && s[k] != '<')
            k++;
    } else if (s[k] == '/') {
        k++;
    }
    return k < n && s[k] == '>' ? k + 1 - i : 0;
}

static void md_mark(unsigned char *fl, size_t b, size_t e, unsigned char f)
{
    for (size_t k = b; k < e; k++)
        fl[k] |= f;
}

/* CommonMark's "process emphasis" over the runs, marking the delimiters
 * that pair up as dropped. */
static void md_emphasis(struct md_run *run, size_t nrun, unsigned char *fl)
{
    size_t *stack = xmalloc((nrun + 1) * sizeof(*stack)), top = 0;

    for (size_t r = 0; r < nrun; r++) {
        struct md_run *cl = &run[r];

        while (cl->close && cl->e > cl->b) {
            size_t s = top, k;
            struct md_run *op = NULL;

            while (s > 0) {
                struct md_run *o = &run[stack[s - 1]];

                if (o->ch == cl->ch && o->e > o->b &&
                    (cl->ch != '~' || (o->len == 2 && cl->len == 2)) &&
                    !((o->close || cl->open) && (o->len + cl->len) % 3 == 0 &&
                      !(o->len % 3 == 0 && cl->len % 3 == 0))) {
                    op = o;
                    break;
                }
                s--;
            }
            if (op == NULL)
                break;
            k = op->e - op->b >= 2 && cl->e - cl->b >= 2 ? 2 : 1;
            md_mark(fl, op->e - k, op->e, MD_DROP);
            md_mark(fl, cl->b, cl->b + k, MD_DROP);
            op->e -= k;
            cl->b += k;
            top = op->e > op->b ? s : s - 1;
        }
        if (cl->open && cl->e > cl->b)
            stack[top++] = r;
    }
    free(stack);
}

/* One line of inline content being read: a flag per byte (MD_DROP,
 * MD_LIT; 0 for what is still to read) and the delimiter runs found. */
struct md_scan {
    const char *s;
    size_t n;
    unsigned char *fl;
    struct md_run *run;
    size_t nrun, cap;
};

/* A code span at s[i], "`x`" or "``x``": the backticks go, the text is
 * literal.  Returns where reading goes on. */
static size_t md_code(struct md_scan *m, size_t i)
{
    const char *s = m->s;
    size_t n = m->n, j, k;

    for (k = i; k < n && s[k] == '`'; k++)
        ;
    /* The closing run has exactly as many backticks. */
    for (j = k; j < n; j++) {
        size_t e = j;

        if (s[j] != '`')
            continue;
        while (e < n && s[e] == '`')
            e++;
        if (e - j == k - i)
            break;
        j = e;
    }
    if (j >= n) {
        md_mark(m->fl, i, k, MD_LIT);
        return k;
    }
    md_mark(m->fl, i, k, MD_DROP);
    md_mark(m->fl, k, j, MD_LIT);
    md_mark(m->fl, j, j + (k - i), MD_DROP);
    return j + (k - i);
}

/* A link or image at s[i], "[text](url)", "[text][ref]", "![alt](src)",
 * whose text stays and is read on, or a footnote mark "[^1]", which goes.
 * Returns where reading goes on. */
static size_t md_link(struct md_scan *m, size_t i)
{
    const char *s = m->s;
    size_t n = m->n, lb = s[i] == '!' ? i + 1 : i, rb = md_bracket(s, n, lb), end = NOPOS;

    if (rb != NOPOS && lb + 1 < n && s[lb + 1] == '^' && s[i] == '[') {
        md_mark(m->fl, lb, rb + 1, MD_DROP); /* footnote reference */
        return rb + 1;
    }
    if (rb != NOPOS && rb + 1 < n && s[rb + 1] == '(')
        end = md_paren(s, n, rb + 1);
    else if (rb != NOPOS && rb + 1 < n && s[rb + 1] == '[')
        end = md_bracket(s, n, rb + 1);
    if (end == NOPOS) {
        m->fl[i] |= MD_LIT;
        return i + 1;
    }
    md_mark(m->fl, i, lb + 1, MD_DROP);
    md_mark(m->fl, rb, end + 1, MD_DROP);
    return lb + 1;
}

/* The autolink or tag of k bytes at s[i] (md_angle()): an autolink keeps
 * its URL, a tag goes. */
static size_t md_tag(struct md_scan *m, size_t i, size_t k, int keep)
{
    if (keep) {
        m->fl[i] |= MD_DROP;
        md_mark(m->fl, i + 1, i + k - 1, MD_LIT);
        m->fl[i + k - 1] |= MD_DROP;
    } else {
        md_mark(m->fl, i, i + k, MD_DROP);
    }
    return i + k;
}

/* A run of '*', '_' or '~' at s[i], noted with whether it may open or
 * close emphasis (CommonMark's flanking rules; '_' is stricter inside a
 * word).  Returns the end of the run. */
static size_t md_delims(struct md_scan *m, size_t i)
{
    const char *s = m->s;
    char c = s[i];
    size_t k;
    int32_t before, after;
    int bs, as, bp, ap, left, right;
    struct md_run *r;

    for (k = i; k < m->n && s[k] == c && m->fl[k] == 0; k++)
        ;
    before = text__cp_before(s, i);
    after = md_at(s, m->n, k);
    bs = is_title_space(before);
    as = is_title_space(after);
    bp = is_md_punct(before);
    ap = is_md_punct(after);
    left = !as && (!ap || bs || bp);
    right = !bs && (!bp || as || ap);
    if (m->nrun == m->cap) {
        m->cap = m->cap > 0 ? 2 * m->cap : 16;
        m->run = xrealloc(m->run, m->cap * sizeof(*m->run));
    }
    r = &m->run[m->nrun++];
    r->b = i;
    r->len = k - i;
    r->e = k;
    r->ch = c;
    r->open = (unsigned char)(c == '_' ? left && (!right || bp) : left);
    r->close = (unsigned char)(c == '_' ? right && (!left || ap) : right);
    return k;
}

/* Append (s, n), one line of Markdown inline content, to out without its
 * syntax: "**Nghị định** [30/2020](url) `NĐ-CP`" -> "Nghị định 30/2020
 * NĐ-CP".  n is at most MD_LINE_MAX. */
static void md_inline(const char *s, size_t n, struct buf *out)
{
    struct md_scan m = {s, n, xcalloc(n + 1, 1), NULL, 0, 0};
    size_t i = 0, k;
    int keep;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];

        if (m.fl[i] != 0) {
            i++;
        } else if (c == '\\' && i + 1 < n && is_ascii_punct((unsigned char)s[i + 1])) {
            m.fl[i] |= MD_DROP;
            m.fl[i + 1] |= MD_LIT;
            i += 2;
        } else if (c == '`') {
            i = md_code(&m, i);
        } else if (c == '[' || (c == '!' && i + 1 < n && s[i + 1] == '[')) {
            i = md_link(&m, i);
        } else if (c == '<' && (k = md_angle(s, n, i, &keep)) > 0) {
            i = md_tag(&m, i, k, keep);
        } else if (c == '*' || c == '_' || c == '~') {
            i = md_delims(&m, i);
        } else {
            i++;
        }
    }
    md_emphasis(m.run, m.nrun, m.fl);
    for (i = 0; i < n; i++)
        if (!(m.fl[i] & MD_DROP))
            (void)buf_addc(out, s[i]);
    free(m.run);
    free(m.fl);
}

/* [b, e) of the line at i and the start of the next; e is before "\r\n". */
static size_t md_line(const char *s, size_t n, size_t i, size_t *e)
{
    const char *nl = i < n ? memchr(s + i, '\n', n - i) : NULL;
    size_t k = nl != NULL ? (size_t)(nl - s) : n;

    *e = k;
    while (*e > i && (s[*e - 1] == '\r' || s[*e - 1] == ' ' || s[*e - 1] == '\t'))
        (*e)--;
    return nl != NULL ? k + 1 : n;
}

/* Up to three spaces of indentation; NOPOS for more (indented code). */
static size_t md_indent(const char *s, size_t b, size_t e)
{
    size_t k = b;

    while (k < e && s[k] == ' ' && k - b < 4)
        k++;
    return k - b >= 4 ? NOPOS : k;
}

/* "---", "* * *", "___": a thematic break (or a front-matter fence). */
static int md_break(const char *s, size_t b, size_t e)
{
    size_t k = md_indent(s, b, e), count = 0;
    char ch;

    if (k == NOPOS || k >= e || (s[k] != '-' && s[k] != '*' && s[k] != '_'))
        return 0;
    ch = s[k];
    for (; k < e; k++) {
        if (s[k] == ch)
            count++;
        else if (s[k] != ' ' && s[k] != '\t')
            return 0;
    }
    return count >= 3;
}

/* "===" or "---" under a paragraph line. */
static int md_underline(const char *s, size_t b, size_t e)
{
    size_t k = md_indent(s, b, e);
    char ch;

    if (k == NOPOS || k >= e || (s[k] != '=' && s[k] != '-'))
        return 0;
    for (ch = s[k]; k < e && s[k] == ch; k++)
        ;
    return k == e;
}

/* A line that opens some other block than a paragraph, so that a line of
 * dashes under it is no Setext underline: a list item, a quote, a fence,
 * HTML, a table row. */
static int md_other_block(const char *s, size_t b, size_t e)
{
    size_t k = md_indent(s, b, e), d;

    if (k == NOPOS)
        return 1;
    if (s[k] == '>' || s[k] == '<' || s[k] == '|' ||
        (e - k >= 3 && (memcmp(s + k, "```", 3) == 0 || memcmp(s + k, "~~~", 3) == 0)))
        return 1;
    if ((s[k] == '-' || s[k] == '*' || s[k] == '+') && (k + 1 == e || s[k + 1] == ' '))
        return 1;
    for (d = k; d < e && d - k < 9 && s[d] >= '0' && s[d] <= '9'; d++)
        ;
    return d > k && d < e && (s[d] == '.' || s[d] == ')') && (d + 1 == e || s[d + 1] == ' ');
}

/* An ATX heading "## Title ##": 1 with its text in [*cb, *ce). */
static int md_atx(const char *s, size_t b, size_t e, size_t *cb, size_t *ce)
{
    size_t k = md_indent(s, b, e), h;

    if (k == NOPOS)
        return 0;
    for (h = k; h < e && s[h] == '#'; h++)
        ;
    if (h == k || h - k > 6 || (h < e && s[h] != ' ' && s[h] != '\t'))
        return 0;
    while (h < e && (s[h] == ' ' || s[h] == '\t'))
        h++;
    /* The optional closing sequence: "#"s after a space, or nothing but "#"s. */
    for (k = e; k > h && s[k - 1] == '#'; k--)
        ;
    if (k == h)
        e = h;
    else if (k < e && (s[k - 1] == ' ' || s[k - 1] == '\t'))
        e = k;
    while (e > h && (s[e - 1] == ' ' || s[e - 1] == '\t'))
        e--;
    *cb = h;
    *ce = e;
    return 1;
}

/* Heading text [b, e) as a title: a trailing attribute block "{#id .cls}"
 * goes, then the inline syntax; fitted to the limits. */
static char *md_heading_title(const char *s, size_t b, size_t e, size_t max_chars,
                              size_t max_bytes)
{
    struct buf out;
    char *r;

    while (b < e && (s[b] == ' ' || s[b] == '\t'))
        b++;
    if (e > b && s[e - 1] == '}') {
        for (size_t k = e - 1; k > b; k--) {
            if (s[k - 1] == '{') {
                if (s[k] == '#' || s[k] == '.') {
                    e = k - 1;
                    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
                        e--;
                }
                break;
            }
        }
    }
    if (e - b > MD_LINE_MAX) {
        e = b + MD_LINE_MAX;
        while (e > b && ((unsigned char)s[e] & 0xC0) == 0x80)
            e--;
    }
    buf_init(&out, BUF_NOLIMIT);
    md_inline(s + b, e - b, &out);
    r = text__title_fit(buf_str(&out), out.len, max_chars, max_bytes, 0);
    buf_release(&out);
    return r;
}

/* A heading that is one line [b, e) of s: an ATX heading, or a line all in
 * strong emphasis (the heading of many a converted document: "**QUYẾT
 * ĐỊNH**").  1 with *title its title (new, or NULL for an empty heading),
 * 0 for another line. */
static int md_line_heading(const char *s, size_t b, size_t e, size_t max_chars, size_t max_bytes,
                           char **title)
{
    size_t cb, ce;

    *title = NULL;
    if (md_atx(s, b, e, &cb, &ce)) {
        if (cb < ce)
            *title = md_heading_title(s, cb, ce, max_chars, max_bytes);
        return 1;
    }
    while (b < e && (s[b] == ' ' || s[b] == '\t'))
        b++;
    if (e - b > 4 && ((s[b] == '*' && s[b + 1] == '*' && s[e - 1] == '*' && s[e - 2] == '*') ||
                      (s[b] == '_' && s[b + 1] == '_' && s[e - 1] == '_' && s[e - 2] == '_'))) {
        *title = md_heading_title(s, b, e, max_chars, max_bytes);
        return 1;
    }
    return 0;
}

/* The title of a front-matter line [b, e) of s that is its "title:" (YAML)
 * or "title =" (TOML) key; NULL for another line or a block scalar. */
static char *fm_title(const char *s, size_t b, size_t e, size_t max_chars, size_t max_bytes)
{
    size_t v = b + 5, ve = e;
    char *r = NULL;

    if (e - b <= 5 || memcmp(s + b, "title", 5) != 0)
        return NULL;
    while (v < e && (s[v] == ' ' || s[v] == '\t'))
        v++;
    if (v >= e || (s[v] != ':' && s[v] != '='))
        return NULL;
    v++;
    while (v < e && (s[v] == ' ' || s[v] == '\t'))
        v++;
    if (v < e && (s[v] == '"' || s[v] == '\'')) {
        /* A quoted string; escapes other than the quote stay as written. */
        char q = s[v++];
        struct buf val;

        buf_init(&val, BUF_NOLIMIT);
        for (; v < e; v++) {
            if (s[v] == q && !(q == '\'' && v + 1 < e && s[v + 1] == '\''))
                break;
            if ((q == '"' && s[v] == '\\' && v + 1 < e) || (q == '\'' && s[v] == q))
                v++; /* \" in YAML and TOML, '' in YAML */
            (void)buf_addc(&val, s[v]);
        }
        r = text__title_fit(buf_str(&val), val.len, max_chars, max_bytes, 0);
        buf_release(&val);
    } else if (v < e && s[v] != '|' && s[v] != '>') {
        /* A plain scalar ends at a comment. */
        for (size_t k = v + 1; k < e; k++)
            if (s[k] == '#' && (s[k - 1] == ' ' || s[k - 1] == '\t')) {
                ve = k;
                break;
            }
        r = text__title_fit(s + v, ve - v, max_chars, max_bytes, 0);
    }
    return r;
}

/* YAML or TOML front matter at the start of s: 1 when there is some, with
 * *next after its closing fence and *title its title (new, or NULL). */
static int md_front_matter(const char *s, size_t n, size_t max_chars, size_t max_bytes,
                           size_t *next, char **title)
{
    size_t b = 0, e, i, lines = 0;
    const char *fence;

    *title = NULL;
    i = md_line(s, n, 0, &e);
    if (e == 3 && memcmp(s, "---", 3) == 0)
        fence = "---";
    else if (e == 3 && memcmp(s, "+++", 3) == 0)
        fence = "+++";
    else
        return 0;
    while (i < n && lines++ < 200) {
        b = i;
        i = md_line(s, n, b, &e);
        if ((e - b == 3 && memcmp(s + b, fence, 3) == 0) ||
            (fence[0] == '-' && e - b == 3 && memcmp(s + b, "...", 3) == 0)) {
            *next = i;
            return 1;
        }
        if (*title == NULL)
            *title = fm_title(s, b, e, max_chars, max_bytes);
    }
    free(*title);
    *title = NULL;
    return 0;
}

char *text_title_markdown(const char *s, size_t n, size_t max_chars, size_t max_bytes)
{
    size_t i = 0, b, e, nb, ne;
    char *r = NULL;

    if (s == NULL)
        return NULL;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    if (md_front_matter(s, n, max_chars, max_bytes, &i, &r) && r != NULL)
        return r;
    /* Blank lines, rules and one-line comments before the first block,
     * whose first line is then [b, e). */
    for (;;) {
        size_t v;

        if (i >= n)
            return NULL;
        b = i;
        i = md_line(s, n, b, &e);
        for (v = b; v < e && (s[v] == ' ' || s[v] == '\t'); v++)
            ;
        if (v == e || md_break(s, b, e) ||
            (e - v >= 7 && memcmp(s + v, "<!--", 4) == 0 && memcmp(s + e - 3, "-->", 3) == 0))
            continue;
        break;
    }
    if (md_line_heading(s, b, e, max_chars, max_bytes, &r))
        return r;
    nb = i;
    md_line(s, n, nb, &ne);
    if (nb < n && ne > nb && md_underline(s, nb, ne) && !md_other_block(s, b, e))
        return md_heading_title(s, b, e, max_chars, max_bytes);
    return NULL;
}
