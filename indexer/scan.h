/* Walking archive folders: every regular file under a set of roots, each
 * reported once, with the problems a real archive has reported instead of
 * stopping the walk.
 *
 * Rules: symlinks are followed only when their target lies inside one of
 * the roots (DESIGN §10); a directory is entered once, so a symlink loop
 * ends with a "symlink loop" problem; a file reached twice (a symlink to a
 * file inside the archive) is reported once, under the first path seen;
 * unreadable directories are problems, not failures.
 *
 * Threads: the walk runs on the calling thread and calls back on it. */
#ifndef VT_INDEXER_SCAN_H
#define VT_INDEXER_SCAN_H

#include <stddef.h>
#include <sys/stat.h>

struct scan_file {
    const char *path;      /* absolute, borrowed for the call */
    const struct stat *st; /* of the file itself (symlinks resolved) */
};

/* Return a negative code to stop the walk (it is returned by scan_run). */
typedef int (*scan_file_cb)(void *data, const struct scan_file *f);
/* A path that was skipped and why ("symlink loop", "permission denied"). */
typedef void (*scan_problem_cb)(void *data, const char *path, const char *why);

/* Resolve root into an absolute canonical path.  New string (free) or NULL
 * with err set. */
struct vt_err;
char *scan_root(const char *root, struct vt_err *err);

/* Walk roots (canonical, from scan_root) in order. */
int scan_run(char *const *roots, size_t nroots, scan_file_cb file_cb,
             scan_problem_cb problem_cb, void *data);

/* 1 if path is root or lies below it. */
int scan_under(const char *path, const char *root);

#endif
