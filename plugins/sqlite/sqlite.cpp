/*
 * sqlite - varpd's embedded dynamic-mode backend: mappings in a SQLite
 * database (property sqlite/path), with proxy ARP, NDP and DHCP, writable
 * through varpd's map operations, and changed by any other process that
 * writes the documented schema (varpd-sqlite(7); the SQL is in schema.cpp).
 *
 * Theory. The database is the source of truth; this plugin keeps no copy of
 * it, so varpd's memory does not grow with the row count. Lookups run on
 * varpd's worker pool (VARPD_PLUGIN_F_BLOCKING): each takes a Reader (a
 * read connection with its prepared statements, limited page cache, no
 * mmap) from a small pool, runs one indexed SELECT, gives the Reader back
 * and answers. The pool grows to the number of workers that ask at once.
 * A Reader keeps its read transaction for up to 128 lookups or 2 ms (the
 * file locks SQLite takes per transaction were a third of a lookup's
 * cost), but never across a round of changes: the poller bumps an epoch
 * before it shoots anything down, and a lookup whose Reader's snapshot is
 * older than the epoch -- checked before and after the read -- reads
 * again on a fresh one. So an answer is never older than the shootdowns
 * already sent, as with one transaction per lookup. Idle Readers let go of
 * their snapshots at the poller's next round, so checkpoints finish.
 * The event loop touches SQLite only in vpo_start (one open and schema
 * check with no busy wait) and vpo_stop (closing).
 *
 * Seeing changes. Triggers on the mappings table log every changed key in
 * the changes table, whoever writes. A poller thread per instance, with its
 * own connection, runs PRAGMA data_version every 100 ms; when another
 * connection has committed, it reads the changes after the last sequence
 * number it saw and shoots down each changed MAC of this overlay's vnet in
 * the kernel's target cache (varpd_cache_invalidate), so the next frame
 * asks again. Inserts count too: the kernel may hold a DROP entry for a MAC
 * that had no row. A whole-vnet row (mac NULL, what a bulk import logs), a
 * gap in the sequence (rows pruned before this poller saw them) or more
 * than flush_over changes in one round flush the overlay's whole cache
 * instead. The poller prunes changes older than a minute every ten seconds.
 *
 * Health, the state machine:
 *   STOPPED --start--> check(create if never opened) --ok--> HEALTHY
 *                                                  \--fail--> DEGRADED
 *   HEALTHY --(file vanished | replaced and bad | main file changed and
 *              fails a fresh check | probe busy | a lookup saw corruption)
 *           --> DEGRADED (varpd_degrade with "PATH: reason"; varpd adds
 *               the backend's name in front, as it does to log lines)
 *   DEGRADED --retry every 500 ms: check passes--> HEALTHY, varpd_restore,
 *              varpd_cache_flush (the drops answered meanwhile must go)
 * While DEGRADED every lookup answers drop without touching SQLite, and the
 * poller re-asserts the degrade on each retry (varpd clears it after a
 * start). The file is created (with the schema) when missing and its
 * directory exists, but only until this instance has had it open once: a
 * file that vanishes while in use is waited for, as someone is replacing
 * it. A file replaced by another (new inode) is re-checked and, if good,
 * used from then on with a cache flush. Corruption a lookup meets inside
 * the B-tree clears only once the file changes and passes quick_check.
 *
 * Writes (map operations, on the worker pool one at a time): begin opens a
 * Writer, a connection of its own, and BEGIN IMMEDIATE; puts are UPSERTs
 * (an "arp"/"ndp" address owned by another MAC is -EEXIST, never a silent
 * REPLACE of that row); commit or abort closes it. After bulk_over changes the
 * transaction turns per-row logging off (meta.log_rows, inside its own
 * uncommitted transaction, so no other connection sees it) and logs one
 * whole-vnet row; it turns logging back on before COMMIT.
 *
 * Locking: pool_mu guards the idle Readers; mu guards the poller's wake-up
 * and the degrade message; healthy, gen and epoch are atomics read by
 * lookups.
 * Readers of an older generation (before a recovery or replacement) are
 * closed instead of reused. A Writer is used by one map operation at a time
 * (varpd's contract); txn_open refuses a second transaction.
 *
 * Not supported: leases (vm_ttl != 0 is -ENOTSUP: use etcd); a vnet id
 * that changes while the instance runs (it is read at start); more than one
 * database per instance.
 */
#include "plugin_util.h"
#include "schema.h"

#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

namespace {

constexpr const char* prop_path = "sqlite/path";
constexpr const char* prop_schema = "sqlite/schema";
constexpr const char* prop_invalidations = "sqlite/invalidations";
constexpr const char* prop_flushes = "sqlite/flushes";

using namespace std::chrono_literals;
constexpr auto poll_every = 100ms;     /* PRAGMA data_version */
constexpr auto retry_every = 500ms;    /* while degraded */
constexpr auto prune_every = 10s;      /* DELETE old changes */
constexpr int keep_changes_s = 60;     /* how long a change is kept */
constexpr size_t flush_over = 4096;    /* changes in one round: flush instead */
constexpr size_t bulk_over = 256;      /* changes in one transaction: log the vnet */
constexpr int reader_cache_kib = 4096; /* holds a 10M-row table's interior pages */
constexpr int writer_cache_kib = 16384;
constexpr int reader_busy_ms = 100;
constexpr auto hold_for = 2ms;      /* a Reader's snapshot, at most */
constexpr unsigned hold_uses = 128; /* lookups on one snapshot, at most */
constexpr int poller_busy_ms = 250;
constexpr int writer_busy_ms = 5000;

/*
 * A read connection and its statements; one lookup at a time. It keeps
 * its read transaction (its snapshot) across lookups for at most hold_for
 * and hold_uses, and never past a round of changes the poller has seen
 * (epoch): SQLite then takes no file locks per lookup.
 */
struct Reader {
    uint64_t gen = 0;
    vsql::Db db;
    vsql::Stmt by_mac, by_arp, by_ndp, dhcp, get, walk, begin, end;
    bool held = false;
    uint64_t epoch = 0;
    std::chrono::steady_clock::time_point since{};
    unsigned uses = 0;
    void release() {
        if (!held)
            return;
        held = false;
        vsql::Using u(end);
        if (sqlite3_step(end.get()) != SQLITE_DONE && !sqlite3_get_autocommit(db.get())) {
            std::string ignored;
            vsql::exec(db.get(), "ROLLBACK", ignored);
        }
    }
};

/* The connection of one mapping transaction. */
struct Writer {
    vsql::Db db;
    vsql::Stmt upsert, del, owner_arp, owner_ndp;
    size_t changes = 0; /* puts and removes so far */
    bool bulk = false;
};

struct FileSig {
    bool exists = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    bool same_file(const FileSig& o) const {
        return exists && o.exists && dev == o.dev && ino == o.ino;
    }
    bool same(const FileSig& o) const {
        return same_file(o) && size == o.size && mtime_ns == o.mtime_ns;
    }
};

FileSig sig_of(const std::string& path, int& err) {
    struct stat st;
    FileSig s;
    err = 0;
    if (stat(path.c_str(), &st) != 0) {
        err = errno;
        return s;
    }
    s.exists = true;
    s.dev = st.st_dev;
    s.ino = st.st_ino;
    s.size = st.st_size;
    s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    return s;
}

struct Sqlite {
    varpd_provider_t* prov = nullptr;
    std::string path;
    uint32_t vnetid = 0;

