/* The listener, the gate and connection slots.
 *
 * DESIGN
 *
 * Slots.  A connection costs a descriptor and memory, and an attacker can
 * hold a thousand of them open without ever sending a byte, reconnecting
 * each one we close.  Refusing new connections once a cap is reached
 * would hand the server to whoever connected first; closing the oldest
 * idle one for each newcomer is better but not enough, because then the
 * attacker's reconnections close each other as fast as it can make them,
 * and a real client that is a few milliseconds slow to send its request
 * after connecting is closed too.  So:
 *
 *   - a connection that has sent nothing is dropped after 5 s (or the
 *     request timeout when shorter); its whole first head must arrive
 *     within request_timeout_ms of the accept (the gate, below);
 *   - one client address (an IPv6 /64 counts as one) holds at most
 *     max_per_addr connections, all addresses max_conns;
 *   - a newcomer that finds its cap reached needs room: the oldest idle
 *     connection (of its address, for the per-address cap) is closed for
 *     it, idle meaning in the gate (no complete request yet, nothing
 *     unread in its socket) or kept alive between requests.  A newcomer
 *     whose request is already there takes the room at once.  A silent
 *     newcomer may only take the room of a connection idle for at least
 *     EVICT_AGE_MS; until one is, it waits, uncounted and read like any
 *     other (at most max_conns of them: beyond, a silent newcomer gets a
 *     raw 503).  The moment a waiting one sends its first bytes it takes
 *     the room of the oldest idle connection, whatever its age.
 *
 * So every connection we count gets EVICT_AGE_MS to send its request, an
 * attacker's sockets are closed no faster than they age, which bounds its
 * reconnections, and a client that speaks is let in ahead of every silent
 * socket.  A connection with a request in flight is never closed for
 * room.  We accept with accept4 ourselves (a uv_poll on the listening
 * socket), at most ACCEPT_BATCH per loop iteration, so reads of
 * connections already accepted are never starved by a flood of new ones.
 *
 * Descriptors.  query_http_start raises RLIMIT_NOFILE's soft limit to the
 * hard one and lowers max_conns to fit twice under it (counted and
 * waiting connections).  When accept() still finds none free (EMFILE,
 * ENFILE: other parts of the process hold many), the oldest waiting
 * connection is closed, else the oldest idle one; with neither, one descriptor
 * kept in reserve is given up to accept one client, answer it 503 and
 * close it, then taken back; when even that fails, accepting pauses for
 * PAUSE_MS.  The listening socket is level-triggered, so every path
 * either accepts a connection or stops polling: the loop never spins.
 *
 * Idleness of a connection h2o owns: on_req tells us a request started
 * (the request's connection gives its socket, whose on_close.data is our
 * struct conn), the request's pool tells us when it ended.  Closing such a
 * connection from outside h2o is done by shutdown(2): h2o reads the end of
 * the stream and closes it itself, so its own state is never left
 * dangling.  h2o calls the socket's on_close hook when it disposes the
 * socket, whoever closed it: that is where a connection stops counting.
 *
 * The gate: a connection's first request head is read here, not by h2o,
 * so that a head past our limits (a header flood, a 100 KB URL) gets a
 * JSON error instead of h2o's plain-text 400, and a client that never
 * finishes its head (slowloris) is dropped.  A complete head within the
 * limits goes to h2o with the bytes already read; later requests on a
 * kept-alive connection are h2o's (its limit: 100 header fields, answered
 * by a plain 400) and then on_req's. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/queue.h"
#include "common/xalloc.h"
#include "query/http_internal.h"

#define ACCEPT_BATCH 32
#define EVICT_AGE_MS 500 /* a counted connection's time to speak before a silent newcomer evicts it */
#define PAUSE_MS 100
#define SHORTAGE_LOG_MS 10000

#define GATE_MAX_LINE (16384 + 64)
#define GATE_MAX_HEADERS 64
#define GATE_MAX_HEAD (GATE_MAX_LINE + 16384 + 4 * GATE_MAX_HEADERS)

