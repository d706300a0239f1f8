/*
 * sqlite_schema: the varpd-sqlite(7) database as code -- the schema (a
 * public contract: other programs write it), its migrations, small RAII
 * wrappers over the SQLite C API, and the conversion between a row and a
 * varpd_mapping_t. The plugin, its tests and bench/sqlite share it.
 *
 * Theory: the schema version lives in PRAGMA user_version.
 *   0 and no tables  a new file: the current schema is created;
 *   1                mappings (and its proxy indexes) only: version 2's
 *                    objects are added, the rows are kept;
 *   2                current: mappings, changes (the change log, written by
 *                    triggers on mappings so that ANY writer is seen), meta
 *                    (one row: whether those triggers log per row);
 *   0 with tables,
 *   or > 2           refused with a sentence naming the problem.
 * A migration runs in one IMMEDIATE transaction: it happens entirely or
 * not at all, and two processes migrating at once serialise.
 *
 * Text forms are canonical so that equality in SQL is equality of
 * addresses: a MAC is lower-case "xx:xx:xx:xx:xx:xx" (a CHECK enforces it),
 * an address is what inet_ntop(3) writes (dotted quad, RFC 5952 IPv6).
 *
 * Not supported: downgrades; a schema in an attached database.
 */
#ifndef VARPD_SQLITE_SCHEMA_H
#define VARPD_SQLITE_SCHEMA_H

#include <cstdint>
#include <libtools/ethers.h>
#include <sqlite3.h>
#include <string>
#include <string_view>
#include <utility>
#include <varpd/plugin.h>

namespace vsql {

constexpr int schema_version = 2;

/* A connection's last error as a sentence (errno added for I/O). */
std::string error_of(sqlite3* db);

/* One connection; closed by the destructor. */
class Db {
public:
    Db() = default;
    explicit Db(sqlite3* d) : db_(d) {}
    ~Db() { reset(); }
    Db(Db&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
    Db& operator=(Db&& o) noexcept {
        if (this != &o) {
            reset();
            db_ = std::exchange(o.db_, nullptr);
        }
        return *this;
    }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    sqlite3* get() const { return db_; }
    explicit operator bool() const { return db_ != nullptr; }
    void reset() {
        if (db_)
            sqlite3_close_v2(db_);
        db_ = nullptr;
    }
    std::string error() const { return db_ ? error_of(db_) : "out of memory"; }

private:
    sqlite3* db_ = nullptr;
};

/* One prepared statement; finalised by the destructor. */
class Stmt {
public:
    Stmt() = default;
    ~Stmt() { reset(); }
    Stmt(Stmt&& o) noexcept : st_(std::exchange(o.st_, nullptr)) {}
    Stmt& operator=(Stmt&& o) noexcept {
        if (this != &o) {
            reset();
            st_ = std::exchange(o.st_, nullptr);
        }
        return *this;
    }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    /* SQLITE_OK or the error code. */
    int prepare(sqlite3* db, const char* sql) {
        reset();
        return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st_, nullptr);
    }
    sqlite3_stmt* get() const { return st_; }
    void reset() {
        if (st_)
            sqlite3_finalize(st_);
        st_ = nullptr;
    }

private:
    sqlite3_stmt* st_ = nullptr;
};

/* Resets a statement (and clears its bindings) when the scope ends. */
struct Using {
    sqlite3_stmt* st;
    explicit Using(const Stmt& s) : st(s.get()) {}
    ~Using() {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    Using(const Using&) = delete;
    Using& operator=(const Using&) = delete;
};

/*
 * Open path. create: make the file when it does not exist. readonly opens
 * for reading only. Sets busy_timeout (ms), the page cache limit (KiB),
 * synchronous=NORMAL, and turns memory-mapped I/O off (mapped pages would
 * count in varpd's resident memory). Returns SQLITE_OK or an error code, with *why set.
 */
int open(const std::string& path, bool create, bool readonly, int busy_ms, int cache_kib, Db& out,
         std::string& why);

/* Run SQL without results. SQLITE_OK or the error, with *why set. */
int exec(sqlite3* db, const char* sql, std::string& why);

/*
 * Bring the database to the current schema (see above) and turn WAL on.
 * Returns SQLITE_OK, or an error with *why a sentence; *found is the
 * user_version found before any migration.
 */
int migrate(sqlite3* db, std::string& why, int* found = nullptr);

/* Create the version 1 schema (tests of the migration, nothing else). */
int create_v1(sqlite3* db, std::string& why);

/* Text forms. */
std::string mac_text(const uint8_t mac[6]);
/* The same into a caller's buffer: no allocation (the lookup path). */
void mac_text(const uint8_t mac[6], char (&buf)[OV_ETHER_ADDRSTRLEN]);
bool parse_mac(std::string_view s, uint8_t out[6]);
/* Any IPv4 or IPv6 text into 16 bytes (IPv4 as ::ffff:a.b.c.d). */
bool parse_ip(const char* s, uint8_t out[16]);
/* 16 bytes into text: dotted quad for IPv4-mapped, else RFC 5952. */
std::string ip_text(const uint8_t ip[16]);

/*
 * Read a mappings row (the columns of select_columns, from column `first`)
 * into m. false with *why when a stored value is malformed.
 */
constexpr const char* select_columns = "mac, ip, port, arp, ndp, dhcp_proxy";
bool row_to_mapping(sqlite3_stmt* st, int first, varpd_mapping_t& m, std::string& why);

} // namespace vsql

#endif