    std::atomic<bool> healthy{false};
    std::atomic<uint64_t> gen{1};
    std::atomic<uint64_t> epoch{0}; /* bumped before a round of shootdowns */
    std::atomic<int64_t> schema{0};
    std::atomic<uint64_t> invalidations{0}, flushes{0};

    std::mutex pool_mu;
    std::vector<std::unique_ptr<Reader>> idle;

    /* The poller. */
    std::thread poller;
    std::mutex mu;
    std::condition_variable cv;
    bool stopping = false;
    bool kicked = false;
    std::string problem; /* from a lookup: the reason it failed (under mu) */
    int problem_rc = 0;
    std::string degraded; /* "" when healthy (under mu) */
    /* Poller-only state. */
    vsql::Db pdb;
    vsql::Stmt p_version, p_changes, p_sequence;
    int64_t data_version = -1;
    int64_t last_seq = 0;
    FileSig sig;
    bool ever_opened = false;
    bool need_quick_check = false;
    FileSig broken_sig; /* the file as it was when a lookup saw corruption */
    std::chrono::steady_clock::time_point last_prune{};

    std::atomic<bool> txn_open{false};
    Writer* txn = nullptr; /* the open one, so destroy can end it */

    /* varpd prefixes the backend's name to logs and degrade messages. */
    void log(int level, const std::string& m) { varpd_log(prov, level, m.c_str()); }

    std::unique_ptr<Reader> take(std::string& why, int& rc);
    void give(std::unique_ptr<Reader> r);
    void report(int rc, const std::string& why);