static const char refuse_msg[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                 "Content-Type: " JSON_TYPE "\r\n"
                                 "Content-Length: 45\r\n"
                                 "Retry-After: 1\r\n"
                                 "Connection: close\r\n"
                                 "Server: vanthu\r\n\r\n"
                                 "{\"error\":\"too many connections, try again\"}\n";

/* ---- client addresses ------------------------------------------------------------- */

static void addr_key(const struct sockaddr *sa, unsigned char key[16])
{
    memset(key, 0, 16);
    if (sa->sa_family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a))
            memcpy(key, a, 16);
        else
            memcpy(key, a, 8); /* one /64: what a single site is given */
    }
}

static size_t addr_hash(const unsigned char key[16], size_t cap)
{
    uint64_t x = 1469598103934665603ull; /* FNV-1a */

    for (int i = 0; i < 16; i++)
        x = (x ^ key[i]) * 1099511628211ull;
    return (size_t)x & (cap - 1);
}

/* The slot holding key, or the free slot where it would go. */
static size_t addr_find(const struct query_http *h, const unsigned char key[16])
{
    size_t i = addr_hash(key, h->addrs_cap);

    while (h->addrs[i].n != 0 && memcmp(h->addrs[i].key, key, 16) != 0)
        i = (i + 1) & (h->addrs_cap - 1);
    return i;
}

static unsigned addr_count(const struct query_http *h, const unsigned char key[16])
{
    return h->addrs[addr_find(h, key)].n;
}

static void addr_inc(struct query_http *h, const unsigned char key[16])
{
    size_t i = addr_find(h, key);

    memcpy(h->addrs[i].key, key, 16);
    h->addrs[i].n++;
}

/* Linear probing deletes by shifting later members of the run back, so a
 * lookup never stops early at a hole. */
static void addr_dec(struct query_http *h, const unsigned char key[16])
{
    size_t mask = h->addrs_cap - 1, i = addr_find(h, key), j;

    if (h->addrs[i].n == 0)
        VT_BUG("a connection's address is not counted");
    if (--h->addrs[i].n > 0)
        return;
    for (j = (i + 1) & mask; h->addrs[j].n != 0; j = (j + 1) & mask) {
        size_t home = addr_hash(h->addrs[j].key, h->addrs_cap);
        /* Move j into the hole at i unless its home lies in (i, j]. */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            h->addrs[i] = h->addrs[j];
            h->addrs[j].n = 0;
            i = j;
        }
    }
}

/* ---- idle and waiting connections ---------------------------------------------------------- */

static void idle_remove(struct query_http *h, struct conn *c)
{
    (void)h;
    if (!c->idle)
        return;
    vt_queue_remove(&c->idle_link);
    c->idle = 0;
}

/* c becomes the newest idle connection. */
static void idle_push(struct query_http *h, struct conn *c)
{
    idle_remove(h, c);
    vt_queue_push(&h->idle, &c->idle_link);
    c->idle = 1;
    c->idle_since = uv_now(h->loop);
}

/* The oldest idle connection, or NULL. */
static struct conn *idle_head(const struct query_http *h)
{
    struct vt_queue *e = vt_queue_head(&h->idle);

    return e ? vt_queue_entry(e, struct conn, idle_link) : NULL;
}

static void wait_remove(struct query_http *h, struct conn *c)
{
    if (!c->waiting)
        return;
    vt_queue_remove(&c->wait_link);
    c->waiting = 0;
    h->nwait--;
}

static void wait_push(struct query_http *h, struct conn *c)
{
    vt_queue_push(&h->waiting_conns, &c->wait_link);
    c->waiting = 1;
    h->nwait++;
}

/* c counts against the caps. */
static void count(struct query_http *h, struct conn *c)
{
    wait_remove(h, c);
    c->counted = 1;
    h->nlive++;
    addr_inc(h, c->addr);
    idle_push(h, c); /* in the gate: idle until its request is complete */
}

