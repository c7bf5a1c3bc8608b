/* The data folder's serve.lock: see datalock.h. */
#include "config.h"

#include "cli/datalock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/safefile.h"
#include "common/xalloc.h"

#define LOCK_NAME "serve.lock"
#define LOCK_MAX 4096

/* Parse "pid\nlisten\narchive\n..." into a sentence for the user. */
static void describe(int fd, char *out, size_t n)
{
    char buf[LOCK_MAX];
    ssize_t got = pread(fd, buf, sizeof(buf) - 1, 0);
    char *pid, *listen, *arch, *save = NULL;

    if (got <= 0) {
        snprintf(out, n, "a running vanthu serve");
        return;
    }
    buf[got] = '\0';
    pid = strtok_r(buf, "\n", &save);
    listen = strtok_r(NULL, "\n", &save);
    arch = strtok_r(NULL, "\n", &save);
    snprintf(out, n, "a running vanthu serve (pid %s, http://%s/, archive '%s')", pid ? pid : "?",
             listen ? listen : "?", arch ? arch : "?");
}

int datalock_take(const char *data_dir, const char *listen, char *const *archives,
                  size_t narchives, struct vt_err *err)
{
    char *path;
    FILE *f;
    int fd, rc;

    if ((rc = vt_mkdir_p(data_dir, 0700)) < 0)
        return vt_err_set(err, rc, "cannot create the data folder '%s': %s", data_dir,
                          strerror(-rc));
    path = xasprintf("%s/" LOCK_NAME, data_dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    free(path);
    if (fd < 0)
        return vt_err_set(err, -errno, "cannot open '%s/" LOCK_NAME "': %s", data_dir,
                          strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        char who[512];
        rc = errno == EWOULDBLOCK ? VT_ELOCKED : -errno;
        describe(fd, who, sizeof(who));
        close(fd);
        return vt_err_set(err, rc, "the data folder '%s' is already used by %s", data_dir, who);
    }
    /* Written through a dup so fclose leaves the locked descriptor open. */
    rc = ftruncate(fd, 0);
    f = rc == 0 ? fdopen(dup(fd), "w") : NULL;
    if (f != NULL) {
        fprintf(f, "%ld\n%s\n", (long)getpid(), listen);
        for (size_t i = 0; i < narchives; i++)
            fprintf(f, "%s\n", archives[i]);
        fclose(f);
    }
    return fd;
}

int datalock_check_free(const char *data_dir, struct vt_err *err)
{
    char *path = xasprintf("%s/" LOCK_NAME, data_dir);
    char who[512];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    free(path);
    if (fd < 0)
        return 0;
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        close(fd);
        return 0;
    }
    describe(fd, who, sizeof(who));
    close(fd);
    return vt_err_set(err, VT_ELOCKED, "%s", who);
}