    bool start();
    void stop();
    void run();
    bool check(bool at_start);
    void tick();
    void degrade(const std::string& why);
    void read_changes();
    void prune();
    std::string prefix() { return current_path() + ": "; }
    /*
     * path changes only with the poller stopped (setprop), but lookups and
     * map operations on the worker pool may read it meanwhile: they copy it
     * under pool_mu, which setprop holds to change it.
     */
    std::string current_path() {
        std::lock_guard g(pool_mu);
        return path;
    }
    void close_poller() {
        p_version.reset();
        p_changes.reset();
        p_sequence.reset();
        pdb.reset();
    }
};

Sqlite* self(void* arg) {
    return static_cast<Sqlite*>(arg);
}

std::unique_ptr<Reader> Sqlite::take(std::string& why, int& rc) {
    uint64_t want = gen.load();
    {
        std::lock_guard g(pool_mu);
        while (!idle.empty()) {
            std::unique_ptr<Reader> r = std::move(idle.back());
            idle.pop_back();
            if (r->gen == want)
                return r;
        }
    }
    auto r = std::make_unique<Reader>();
    r->gen = want;
    rc = vsql::open(current_path(), false, false, reader_busy_ms, reader_cache_kib, r->db, why);
    if (rc != SQLITE_OK)
        return nullptr;
    std::string cols = vsql::select_columns;
    std::string get = "SELECT " + cols + " FROM mappings WHERE vnetid = ?1 AND mac = ?2";
    std::string walk =
        "SELECT " + cols + " FROM mappings WHERE vnetid = ?1 AND mac > ?2 ORDER BY mac LIMIT ?3";
    sqlite3* db = r->db.get();
    if ((rc = r->by_mac.prepare(db,
                                "SELECT ip, port FROM mappings WHERE vnetid = ?1 AND mac = ?2")) ||
        (rc = r->by_arp.prepare(db, "SELECT mac FROM mappings WHERE vnetid = ?1 AND arp = ?2")) ||
        (rc = r->by_ndp.prepare(db, "SELECT mac FROM mappings WHERE vnetid = ?1 AND ndp = ?2")) ||
        (rc = r->dhcp.prepare(db,
                              "SELECT dhcp_proxy FROM mappings WHERE vnetid = ?1 AND mac = ?2")) ||
        (rc = r->get.prepare(db, get.c_str())) || (rc = r->walk.prepare(db, walk.c_str())) ||
        (rc = r->begin.prepare(db, "BEGIN")) || (rc = r->end.prepare(db, "COMMIT"))) {
        why = r->db.error();
        return nullptr;
    }
    return r;
}

void Sqlite::give(std::unique_ptr<Reader> r) {
    if (!r || r->gen != gen.load())
        return;
    std::lock_guard g(pool_mu);
    idle.push_back(std::move(r));
}

/* A lookup failed on SQLite: the poller decides what it means. */
void Sqlite::report(int rc, const std::string& why) {
    {
        std::lock_guard g(mu);
        if (problem.empty()) {
            problem = why;
            problem_rc = rc;
        }
        kicked = true;
    }
    cv.notify_all();
}

void Sqlite::degrade(const std::string& why) {
    std::string msg = prefix() + why;
    bool fresh;
    {
        std::lock_guard g(mu);
        fresh = degraded != msg;
        degraded = msg;
    }
    healthy = false;
    gen++; /* every Reader reopens after recovery */
    {
        std::lock_guard g(pool_mu);
        idle.clear();
    }
    close_poller();
    if (fresh)
        log(VARPD_LOG_ERR, prefix() + why + "; lookups answer drop until it is fixed");
    /* Re-asserted on every retry: varpd clears a degrade after vpo_start. */
    varpd_degrade(prov, msg.substr(0, VARPD_MSGLEN - 1).c_str());
}

/*
 * Open (creating the file only if this instance never had it open and its
 * directory exists), migrate, and become HEALTHY. false: degraded.
 */
bool Sqlite::check(bool at_start) {
    int err;
    FileSig now = sig_of(path, err);
    if (!now.exists) {
        std::string dir = path.substr(0, path.rfind('/'));
        struct stat st;
        if (err == ENOENT && (ever_opened || stat(dir.empty() ? "/" : dir.c_str(), &st) != 0)) {
            degrade(ever_opened ? "missing; waiting for it to appear"
                                : "missing (no directory " + dir + "); waiting for it to appear");
            return false;
        }
        if (err != ENOENT) {
            degrade(std::string("cannot stat: ") + std::strerror(err));
            return false;
        }
    }
    if (need_quick_check && now.same(broken_sig))
        return false; /* the corrupted file has not changed: stay degraded */
    vsql::Db db;
    std::string why;
    int rc = vsql::open(path, !ever_opened, false, at_start ? 0 : poller_busy_ms, 1024, db, why);
    int found = 0;
    if (rc == SQLITE_OK)
        rc = vsql::migrate(db.get(), why, &found);
    if (rc == SQLITE_OK && need_quick_check) {
        vsql::Stmt qc;
        rc = qc.prepare(db.get(), "PRAGMA quick_check(1)");
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(qc.get());
            const unsigned char* t = rc == SQLITE_ROW ? sqlite3_column_text(qc.get(), 0) : nullptr;
            if (t && std::strcmp(reinterpret_cast<const char*>(t), "ok") == 0)
                rc = SQLITE_OK;
            else {
                why = t ? std::string("quick_check: ") + reinterpret_cast<const char*>(t)
                        : db.error();
                rc = SQLITE_CORRUPT;
            }
        } else {
            why = db.error();
        }
    }
    if (rc == SQLITE_OK) {
        rc = p_version.prepare(db.get(), "PRAGMA data_version");
        if (rc == SQLITE_OK)
            rc = p_changes.prepare(
                db.get(), "SELECT seq, vnetid, mac FROM changes WHERE seq > ?1 ORDER BY seq");
        if (rc == SQLITE_OK)
            rc = p_sequence.prepare(db.get(),
                                    "SELECT seq FROM sqlite_sequence WHERE name = 'changes'");
        if (rc != SQLITE_OK)
            why = db.error();
    }
    int64_t seq = 0, version = 0;
    if (rc == SQLITE_OK) {
        vsql::Using u(p_sequence);
        int s = sqlite3_step(p_sequence.get());
        if (s == SQLITE_ROW)
            seq = sqlite3_column_int64(p_sequence.get(), 0);
        else if (s != SQLITE_DONE)
            rc = s, why = db.error();
    }
    if (rc == SQLITE_OK) {
        vsql::Using u(p_version);
        if (sqlite3_step(p_version.get()) == SQLITE_ROW)
            version = sqlite3_column_int64(p_version.get(), 0);
        else
            rc = sqlite3_errcode(db.get()), why = db.error();
    }
    if (rc != SQLITE_OK) {
        p_version.reset();
        p_changes.reset();
        p_sequence.reset();
        if ((rc & 0xff) == SQLITE_BUSY)
            why = "database is locked";
        degrade(why);
        return false;
    }
    if (found != vsql::schema_version)
        log(VARPD_LOG_INFO, prefix() + (found == 0 ? "created with schema version 2"
                                                   : "migrated from schema version " +
                                                         std::to_string(found) + " to 2"));
    schema = vsql::schema_version;
    sqlite3_busy_timeout(db.get(), poller_busy_ms);
    pdb = std::move(db);
    last_seq = seq;
    data_version = version;
    sig = sig_of(path, err);
    ever_opened = true;
    need_quick_check = false;
    bool was;
    {
        std::lock_guard g(mu);
        was = !degraded.empty();
        degraded.clear();
        problem.clear();
    }
    gen++;
    healthy = true;
    if (was) {
        log(VARPD_LOG_INFO, prefix() + "usable again; the overlay's cache is flushed");
        varpd_restore(prov);
    }
    /*
     * Flush at start too: the kernel keeps its cache while varpd restarts,
     * and changes made meanwhile were not seen by anyone.
     */
    flushes++;
    varpd_cache_flush(prov);
    return true;
}

void Sqlite::read_changes() {
    std::vector<std::array<uint8_t, 6>> macs;
    bool flush = false;
    int64_t expect = last_seq + 1;
    int rc;
    {
        vsql::Using u(p_changes);
        sqlite3_bind_int64(p_changes.get(), 1, last_seq);
        while ((rc = sqlite3_step(p_changes.get())) == SQLITE_ROW) {
            int64_t seq = sqlite3_column_int64(p_changes.get(), 0);
            if (seq != expect)
                flush = true; /* pruned before we saw them */
            expect = seq + 1;
            last_seq = seq;
            if (sqlite3_column_int64(p_changes.get(), 1) != vnetid)
                continue;
            const unsigned char* t = sqlite3_column_text(p_changes.get(), 2);
            std::array<uint8_t, 6> m;
            if (!t || !vsql::parse_mac(reinterpret_cast<const char*>(t), m.data()))
                flush = true; /* the whole vnet (or a key we cannot read) */
            else if (!flush && macs.size() < flush_over)
                macs.push_back(m);
            else
                flush = true;
            if (flush)
                break; /* the rest need not be read: sqlite_sequence says how far */
        }
    }
    if (rc != SQLITE_DONE && !(rc == SQLITE_ROW && flush)) {
        degrade(rc == SQLITE_BUSY ? "database is locked" : pdb.error());
        return;
    }
    {
        vsql::Using u(p_sequence);
        if (sqlite3_step(p_sequence.get()) == SQLITE_ROW) {
            int64_t top = sqlite3_column_int64(p_sequence.get(), 0);
            if (top > last_seq) { /* logged and pruned, all unseen */
                flush = true;
                last_seq = top;
            }
        }
    }
    if (flush || !macs.empty())
        epoch.fetch_add(1, std::memory_order_acq_rel); /* no lookup answers from before */
    if (flush) {
        flushes++;
        varpd_cache_flush(prov);
        return;
    }
    for (auto& m : macs) {
        invalidations++;
        varpd_cache_invalidate(prov, m.data());
    }
}