/* c is closing: it no longer counts, waits or can be evicted. */
static void uncount(struct query_http *h, struct conn *c)
{
    c->closed = 1;
    idle_remove(h, c);
    wait_remove(h, c);
    if (!c->counted)
        return;
    c->counted = 0;
    h->nlive--;
    addr_dec(h, c->addr);
}

static void gate_unlink(struct conn *c)
{
    if (h2o_timeout_is_linked(&c->gate_timeout))
        h2o_timeout_unlink(&c->gate_timeout);
    if (h2o_timeout_is_linked(&c->first_timeout))
        h2o_timeout_unlink(&c->first_timeout);
}

static void gate_close(struct conn *c)
{
    gate_unlink(c);
    if (c->sock != NULL)
        h2o_socket_close(c->sock); /* the on_close hook uncounts it */
}

/* Close idle connection c to make room. */
static void evict(struct query_http *h, struct conn *c)
{
    int fd;

    h->m.evicted_conns++;
    if (c->state != CONN_H2O) {
        gate_close(c);
        return;
    }
    /* h2o owns it: end the stream under it, and h2o closes it when it
     * reads the end (this loop iteration or the next). */
    uncount(h, c);
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0)
        shutdown(fd, SHUT_RDWR);
}

/* Bytes wait in fd that nobody has read yet. */
static int fd_has_input(int fd)
{
    char b;

    return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/* c is in the gate and its client spoke since we last read (its request
 * is on its way, read at the next poll).  Connections h2o keeps alive are
 * not asked: one that starts a request and stops would stay unevictable
 * for h2o's whole request timeout. */
static int has_input(struct conn *c)
{
    int fd;

    return c->state == CONN_GATE && uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 &&
           fd_has_input(fd);
}

/* The oldest idle connection (of key's address, when key is not NULL), or
 * NULL.  Those whose request waits unread are not idle: they leave the
 * list (the gate puts them back if their head stays incomplete). */
static struct conn *oldest_idle(struct query_http *h, const unsigned char *key)
{
    struct vt_queue *e, *next;

    for (e = h->idle.next; e != &h->idle; e = next) {
        struct conn *c = vt_queue_entry(e, struct conn, idle_link);
        next = e->next;
        if (key != NULL && memcmp(c->addr, key, 16) != 0)
            continue;
        if (has_input(c)) {
            idle_remove(h, c);
            continue;
        }
        return c;
    }
    return NULL;
}

enum { ROOM_FREE, ROOM_OWN, ROOM_ANY };

/* Which cap a newcomer from key meets. */
static int room_needed(const struct query_http *h, const unsigned char key[16])
{
    if (addr_count(h, key) >= h->max_per_addr)
        return ROOM_OWN;
    return h->nlive >= h->max_conns ? ROOM_ANY : ROOM_FREE;
}

/* Make room for a newcomer from key by evicting; spoke: its request is
 * there, so any idle connection may go, else only one idle for
 * EVICT_AGE_MS.  1 if there is room now. */
static int make_room(struct query_http *h, const unsigned char key[16], int spoke)
{
    struct conn *v;
    int need;

    while ((need = room_needed(h, key)) != ROOM_FREE) {
        v = oldest_idle(h, need == ROOM_OWN ? key : NULL);
        if (v == NULL || (!spoke && uv_now(h->loop) - v->idle_since < EVICT_AGE_MS))
            return 0;
        /* Evicting for the per-address cap also frees a slot of the
         * total; the loop ends within two rounds. */
        evict(h, v);
    }
    return 1;
}

static void on_wait_timer(uv_timer_t *t);

/* Look at the waiting connections again when the oldest idle one has aged
 * enough to be evicted (or soon, when none is idle). */
static void wait_schedule(struct query_http *h)
{
    uint64_t now = uv_now(h->loop), at = now + PAUSE_MS;
    struct conn *oldest = idle_head(h);

    if (h->nwait == 0 || h->stopping)
        return;
    if (oldest != NULL && oldest->idle_since + EVICT_AGE_MS < at)
        at = oldest->idle_since + EVICT_AGE_MS;
    uv_timer_start(&h->wait_timer, on_wait_timer, at > now ? at - now : 1, 0);
}

/* Let waiting connections in, oldest first, as idle ones age. */
static void on_wait_timer(uv_timer_t *t)
{
    struct query_http *h = t->data;
    struct vt_queue *e, *next;
    unsigned char failed[16];
    int have_failed = 0;

    /* count() takes c out of the queue, and making room only closes idle
     * connections, never a waiting one: next stays valid. */
    for (e = h->waiting_conns.next; e != &h->waiting_conns; e = next) {
        struct conn *c = vt_queue_entry(e, struct conn, wait_link), *oldest = idle_head(h);
        next = e->next;
        if (oldest != NULL && uv_now(h->loop) - oldest->idle_since < EVICT_AGE_MS &&
            h->nlive >= h->max_conns)
            break; /* nothing is old enough to give way */
        if (have_failed && memcmp(c->addr, failed, 16) == 0)
            continue;
        if (make_room(h, c->addr, 0)) {
            count(h, c);
        } else {
            memcpy(failed, c->addr, 16);
            have_failed = 1;
        }
    }
    wait_schedule(h);
}

/* ---- connection lifetime ------------------------------------------------------------------ */

/* h2o disposes the socket (it closes, whoever asked). */
static void conn_on_sock_close(void *data)
{
    struct conn *c = data;

    c->sock = NULL;
    gate_unlink(c);
    uncount(c->h, c);
}

/* The handle closed (after conn_on_sock_close). */
static void on_conn_close(uv_handle_t *handle)
{
    struct conn *c = (struct conn *)handle;
    struct query_http *h = c->h;

    vt_queue_remove(&c->link);
    h->nconns--;
    /* A request of this connection that h2o has not disposed yet still
     * points here; the last one frees c. */
    if (c->inflight > 0)
        c->freed = 1;
    else
        free(c);
    http__maybe_finish(h);
}

static void on_req_disposed(void *p)
{
    struct conn *c = *(struct conn **)p;

    if (--c->inflight > 0)
        return;
    if (c->freed)
        free(c);
    else if (c->counted && !c->closed)
        idle_push(c->h, c);
}

void http__conn_req_begin(struct query_http *h, h2o_req_t *req)
{
    h2o_socket_t *s;
    struct conn *c, **slot;

    if (req->conn->callbacks->get_socket == NULL)
        return;
    s = req->conn->callbacks->get_socket(req->conn);
    if (s == NULL || s->on_close.cb != conn_on_sock_close)
        return;
    c = s->on_close.data;
    c->inflight++;
    idle_remove(h, c);
    slot = h2o_mem_alloc_shared(&req->pool, sizeof(*slot), on_req_disposed);
    *slot = c;
}

/* ---- the gate -------------------------------------------------------------------------------- */

static void gate_on_timeout(h2o_timeout_entry_t *entry)
{
    gate_close(H2O_STRUCT_FROM_MEMBER(struct conn, gate_timeout, entry));
}

static void gate_on_first_timeout(h2o_timeout_entry_t *entry)
{
    gate_close(H2O_STRUCT_FROM_MEMBER(struct conn, first_timeout, entry));
}

/* After the error response: discard what the client still sends until it
 * closes (closing at once could reset the connection before the client
 * read the response) or the timeout. */
static void gate_on_drain(h2o_socket_t *sock, const char *err)
{
    struct conn *c = sock->data;

    if (err != NULL) {
        gate_close(c);
        return;
    }
    h2o_buffer_consume(&sock->input, sock->input->size);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)req, (void)status;
}

