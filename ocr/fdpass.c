/* File descriptor passing between the pool and its workers (see fdpass.h). */
#include "config.h"

#include "ocr/fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

union fd_cmsg {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
};

/* One message: the 8-byte job id at id, room for one descriptor in c. */
static void msg_init(struct msghdr *msg, struct iovec *iov, uint64_t *id, union fd_cmsg *c)
{
    memset(msg, 0, sizeof(*msg));
    memset(c, 0, sizeof(*c));
    iov->iov_base = id;
    iov->iov_len = sizeof(*id);
    msg->msg_iov = iov;
    msg->msg_iovlen = 1;
    msg->msg_control = c->buf;
    msg->msg_controllen = sizeof(c->buf);
}

int ocr_fdpass_send(int sock, uint64_t id, int fd)
{
    struct msghdr msg;
    struct iovec iov;
    union fd_cmsg c;
    struct cmsghdr *cm;
    ssize_t n;

    msg_init(&msg, &iov, &id, &c);
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    do
        n = sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    return n == (ssize_t)sizeof(id) ? 0 : -EIO;
}

int ocr_fdpass_recv(int sock, uint64_t id, int *fd, struct vt_err *err)
{
    struct msghdr msg;
    struct iovec iov;
    union fd_cmsg c;
    struct cmsghdr *cm;
    uint64_t got = 0;
    int received = -1, nfds = 0;
    ssize_t n;

    *fd = -1;
    msg_init(&msg, &iov, &got, &c);
    do
        n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return vt_err_set(err, -errno, "no file descriptor came with job %llu: %s",
                          (unsigned long long)id, strerror(errno));
    for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        for (size_t k = 0; k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
            int f;

            memcpy(&f, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
            if (nfds++ == 0)
                received = f;
            else
                close(f);
        }
    }
    if (nfds != 1 || (msg.msg_flags & MSG_CTRUNC) || n != (ssize_t)sizeof(got)) {
        if (received >= 0)
            close(received);
        return vt_err_set(err, VT_EINTERNAL,
                          "job %llu came with %d file descriptors instead of one",
                          (unsigned long long)id, nfds);
    }
    if (got != id) {
        close(received);
        return vt_err_set(err, VT_EINTERNAL, "file descriptor for job %llu came with job %llu",
                          (unsigned long long)got, (unsigned long long)id);
    }
    *fd = received;
    return 0;
}