void Sqlite::prune() {
    std::string why;
    sqlite3_busy_timeout(pdb.get(), 0);
    char sql[128];
    std::snprintf(sql, sizeof(sql),
                  "DELETE FROM changes WHERE at < CAST(strftime('%%s', 'now') AS INTEGER) - %d",
                  keep_changes_s);
    vsql::exec(pdb.get(), sql, why); /* busy (a writer is at work): next time */
    sqlite3_busy_timeout(pdb.get(), poller_busy_ms);
}

/* One round while HEALTHY. */
void Sqlite::tick() {
    int err;
    FileSig now = sig_of(path, err);
    if (!now.exists) {
        degrade(err == ENOENT ? "missing; waiting for it to appear"
                              : std::string("cannot stat: ") + std::strerror(err));
        return;
    }
    if (!now.same(sig)) {
        /*
         * Replaced (new inode), or the main file written (a checkpoint, or
         * someone else's hands): a fresh connection checks it, since the
         * poller's own may answer from pages it has cached.
         */
        bool replaced = !now.same_file(sig);
        if (replaced)
            log(VARPD_LOG_WARNING, prefix() + "replaced by another file; checking it");
        if (replaced) {
            close_poller();
            check(false);
            return;
        }
        vsql::Db fresh;
        std::string why;
        int rc = vsql::open(path, false, false, poller_busy_ms, 64, fresh, why);
        if (rc == SQLITE_OK)
            rc = vsql::migrate(fresh.get(), why);
        if (rc != SQLITE_OK) {
            degrade((rc & 0xff) == SQLITE_BUSY ? "database is locked" : why);
            return;
        }
        sig = now;
    }
    std::string problem_now;
    int prc = 0;
    {
        std::lock_guard g(mu);
        problem_now.swap(problem);
        prc = problem_rc;
    }
    if (!problem_now.empty() && ((prc & 0xff) == SQLITE_CORRUPT || (prc & 0xff) == SQLITE_NOTADB)) {
        need_quick_check = true;
        broken_sig = now;
        degrade(problem_now);
        return;
    }
    int rc;
    int64_t version = 0;
    {
        vsql::Using u(p_version);
        rc = sqlite3_step(p_version.get());
        if (rc == SQLITE_ROW)
            version = sqlite3_column_int64(p_version.get(), 0);
    }
    if (rc != SQLITE_ROW) {
        degrade((rc & 0xff) == SQLITE_BUSY ? "database is locked" : pdb.error());
        return;
    }
    if (!problem_now.empty() && version == data_version) {
        /* A lookup failed, yet the database reads: say so and go on. */
        log(VARPD_LOG_WARNING, prefix() + "a lookup failed: " + problem_now);
    }
    if (version != data_version) {
        data_version = version;
        read_changes();
        if (!healthy)
            return;
    }
    auto t = std::chrono::steady_clock::now();
    if (t - last_prune >= prune_every) {
        last_prune = t;
        prune();
    }
    /* Idle Readers let go of their snapshots, so checkpoints can finish. */
    std::lock_guard g(pool_mu);
    for (auto& r : idle)
        if (r->held && t - r->since > hold_for)
            r->release();
}

void Sqlite::run() {
    std::unique_lock l(mu);
    while (!stopping) {
        auto wait = healthy ? poll_every : retry_every;
        cv.wait_for(l, wait, [&] { return stopping || kicked; });
        kicked = false;
        if (stopping)
            break;
        l.unlock();
        if (healthy)
            tick();
        else
            check(false);
        l.lock();
    }
}

bool Sqlite::start() {
    if (prov->vp_ops->vpv_version >= 2)
        vnetid = varpd_vnetid(prov);
    {
        std::lock_guard g(mu);
        stopping = false;
        kicked = false;
    }
    bool ok = check(true);
    poller = std::thread([this] { run(); });
    return ok;
}

void Sqlite::stop() {
    if (poller.joinable()) {
        {
            std::lock_guard g(mu);
            stopping = true;
        }
        cv.notify_all();
        poller.join();
    }
    healthy = false;
    gen++;
    {
        std::lock_guard g(pool_mu);
        idle.clear();
    }
    close_poller();
}

/* ---- the ops vector ---- */

int s_create(varpd_provider_t* prov, varpd_mode_t mode, void** argp) {
    if (mode != VARPD_MODE_DYNAMIC)
        return -ENOTSUP;
    try {
        auto s = std::make_unique<Sqlite>();
        s->prov = prov;
        *argp = s.release();
        return 0;
    } catch (...) {
        return -ENOMEM;
    }
}

int s_start(void* arg) {
    Sqlite* s = self(arg);
    try {
        if (s->path.empty()) {
            s->log(VARPD_LOG_ERR, "sqlite/path is required and unset");
            return -EINVAL;
        }
        s->start(); /* a bad database degrades the overlay; start still succeeds */
        return 0;
    } catch (...) {
        return -ENOMEM;
    }
}

void s_stop(void* arg) {
    try {
        self(arg)->stop();
    } catch (...) {
    }
}

void txn_end(Sqlite* s, Writer* w);

void s_destroy(void* arg) {
    Sqlite* s = self(arg);
    s_stop(arg);
    if (s->txn)
        txn_end(s, s->txn);
    delete s;
}