static void gate_on_written(h2o_socket_t *sock, const char *err)
{
    struct conn *c = sock->data;

    if (err != NULL) {
        gate_close(c);
        return;
    }
    /* Tell the client the response is complete. */
    uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown);
    h2o_socket_read_start(sock, gate_on_drain);
}

static void gate_reject(struct conn *c, int status, const char *msg)
{
    h2o_iovec_t b;
    int n;

    n = snprintf(c->reject, sizeof(c->reject),
                 "HTTP/1.1 %d %s\r\nContent-Type: " JSON_TYPE "\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\nServer: vanthu\r\n\r\n{\"error\":\"%s\"}",
                 status, http__reason(status), strlen(msg) + 12, msg);
    c->state = CONN_REJECTING;
    h2o_socket_read_stop(c->sock);
    http__record(c->h, R_OTHER, status, c->t0);
    b = h2o_iovec_init(c->reject, (size_t)n);
    h2o_socket_write(c->sock, &b, 1, gate_on_written);
}

/* The length of the complete head in p[0..e), or 0 while it is not
 * complete; c->lines and c->scan follow the scan.  The head ends at the
 * first empty line (LF or CRLF).  The scan resumes where the last read
 * left it, so a client trickling bytes costs linear time. */
static size_t gate_scan(struct conn *c, const char *p, const char *e)
{
    const char *q = p + c->scan, *nl;
    size_t head = 0;

    while ((nl = memchr(q, '\n', (size_t)(e - q))) != NULL) {
        if (c->lines == 0 && (size_t)(nl - p) > GATE_MAX_LINE)
            break;
        if (nl + 1 == e || (nl[1] == '\r' && nl + 2 == e))
            break; /* the next bytes decide: wait for them */
        c->lines++;
        if (nl[1] == '\n') {
            head = (size_t)(nl + 2 - p);
            break;
        }
        if (nl[1] == '\r' && nl[2] == '\n') {
            head = (size_t)(nl + 3 - p);
            break;
        }
        q = nl + 1;
    }
    c->scan = (size_t)((nl ? nl : e) - p);
    return head;
}

