/*
 * sqlite_schema: see schema.h for the theory. The SQL below is the public
 * contract that varpd-sqlite(7) documents; change both together, and only
 * by adding a version with its migration.
 */
#include "schema.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <libtools/addr.h>
#include <libtools/ethers.h>

namespace vsql {

namespace {

#define VSQL_MAC_GLOB                                                                              \
    "'[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:"       \
    "[0-9a-f][0-9a-f]'"

/* Version 1: the mappings and the two proxy lookups. */
constexpr const char* v1_sql =
    "CREATE TABLE mappings ("
    " vnetid INTEGER NOT NULL CHECK (vnetid BETWEEN 0 AND 4294967295),"
    " mac TEXT NOT NULL CHECK (length(mac) = 17 AND mac GLOB " VSQL_MAC_GLOB "),"
    " ip TEXT NOT NULL,"
    " port INTEGER NOT NULL DEFAULT 0 CHECK (port BETWEEN 0 AND 65535),"
    " arp TEXT,"
    " ndp TEXT,"
    " dhcp_proxy TEXT CHECK (dhcp_proxy IS NULL OR"
    "   (length(dhcp_proxy) = 17 AND dhcp_proxy GLOB " VSQL_MAC_GLOB ")),"
    " PRIMARY KEY (vnetid, mac)"
    ") WITHOUT ROWID;"
    "CREATE UNIQUE INDEX mappings_arp ON mappings (vnetid, arp) WHERE arp IS NOT NULL;"
    "CREATE UNIQUE INDEX mappings_ndp ON mappings (vnetid, ndp) WHERE ndp IS NOT NULL;"
    "PRAGMA user_version = 1;";

/*
 * Version 2: the change log. Triggers on mappings log every changed key
 * (an UPDATE logs the old key and, when it differs, the new one) unless
 * meta.log_rows is 0 -- which a bulk import sets inside its own
 * transaction, logging one whole-vnet row (mac NULL) instead, and sets back
 * before it commits, so no other connection ever sees it 0.
 */
constexpr const char* v2_sql =
    "CREATE TABLE changes ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " vnetid INTEGER NOT NULL,"
    " mac TEXT,"
    " at INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))"
    ");"
    "CREATE TABLE meta ("
    " one INTEGER PRIMARY KEY CHECK (one = 1),"
    " log_rows INTEGER NOT NULL DEFAULT 1 CHECK (log_rows IN (0, 1))"
    ");"
    "INSERT INTO meta (one, log_rows) VALUES (1, 1);"
    "CREATE TRIGGER mappings_log_insert AFTER INSERT ON mappings"
    " WHEN coalesce((SELECT log_rows FROM meta), 1) BEGIN"
    " INSERT INTO changes (vnetid, mac) VALUES (NEW.vnetid, NEW.mac);"
    " END;"
    "CREATE TRIGGER mappings_log_update AFTER UPDATE ON mappings"
    " WHEN coalesce((SELECT log_rows FROM meta), 1) BEGIN"
    " INSERT INTO changes (vnetid, mac) VALUES (OLD.vnetid, OLD.mac);"
    " INSERT INTO changes (vnetid, mac) SELECT NEW.vnetid, NEW.mac"
    "  WHERE NEW.vnetid IS NOT OLD.vnetid OR NEW.mac IS NOT OLD.mac;"
    " END;"
    "CREATE TRIGGER mappings_log_delete AFTER DELETE ON mappings"
    " WHEN coalesce((SELECT log_rows FROM meta), 1) BEGIN"
    " INSERT INTO changes (vnetid, mac) VALUES (OLD.vnetid, OLD.mac);"
    " END;"
    "PRAGMA user_version = 2;";

std::string with_errno(sqlite3* db) {
    std::string s = sqlite3_errmsg(db);
    int e = sqlite3_system_errno(db);
    int code = sqlite3_errcode(db);
    if (e != 0 && (code == SQLITE_CANTOPEN || code == SQLITE_IOERR || code == SQLITE_READONLY ||
                   code == SQLITE_PERM))
        s += std::string(": ") + std::strerror(e);
    return s;
}

int one_int(sqlite3* db, const char* sql, int64_t& out, std::string& why) {
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            out = 0;
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK)
        why = with_errno(db);
    sqlite3_finalize(st);
    return rc;
}

/* Which of our objects exist, and how many tables in all. */
int objects(sqlite3* db, int64_t& ours, int64_t& all, std::string& why) {
    int rc = one_int(db,
                     "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND"
                     " name IN ('mappings', 'changes', 'meta')",
                     ours, why);
    if (rc == SQLITE_OK)
        rc = one_int(db,
                     "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND"
                     " name NOT LIKE 'sqlite_%'",
                     all, why);
    return rc;
}

} // namespace