int s_default(void*, varpd_dest_t*) {
    return -ENOTSUP;
}

/*
 * Run one single-column or two-column SELECT keyed by (vnetid, key) on a
 * pooled Reader; fn reads the row. Returns false (after report()) when
 * SQLite failed; *found says whether a row came.
 */
template <class Pick, class Fn>
bool query(Sqlite* s, Pick pick, const void* key, int keylen, bool* found, Fn fn) {
    std::string why;
    int rc = SQLITE_OK;
    std::unique_ptr<Reader> r = s->take(why, rc);
    if (!r) {
        s->report(rc, why);
        return false;
    }
    bool ok = true;
    for (int attempt = 0;; attempt++) {
        uint64_t e = s->epoch.load(std::memory_order_acquire);
        auto now = std::chrono::steady_clock::now();
        if (r->held && (r->epoch != e || now - r->since > hold_for || r->uses >= hold_uses))
            r->release();
        if (!r->held) {
            vsql::Using b(r->begin);
            if (sqlite3_step(r->begin.get()) == SQLITE_DONE) {
                r->held = true;
                r->epoch = e;
                r->since = now;
                r->uses = 0;
            }
        }
        r->uses++;
        {
            vsql::Stmt& st = pick(*r);
            vsql::Using u(st);
            sqlite3_bind_int64(st.get(), 1, s->vnetid);
            sqlite3_bind_text(st.get(), 2, static_cast<const char*>(key), keylen, SQLITE_STATIC);
            rc = sqlite3_step(st.get());
            *found = rc == SQLITE_ROW;
            if (rc == SQLITE_ROW)
                fn(st.get());
            else if (rc != SQLITE_DONE) {
                ok = false;
                why = r->db.error();
            }
        }
        /*
         * The poller saw changes while we read: the snapshot may predate
         * them and their shootdowns may be out already. Read again.
         */
        if (!ok || s->epoch.load(std::memory_order_acquire) == r->epoch || attempt == 2)
            break;
        r->release();
    }
    if (!ok) {
        s->report(rc, why);
        return false;
    }
    s->give(std::move(r));
    return true;
}

void s_lookup(void* arg, varpd_query_t* q, const varpd_lookup_t* what) {
    Sqlite* s = self(arg);
    bool answered = false;
    try {
        if (s->healthy) {
            char mac[OV_ETHER_ADDRSTRLEN];
            vsql::mac_text(what->vl_dstmac, mac);
            varpd_dest_t d{};
            bool found = false, good = false;
            query(
                s, [](Reader& r) -> vsql::Stmt& { return r.by_mac; }, mac, 17, &found,
                [&](sqlite3_stmt* st) {
                    const unsigned char* ip = sqlite3_column_text(st, 0);
                    int64_t port = sqlite3_column_int64(st, 1);
                    good = ip && vsql::parse_ip(reinterpret_cast<const char*>(ip), d.vd_ip) &&
                           port >= 0 && port <= 65535;
                    d.vd_port = static_cast<uint16_t>(port);
                });
            if (found && good) {
                varpd_reply_dest(q, &d);
                answered = true;
            } else if (found) {
                s->log(VARPD_LOG_WARNING,
                       s->prefix() + "mac " + mac +
                           ": the row's ip or port is malformed; answering drop");
            }
        }
    } catch (...) {
    }
    if (!answered)
        varpd_reply_drop(q);
}

/* ARP / NDP: the MAC that owns an address, answered through reply. */
void proxy(Sqlite* s, varpd_query_t* q, bool v6, const uint8_t* ip,
           void (*reply)(varpd_query_t*, const uint8_t*)) {
    bool answered = false;
    try {
        if (s->healthy) {
            char text[64];
            if (inet_ntop(v6 ? AF_INET6 : AF_INET, ip, text, sizeof(text))) {
                uint8_t mac[6];
                bool found = false, good = false;
                auto pick = v6 ? +[](Reader& r) -> vsql::Stmt& { return r.by_ndp; }
                               : +[](Reader& r) -> vsql::Stmt& { return r.by_arp; };
                query(s, pick, text, static_cast<int>(std::strlen(text)), &found,
                      [&](sqlite3_stmt* st) {
                          const unsigned char* t = sqlite3_column_text(st, 0);
                          good = t && vsql::parse_mac(reinterpret_cast<const char*>(t), mac);
                      });
                if (found && good) {
                    reply(q, mac);
                    answered = true;
                }
            }
        }
    } catch (...) {
    }
    if (!answered)
        varpd_reply_drop(q);
}

void s_arp(void* arg, varpd_query_t* q, const uint8_t ip[4]) {
    proxy(self(arg), q, false, ip, varpd_reply_arp);
}

void s_ndp(void* arg, varpd_query_t* q, const uint8_t ip6[16]) {
    proxy(self(arg), q, true, ip6, varpd_reply_ndp);
}

void s_dhcp(void* arg, varpd_query_t* q, const varpd_lookup_t* what) {
    Sqlite* s = self(arg);
    bool answered = false;
    try {
        if (s->healthy) {
            char m[OV_ETHER_ADDRSTRLEN];
            vsql::mac_text(what->vl_srcmac, m);
            uint8_t mac[6];
            bool found = false, good = false;
            query(
                s, [](Reader& r) -> vsql::Stmt& { return r.dhcp; }, m, 17, &found,
                [&](sqlite3_stmt* st) {
                    const unsigned char* t = sqlite3_column_text(st, 0);
                    good = t && vsql::parse_mac(reinterpret_cast<const char*>(t), mac);
                });
            if (found && good) {
                varpd_reply_dhcp(q, mac);
                answered = true;
            }
        }
    } catch (...) {
    }
    if (!answered)
        varpd_reply_drop(q);
}

/* ---- properties ---- */

int s_nprops(void*, uint32_t* n) {
    *n = 4;
    return 0;
}

