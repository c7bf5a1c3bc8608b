/* Recursive walk that follows no symlink; see scan.h.  The walk is
 * iterative over an explicit stack of directory paths so deep trees cannot
 * exhaust the C stack, and a set of (device, inode) pairs remembers every
 * directory and file already reported. */
#include "config.h"

#include "indexer/scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"

struct idset {
    uint64_t *keys; /* (dev, ino) hashed pairs stored side by side */
    size_t cap, n;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* Insert (dev, ino); 1 if it was new, 0 if already present. */
static int idset_add(struct idset *s, dev_t dev, ino_t ino)
{
    uint64_t d = (uint64_t)dev + 1, i = (uint64_t)ino;
    size_t h;

    if (2 * (s->n + 1) > s->cap) {
        struct idset bigger = {NULL, s->cap ? s->cap * 2 : 1024, 0};
        bigger.keys = xcalloc(bigger.cap * 2, sizeof(uint64_t));
        for (size_t k = 0; k < s->cap; k++)
            if (s->keys[2 * k] != 0) {
                size_t hh = mix(s->keys[2 * k] * 31 + s->keys[2 * k + 1]) & (bigger.cap - 1);
                while (bigger.keys[2 * hh] != 0)
                    hh = (hh + 1) & (bigger.cap - 1);
                bigger.keys[2 * hh] = s->keys[2 * k];
                bigger.keys[2 * hh + 1] = s->keys[2 * k + 1];
                bigger.n++;
            }
        free(s->keys);
        *s = bigger;
    }
    h = mix(d * 31 + i) & (s->cap - 1);
    while (s->keys[2 * h] != 0) {
        if (s->keys[2 * h] == d && s->keys[2 * h + 1] == i)
            return 0;
        h = (h + 1) & (s->cap - 1);
    }
    s->keys[2 * h] = d;
    s->keys[2 * h + 1] = i;
    s->n++;
    return 1;
}

char *scan_root(const char *root, struct vt_err *err)
{
    char *p = realpath(root, NULL);

    if (p == NULL)
        vt_err_set(err, -errno, "cannot open '%s': %s", root, strerror(errno));
    return p;
}

int scan_under(const char *path, const char *root)
{
    size_t n = strlen(root);

    if (strcmp(root, "/") == 0)
        return path[0] == '/';
    return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int under_any(const char *path, char *const *roots, size_t nroots)
{
    for (size_t i = 0; i < nroots; i++)
        if (scan_under(path, roots[i]))
            return 1;
    return 0;
}

struct stack {
    char **v;
    size_t n, cap;
};

static void push(struct stack *s, char *p)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = p;
}

/* Why a symlink is not followed, for the problem report. */
static const char *symlink_why(const char *path, char *const *roots, size_t nroots)
{
    char *real = realpath(path, NULL);
    const char *why;
    int e = errno;

    if (real == NULL)
        return e == ELOOP ? "symlink loop" : "broken symlink";
    if (!under_any(real, roots, nroots))
        why = "symlink leads outside the archive";
    else if (scan_under(path, real))
        why = "symlink loop (it leads to a folder above it)";
    else
        why = "symlink not followed (its target is indexed under its own path)";
    free(real);
    return why;
}

/* Visit one path (found in a directory listing or given as a root); lst:
 * its lstat when the caller has it (a path longer than PATH_MAX), else
 * NULL. */
static int visit(const char *path, const struct stat *lst, size_t root, char *const *roots,
                 size_t nroots, struct idset *dirs, struct idset *files, struct stack *todo,
                 scan_file_cb file_cb, scan_problem_cb problem_cb, void *data)
{
    struct stat st;
    struct scan_file f;
    int toolong = strlen(path) >= PATH_MAX;

    if (lst != NULL) {
        st = *lst;
    } else if (lstat(path, &st) < 0) {
        problem_cb(data, path, strerror(errno));
        return 0;
    }
    if (S_ISLNK(st.st_mode)) {
        problem_cb(data, path, toolong ? "symlink not followed" : symlink_why(path, roots, nroots));
        return 0;
    }
    if (S_ISDIR(st.st_mode) && !toolong) {
        if (idset_add(dirs, st.st_dev, st.st_ino))
            push(todo, xstrdup(path));
        return 0;
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        problem_cb(data, path, "not a regular file");
        return 0;
    }
    if (!idset_add(files, st.st_dev, st.st_ino))
        return 0; /* the same file under a second name */
    f.path = path;
    f.st = &st;
    f.root = root;
    return file_cb(data, &f);
}

/* A name in a listing; st is set for paths longer than PATH_MAX, which
 * only fstatat() relative to the open folder can look at. */
struct entry {
    char *path;
    int has_st;
    struct stat st;
};

static int cmp_entries(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

/* The names in dir, sorted (so the walk is in name order); NULL with
 * *n = 0 for an empty or unreadable folder (a problem). */
static struct entry *list_dir(const char *dir, scan_problem_cb problem_cb, void *data, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct entry *names = NULL;
    size_t cap = 0;

    *n = 0;
    if (d == NULL) {
        problem_cb(data, dir, strerror(errno));
        return NULL;
    }
    while ((e = readdir(d)) != NULL) {
        struct entry *en;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            names = xrealloc(names, cap * sizeof(*names));
        }
        en = &names[(*n)++];
        en->path = xasprintf("%s%s%s", dir, strcmp(dir, "/") ? "/" : "", e->d_name);
        en->has_st = strlen(en->path) >= PATH_MAX &&
                     fstatat(dirfd(d), e->d_name, &en->st, AT_SYMLINK_NOFOLLOW) == 0;
        if (strlen(en->path) >= PATH_MAX && !en->has_st) {
            problem_cb(data, en->path, strerror(errno));
            free(en->path);
            (*n)--;
        }
    }
    closedir(d);
    if (*n > 1) /* an empty folder has no array (qsort needs one) */
        qsort(names, *n, sizeof(*names), cmp_entries);
    return names;
}

/* What one walk carries from folder to folder. */
struct walk {
    char *const *roots;
    size_t nroots;
    struct idset dirs, files;
    struct stack todo;
    scan_file_cb file_cb;
    scan_problem_cb problem_cb;
    void *data;
};

/* Visit every name in dir (found under root r); its folders go on the
 * stack so that they pop in name order. */
static int walk_dir(struct walk *wk, const char *dir, size_t r)
{
    size_t nnames, first_dir = wk->todo.n;
    struct entry *names = list_dir(dir, wk->problem_cb, wk->data, &nnames);
    int rc = 0;

    for (size_t i = 0; i < nnames; i++) {
        if (rc >= 0)
            rc = visit(names[i].path, names[i].has_st ? &names[i].st : NULL, r, wk->roots,
                       wk->nroots, &wk->dirs, &wk->files, &wk->todo, wk->file_cb,
                       wk->problem_cb, wk->data);
        free(names[i].path);
    }
    free(names);
    /* Reverse the directories just pushed so they pop in order. */
    for (size_t a = first_dir, b = wk->todo.n; a + 1 < b; a++, b--) {
        char *t = wk->todo.v[a];
        wk->todo.v[a] = wk->todo.v[b - 1];
        wk->todo.v[b - 1] = t;
    }
    return rc;
}

int scan_run(char *const *roots, size_t nroots, scan_file_cb file_cb,
             scan_problem_cb problem_cb, void *data)
{
    struct walk wk = {roots, nroots, {0}, {0}, {0}, file_cb, problem_cb, data};
    int rc = 0;

    for (size_t r = 0; r < nroots && rc >= 0; r++) {
        rc = visit(roots[r], NULL, r, roots, nroots, &wk.dirs, &wk.files, &wk.todo, file_cb,
                   problem_cb, data);
        while (rc >= 0 && wk.todo.n > 0) {
            char *dir = wk.todo.v[--wk.todo.n];
            rc = walk_dir(&wk, dir, r);
            free(dir);
        }
    }
    while (wk.todo.n > 0)
        free(wk.todo.v[--wk.todo.n]);
    free(wk.todo.v);
    free(wk.dirs.keys);
    free(wk.files.keys);
    return rc;
}
