/* Opening archive files beneath their root, never through a symlink. */
#include "config.h"

#include "common/safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/openat2.h>
#endif

#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW)

/* "." and ".." are refused rather than resolved: an archive path never
 * needs them, and refusing keeps the walk and openat2 in agreement. */
static int rel_ok(const char *rel)
{
    const char *p = rel;

    if (rel[0] == '\0' || rel[0] == '/')
        return 0;
    while (*p != '\0') {
        size_t n = strcspn(p, "/");
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        p += n;
        while (*p == '/')
            p++;
    }
    return 1;
}

#if defined(__linux__) && defined(SYS_openat2)
/* -ENOSYS when the kernel (or a seccomp policy) has no openat2. */
static int open_resolved(int dirfd, const char *rel)
{
    struct open_how how;
    long fd;

    memset(&how, 0, sizeof(how));
    how.flags = OPEN_FLAGS;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    do
        fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
    while (fd < 0 && errno == EINTR);
    if (fd >= 0)
        return (int)fd;
    /* Some container runtimes answer EPERM for syscalls they do not know. */
    if (errno == ENOSYS || errno == EPERM)
        return -ENOSYS;
    return -errno;
}
#else
static int open_resolved(int dirfd, const char *rel)
{
    (void)dirfd;
    (void)rel;
    return -ENOSYS;
}
#endif

/* The portable walk: each directory opened O_NOFOLLOW relative to the one
 * before, so a component swapped for a symlink between two steps is
 * refused by the kernel, not by a check we could race with. */
static int open_walk(int rootfd, const char *rel)
{
    char comp[256];
    const char *p = rel;
    int dirfd = rootfd, fd;

    for (;;) {
        size_t n = strcspn(p, "/");
        const char *next = p + n;
        int last;

        while (*next == '/')
            next++;
        last = *next == '\0';
        if (n >= sizeof(comp)) {
            fd = -ENAMETOOLONG;
            break;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (last) {
            fd = openat(dirfd, comp, OPEN_FLAGS);
            if (fd < 0)
                fd = -errno;
            break;
        }
        fd = openat(dirfd, comp, O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW);
        if (fd < 0) {
            fd = -errno;
            break;
        }
        if (dirfd != rootfd)
            close(dirfd);
        dirfd = fd;
        p = next;
    }
    if (dirfd != rootfd)
        close(dirfd);
    return fd;
}

/* Tests set this to run the walk on kernels that have openat2. */
int vt__safefile_no_openat2;

int vt_open_beneath(const char *root, const char *rel, struct stat *st, struct vt_err *err)
{
    struct stat sb;
    int rootfd, fd = -ENOSYS, fl;

    if (!rel_ok(rel))
        return vt_err_set(err, -EXDEV, "'%s' is not a plain path under its archive folder", rel);
    rootfd = open(root[0] ? root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return vt_err_set(err, -errno, "cannot open the archive folder '%s': %s", root,
                          strerror(errno));
    if (!vt__safefile_no_openat2)
        fd = open_resolved(rootfd, rel);
    if (fd == -ENOSYS)
        fd = open_walk(rootfd, rel);
    close(rootfd);
    if (fd < 0) {
        /* O_NOFOLLOW on a symlink gives ELOOP; on some filesystems a
         * symlinked directory component gives ENOTDIR instead. */
        if (fd == -ELOOP)
            return vt_err_set(err, fd, "'%s' is or passes through a symlink", rel);
        return vt_err_set(err, fd, "cannot open '%s': %s", rel, strerror(-fd));
    }
    if (fstat(fd, &sb) < 0) {
        int e = errno;
        close(fd);
        return vt_err_set(err, -e, "cannot stat '%s': %s", rel, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return vt_err_set(err, VT_EBADINPUT, "'%s' is not a regular file", rel);
    }
    /* O_NONBLOCK only guarded the open against a fifo; readers expect
     * ordinary blocking reads. */
    fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    if (st != NULL)
        *st = sb;
    return fd;
}

int vt_open_under(const char *root, const char *path, struct stat *st, struct vt_err *err)
{
    size_t n;

    if (root == NULL)
        root = "";
    n = strlen(root);
    while (n > 0 && root[n - 1] == '/')
        n--;
    if (path[0] != '/' || strncmp(path, root, n) != 0 || path[n] != '/')
        return vt_err_set(err, -EXDEV, "'%s' is not under the archive folder '%s'", path,
                          root[0] ? root : "/");
    if (n == 0)
        return vt_open_beneath("/", path + 1, st, err);
    {
        char rootbuf[4096];
        if (n >= sizeof(rootbuf))
            return vt_err_set(err, -ENAMETOOLONG, "archive folder name too long");
        memcpy(rootbuf, root, n);
        rootbuf[n] = '\0';
        return vt_open_beneath(rootbuf, path + n + 1, st, err);
    }
}

int vt_mkdir_p(const char *dir, mode_t last_mode)
{
    char path[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof(path))
        return -ENAMETOOLONG;
    memcpy(path, dir, n + 1);
    for (char *s = path + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return -errno;
            *s = '/';
        }
    if (mkdir(path, last_mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

void vt_file_id_of(const struct stat *st, struct vt_file_id *id)
{
    id->dev = (uint64_t)st->st_dev;
    id->ino = (uint64_t)st->st_ino;
    id->size = (int64_t)st->st_size;
    id->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

int vt_file_check(const struct stat *st, const struct vt_file_id *want, struct vt_err *err)
{
    struct vt_file_id have;

    vt_file_id_of(st, &have);
    if ((want->dev != 0 || want->ino != 0) && (have.dev != want->dev || have.ino != want->ino))
        return vt_err_set(err, VT_EAGAIN, "the file was replaced since it was indexed");
    if (have.size != want->size)
        return vt_err_set(err, VT_EAGAIN, "the file changed size since it was indexed (%lld, recorded %lld)",
                          (long long)have.size, (long long)want->size);
    if (have.mtime_ns != want->mtime_ns)
        return vt_err_set(err, VT_EAGAIN, "the file was modified since it was indexed");
    return 0;
}