int s_propinfo(void*, uint32_t id, varpd_prop_info_t* info) {
    switch (id) {
    case 0:
        varpd_plugin::describe(info, prop_path, VARPD_PROP_T_STRING,
                               VARPD_PROP_PERM_READ | VARPD_PROP_PERM_WRITE |
                                   VARPD_PROP_PERM_REQUIRED);
        return 0;
    case 1:
        varpd_plugin::describe_uint(info, prop_schema, VARPD_PROP_PERM_READ, 0, UINT64_MAX,
                                    nullptr);
        return 0;
    case 2:
        varpd_plugin::describe_uint(info, prop_invalidations, VARPD_PROP_PERM_READ, 0, UINT64_MAX,
                                    nullptr);
        return 0;
    case 3:
        varpd_plugin::describe_uint(info, prop_flushes, VARPD_PROP_PERM_READ, 0, UINT64_MAX,
                                    nullptr);
        return 0;
    default:
        return -ENOENT;
    }
}

int s_getprop(void* arg, const char* name, void* buf, uint32_t* sizep) {
    Sqlite* s = self(arg);
    if (std::strcmp(name, prop_path) == 0)
        return varpd_plugin::give(s->path.c_str(),
                                  s->path.empty() ? 0 : static_cast<uint32_t>(s->path.size() + 1),
                                  buf, sizep);
    uint64_t v;
    if (std::strcmp(name, prop_schema) == 0)
        v = static_cast<uint64_t>(s->schema.load());
    else if (std::strcmp(name, prop_invalidations) == 0)
        v = s->invalidations;
    else if (std::strcmp(name, prop_flushes) == 0)
        v = s->flushes;
    else
        return -ENOENT;
    return varpd_plugin::give(&v, 8, buf, sizep);
}

bool valid_path(const char* s, size_t len) {
    return len >= 2 && len < 4096 && s[0] == '/' && s[len - 1] != '/' &&
           std::memchr(s, 0, len) == nullptr;
}

int s_setprop(void* arg, const char* name, const void* buf, uint32_t size) {
    Sqlite* s = self(arg);
    if (std::strcmp(name, prop_path) != 0)
        return std::strcmp(name, prop_schema) == 0 || std::strcmp(name, prop_invalidations) == 0 ||
                       std::strcmp(name, prop_flushes) == 0
                   ? -EPERM
                   : -ENOENT;
    const char* str = static_cast<const char*>(buf);
    if (size < 2 || str[size - 1] != '\0' || !valid_path(str, size - 1))
        return -EINVAL; /* absolute: varpd's cwd is not the operator's */
    if (s->txn_open)
        return -EBUSY;
    try {
        bool running = s->poller.joinable();
        if (running)
            s->stop();
        {
            std::lock_guard g(s->pool_mu);
            s->path = str;
        }
        s->ever_opened = false;
        s->need_quick_check = false;
        if (running)
            s->start();
        return 0;
    } catch (...) {
        return -ENOMEM;
    }
}

int s_save(void* arg, void* buf, size_t* lenp) {
    Sqlite* s = self(arg);
    size_t need = s->path.size();
    if (*lenp < need) {
        *lenp = need;
        return -ENOSPC;
    }
    std::memcpy(buf, s->path.data(), need);
    *lenp = need;
    return 0;
}

int s_restore(varpd_provider_t* prov, varpd_mode_t mode, const void* buf, size_t len, void** argp) {
    if (!valid_path(static_cast<const char*>(buf), len))
        return -EINVAL;
    int rc = s_create(prov, mode, argp);
    if (rc != 0)
        return rc;
    try {
        self(*argp)->path.assign(static_cast<const char*>(buf), len);
    } catch (...) {
        s_destroy(*argp);
        return -ENOMEM;
    }
    return 0;
}

/* ---- mappings ---- */

using varpd_plugin::fail;

/* A SQLite failure as errno and sentence. */
int sql_fail(Sqlite* s, varpd_err_t* err, sqlite3* db, int rc) {
    std::string why =
        "sqlite: " + s->prefix() + (db ? vsql::error_of(db) : std::string(sqlite3_errstr(rc)));
    int e = -EIO;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        e = -EBUSY;
        why = "sqlite: " + s->prefix() + "database is locked by another writer";
        break;
    case SQLITE_FULL:
        e = -ENOSPC;
        break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
        e = -EACCES;
        break;
    case SQLITE_NOMEM:
        e = -ENOMEM;
        break;
    }
    return fail(err, e, why.c_str());
}

int not_healthy(Sqlite* s, varpd_err_t* err) {
    std::string msg;
    {
        std::lock_guard g(s->mu);
        msg = s->degraded;
    }
    msg = "sqlite: " + (msg.empty() ? s->prefix() + "not started" : msg);
    return fail(err, -EIO, msg.c_str());
}

/* The transaction is over: roll back what is left (nothing after COMMIT). */
void txn_end(Sqlite* s, Writer* w) {
    std::string ignored;
    if (w->db)
        vsql::exec(w->db.get(), "ROLLBACK", ignored);
    delete w;
    s->txn = nullptr;
    s->txn_open = false;
}

int s_map_begin(void* arg, void** txnp, varpd_err_t* err) {
    Sqlite* s = self(arg);
    if (!s->healthy)
        return not_healthy(s, err);
    if (s->txn_open.exchange(true))
        return fail(err, -EBUSY,
                    "sqlite: a mapping transaction (an import) is already open on this overlay");
    try {
        auto w = std::make_unique<Writer>();
        std::string why;
        int rc = vsql::open(s->current_path(), false, false, writer_busy_ms, writer_cache_kib,
                            w->db, why);
        sqlite3* db = w->db.get();
        if (rc == SQLITE_OK)
            rc = w->upsert.prepare(
                db, "INSERT INTO mappings (vnetid, mac, ip, port, arp, ndp, dhcp_proxy)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (vnetid, mac) DO UPDATE SET"
                    " ip = excluded.ip, port = excluded.port, arp = excluded.arp,"
                    " ndp = excluded.ndp, dhcp_proxy = excluded.dhcp_proxy");
        if (rc == SQLITE_OK)
            rc = w->del.prepare(db, "DELETE FROM mappings WHERE vnetid = ?1 AND mac = ?2");
        if (rc == SQLITE_OK)
            rc =
                w->owner_arp.prepare(db, "SELECT mac FROM mappings WHERE vnetid = ?1 AND arp = ?2");
        if (rc == SQLITE_OK)
            rc =
                w->owner_ndp.prepare(db, "SELECT mac FROM mappings WHERE vnetid = ?1 AND ndp = ?2");
        if (rc == SQLITE_OK)
            rc = vsql::exec(db, "BEGIN IMMEDIATE", why);
        if (rc != SQLITE_OK) {
            s->txn_open = false;
            if (rc == SQLITE_CANTOPEN || !db)
                return fail(err, -EIO, ("sqlite: " + s->prefix() + why).c_str());
            return sql_fail(s, err, db, rc);
        }
        s->txn = w.release();
        *txnp = s->txn;
        return 0;
    } catch (...) {
        s->txn_open = false;
        return fail(err, -ENOMEM, "sqlite: out of memory");
    }
}

