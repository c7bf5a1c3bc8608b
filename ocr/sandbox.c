/* The OCR worker's sandbox (see sandbox.h for the steps and their order).
 *
 * DESIGN
 *
 * The worker parses files from anywhere with three large C/C++ libraries;
 * a bug in one of them must not hand an attacker a root shell, the network
 * or the parent's descriptors.  Every step here is one the worker applies
 * to itself, so the parent needs no privilege beyond what it has, and the
 * worker never needs a path to the documents: the pool opens each file and
 * passes the descriptor (ocr/pool.c), so the user the worker switches to
 * does not need read access to the archive.
 *
 * Order matters: the user is looked up before anything is closed or
 * filtered (NSS may open files or talk to nscd over a socket); the network
 * namespace needs root, so it comes before the switch; the parent-death
 * signal is cleared by a change of credentials, so it comes after; the
 * filter comes last, when nothing the worker does at start still needs a
 * socket.
 *
 * The filter is a deny list on top of "allow": its job is the network, not
 * a complete system-call policy.  Non-native system call ABIs (i386 calls
 * from an x86-64 process) are killed, libseccomp's default. */
#include "config.h"

#include "ocr/sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <seccomp.h>

static int failing(const struct ocr_sandbox_config *cfg, const char *step)
{
    return cfg->test_fail != NULL && strcmp(cfg->test_fail, step) == 0;
}

/* Note what could not be applied: into st->missing (best effort) or err. */
static int step_failed(const struct ocr_sandbox_config *cfg, struct ocr_sandbox_state *st,
                       struct vt_err *err, int code, const char *what, const char *why)
{
    size_t n = strlen(st->missing);

    if (!cfg->best_effort)
        return vt_err_set(err, code, "cannot confine the ocr worker: %s (%s)", what, why);
    snprintf(st->missing + n, sizeof(st->missing) - n, "%s%s (%s)", n > 0 ? "; " : "", what,
             why);
    return 0;
}

/* ---- 1. user -------------------------------------------------------------- */

/* Switch to pw for good: no groups, real = effective = saved ids, and check
 * that none of it can be undone. */
static int switch_user(const struct passwd *pw, const char **why)
{
    uid_t r, e, s;
    gid_t rg, eg, sg;

    if (setgroups(0, NULL) < 0) {
        *why = "setgroups failed";
        return -errno;
    }
    if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0) {
        *why = "setresgid failed";
        return -errno;
    }
    if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
        *why = "setresuid failed";
        return -errno;
    }
    if (getresuid(&r, &e, &s) < 0 || r != pw->pw_uid || e != pw->pw_uid || s != pw->pw_uid ||
        getresgid(&rg, &eg, &sg) < 0 || rg != pw->pw_gid || eg != pw->pw_gid ||
        sg != pw->pw_gid || getgroups(0, NULL) != 0) {
        *why = "the new ids did not stick";
        return VT_EINTERNAL;
    }
    /* With uid 0 gone, neither may come back. */
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
        *why = "uid 0 could be regained";
        return VT_EINTERNAL;
    }
    if (pw->pw_gid != 0 && pw->pw_uid != 0 && (setgid(0) == 0 || setegid(0) == 0)) {
        *why = "gid 0 could be regained";
        return VT_EINTERNAL;
    }
    return 0;
}

static int apply_user(const struct ocr_sandbox_config *cfg, struct ocr_sandbox_state *st,
                      struct vt_err *err)
{
    const char *name = cfg->user != NULL ? cfg->user : "nobody";
    struct passwd pwd, *pw = NULL;
    char pwbuf[4096], msg[160];
    const char *why = NULL;
    int rc;

