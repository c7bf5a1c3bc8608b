// The exception firewall between C and Xapian (see xap.h).
//
// Every exported function is noexcept and wraps its whole body in
// try/catch(...); xap__fail() rethrows the current exception once and
// turns it into a VT_E* code and message.  Nothing else lives here: no
// policy, no term design, no std::string or iterator leaves this file.
#include "config.h"

#include "storage/xap.h"

#include "common/log.h"

#include <new>
#include <string>
#include <vector>
#include <xapian.h>

struct xap_db {
    Xapian::Database *db;
    Xapian::WritableDatabase *wdb; // same object as db when writable
};

struct xap_doc {
    Xapian::Document doc;
};

struct xap_query {
    Xapian::Query q;
};

/* Users read err->msg (CLI, HTTP errors), so it says what happened in
 * plain words; Xapian's own type and text go to the log for the operator
 * at debug level, where they help a bug report and frighten nobody. */
static int xap__set(struct vt_err *err, int code, const char *what, const Xapian::Error &e) noexcept
{
    try {
        log_debug("xapian: %s: %s", e.get_type(), e.get_msg().c_str());
    } catch (...) {
    }
    return vt_err_set(err, code, "%s", what);
}

static int xap__fail(struct vt_err *err) noexcept
{
    try {
        throw;
    } catch (const Xapian::DatabaseLockError &e) {
        return xap__set(err, VT_ELOCKED, "the index is locked by another vanthu process", e);
    } catch (const Xapian::DatabaseModifiedError &e) {
        return xap__set(err, VT_EAGAIN, "the index changed while it was being read", e);
    } catch (const Xapian::DatabaseCorruptError &e) {
        return xap__set(err, VT_ECORRUPT, "the index is damaged; rebuild it from the archive", e);
    } catch (const Xapian::DatabaseNotFoundError &e) {
        return xap__set(err, VT_ENOTFOUND, "no index there", e);
    } catch (const Xapian::DatabaseOpeningError &e) {
        return xap__set(err, VT_EIO, "the index cannot be opened", e);
    } catch (const Xapian::DocNotFoundError &e) {
        // A docid a search returned, gone from the index since.
        return xap__set(err, VT_ENOTFOUND, "no such document", e);
    } catch (const Xapian::Error &e) {
        return xap__set(err, VT_EINDEX, "the index cannot be read or written", e);
    } catch (const std::bad_alloc &) {
        return vt_err_set(err, VT_ENOMEM, "out of memory");
    } catch (const std::exception &e) {
        try {
            log_debug("C++ exception: %s", e.what());
        } catch (...) {
        }
        return vt_err_set(err, VT_EINTERNAL, "internal error in the index wrapper");
    } catch (...) {
        return vt_err_set(err, VT_EINTERNAL, "unknown C++ exception");
    }
}

extern "C" int xap_open(const char *path, int writable, struct xap_db **out,
                        struct vt_err *err) noexcept
{
    xap_db *h = nullptr;

    *out = nullptr;
    try {
        h = new xap_db{nullptr, nullptr};
        if (writable) {
            h->wdb = new Xapian::WritableDatabase(path, Xapian::DB_CREATE_OR_OPEN);
            h->db = h->wdb;
        } else {
            h->db = new Xapian::Database(path);
        }
        *out = h;
        return 0;
    } catch (...) {
        delete h;
        return xap__fail(err);
    }
}

extern "C" int xap_open_multi(const char *const *paths, size_t n, struct xap_db **out,
                              struct vt_err *err) noexcept
{
    xap_db *h = nullptr;

    *out = nullptr;
    try {
        h = new xap_db{nullptr, nullptr};
        h->db = new Xapian::Database();
        for (size_t i = 0; i < n; i++)
            h->db->add_database(Xapian::Database(paths[i]));
        *out = h;
        return 0;
    } catch (...) {
        if (h != nullptr)
            delete h->db;
        delete h;
        return xap__fail(err);
    }
}