static void gate_on_read(h2o_socket_t *sock, const char *err)
{
    struct conn *c = sock->data;
    struct query_http *h = c->h;
    const char *p = sock->input->bytes, *e = p + sock->input->size;
    size_t head;

    if (err != NULL) {
        gate_close(c);
        return;
    }
    if (sock->input->size > 0 && h2o_timeout_is_linked(&c->first_timeout))
        h2o_timeout_unlink(&c->first_timeout); /* it spoke: the head's deadline remains */
    if (c->waiting && sock->input->size > 0) {
        /* It spoke: in ahead of every silent one, over the cap if nothing
         * is idle (there are at most max_wait such). */
        make_room(h, c->addr, 1);
        count(h, c);
    }
    head = gate_scan(c, p, e);
    if (c->lines == 0 && c->scan > GATE_MAX_LINE) {
        gate_reject(c, 414, "the URL is too long");
        return;
    }
    if (c->lines > GATE_MAX_HEADERS + 1 || (head ? head : (size_t)(e - p)) > GATE_MAX_HEAD) {
        gate_reject(c, 431, "too many or too large header fields");
        return;
    }
    if (head == 0) {
        /* Wait for the rest; evictable again, as the newest. */
        if (c->counted && !c->idle && !c->closed)
            idle_push(h, c);
        return;
    }
    gate_unlink(c);
    h2o_socket_read_stop(sock);
    c->state = CONN_H2O;
    sock->data = NULL;
    /* Idle until on_req claims it (h2o parses the head at once); a
     * connection h2o keeps without a request (an HTTP/2 preface) stays
     * evictable. */
    idle_push(h, c);
    h2o_accept(&h->accept_ctx, sock);
}

/* Close every connection still in the gate (stopping). */
void http__conns_close_gated(struct query_http *h)
{
    struct vt_queue *e, *next;

    /* A connection leaves h->conns when its handle has closed, on a later
     * iteration; next is read first all the same. */
    for (e = h->conns.next; e != &h->conns; e = next) {
        struct conn *c = vt_queue_entry(e, struct conn, link);
        next = e->next;
        if (c->state != CONN_H2O && c->sock != NULL)
            gate_close(c);
    }
}

/* ---- accepting -------------------------------------------------------------------------------------- */