    st->uid = geteuid();
    st->gid = getegid();
    if (geteuid() != 0) {
        /* Not root: nothing to drop.  A user asked for by name must be the
         * one we already are. */
        if (cfg->user == NULL)
            return 0;
        errno = 0;
        if (getpwnam_r(name, &pwd, pwbuf, sizeof(pwbuf), &pw) != 0 || pw == NULL) {
            snprintf(msg, sizeof(msg), "no user '%s'", name);
            return step_failed(cfg, st, err, VT_EUSAGE, "cannot run as the configured user",
                               msg);
        }
        snprintf(st->user, sizeof(st->user), "%s", pw->pw_name);
        if (pw->pw_uid != geteuid()) {
            snprintf(msg, sizeof(msg), "switching to '%s' needs root", name);
            return step_failed(cfg, st, err, VT_EUSAGE, "cannot run as the configured user",
                               msg);
        }
        return 0;
    }
    errno = 0;
    if (getpwnam_r(name, &pwd, pwbuf, sizeof(pwbuf), &pw) != 0 || pw == NULL) {
        snprintf(msg, sizeof(msg), "no user '%s'; set [ocr] user", name);
        return step_failed(cfg, st, err, VT_EUSAGE, "still running as root", msg);
    }
    snprintf(st->user, sizeof(st->user), "%s", pw->pw_name);
    /* The network namespace needs root: now or never.  A second layer
     * under the filter, so a refusal (a container without CAP_SYS_ADMIN)
     * is not an error. */
    if (unshare(CLONE_NEWNET) == 0)
        st->netns = 1;
    if (pw->pw_uid == 0) /* [ocr] user = root: asked for, no drop */
        return 0;
    if (failing(cfg, "user")) {
        rc = -EPERM;
        why = "setresuid failed";
    } else {
        rc = switch_user(pw, &why);
    }
    if (rc < 0) {
        snprintf(msg, sizeof(msg), "switching to '%s': %s: %s", name, why, vt_strerror(rc));
        return step_failed(cfg, st, err, rc, "still running as root", msg);
    }
    st->dropped = 1;
    st->uid = pw->pw_uid;
    st->gid = pw->pw_gid;
    return 0;
}

/* ---- 3. descriptors ------------------------------------------------------ */

/* Up to cap of the open descriptors, as /proc/self/fd lists them (without
 * the one that reads it), into fds; returns how many. */
static int open_fds(int *fds, int cap)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    int k = 0;

    if (d == NULL)
        return 0;
    while (k < cap && (de = readdir(d)) != NULL)
        if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && atoi(de->d_name) != dirfd(d))
            fds[k++] = atoi(de->d_name);
    closedir(d);
    return k;
}

/* Close every descriptor above keep_max; returns how many were open.
 * /proc/self/fd lists them (and gives the count for the selftest); a
 * close_range() or a loop then catches any /proc did not show. */
static int close_above(int keep_max)
{
    int n = 0, fds[1024];
    int k = open_fds(fds, (int)(sizeof(fds) / sizeof(fds[0])));
    long max;

    for (int i = 0; i < k; i++)
        if (fds[i] > keep_max && close(fds[i]) == 0)
            n++;
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)keep_max + 1, ~0U, 0) == 0)
        return n;
#endif
    max = sysconf(_SC_OPEN_MAX);
    for (int fd = keep_max + 1; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
        if (close(fd) == 0)
            n++;
    return n;
}

/* ---- 5. the network filter ------------------------------------------------ */

static int load_filter(const char **why)
{
    static const int denied[] = {
        SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind),
        SCMP_SYS(listen), SCMP_SYS(accept),     SCMP_SYS(accept4),
    };
    static const int no_uring[] = {
        SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register),
    };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int rc = 0;

    if (ctx == NULL) {
        *why = "seccomp_init failed";
        return VT_ENOMEM;
    }
    /* Threads that libraries' constructors may have started get it too. */
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    for (size_t i = 0; rc == 0 && i < sizeof(denied) / sizeof(denied[0]); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), denied[i], 0);
    for (size_t i = 0; rc == 0 && i < sizeof(no_uring) / sizeof(no_uring[0]); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), no_uring[i], 0);
    if (rc < 0) {
        *why = "seccomp_rule_add failed";
        goto out;
    }
    rc = seccomp_load(ctx);
    if (rc < 0)
        *why = "seccomp_load failed";
out:
    seccomp_release(ctx);
    return rc;
}

int ocr_sandbox_apply(const struct ocr_sandbox_config *cfg, struct ocr_sandbox_state *st,
                      struct vt_err *err)
{
    const char *why = NULL;
    char msg[160];
    int rc;

    memset(st, 0, sizeof(*st));
    rc = apply_user(cfg, st, err);
    if (rc < 0)
        return rc;
    if (st->user[0] == '\0') {
        struct passwd pwd, *pw = NULL;
        char pwbuf[4096];

        if (getpwuid_r(geteuid(), &pwd, pwbuf, sizeof(pwbuf), &pw) == 0 && pw != NULL)
            snprintf(st->user, sizeof(st->user), "%s", pw->pw_name);
        else
            snprintf(st->user, sizeof(st->user), "%lu", (unsigned long)geteuid());
    }