std::string error_of(sqlite3* db) {
    return with_errno(db);
}

int open(const std::string& path, bool create, bool readonly, int busy_ms, int cache_kib, Db& out,
         std::string& why) {
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
    if (create && !readonly)
        flags |= SQLITE_OPEN_CREATE;
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    Db db(raw);
    if (rc != SQLITE_OK) {
        why = db.error();
        return rc;
    }
    sqlite3_busy_timeout(raw, busy_ms);
    char sql[128];
    /* synchronous is per connection: NORMAL is WAL's durable-enough setting. */
    std::snprintf(sql, sizeof(sql),
                  "PRAGMA cache_size = -%d; PRAGMA mmap_size = 0; PRAGMA synchronous = NORMAL;",
                  cache_kib);
    rc = exec(raw, sql, why);
    if (rc != SQLITE_OK)
        return rc;
    out = std::move(db);
    return SQLITE_OK;
}

int exec(sqlite3* db, const char* sql, std::string& why) {
    char* msg = nullptr;
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) {
        why = msg ? msg : sqlite3_errstr(rc);
        int e = sqlite3_system_errno(db);
        if (e != 0 && (rc & 0xff) == SQLITE_IOERR)
            why += std::string(": ") + std::strerror(e);
    }
    sqlite3_free(msg);
    return rc;
}

int create_v1(sqlite3* db, std::string& why) {
    int rc = exec(db, "BEGIN IMMEDIATE", why);
    if (rc != SQLITE_OK)
        return rc;
    rc = exec(db, v1_sql, why);
    std::string ignored;
    exec(db, rc == SQLITE_OK ? "COMMIT" : "ROLLBACK", rc == SQLITE_OK ? why : ignored);
    return rc;
}

int migrate(sqlite3* db, std::string& why, int* found) {
    /* WAL is a property of the file; setting it again is free. */
    int rc = exec(db, "PRAGMA journal_mode = WAL", why);
    if (rc != SQLITE_OK)
        return rc;
    exec(db, "PRAGMA synchronous = NORMAL", why);
    int64_t version = 0, ours = 0, all = 0;
    if ((rc = one_int(db, "PRAGMA user_version", version, why)) != SQLITE_OK ||
        (rc = objects(db, ours, all, why)) != SQLITE_OK)
        return rc;
    if (found)
        *found = static_cast<int>(version);
    if (version > schema_version) {
        why = "schema version " + std::to_string(version) +
              " is newer than this plugin understands (" + std::to_string(schema_version) + ")";
        return SQLITE_ERROR;
    }
    if (version == schema_version) {
        if (ours != 3) {
            why = "schema version 2 but a table (mappings, changes or meta) is missing";
            return SQLITE_CORRUPT;
        }
        return SQLITE_OK;
    }
    if (version < 0) {
        why = "schema version " + std::to_string(version) + " is not one this plugin knows";
        return SQLITE_ERROR;
    }
    /* Something to do: serialise with any other migrating process. */
    if ((rc = exec(db, "BEGIN IMMEDIATE", why)) != SQLITE_OK)
        return rc;
    std::string ignored;
    auto fail = [&](int r) {
        exec(db, "ROLLBACK", ignored);
        return r;
    };
    if ((rc = one_int(db, "PRAGMA user_version", version, why)) != SQLITE_OK ||
        (rc = objects(db, ours, all, why)) != SQLITE_OK)
        return fail(rc);
    if (version == 0 && all != 0) {
        why = "user_version is 0 but the database has tables: not a varpd-sqlite database";
        return fail(SQLITE_ERROR);
    }
    if (version == 0 && (rc = exec(db, v1_sql, why)) != SQLITE_OK)
        return fail(rc);
    if (version <= 1 && (rc = exec(db, v2_sql, why)) != SQLITE_OK)
        return fail(rc);
    if (version == 2 && ours != 3) {
        why = "schema version 2 but a table (mappings, changes or meta) is missing";
        return fail(SQLITE_CORRUPT);
    }
    if ((rc = exec(db, "COMMIT", why)) != SQLITE_OK)
        return fail(rc);
    return SQLITE_OK;
}