/* Check one mapping; "" when it may be stored. */
std::string refuse(const varpd_mapping_t& m) {
    if (m.vm_ttl != 0)
        return "sqlite: mappings do not expire; ttl is for etcd";
    const char* why = varpd_plugin::mapping_problem(m);
    return why ? "sqlite: mac " + vsql::mac_text(m.vm_mac) + ": " + why : "";
}

/*
 * One more change in w: past bulk_over, per-row logging goes off for the
 * rest of the transaction and one whole-vnet row is logged instead.
 */
int count_change(Sqlite* s, Writer* w) {
    if (w->bulk || ++w->changes <= bulk_over)
        return SQLITE_OK;
    char sql[160];
    std::snprintf(
        sql, sizeof(sql),
        "UPDATE meta SET log_rows = 0; INSERT INTO changes (vnetid, mac) VALUES (%u, NULL)",
        s->vnetid);
    std::string why;
    int rc = vsql::exec(w->db.get(), sql, why);
    if (rc == SQLITE_OK)
        w->bulk = true;
    return rc;
}

int s_map_put(void* arg, void* txn, const varpd_mapping_t* ms, size_t n, varpd_err_t* err) {
    Sqlite* s = self(arg);
    Writer* w = static_cast<Writer*>(txn);
    if (!w || w != s->txn)
        return fail(err, -EINVAL, "sqlite: no such transaction");
    try {
        sqlite3* db = w->db.get();
        for (size_t i = 0; i < n; i++) {
            const varpd_mapping_t& m = ms[i];
            std::string why = refuse(m);
            if (!why.empty())
                return fail(err, m.vm_ttl ? -ENOTSUP : -EINVAL, why.c_str());
            if (int rc = count_change(s, w); rc != SQLITE_OK)
                return sql_fail(s, err, db, rc);
            std::string mac = vsql::mac_text(m.vm_mac), ip = vsql::ip_text(m.vm_dest.vd_ip);
            char arp[INET_ADDRSTRLEN] = "", ndp[INET6_ADDRSTRLEN] = "";
            std::string dhcp;
            if (m.vm_flags & VARPD_MAP_F_ARP)
                inet_ntop(AF_INET, m.vm_arp, arp, sizeof(arp));
            if (m.vm_flags & VARPD_MAP_F_NDP)
                inet_ntop(AF_INET6, m.vm_ndp, ndp, sizeof(ndp));
            if (m.vm_flags & VARPD_MAP_F_DHCP)
                dhcp = vsql::mac_text(m.vm_dhcp);
            sqlite3_stmt* st = w->upsert.get();
            int rc;
            {
                vsql::Using u(w->upsert);
                sqlite3_bind_int64(st, 1, s->vnetid);
                sqlite3_bind_text(st, 2, mac.c_str(), -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, ip.c_str(), -1, SQLITE_STATIC);
                sqlite3_bind_int(st, 4, m.vm_dest.vd_port);
                if (*arp)
                    sqlite3_bind_text(st, 5, arp, -1, SQLITE_STATIC);
                if (*ndp)
                    sqlite3_bind_text(st, 6, ndp, -1, SQLITE_STATIC);
                if (!dhcp.empty())
                    sqlite3_bind_text(st, 7, dhcp.c_str(), -1, SQLITE_STATIC);
                rc = sqlite3_step(st);
            }
            if (rc == SQLITE_DONE)
                continue;
            if (rc == SQLITE_CONSTRAINT_UNIQUE) {
                /* Which address, and who answers for it. */
                for (int k = 0; k < 2; k++) {
                    const char* addr = k ? ndp : arp;
                    if (!*addr)
                        continue;
                    vsql::Stmt& o = k ? w->owner_ndp : w->owner_arp;
                    vsql::Using u(o);
                    sqlite3_bind_int64(o.get(), 1, s->vnetid);
                    sqlite3_bind_text(o.get(), 2, addr, -1, SQLITE_STATIC);
                    if (sqlite3_step(o.get()) == SQLITE_ROW) {
                        std::string owner =
                            reinterpret_cast<const char*>(sqlite3_column_text(o.get(), 0));
                        if (owner == mac)
                            continue;
                        std::string msg = std::string("sqlite: ") + (k ? "ndp " : "arp ") + addr +
                                          " already answers for MAC " + owner;
                        return fail(err, -EEXIST, msg.c_str());
                    }
                }
            }
            return sql_fail(s, err, db, rc);
        }
        return 0;
    } catch (...) {
        return fail(err, -ENOMEM, "sqlite: out of memory");
    }
}

int s_map_remove(void* arg, void* txn, const uint8_t mac[6], varpd_err_t* err) {
    Sqlite* s = self(arg);
    Writer* w = static_cast<Writer*>(txn);
    if (!w || w != s->txn)
        return fail(err, -EINVAL, "sqlite: no such transaction");
    try {
        std::string m = vsql::mac_text(mac);
        int rc = count_change(s, w);
        if (rc != SQLITE_OK)
            return sql_fail(s, err, w->db.get(), rc);
        {
            vsql::Using u(w->del);
            sqlite3_bind_int64(w->del.get(), 1, s->vnetid);
            sqlite3_bind_text(w->del.get(), 2, m.c_str(), -1, SQLITE_STATIC);
            rc = sqlite3_step(w->del.get());
        }
        if (rc != SQLITE_DONE)
            return sql_fail(s, err, w->db.get(), rc);
        if (sqlite3_changes(w->db.get()) == 0)
            return fail(err, -ENOENT,
                        ("sqlite: no mapping for MAC " + m + " on this overlay").c_str());
        return 0;
    } catch (...) {
        return fail(err, -ENOMEM, "sqlite: out of memory");
    }
}