    /* 2. Die with the parent; if it is already gone, go now. */
    if (cfg->parent > 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != cfg->parent)
            _exit(1);
    }

    /* 3. */
    st->fds_closed = close_above(cfg->keep_fd_max);

    /* 4. */
    if (failing(cfg, "no-new-privs") || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        snprintf(msg, sizeof(msg), "PR_SET_NO_NEW_PRIVS: %s",
                 strerror(failing(cfg, "no-new-privs") ? EPERM : errno));
        rc = step_failed(cfg, st, err, -EPERM, "privileges can be regained", msg);
        if (rc < 0)
            return rc;
    } else {
        st->no_new_privs = 1;
    }

    /* 5. */
    rc = failing(cfg, "seccomp") ? -EPERM : load_filter(&why);
    if (rc < 0) {
        snprintf(msg, sizeof(msg), "seccomp: %s: %s", why != NULL ? why : "seccomp_load failed",
                 strerror(-rc));
        rc = step_failed(cfg, st, err, rc, "network not blocked", msg);
        if (rc < 0)
            return rc;
    } else {
        st->seccomp = 1;
    }
    return 0;
}

/* ---- selftest -------------------------------------------------------------- */

static void result(struct buf *out, const char *name, int rc)
{
    buf_printf(out, "%s: %s\n", name, rc >= 0 ? "ok" : strerrorname_np(errno));
}

/* Who the worker is and what confines it. */
static void probe_ids(const struct ocr_sandbox_state *st, struct buf *out)
{
    uid_t r, e, s;
    gid_t rg, eg, sg;

    getresuid(&r, &e, &s);
    getresgid(&rg, &eg, &sg);
    buf_printf(out, "user: %s\n", st->user);
    buf_printf(out, "pid: %ld sid: %ld pgid: %ld\n", (long)getpid(), (long)getsid(0),
               (long)getpgid(0));
    buf_printf(out, "uid: %lu %lu %lu\n", (unsigned long)r, (unsigned long)e, (unsigned long)s);
    buf_printf(out, "gid: %lu %lu %lu\n", (unsigned long)rg, (unsigned long)eg,
               (unsigned long)sg);
    buf_printf(out, "groups: %d\n", getgroups(0, NULL));
    buf_printf(out, "no_new_privs: %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    buf_printf(out, "seccomp: %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
    buf_printf(out, "netns: %s\n", st->netns ? "private" : "shared");
    buf_printf(out, "missing: %s\n", st->missing[0] ? st->missing : "-");
}

/* New sockets, of every family the filter must refuse. */
static void probe_sockets(struct buf *out)
{
    static const struct {
        const char *name;
        int family, type;
    } socks[] = {
        {"socket AF_INET", AF_INET, SOCK_STREAM},
        {"socket AF_INET6", AF_INET6, SOCK_STREAM},
        {"socket AF_UNIX", AF_UNIX, SOCK_STREAM},
        {"socket AF_NETLINK", AF_NETLINK, SOCK_RAW},
    };
    int fd, sv[2], rc;

    for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
        fd = socket(socks[i].family, socks[i].type | SOCK_CLOEXEC, 0);
        result(out, socks[i].name, fd);
        if (fd >= 0)
            close(fd);
    }
    rc = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    result(out, "socketpair AF_UNIX", rc);
    if (rc == 0) {
        close(sv[0]);
        close(sv[1]);
    }
}

/* Using a socket: connect, and bind and listen on an inherited one. */
static void probe_network(struct buf *out)
{
    struct sockaddr_in sin;
    struct sockaddr_un sun;
    int fd, rc;

    /* A connect needs a socket; without one, try the inherited stdin
     * (a socket from the pool): the filter refuses before any check. */
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(9);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = connect(fd >= 0 ? fd : STDIN_FILENO, (struct sockaddr *)&sin, sizeof(sin));
    result(out, "connect 127.0.0.1:9", rc);
    if (fd >= 0)
        close(fd);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX; /* autobind: an abstract name */
    rc = bind(STDIN_FILENO, (struct sockaddr *)&sun, sizeof(sa_family_t));
    result(out, "bind inherited", rc);
    rc = listen(STDIN_FILENO, 1);
    result(out, "listen inherited", rc);
}

void ocr_sandbox_probe(const struct ocr_sandbox_state *st, struct buf *out)
{
    char params[120];
    int fds[1024], n, rc;

    probe_ids(st, out);
    probe_sockets(out);
    probe_network(out);
    memset(params, 0, sizeof(params));
    rc = (int)syscall(SYS_io_uring_setup, 1, params);
    result(out, "io_uring_setup", rc);
    if (rc >= 0)
        close(rc);
    rc = setuid(0);
    result(out, "setuid 0", rc);
    n = open_fds(fds, (int)(sizeof(fds) / sizeof(fds[0])));
    buf_adds(out, "fds:");
    for (int i = 0; i < n; i++)
        buf_printf(out, " %d", fds[i]);
    buf_adds(out, "\n");
}