/* Answer a connection we have no room for, and close it. */
static void refuse_fd(struct query_http *h, int fd)
{
    h->m.refused_conns++;
    /* Best effort: the socket is fresh, its buffer empty. */
    (void)!send(fd, refuse_msg, sizeof(refuse_msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    close(fd);
}

static void on_refused_close(uv_handle_t *handle)
{
    free(handle);
}

static void admit(struct query_http *h, int fd, const struct sockaddr *sa, socklen_t salen)
{
    unsigned char key[16];
    struct conn *c;
    h2o_socket_t *sock;
    int room;

    if (h->stopping || h->nconns >= h->max_conns + h->max_wait) {
        refuse_fd(h, fd);
        return;
    }
    addr_key(sa, key);
    /* A client that already sent its request may push out any idle
     * connection; a silent one waits for one that has been idle a while. */
    room = room_needed(h, key) == ROOM_FREE || make_room(h, key, fd_has_input(fd));
    if (!room && h->nwait >= h->max_wait) {
        refuse_fd(h, fd);
        return;
    }
    c = xcalloc(1, sizeof(*c));
    c->h = h;
    vt_queue_init(&c->link);
    vt_queue_init(&c->idle_link);
    vt_queue_init(&c->wait_link);
    uv_tcp_init(h->loop, &c->tcp);
    if (uv_tcp_open(&c->tcp, fd) != 0) {
        close(fd);
        uv_close((uv_handle_t *)&c->tcp, on_refused_close);
        return;
    }
    h->m.accepted_conns++;
    memcpy(c->addr, key, 16);
    vt_queue_push(&h->conns, &c->link);
    h->nconns++;
    uv_tcp_nodelay(&c->tcp, 1);
    sock = h2o_uv_socket_create((uv_stream_t *)&c->tcp, on_conn_close);
    h2o_socket_setpeername(sock, (struct sockaddr *)sa, salen);
    sock->data = c;
    sock->on_close.cb = conn_on_sock_close;
    sock->on_close.data = c;
    c->sock = sock;
    c->state = CONN_GATE;
    c->t0 = uv_hrtime();
    c->gate_timeout.cb = gate_on_timeout;
    c->first_timeout.cb = gate_on_first_timeout;
    h2o_timeout_link(h->loop, &h->gate_head, &c->gate_timeout);
    h2o_timeout_link(h->loop, &h->gate_first, &c->first_timeout);
    if (room) {
        count(h, c);
    } else {
        wait_push(h, c);
        if (!uv_is_active((uv_handle_t *)&h->wait_timer))
            wait_schedule(h);
    }
    h2o_socket_read_start(sock, gate_on_read);
}

static void on_listen_ready(uv_poll_t *p, int status, int events);

static void on_accept_resume(uv_timer_t *t)
{
    struct query_http *h = t->data;

    if (h->stopping || !h->accept_paused)
        return;
    h->accept_paused = 0;
    uv_poll_start(&h->listen_poll, UV_READABLE, on_listen_ready);
}

/* accept() found no descriptor: make one free, or answer one client with
 * the reserve, or pause. */
static void on_fd_shortage(struct query_http *h, int e)
{
    uint64_t now = uv_now(h->loop);
    struct conn *victim;
    int fd = -1;

    h->m.fd_shortage++;
    if (h->shortage_logged_ms == 0 || now - h->shortage_logged_ms >= SHORTAGE_LOG_MS) {
        h->shortage_logged_ms = now;
        log_warn("query server: no file descriptor left to accept a connection (%s; %u open): "
                 "closing idle ones",
                 strerror(e), h->nlive);
    }
    /* A waiting connection first: it holds a descriptor but no slot. */
    if (!vt_queue_empty(&h->waiting_conns)) {
        gate_close(vt_queue_entry(h->waiting_conns.next, struct conn, wait_link));
        return;
    }
    if ((victim = oldest_idle(h, NULL)) != NULL) {
        evict(h, victim);
        return;
    }
    if (h->reserve_fd >= 0) {
        close(h->reserve_fd);
        fd = accept4(h->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            refuse_fd(h, fd);
        h->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && h->reserve_fd >= 0)
            return;
    }
    h->accept_paused = 1;
    uv_poll_stop(&h->listen_poll);
    uv_timer_start(&h->accept_timer, on_accept_resume, PAUSE_MS, 0);
}

static void on_listen_ready(uv_poll_t *p, int status, int events)
{
    struct query_http *h = p->data;

    (void)events;
    if (status < 0) {
        log_warn("query server: the listening socket: %s", uv_strerror(status));
        return;
    }
    for (int i = 0; i < ACCEPT_BATCH && !h->stopping; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(h->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd >= 0) {
            admit(h, fd, (struct sockaddr *)&ss, sl);
            continue;
        }
        switch (errno) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            return;
        case EINTR:
        case ECONNABORTED:
        case EPROTO:
        case ENETDOWN:
        case ENOPROTOOPT:
        case EHOSTDOWN:
        case ENONET:
        case EHOSTUNREACH:
        case EOPNOTSUPP:
        case ENETUNREACH:
            continue; /* that client's problem (accept(2), "Error handling") */
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            on_fd_shortage(h, errno);
            return;
        default:
            log_warn("query server: accept: %s", strerror(errno));
            h->accept_paused = 1;
            uv_poll_stop(&h->listen_poll);
            uv_timer_start(&h->accept_timer, on_accept_resume, PAUSE_MS, 0);
            return;
        }
    }
}

unsigned long http__raise_nofile(void)
{
    struct rlimit rl, want;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        want = rl;
        want.rlim_cur = rl.rlim_max;
        /* An unlimited hard limit still stops at fs.nr_open: try less. */
        if (setrlimit(RLIMIT_NOFILE, &want) < 0 && rl.rlim_cur < (1u << 20)) {
            want.rlim_cur = 1u << 20;
            if (setrlimit(RLIMIT_NOFILE, &want) < 0)
                want.rlim_cur = rl.rlim_cur;
        }
        if (want.rlim_cur != rl.rlim_cur)
            log_info("query server: open-file limit raised from %llu to %llu",
                     (unsigned long long)rl.rlim_cur, (unsigned long long)want.rlim_cur);
        rl.rlim_cur = want.rlim_cur;
    }
    return rl.rlim_cur == RLIM_INFINITY ? (unsigned long)-1 : (unsigned long)rl.rlim_cur;
}