int s_map_commit(void* arg, void* txn, varpd_err_t* err) {
    Sqlite* s = self(arg);
    Writer* w = static_cast<Writer*>(txn);
    if (!w || w != s->txn)
        return fail(err, -EINVAL, "sqlite: no such transaction");
    std::string why;
    sqlite3* db = w->db.get();
    int rc = SQLITE_OK;
    if (w->bulk)
        rc = vsql::exec(db, "UPDATE meta SET log_rows = 1", why);
    if (rc == SQLITE_OK)
        rc = vsql::exec(db, "COMMIT", why);
    int ret = 0;
    if (rc != SQLITE_OK)
        ret = sql_fail(s, err, db, rc);
    else
        s->epoch.fetch_add(1, std::memory_order_acq_rel); /* lookups read it from now on */
    txn_end(s, w);                                        /* after a failed COMMIT, the ROLLBACK */
    {
        std::lock_guard g(s->mu);
        s->kicked = true; /* the poller sees it now, not in 100 ms */
    }
    s->cv.notify_all();
    return ret;
}

void s_map_abort(void* arg, void* txn) {
    Sqlite* s = self(arg);
    Writer* w = static_cast<Writer*>(txn);
    if (w && w == s->txn)
        txn_end(s, w);
}

int s_map_get(void* arg, const uint8_t mac[6], varpd_mapping_t* out, varpd_err_t* err) {
    Sqlite* s = self(arg);
    if (!s->healthy)
        return not_healthy(s, err);
    try {
        std::string m = vsql::mac_text(mac), why;
        int rc = SQLITE_OK;
        auto r = s->take(why, rc);
        if (!r)
            return fail(err, -EIO, ("sqlite: " + s->prefix() + why).c_str());
        r->release(); /* what was committed last, not a lookup's snapshot */
        bool bad = false;
        {
            vsql::Using u(r->get);
            sqlite3_bind_int64(r->get.get(), 1, s->vnetid);
            sqlite3_bind_text(r->get.get(), 2, m.c_str(), -1, SQLITE_STATIC);
            rc = sqlite3_step(r->get.get());
            if (rc == SQLITE_ROW)
                bad = !vsql::row_to_mapping(r->get.get(), 0, *out, why);
            else if (rc != SQLITE_DONE)
                why = r->db.error();
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return fail(err, -EIO, ("sqlite: " + s->prefix() + why).c_str());
        s->give(std::move(r));
        if (rc == SQLITE_DONE)
            return fail(err, -ENOENT,
                        ("sqlite: no mapping for MAC " + m + " on this overlay").c_str());
        if (bad)
            return fail(err, -EIO, ("sqlite: " + s->prefix() + why).c_str());
        return 0;
    } catch (...) {
        return fail(err, -ENOMEM, "sqlite: out of memory");
    }
}

int s_map_walk(void* arg, const uint8_t* after, size_t max, varpd_map_walk_fn* fn, void* cookie,
               varpd_err_t* err) {
    Sqlite* s = self(arg);
    if (!s->healthy)
        return not_healthy(s, err);
    try {
        std::string from = after ? vsql::mac_text(after) : "", why;
        int rc = SQLITE_OK;
        auto r = s->take(why, rc);
        if (!r)
            return fail(err, -EIO, ("sqlite: " + s->prefix() + why).c_str());
        r->release();
        bool bad = false;
        {
            vsql::Using u(r->walk);
            sqlite3_stmt* st = r->walk.get();
            sqlite3_bind_int64(st, 1, s->vnetid);
            sqlite3_bind_text(st, 2, from.c_str(), -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, max > INT64_MAX ? INT64_MAX : static_cast<int64_t>(max));
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                varpd_mapping_t m;
                if (!vsql::row_to_mapping(st, 0, m, why)) {
                    bad = true;
                    break;
                }
                if (fn(cookie, &m) != 0) {
                    rc = SQLITE_DONE;
                    break;
                }
            }
            if (!bad && rc != SQLITE_DONE)
                why = r->db.error();
        }
        if (bad || rc != SQLITE_DONE)
            return fail(err, -EIO, ("sqlite: " + s->prefix() + why).c_str());
        s->give(std::move(r));
        return 0;
    } catch (...) {
        return fail(err, -ENOMEM, "sqlite: out of memory");
    }
}

const varpd_plugin_ops_t sqlite_ops = {
    .vpo_version = VARPD_PLUGIN_ABI_VERSION,
    .vpo_flags = VARPD_PLUGIN_F_BLOCKING,
    .vpo_reserved = 0,
    .vpo_create = s_create,
    .vpo_start = s_start,
    .vpo_stop = s_stop,
    .vpo_destroy = s_destroy,
    .vpo_default = s_default,
    .vpo_lookup = s_lookup,
    .vpo_nprops = s_nprops,
    .vpo_propinfo = s_propinfo,
    .vpo_getprop = s_getprop,
    .vpo_setprop = s_setprop,
    .vpo_save = s_save,
    .vpo_restore = s_restore,
    .vpo_arp = s_arp,
    .vpo_ndp = s_ndp,
    .vpo_dhcp = s_dhcp,
    .vpo_map_begin = s_map_begin,
    .vpo_map_put = s_map_put,
    .vpo_map_remove = s_map_remove,
    .vpo_map_commit = s_map_commit,
    .vpo_map_abort = s_map_abort,
    .vpo_map_get = s_map_get,
    .vpo_map_walk = s_map_walk,
};

} // namespace

VARPD_PLUGIN_EXPORT int varpd_plugin_register(varpd_register_t* reg) {
    return varpd_register_plugin(reg, "sqlite", VARPD_MODE_DYNAMIC, &sqlite_ops);
}
