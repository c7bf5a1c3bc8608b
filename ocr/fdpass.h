/* Passing the document's file descriptor from the pool to a worker.
 *
 * The pool opens each file itself and hands the worker the open
 * descriptor, so a worker that has switched to an unprivileged user (see
 * ocr/sandbox.h) can read documents that user could not open, and never
 * needs a path into the archive.  Each worker gets, besides its stdin and
 * stdout pipes, one AF_UNIX SOCK_SEQPACKET socket as descriptor
 * OCR_FD_CHANNEL.  Before writing a job frame on the worker's stdin, the
 * pool sends one message on that socket: the job id (8 bytes) with the
 * descriptor attached (SCM_RIGHTS).  The worker receives it when it reads
 * the job frame; the message is already there by then, so it never waits.
 *
 * Thread: any; both calls are non-blocking. */
#ifndef VT_OCR_FDPASS_H
#define VT_OCR_FDPASS_H

#include <stdint.h>

#include "common/err.h"

/* The worker's end of the channel. */
#define OCR_FD_CHANNEL 3

/* Send fd (borrowed: the caller still closes its copy) for job id on sock.
 * Returns 0 or a negative errno (UV_EAGAIN when the socket is full, which
 * a worker that reads each job's message never lets happen). */
int ocr_fdpass_send(int sock, uint64_t id, int fd);

/* Receive the descriptor for job id from sock into *fd (new, close-on-exec;
 * the caller closes it).  Returns 0, or a negative code with err filled:
 * nothing waiting, a message without exactly one descriptor, or one for
 * another job (whose descriptor is closed). */
int ocr_fdpass_recv(int sock, uint64_t id, int *fd, struct vt_err *err);

#endif