void http__listen_start(struct query_http *h, int fd)
{
    size_t cap = 16;
    int rc;

    while (cap < 4 * (size_t)h->max_conns)
        cap *= 2;
    h->addrs_cap = cap;
    h->addrs = xcalloc(cap, sizeof(*h->addrs));
    vt_queue_init(&h->conns);
    vt_queue_init(&h->idle);
    vt_queue_init(&h->waiting_conns);
    h->listen_fd = fd;
    h->max_wait = h->max_conns;
    h->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    uv_timer_init(h->loop, &h->accept_timer);
    h->accept_timer.data = h;
    uv_timer_init(h->loop, &h->wait_timer);
    h->wait_timer.data = h;
    if ((rc = uv_poll_init(h->loop, &h->listen_poll, fd)) < 0 ||
        (rc = uv_poll_start(&h->listen_poll, UV_READABLE, on_listen_ready)) < 0)
        VT_BUG("cannot poll the listening socket: %s", uv_strerror(rc));
    h->listen_poll.data = h;
}

void http__listen_stop(struct query_http *h)
{
    uv_close((uv_handle_t *)&h->listen_poll, NULL);
    close(h->listen_fd);
    h->listen_fd = -1;
    uv_timer_stop(&h->accept_timer);
    uv_close((uv_handle_t *)&h->accept_timer, NULL);
    uv_timer_stop(&h->wait_timer);
    uv_close((uv_handle_t *)&h->wait_timer, NULL);
    if (h->reserve_fd >= 0)
        close(h->reserve_fd);
    h->reserve_fd = -1;
}

void http__conns_release(struct query_http *h)
{
    free(h->addrs);
    h->addrs = NULL;
}
