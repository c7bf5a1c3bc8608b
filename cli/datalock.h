/* The data folder's owner: one `vanthu serve` at a time, and `vanthu index`
 * told plainly when a server already owns the folder.
 *
 * `vanthu serve` holds an flock on DATA/serve.lock for its lifetime; the
 * file names its pid, its listen address and its archive folders, so that
 * a second command can say which server to use instead.  The kernel drops
 * the lock when the process dies, however it dies, so a stale file never
 * blocks anything. */
#ifndef VT_CLI_DATALOCK_H
#define VT_CLI_DATALOCK_H

#include <stddef.h>

#include "common/err.h"

/* Take the lock for a server (creating DATA, mode 0700, if needed) and
 * write its description.  Returns the descriptor to keep open until exit,
 * or a negative code: VT_ELOCKED with err naming the running server. */
int datalock_take(const char *data_dir, const char *listen, char *const *archives,
                  size_t narchives, struct vt_err *err);

/* 0 if no server owns DATA (nothing is created), else VT_ELOCKED with
 * err->msg naming the server ("a running vanthu serve (pid 12, ...)"). */
int datalock_check_free(const char *data_dir, struct vt_err *err);

#endif
