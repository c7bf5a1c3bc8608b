/* Opening an archive file without trusting the archive.
 *
 * Anyone who can write into an archive folder can replace an indexed file
 * by a symlink to /etc/shadow, flip a directory for a symlink between our
 * check and our open, or swap two names with renameat2(RENAME_EXCHANGE).
 * Every reader of an original (extraction, OCR, the file route, export,
 * fixity) therefore opens it here: relative to its archive root, following
 * no symlink in any component below the root, and then checks the open
 * descriptor (never the path again) against what the record says.
 *
 * The root itself is configuration, not archive content, so it may be or
 * sit under a symlink (a mount point, /srv -> /data/srv).
 *
 * Errors: negative codes.  -ELOOP: a component is a symlink; -EXDEV: the
 * path leads outside the root; -ENOENT/-ENOTDIR: gone; VT_EBADINPUT: not a
 * regular file (fifo, device, directory); VT_EAGAIN: the file is not the
 * one recorded (vt_file_check).  err (may be NULL) names the path.
 * Threads: any; nothing here blocks longer than the open itself (fifos are
 * opened O_NONBLOCK, so a fifo swapped in never hangs the caller). */
#ifndef VT_COMMON_SAFEFILE_H
#define VT_COMMON_SAFEFILE_H

#include <stdint.h>
#include <sys/stat.h>

#include "common/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a record knows of the file it was made from.  Zero dev and ino mean
 * "not recorded" (records written before they were kept): then only size
 * and mtime are compared. */
struct vt_file_id {
    uint64_t dev;
    uint64_t ino;
    int64_t size;
    int64_t mtime_ns;
};

/* Open ROOT/REL read-only (O_CLOEXEC | O_NOCTTY, blocking mode restored
 * after the open).  REL must be relative, without "..": it is resolved
 * beneath ROOT with no symlink anywhere (openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS where the kernel has it, else an O_NOFOLLOW walk of
 * each component).  On success returns the descriptor (caller closes it)
 * and fills *st (may be NULL) from fstat; the file is a regular file. */
int vt_open_beneath(const char *root, const char *rel, struct stat *st, struct vt_err *err);

/* The same for an absolute PATH that must lie under ROOT (a prefix ending
 * at a '/').  ROOT NULL or "" opens PATH beneath "/", so no component may
 * be a symlink at all. */
int vt_open_under(const char *root, const char *path, struct stat *st, struct vt_err *err);

/* mkdir -p DIR: missing parents made 0755, DIR itself last_mode (0700 for
 * folders that hold document text).  0 (also when DIR exists) or -errno. */
int vt_mkdir_p(const char *dir, mode_t last_mode);

/* Fill id from st. */
void vt_file_id_of(const struct stat *st, struct vt_file_id *id);

/* 0 if st is the recorded file (device, inode where recorded, size,
 * mtime), else VT_EAGAIN with a message saying which differs. */
int vt_file_check(const struct stat *st, const struct vt_file_id *want, struct vt_err *err);

/* Tests only: nonzero makes vt_open_beneath use the O_NOFOLLOW walk. */
extern int vt__safefile_no_openat2;

#ifdef __cplusplus
}
#endif

#endif