std::string mac_text(const uint8_t mac[6]) {
    char buf[OV_ETHER_ADDRSTRLEN];
    mac_text(mac, buf);
    return buf;
}

void mac_text(const uint8_t mac[6], char (&buf)[OV_ETHER_ADDRSTRLEN]) {
    ov_ether_addr_t a;
    std::memcpy(a.octet, mac, 6);
    ov_ethers_format(&a, buf, sizeof(buf), nullptr); /* cannot fail: the buffer fits */
}

bool parse_mac(std::string_view s, uint8_t out[6]) {
    ov_ether_addr_t a;
    if (s.size() != 17 || ov::ethers_parse(s, &a, nullptr) != 0)
        return false;
    std::memcpy(out, a.octet, 6);
    return true;
}

bool parse_ip(const char* s, uint8_t out[16]) {
    return ov_addr_parse(s, out, nullptr) == 0;
}

std::string ip_text(const uint8_t ip[16]) {
    return ov::addr_format(ip);
}

bool row_to_mapping(sqlite3_stmt* st, int first, varpd_mapping_t& m, std::string& why) {
    std::memset(&m, 0, sizeof(m));
    auto text = [&](int i) {
        const unsigned char* t = sqlite3_column_text(st, first + i);
        return t ? reinterpret_cast<const char*>(t) : nullptr;
    };
    const char* mac = text(0);
    if (!mac || !parse_mac(mac, m.vm_mac)) {
        why = std::string("malformed mac '") + (mac ? mac : "NULL") + "'";
        return false;
    }
    const char* ip = text(1);
    if (!ip || !parse_ip(ip, m.vm_dest.vd_ip)) {
        why = std::string("mac ") + mac + ": malformed ip '" + (ip ? ip : "NULL") + "'";
        return false;
    }
    int64_t port = sqlite3_column_int64(st, first + 2);
    if (port < 0 || port > 65535) {
        why = std::string("mac ") + mac + ": port " + std::to_string(port) + " out of range";
        return false;
    }
    m.vm_dest.vd_port = static_cast<uint16_t>(port);
    if (const char* arp = text(3)) {
        if (inet_pton(AF_INET, arp, m.vm_arp) != 1) {
            why = std::string("mac ") + mac + ": malformed arp '" + arp + "'";
            return false;
        }
        m.vm_flags |= VARPD_MAP_F_ARP;
    }
    if (const char* ndp = text(4)) {
        if (inet_pton(AF_INET6, ndp, m.vm_ndp) != 1) {
            why = std::string("mac ") + mac + ": malformed ndp '" + ndp + "'";
            return false;
        }
        m.vm_flags |= VARPD_MAP_F_NDP;
    }
    if (const char* d = text(5)) {
        if (!parse_mac(d, m.vm_dhcp)) {
            why = std::string("mac ") + mac + ": malformed dhcp_proxy '" + d + "'";
            return false;
        }
        m.vm_flags |= VARPD_MAP_F_DHCP;
    }
    return true;
}

} // namespace vsql
