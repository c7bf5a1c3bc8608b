/* Walking archive folders: every regular file under a set of roots, each
 * reported once, with the problems a real archive has reported instead of
 * stopping the walk.
 *
 * Rules: symlinks are never followed.  Every reader of an original opens
 * it beneath its archive folder through no symlink (common/safefile.h), so
 * a path through a symlink could not be read; a symlink whose target lies
 * inside the archive loses nothing, since the walk meets the target under
 * its own path.  Each symlink is a problem saying which kind it is (a
 * loop, leading outside the archive, broken, or not followed).  A file
 * reached twice (a hard link) is reported once, under the first path seen;
 * unreadable directories are problems, not failures.  A path longer than
 * PATH_MAX (which no system call takes) is reported as a file, with the
 * stat of the file or folder it names (found relative to its parent), so
 * that it can be recorded with the reason: the walk does not enter such a
 * folder.
 *
 * Threads: the walk runs on the calling thread and calls back on it. */
#ifndef VT_INDEXER_SCAN_H
#define VT_INDEXER_SCAN_H

#include <stddef.h>
#include <sys/stat.h>

struct scan_file {
    const char *path;      /* absolute, borrowed for the call */
    const struct stat *st; /* its lstat: a regular file, or a folder when
                            * the path is longer than PATH_MAX */
    size_t root;           /* index in roots of the root it was found under */
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