extern "C" void xap_close(struct xap_db *h) noexcept
{
    if (h == nullptr)
        return;
    try {
        // A WritableDatabase commits in its destructor; closing first
        // discards what was not committed, as the header promises.
        if (h->wdb != nullptr)
            h->wdb->close();
    } catch (...) {
    }
    delete h->db;
    delete h;
}

extern "C" int xap_reopen(struct xap_db *h, struct vt_err *err) noexcept
{
    try {
        h->db->reopen();
        return 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" int xap_commit(struct xap_db *h, struct vt_err *err) noexcept
{
    try {
        if (h->wdb == nullptr)
            return vt_err_set(err, VT_EINTERNAL, "commit on a read-only index");
        h->wdb->commit();
        return 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" long xap_doccount(struct xap_db *h, struct vt_err *err) noexcept
{
    try {
        return (long)h->db->get_doccount();
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" int xap_compact(struct xap_db *h, const char *dest, struct vt_err *err) noexcept
{
    try {
        h->db->compact(dest, Xapian::DBCOMPACT_NO_RENUMBER);
        return 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" struct xap_doc *xap_doc_new(void) noexcept
{
    try {
        return new xap_doc();
    } catch (...) {
        // Small, fixed-size allocation: treat failure like xmalloc does.
        abort();
    }
}

extern "C" void xap_doc_free(struct xap_doc *d) noexcept
{
    delete d;
}

extern "C" int xap_doc_add(struct xap_doc *d, const char *term, size_t len, unsigned pos,
                           struct vt_err *err) noexcept
{
    try {
        if (pos > 0)
            d->doc.add_posting(std::string(term, len), pos);
        else
            d->doc.add_term(std::string(term, len));
        return 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" int xap_doc_add_boolean(struct xap_doc *d, const char *term, size_t len,
                                   struct vt_err *err) noexcept
{
    try {
        d->doc.add_boolean_term(std::string(term, len));
        return 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" int xap_doc_set_value(struct xap_doc *d, unsigned slot, const char *v, size_t len,
                                 struct vt_err *err) noexcept
{
    try {
        d->doc.add_value(slot, std::string(v, len));
        return 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" int xap_doc_set_data(struct xap_doc *d, const char *data, size_t len,
                                struct vt_err *err) noexcept
{
    try {
        d->doc.set_data(std::string(data, len));
        return 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" int xap_sortable(double v, struct buf *out) noexcept
{
    try {
        std::string s = Xapian::sortable_serialise(v);
        return buf_add(out, s.data(), s.size());
    } catch (...) {
        return VT_ENOMEM;
    }
}

extern "C" int xap_replace(struct xap_db *h, const char *idterm, struct xap_doc *d,
                           struct vt_err *err) noexcept
{
    try {
        if (h->wdb == nullptr)
            return vt_err_set(err, VT_EINTERNAL, "write on a read-only index");
        h->wdb->replace_document(idterm, d->doc);
        return 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" int xap_delete(struct xap_db *h, const char *idterm, struct vt_err *err) noexcept
{
    try {
        if (h->wdb == nullptr)
            return vt_err_set(err, VT_EINTERNAL, "write on a read-only index");
        h->wdb->delete_document(idterm);
        return 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" long xap_find(struct xap_db *h, const char *idterm, struct buf *data,
                         struct vt_err *err) noexcept
{
    try {
        Xapian::PostingIterator p = h->db->postlist_begin(idterm);
        if (p == h->db->postlist_end(idterm))
            return vt_err_set(err, VT_ENOTFOUND, "no document '%s'", idterm);
        Xapian::docid id = *p;
        if (data != nullptr) {
            std::string s = h->db->get_document(id).get_data();
            int rc = buf_add(data, s.data(), s.size());
            if (rc < 0)
                return vt_err_set(err, rc, "document data too large");
        }
        return (long)id;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" int xap_get_data(struct xap_db *h, unsigned docid, struct buf *data,
                            struct vt_err *err) noexcept
{
    try {
        std::string s = h->db->get_document(docid).get_data();
        int rc = buf_add(data, s.data(), s.size());
        return rc < 0 ? vt_err_set(err, rc, "document data too large") : 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" int xap_get_metadata(struct xap_db *h, const char *key, struct buf *out,
                                struct vt_err *err) noexcept
{
    try {
        std::string v = h->db->get_metadata(key);
        int rc = buf_add(out, v.data(), v.size());
        return rc < 0 ? vt_err_set(err, rc, "index metadata too large") : 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" int xap_set_metadata(struct xap_db *h, const char *key, const char *value,
                                struct vt_err *err) noexcept
{
    try {
        if (h->wdb == nullptr)
            return vt_err_set(err, VT_EINTERNAL, "write on a read-only index");
        h->wdb->set_metadata(key, value);
        return 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" int xap_each_docid(struct xap_db *h, xap_docid_cb cb, void *data,
                              struct vt_err *err) noexcept
{
    try {
        for (Xapian::PostingIterator p = h->db->postlist_begin(""); p != h->db->postlist_end("");
             ++p) {
            int rc = cb(data, *p);
            if (rc != 0)
                return rc < 0 ? rc : 0;
        }
        return 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" int xap_rekey(struct xap_db *src, unsigned docid, struct xap_db *dst,
                         const char *old_idterm, const char *new_idterm, const char *data,
                         size_t len, struct vt_err *err) noexcept
{
    try {
        if (src->wdb == nullptr || dst->wdb == nullptr)
            return vt_err_set(err, VT_EINTERNAL, "write on a read-only index");
        Xapian::Document d = src->wdb->get_document(docid);
        d.remove_term(old_idterm);
        d.add_boolean_term(new_idterm);
        d.set_data(std::string(data, len));
        // Under its new id before it goes from its old place (a crash
        // between the two leaves a copy the next migration replaces, never
        // a lost document); a document already holding the new id is
        // replaced, so an id never names two documents.
        dst->wdb->replace_document(new_idterm, d);
        src->wdb->delete_document(docid);
        return 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" int xap_each_value(struct xap_db *h, unsigned slot, xap_value_cb cb, void *data,
                              struct vt_err *err) noexcept
{
    try {
        for (Xapian::ValueIterator v = h->db->valuestream_begin(slot);
             v != h->db->valuestream_end(slot); ++v) {
            std::string s = *v;
            int rc = cb(data, v.get_docid(), s.data(), s.size());
            if (rc < 0)
                return rc;
        }
        return 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" int xap_each_term(struct xap_db *h, const char *prefix, xap_term_cb cb, void *data,
                             struct vt_err *err) noexcept
{
    try {
        for (Xapian::TermIterator t = h->db->allterms_begin(prefix); t != h->db->allterms_end(prefix);
             ++t) {
            std::string s = *t;
            int rc = cb(data, s.data(), s.size(), t.get_termfreq());
            if (rc != 0)
                return rc < 0 ? rc : 0;
        }
        return 0;
    } catch (...) {
        return xap__fail(err);
    }
}

extern "C" long xap_termfreq(struct xap_db *h, const char *term, struct vt_err *err) noexcept
{
    try {
        return (long)h->db->get_termfreq(term);
    } catch (...) {
        return xap__fail(err);
    }
}

static struct xap_query *wrap(const Xapian::Query &q) noexcept
{
    try {
        return new xap_query{q};
    } catch (...) {
        return nullptr;
    }
}

extern "C" struct xap_query *xap_q_term(const char *term, size_t len, unsigned wqf) noexcept
{
    try {
        return wrap(Xapian::Query(std::string(term, len), wqf ? wqf : 1));
    } catch (...) {
        return nullptr;
    }
}

extern "C" struct xap_query *xap_q_all(void) noexcept
{
    try {
        return wrap(Xapian::Query::MatchAll);
    } catch (...) {
        return nullptr;
    }
}

extern "C" struct xap_query *xap_q_combine(enum xap_op op, struct xap_query *const *subs,
                                           size_t n, unsigned window) noexcept
{
    static const Xapian::Query::op ops[] = {
        Xapian::Query::OP_AND,       Xapian::Query::OP_OR,     Xapian::Query::OP_AND_NOT,
        Xapian::Query::OP_AND_MAYBE, Xapian::Query::OP_FILTER, Xapian::Query::OP_PHRASE,
        Xapian::Query::OP_NEAR,      Xapian::Query::OP_SYNONYM,
    };
    try {
        if ((size_t)op >= sizeof(ops) / sizeof(ops[0]))
            return nullptr;
        std::vector<Xapian::Query> v;
        v.reserve(n);
        for (size_t i = 0; i < n; i++)
            v.push_back(subs[i]->q);
        return wrap(Xapian::Query(ops[op], v.begin(), v.end(), window));
    } catch (...) {
        return nullptr;
    }
}

extern "C" struct xap_query *xap_q_copy(const struct xap_query *q) noexcept
{
    return wrap(q->q);
}

extern "C" struct xap_query *xap_q_scale(const struct xap_query *q, double factor) noexcept
{
    try {
        return wrap(Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, q->q, factor));
    } catch (...) {
        return nullptr;
    }
}

extern "C" struct xap_query *xap_q_range(unsigned slot, const char *lo, const char *hi) noexcept
{
    try {
        return wrap(Xapian::Query(Xapian::Query::OP_VALUE_RANGE, slot, lo, hi));
    } catch (...) {
        return nullptr;
    }
}

extern "C" void xap_q_free(struct xap_query *q) noexcept
{
    delete q;
}

extern "C" int xap_q_describe(const struct xap_query *q, struct buf *out) noexcept
{
    try {
        std::string s = q->q.get_description();
        return buf_add(out, s.data(), s.size());
    } catch (...) {
        return VT_ENOMEM;
    }
}

extern "C" int xap_run(struct xap_db *h, const struct xap_query *q, const struct xap_search *s,
                       xap_hit_cb hit_cb, xap_facet_cb facet_cb, void *data, unsigned *total,
                       struct vt_err *err) noexcept
{
    try {
        Xapian::Enquire enq(*h->db);
        std::vector<Xapian::ValueCountMatchSpy *> spies;
        int rc = 0;

        enq.set_query(q->q);
        if (s->sort_slot >= 0)
            enq.set_sort_by_value_then_relevance((Xapian::valueno)s->sort_slot,
                                                 s->sort_descending != 0);
        try {
            for (size_t i = 0; i < s->nfacets; i++) {
                spies.push_back(new Xapian::ValueCountMatchSpy(s->facet_slots[i]));
                enq.add_matchspy(spies.back());
            }
            Xapian::MSet m = enq.get_mset(s->offset, s->limit, s->check_at_least);
            *total = m.get_matches_estimated();
            unsigned rank = s->offset;
            for (Xapian::MSetIterator it = m.begin(); it != m.end() && rc >= 0; ++it)
                rc = hit_cb(data, *it, it.get_weight(), rank++);
            for (size_t i = 0; i < spies.size() && rc >= 0 && facet_cb; i++)
                for (Xapian::TermIterator t = spies[i]->values_begin();
                     t != spies[i]->values_end() && rc >= 0; ++t) {
                    std::string v = *t;
                    rc = facet_cb(data, s->facet_slots[i], v.data(), v.size(), t.get_termfreq());
                }
        } catch (...) {
            for (auto *spy : spies)
                delete spy;
            throw;
        }
        for (auto *spy : spies)
            delete spy;
        return rc < 0 ? rc : 0;
    } catch (...) {
        return xap__fail(err);
    }
}
