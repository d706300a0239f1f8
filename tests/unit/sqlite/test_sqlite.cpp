// The sqlite backend driven through its ops vector as varpd drives it
// (tests/unit/plugins/harness.h), on real SQLite files in a temporary
// directory, with a second connection playing "another process" that
// writes the documented schema.
#include "../libtools/tempdir.h"
#include "../plugins/harness.h"
#include "schema.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

namespace {

using namespace plugin_harness;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

const varpd_plugin_ops_t* ops() {
    static Loaded p(std::string(OVERLAY_PLUGIN_DIR) + "/sqlite.so");
    return p.ops;
}

Mac6 mac(uint8_t last) {
    return {2, 0, 0, 0, 0, last};
}

/* A started instance on path, for vnet `vnet`; destroyed at scope end. */
struct Inst {
    Recorder rec;
    void* arg = nullptr;
    const varpd_plugin_ops_t* o = ops();
    explicit Inst(const std::string& path, uint32_t vnet = 7) {
        rec.vnetid = vnet;
        EXPECT_EQ(o->vpo_create(&rec.prov, VARPD_MODE_DYNAMIC, &arg), 0);
        EXPECT_EQ(set_str(o, arg, "sqlite/path", path), 0);
        EXPECT_EQ(o->vpo_start(arg), 0);
    }
    ~Inst() {
        o->vpo_stop(arg);
        o->vpo_destroy(arg);
    }
    Answer lookup(const Mac6& m) {
        varpd_lookup_t w{};
        std::memcpy(w.vl_dstmac, m.data(), 6);
        Answer a;
        o->vpo_lookup(arg, &a.q, &w);
        EXPECT_TRUE(a.wait());
        return a;
    }
    uint64_t uprop(const char* name) {
        uint64_t v = 0;
        uint32_t size = 8;
        EXPECT_EQ(o->vpo_getprop(arg, name, &v, &size), 0);
        return v;
    }
    size_t nflushes() {
        std::lock_guard g(rec.mu);
        return rec.flushes;
    }
    bool wait_degraded(const std::string& part, std::chrono::milliseconds limit = 3000ms) {
        return rec.wait_for([&] { return rec.degraded.find(part) != std::string::npos; }, limit);
    }
    bool wait_restored(std::chrono::milliseconds limit = 3000ms) {
        return rec.wait_for([&] { return rec.degraded.empty() && rec.restores > 0; }, limit);
    }
    bool wait_invalidated(const Mac6& m, std::chrono::milliseconds limit = 3000ms) {
        return rec.wait_for(
            [&] {
                for (auto& x : rec.invalidated)
                    if (x == m)
                        return true;
                return false;
            },
            limit);
    }
};

/* "Another process": a connection of its own on the same file. */
struct Outside {
    vsql::Db db;
    explicit Outside(const std::string& path, bool create = true) {
        std::string why;
        EXPECT_EQ(vsql::open(path, create, false, 2000, 1024, db, why), SQLITE_OK) << why;
    }
    int exec(const std::string& sql) {
        std::string why;
        int rc = vsql::exec(db.get(), sql.c_str(), why);
        if (rc != SQLITE_OK)
            last = why;
        return rc;
    }
    int64_t one(const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        int64_t v = -1;
        if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
    }
    std::string last;
};

/* A good version 2 database at path with one mapping of vnet 7. */
void make_good(const std::string& path, uint8_t last = 1, const char* ip = "192.0.2.1") {
    Outside w(path);
    std::string why;
    ASSERT_EQ(vsql::migrate(w.db.get(), why), SQLITE_OK) << why;
    char sql[256];
    std::snprintf(sql, sizeof(sql),
                  "INSERT INTO mappings (vnetid, mac, ip, port) VALUES (7, '02:00:00:00:00:%02x', "
                  "'%s', 4789)",
                  last, ip);
    ASSERT_EQ(w.exec(sql), SQLITE_OK) << w.last;
}

varpd_mapping_t mapping(uint8_t last, std::array<uint8_t, 16> ip, uint16_t port) {
    varpd_mapping_t m{};
    auto mm = mac(last);
    std::memcpy(m.vm_mac, mm.data(), 6);
    std::memcpy(m.vm_dest.vd_ip, ip.data(), 16);
    m.vm_dest.vd_port = port;
    return m;
}

} // namespace

TEST(SqliteSchema, CreatedWhenAbsentInWalMode) {
    TempDir t;
    std::string db = t.file("new.db");
    {
        Inst in(db);
        EXPECT_EQ(in.rec.degraded_msg(), "");
        EXPECT_EQ(in.uprop("sqlite/schema"), 2u);
        EXPECT_TRUE(in.rec.logged("created with schema version 2"));
        EXPECT_EQ(in.lookup(mac(1)).kind, Answer::drop);
    }
    Outside o(db, false);
    EXPECT_EQ(o.one("PRAGMA user_version"), 2);
    EXPECT_EQ(o.one("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"), 3);
    EXPECT_EQ(o.one("SELECT log_rows FROM meta"), 1);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(o.db.get(), "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
    sqlite3_finalize(st);
    /* The CHECKs refuse what the plugin could not read. */
    EXPECT_NE(
        o.exec("INSERT INTO mappings (vnetid, mac, ip) VALUES (7, '02:00:00:00:00:0A', '1.2.3.4')"),
        SQLITE_OK);
    EXPECT_NE(o.exec("INSERT INTO mappings (vnetid, mac, ip, port) VALUES (7, '02:00:00:00:00:0a', "
                     "'1.2.3.4', 70000)"),
              SQLITE_OK);
    EXPECT_NE(o.exec("INSERT INTO mappings (vnetid, mac, ip, dhcp_proxy) VALUES (7, "
                     "'02:00:00:00:00:0a', '1.2.3.4', 'x')"),
              SQLITE_OK);
}

TEST(SqliteSchema, MigratesVersion1KeepingRows) {
    TempDir t;
    std::string db = t.file("v1.db");
    {
        Outside o(db);
        std::string why;
        ASSERT_EQ(vsql::create_v1(o.db.get(), why), SQLITE_OK) << why;
        ASSERT_EQ(o.exec("INSERT INTO mappings (vnetid, mac, ip, port, arp) VALUES "
                         "(7, '02:00:00:00:00:01', '192.0.2.1', 4789, '10.0.0.1')"),
                  SQLITE_OK);
        EXPECT_EQ(o.one("PRAGMA user_version"), 1);
        EXPECT_EQ(o.one("SELECT count(*) FROM sqlite_schema WHERE name = 'changes'"), 0);
    }
    Inst in(db);
    EXPECT_EQ(in.rec.degraded_msg(), "");
    EXPECT_TRUE(in.rec.logged("migrated from schema version 1 to 2"));
    Answer a = in.lookup(mac(1));
    ASSERT_EQ(a.kind, Answer::dest);
    EXPECT_EQ(a.d.vd_ip[15], 1);
    EXPECT_EQ(a.d.vd_port, 4789);
    Outside o(db, false);
    EXPECT_EQ(o.one("PRAGMA user_version"), 2);
    EXPECT_EQ(o.one("SELECT count(*) FROM mappings"), 1);
    /* The new triggers log for outside writers. */
    ASSERT_EQ(o.exec("UPDATE mappings SET port = 8472"), SQLITE_OK);
    EXPECT_TRUE(in.wait_invalidated(mac(1)));
}

TEST(SqliteSchema, TooNewDegradesThenRecovers) {
    TempDir t;
    std::string db = t.file("new.db");
    make_good(db);
    Outside o(db, false);
    ASSERT_EQ(o.exec("PRAGMA user_version = 3"), SQLITE_OK);
    Inst in(db);
    EXPECT_TRUE(in.wait_degraded("schema version 3 is newer than this plugin understands (2)"))
        << in.rec.degraded_msg();
    EXPECT_NE(in.rec.degraded_msg().find(db), std::string::npos);
    EXPECT_EQ(in.lookup(mac(1)).kind, Answer::drop);
    varpd_err_t err{};
    void* txn = nullptr;
    EXPECT_EQ(in.o->vpo_map_begin(in.arg, &txn, &err), -EIO);
    EXPECT_NE(std::string(err.ve_msg).find("newer"), std::string::npos) << err.ve_msg;
    size_t flushes = in.nflushes();
    ASSERT_EQ(o.exec("PRAGMA user_version = 2"), SQLITE_OK);
    EXPECT_TRUE(in.wait_restored());
    EXPECT_TRUE(
        in.rec.wait_for([&] { return in.rec.flushes > flushes; }, 1000ms)); /* after restore */
    EXPECT_EQ(in.lookup(mac(1)).kind, Answer::dest);
}

TEST(SqliteSchema, RefusesForeignDatabase) {
    TempDir t;
    std::string db = t.file("foreign.db");
    {
        Outside o(db);
        ASSERT_EQ(o.exec("CREATE TABLE people (name TEXT)"), SQLITE_OK);
    }
    Inst in(db);
    EXPECT_TRUE(in.wait_degraded("not a varpd-sqlite database")) << in.rec.degraded_msg();
}

TEST(SqliteLookup, DestinationsAndProxies) {
    TempDir t;
    std::string db = t.file("m.db");
    make_good(db);
    {
        Outside o(db, false);
        ASSERT_EQ(o.exec("INSERT INTO mappings VALUES (7, '02:00:00:00:00:02', '2001:db8::2', 0, "
                         "'10.0.0.2', 'fd00::2', '02:00:00:00:00:99')"),
                  SQLITE_OK);
        ASSERT_EQ(o.exec("INSERT INTO mappings (vnetid, mac, ip) VALUES (8, '02:00:00:00:00:03', "
                         "'192.0.2.3')"),
                  SQLITE_OK);
    }
    Inst in(db);
    Answer a = in.lookup(mac(1));
    ASSERT_EQ(a.kind, Answer::dest);
    auto v4ip = v4(192, 0, 2, 1);
    EXPECT_EQ(std::memcmp(a.d.vd_ip, v4ip.data(), 16), 0);
    EXPECT_EQ(a.d.vd_port, 4789);
    Answer b = in.lookup(mac(2));
    ASSERT_EQ(b.kind, Answer::dest);
    EXPECT_EQ(b.d.vd_ip[0], 0x20);
    EXPECT_EQ(b.d.vd_ip[15], 2);
    EXPECT_EQ(b.d.vd_port, 0);
    EXPECT_EQ(in.lookup(mac(3)).kind, Answer::drop) << "another vnet's MAC";
    EXPECT_EQ(in.lookup(mac(4)).kind, Answer::drop);

    uint8_t ip4[4] = {10, 0, 0, 2};
    Answer arp;
    in.o->vpo_arp(in.arg, &arp.q, ip4);
    ASSERT_EQ(arp.kind, Answer::arp);
    EXPECT_EQ(arp.mac[5], 2);
    uint8_t other4[4] = {10, 0, 0, 9};
    Answer noarp;
    in.o->vpo_arp(in.arg, &noarp.q, other4);
    EXPECT_EQ(noarp.kind, Answer::drop);

    uint8_t ip6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    Answer ndp;
    in.o->vpo_ndp(in.arg, &ndp.q, ip6);
    ASSERT_EQ(ndp.kind, Answer::ndp);
    EXPECT_EQ(ndp.mac[5], 2);

    varpd_lookup_t w{};
    auto m2 = mac(2);
    std::memcpy(w.vl_srcmac, m2.data(), 6);
    Answer dhcp;
    in.o->vpo_dhcp(in.arg, &dhcp.q, &w);
    ASSERT_EQ(dhcp.kind, Answer::dhcp);
    EXPECT_EQ(dhcp.mac[5], 0x99);
    auto m1 = mac(1);
    std::memcpy(w.vl_srcmac, m1.data(), 6);
    Answer nodhcp;
    in.o->vpo_dhcp(in.arg, &nodhcp.q, &w);
    EXPECT_EQ(nodhcp.kind, Answer::drop) << "no dhcp-proxy for that MAC";

    /* A malformed row (an outside writer's mistake) answers drop and says so. */
    Outside o(db, false);
    ASSERT_EQ(
        o.exec("INSERT INTO mappings (vnetid, mac, ip) VALUES (7, '02:00:00:00:00:05', 'nope')"),
        SQLITE_OK);
    EXPECT_TRUE(in.wait_invalidated(mac(5))); /* the kernel asks again after this */
    EXPECT_EQ(in.lookup(mac(5)).kind, Answer::drop);
    EXPECT_TRUE(in.rec.logged("02:00:00:00:00:05: the row's ip or port is malformed"));
}

TEST(SqliteLookup, ConcurrentWorkers) {
    TempDir t;
    std::string db = t.file("m.db");
    make_good(db);
    Inst in(db);
    std::vector<std::thread> th;
    std::atomic<int> good{0};
    for (int k = 0; k < 4; k++)
        th.emplace_back([&] {
            for (int i = 0; i < 500; i++) {
                varpd_lookup_t w{};
                auto m = mac(i % 2 ? 1 : 2);
                std::memcpy(w.vl_dstmac, m.data(), 6);
                Answer a;
                in.o->vpo_lookup(in.arg, &a.q, &w);
                if ((i % 2 && a.kind == Answer::dest) || (!(i % 2) && a.kind == Answer::drop))
                    good++;
            }
        });
    for (auto& x : th)
        x.join();
    EXPECT_EQ(good.load(), 2000);
}

TEST(SqliteMap, TransactionsGetWalk) {
    TempDir t;
    std::string db = t.file("m.db");
    Inst in(db);
    auto* o = in.o;
    varpd_err_t err{};
    void* txn = nullptr;
    ASSERT_EQ(o->vpo_map_begin(in.arg, &txn, &err), 0) << err.ve_msg;
    void* txn2 = nullptr;
    EXPECT_EQ(o->vpo_map_begin(in.arg, &txn2, &err), -EBUSY);
    EXPECT_NE(std::string(err.ve_msg).find("already open"), std::string::npos) << err.ve_msg;
    varpd_mapping_t ms[3] = {mapping(3, v4(192, 0, 2, 3), 4789), mapping(1, v4(192, 0, 2, 1), 0),
                             mapping(2, v4(192, 0, 2, 2), 1)};
    ms[1].vm_flags = VARPD_MAP_F_ARP | VARPD_MAP_F_NDP | VARPD_MAP_F_DHCP;
    uint8_t a1[4] = {10, 0, 0, 1};
    std::memcpy(ms[1].vm_arp, a1, 4);
    ms[1].vm_ndp[0] = 0xfd;
    ms[1].vm_ndp[15] = 1;
    auto d = mac(0x99);
    std::memcpy(ms[1].vm_dhcp, d.data(), 6);
    ASSERT_EQ(o->vpo_map_put(in.arg, txn, ms, 3, &err), 0) << err.ve_msg;
    /* Invisible until commit. */
    EXPECT_EQ(in.lookup(mac(1)).kind, Answer::drop);
    varpd_mapping_t got{};
    EXPECT_EQ(o->vpo_map_get(in.arg, mac(1).data(), &got, &err), -ENOENT);
    ASSERT_EQ(o->vpo_map_commit(in.arg, txn, &err), 0) << err.ve_msg;
    EXPECT_TRUE(in.wait_invalidated(mac(1), 1000ms));
    Answer a = in.lookup(mac(1));
    ASSERT_EQ(a.kind, Answer::dest);
    EXPECT_EQ(a.d.vd_ip[15], 1);
    ASSERT_EQ(o->vpo_map_get(in.arg, mac(1).data(), &got, &err), 0) << err.ve_msg;
    EXPECT_EQ(got.vm_flags, VARPD_MAP_F_ARP | VARPD_MAP_F_NDP | VARPD_MAP_F_DHCP);
    EXPECT_EQ(std::memcmp(got.vm_arp, a1, 4), 0);
    EXPECT_EQ(got.vm_ndp[15], 1);
    EXPECT_EQ(got.vm_dhcp[5], 0x99);
    EXPECT_EQ(got.vm_ttl, 0u);

    /* Walk: MAC order, after, max, the callback stops it. */
    std::vector<uint8_t> seen;
    auto collect = [](void* c, const varpd_mapping_t* m) -> int {
        static_cast<std::vector<uint8_t>*>(c)->push_back(m->vm_mac[5]);
        return 0;
    };
    ASSERT_EQ(o->vpo_map_walk(in.arg, nullptr, 100, collect, &seen, &err), 0);
    EXPECT_EQ(seen, (std::vector<uint8_t>{1, 2, 3}));
    seen.clear();
    ASSERT_EQ(o->vpo_map_walk(in.arg, mac(1).data(), 1, collect, &seen, &err), 0);
    EXPECT_EQ(seen, (std::vector<uint8_t>{2}));
    seen.clear();
    auto stop = [](void* c, const varpd_mapping_t* m) -> int {
        static_cast<std::vector<uint8_t>*>(c)->push_back(m->vm_mac[5]);
        return 1;
    };
    ASSERT_EQ(o->vpo_map_walk(in.arg, nullptr, 100, stop, &seen, &err), 0);
    EXPECT_EQ(seen.size(), 1u);

    /* Abort forgets. */
    ASSERT_EQ(o->vpo_map_begin(in.arg, &txn, &err), 0) << err.ve_msg;
    ASSERT_EQ(o->vpo_map_remove(in.arg, txn, mac(1).data(), &err), 0) << err.ve_msg;
    varpd_mapping_t m4 = mapping(4, v4(192, 0, 2, 4), 0);
    ASSERT_EQ(o->vpo_map_put(in.arg, txn, &m4, 1, &err), 0);
    o->vpo_map_abort(in.arg, txn);
    EXPECT_EQ(in.lookup(mac(1)).kind, Answer::dest);
    EXPECT_EQ(in.lookup(mac(4)).kind, Answer::drop);

    /* Refusals, each with its sentence. */
    ASSERT_EQ(o->vpo_map_begin(in.arg, &txn, &err), 0) << err.ve_msg;
    EXPECT_EQ(o->vpo_map_remove(in.arg, txn, mac(9).data(), &err), -ENOENT);
    EXPECT_STREQ(err.ve_msg, "sqlite: no mapping for MAC 02:00:00:00:00:09 on this overlay");
    varpd_mapping_t ttl = mapping(5, v4(192, 0, 2, 5), 0);
    ttl.vm_ttl = 30;
    EXPECT_EQ(o->vpo_map_put(in.arg, txn, &ttl, 1, &err), -ENOTSUP);
    EXPECT_STREQ(err.ve_msg, "sqlite: mappings do not expire; ttl is for etcd");
    varpd_mapping_t dup = mapping(6, v4(192, 0, 2, 6), 0);
    dup.vm_flags = VARPD_MAP_F_ARP;
    std::memcpy(dup.vm_arp, a1, 4);
    EXPECT_EQ(o->vpo_map_put(in.arg, txn, &dup, 1, &err), -EEXIST);
    EXPECT_STREQ(err.ve_msg, "sqlite: arp 10.0.0.1 already answers for MAC 02:00:00:00:00:01");
    varpd_mapping_t zero = mapping(6, {}, 0);
    EXPECT_EQ(o->vpo_map_put(in.arg, txn, &zero, 1, &err), -EINVAL);
    varpd_mapping_t flags = mapping(6, v4(192, 0, 2, 6), 0);
    flags.vm_flags = 0x80;
    EXPECT_EQ(o->vpo_map_put(in.arg, txn, &flags, 1, &err), -EINVAL);
    /* Re-putting its own arp address is fine (a replace of that MAC). */
    ms[1].vm_dest.vd_port = 999;
    EXPECT_EQ(o->vpo_map_put(in.arg, txn, &ms[1], 1, &err), 0) << err.ve_msg;
    o->vpo_map_abort(in.arg, txn);
}

TEST(SqliteMap, BulkImportLogsTheVnetOnce) {
    TempDir t;
    std::string db = t.file("m.db");
    Inst in(db);
    auto* o = in.o;
    varpd_err_t err{};
    void* txn = nullptr;
    ASSERT_EQ(o->vpo_map_begin(in.arg, &txn, &err), 0) << err.ve_msg;
    std::vector<varpd_mapping_t> ms;
    for (int i = 0; i < 2000; i++) {
        varpd_mapping_t m = mapping(0, v4(192, 0, 2, 1), 4789);
        m.vm_mac[4] = static_cast<uint8_t>(i >> 8);
        m.vm_mac[5] = static_cast<uint8_t>(i);
        ms.push_back(m);
    }
    ASSERT_EQ(o->vpo_map_put(in.arg, txn, ms.data(), ms.size(), &err), 0) << err.ve_msg;
    size_t flushes = in.nflushes();
    ASSERT_EQ(o->vpo_map_commit(in.arg, txn, &err), 0) << err.ve_msg;
    EXPECT_TRUE(in.rec.wait_for([&] { return in.rec.flushes > flushes; }, 1000ms));
    Outside w(db, false);
    EXPECT_EQ(w.one("SELECT count(*) FROM mappings"), 2000);
    EXPECT_LE(w.one("SELECT count(*) FROM changes"), 300) << "per-row logging stops after 256";
    EXPECT_EQ(w.one("SELECT count(*) FROM changes WHERE mac IS NULL AND vnetid = 7"), 1);
    EXPECT_EQ(w.one("SELECT log_rows FROM meta"), 1);
    EXPECT_EQ(in.lookup({2, 0, 0, 0, 7, 0xcf}).kind, Answer::dest);

    /* Removes count too. */
    int64_t logged = w.one("SELECT count(*) FROM changes");
    ASSERT_EQ(o->vpo_map_begin(in.arg, &txn, &err), 0) << err.ve_msg;
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(o->vpo_map_remove(in.arg, txn, ms[i].vm_mac, &err), 0) << err.ve_msg;
    flushes = in.nflushes();
    ASSERT_EQ(o->vpo_map_commit(in.arg, txn, &err), 0) << err.ve_msg;
    EXPECT_TRUE(in.rec.wait_for([&] { return in.rec.flushes > flushes; }, 1000ms));
    EXPECT_EQ(w.one("SELECT count(*) FROM mappings"), 1000);
    EXPECT_LE(w.one("SELECT count(*) FROM changes") - logged, 300);
}

TEST(SqliteOutside, InsertUpdateDeleteInvalidatedWithinOneSecond) {
    TempDir t;
    std::string db = t.file("o.db");
    make_good(db);
    Inst in(db);
    Outside w(db, false);
    auto timed = [&](const std::string& sql, const Mac6& m) {
        size_t before = in.rec.invalidations();
        auto t0 = clk::now();
        EXPECT_EQ(w.exec(sql), SQLITE_OK) << w.last;
        bool ok = in.rec.wait_for(
            [&] {
                for (size_t i = before; i < in.rec.invalidated.size(); i++)
                    if (in.rec.invalidated[i] == m)
                        return true;
                return false;
            },
            2000ms);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clk::now() - t0).count();
        EXPECT_TRUE(ok) << sql;
        EXPECT_LT(ms, 1000) << sql;
        return ms;
    };
    /* INSERT: the kernel may hold a DROP for it. */
    timed("INSERT INTO mappings (vnetid, mac, ip, port) VALUES (7, '02:00:00:00:00:02', "
          "'192.0.2.2', 0)",
          mac(2));
    EXPECT_EQ(in.lookup(mac(2)).kind, Answer::dest);
    timed("UPDATE mappings SET ip = '192.0.2.22' WHERE mac = '02:00:00:00:00:02'", mac(2));
    Answer a = in.lookup(mac(2));
    ASSERT_EQ(a.kind, Answer::dest);
    EXPECT_EQ(a.d.vd_ip[15], 22);
    /* An UPDATE of the key shoots down both MACs. */
    timed("UPDATE mappings SET mac = '02:00:00:00:00:03' WHERE mac = '02:00:00:00:00:02'", mac(3));
    EXPECT_TRUE(in.wait_invalidated(mac(2)));
    timed("DELETE FROM mappings WHERE mac = '02:00:00:00:00:01'", mac(1));
    EXPECT_EQ(in.lookup(mac(1)).kind, Answer::drop);
    /* Another vnet's change is not ours. */
    size_t n = in.rec.invalidations();
    ASSERT_EQ(
        w.exec(
            "INSERT INTO mappings (vnetid, mac, ip) VALUES (8, '02:00:00:00:00:44', '192.0.2.4')"),
        SQLITE_OK);
    std::this_thread::sleep_for(400ms);
    EXPECT_EQ(in.rec.invalidations(), n);
    EXPECT_GT(in.uprop("sqlite/invalidations"), 0u);
}

/*
 * A real other process: the sqlite3 shell. popen()s it with script on its
 * stdin; the returned handle is pclose()d by the caller.
 */
std::FILE* sqlite3_shell(const std::string& db, const std::string& script) {
    std::string cmd = std::string(SQLITE3_SHELL) + " " + db + " <<'EOF'\n" + script + "\nEOF\n";
    return ::popen(cmd.c_str(), "r");
}

TEST(SqliteOutside, AnotherProcessIsSeenWithinOneSecond) {
    if (!*SQLITE3_SHELL)
        GTEST_SKIP() << "no sqlite3 shell (make deps installs it)";
    TempDir t;
    std::string db = t.file("p.db");
    make_good(db);
    Inst in(db);
    ASSERT_EQ(in.lookup(mac(1)).kind, Answer::dest);
    auto t0 = clk::now();
    std::FILE* p =
        sqlite3_shell(db, "UPDATE mappings SET port = 8472 WHERE mac = '02:00:00:00:00:01';");
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(pclose(p), 0);
    EXPECT_TRUE(in.wait_invalidated(mac(1), 2000ms));
    EXPECT_LT(clk::now() - t0, 1000ms);
    Answer a = in.lookup(mac(1));
    ASSERT_EQ(a.kind, Answer::dest);
    EXPECT_EQ(a.d.vd_port, 8472);
}

TEST(SqliteHealth, LockedByAnotherProcess) {
    if (!*SQLITE3_SHELL)
        GTEST_SKIP() << "no sqlite3 shell (make deps installs it)";
    TempDir t;
    std::string db = t.file("p.db");
    make_good(db);
    /* The shell takes the file exclusively, says so, and holds it 1.5 s. */
    std::FILE* p = sqlite3_shell(db, "PRAGMA locking_mode = EXCLUSIVE;\nBEGIN EXCLUSIVE;\n"
                                     "DELETE FROM changes;\nCOMMIT;\n.print locked\n"
                                     ".shell sleep 1.5");
    ASSERT_NE(p, nullptr);
    char line[64] = "";
    while (std::fgets(line, sizeof(line), p) && std::strncmp(line, "locked", 6) != 0) {
    }
    ASSERT_EQ(std::strncmp(line, "locked", 6), 0);
    Inst in(db);
    EXPECT_TRUE(in.wait_degraded("database is locked")) << in.rec.degraded_msg();
    EXPECT_EQ(pclose(p), 0);
    EXPECT_TRUE(in.wait_restored()) << in.rec.degraded_msg();
    EXPECT_EQ(in.lookup(mac(1)).kind, Answer::dest);
}

TEST(SqliteOutside, NoAnswerOlderThanItsShootdown) {
    /*
     * Readers keep a snapshot across lookups; one that starts after the
     * shootdown of a change must still see the change.
     */
    TempDir t;
    std::string db = t.file("o.db");
    make_good(db, 1, "192.0.2.1");
    Inst in(db);
    std::atomic<bool> after{false}, stop{false};
    std::atomic<int> stale{0}, fresh{0};
    std::thread busy([&] {
        while (!stop) {
            bool was_after = after.load();
            Answer a = in.lookup(mac(1));
            if (was_after && a.kind == Answer::dest)
                (a.d.vd_ip[15] == 2 ? fresh : stale)++;
        }
    });
    std::this_thread::sleep_for(50ms);
    Outside w(db, false);
    ASSERT_EQ(w.exec("UPDATE mappings SET ip = '192.0.2.2' WHERE mac = '02:00:00:00:00:01'"),
              SQLITE_OK);
    EXPECT_TRUE(in.wait_invalidated(mac(1)));
    after = true;
    std::this_thread::sleep_for(50ms);
    stop = true;
    busy.join();
    EXPECT_EQ(stale.load(), 0);
    EXPECT_GT(fresh.load(), 0);
}

TEST(SqliteOutside, PrunedChangesFlushTheCache) {
    TempDir t;
    std::string db = t.file("o.db");
    make_good(db);
    Inst in(db);
    Outside w(db, false);
    size_t flushes = in.nflushes();
    /* Changes logged and pruned before the poller saw them: a gap. */
    ASSERT_EQ(
        w.exec("BEGIN; INSERT INTO mappings (vnetid, mac, ip) VALUES (7, '02:00:00:00:00:05', "
               "'192.0.2.5'); DELETE FROM changes; COMMIT"),
        SQLITE_OK);
    EXPECT_TRUE(in.rec.wait_for([&] { return in.rec.flushes > flushes; }, 1000ms));
    /* Many changes at once (an outside bulk writer logging per row): one flush. */
    flushes = in.nflushes();
    size_t inval = in.rec.invalidations();
    ASSERT_EQ(
        w.exec("WITH RECURSIVE n(i) AS (SELECT 16 UNION ALL SELECT i + 1 FROM n WHERE i < 5015)"
               " INSERT INTO mappings (vnetid, mac, ip) SELECT 7, printf('02:00:00:01:%02x:%02x',"
               " i / 256, i % 256), '192.0.2.9' FROM n"),
        SQLITE_OK)
        << w.last;
    EXPECT_TRUE(in.rec.wait_for([&] { return in.rec.flushes > flushes; }, 1000ms));
    EXPECT_EQ(in.rec.invalidations(), inval) << "a flush instead of 5000 shootdowns";
    EXPECT_EQ(in.lookup({2, 0, 0, 1, 0x13, 0x97}).kind, Answer::dest);
    /* A whole-vnet row, as a bulk writer logs. */
    flushes = in.nflushes();
    ASSERT_EQ(w.exec("INSERT INTO changes (vnetid, mac) VALUES (7, NULL)"), SQLITE_OK);
    EXPECT_TRUE(in.rec.wait_for([&] { return in.rec.flushes > flushes; }, 1000ms));
}

TEST(SqliteHealth, CorruptedThenFixed) {
    TempDir t;
    std::string db = t.file("c.db");
    make_good(db);
    Inst in(db);
    ASSERT_EQ(in.lookup(mac(1)).kind, Answer::dest);
    {
        std::string junk(8192, 'x');
        std::ofstream f(db, std::ios::binary | std::ios::trunc);
        f << junk;
    }
    EXPECT_TRUE(in.wait_degraded("file is not a database")) << in.rec.degraded_msg();
    EXPECT_NE(in.rec.degraded_msg().find(db), std::string::npos);
    EXPECT_EQ(in.lookup(mac(1)).kind, Answer::drop);
    /* Fixed: a good database renamed into place. */
    std::string good = t.file("good.db");
    make_good(good, 1, "192.0.2.77");
    size_t flushes = in.nflushes();
    std::filesystem::remove(db + "-wal");
    std::filesystem::remove(db + "-shm");
    std::filesystem::rename(good, db);
    EXPECT_TRUE(in.wait_restored()) << in.rec.degraded_msg();
    EXPECT_TRUE(
        in.rec.wait_for([&] { return in.rec.flushes > flushes; }, 1000ms)); /* after restore */
    Answer a = in.lookup(mac(1));
    ASSERT_EQ(a.kind, Answer::dest);
    EXPECT_EQ(a.d.vd_ip[15], 77);
}

TEST(SqliteHealth, CorruptPagesMetByALookup) {
    /* The header and schema are fine; B-tree pages in the middle are not. */
    TempDir t;
    std::string db = t.file("c.db");
    {
        Outside w(db);
        std::string why;
        ASSERT_EQ(vsql::migrate(w.db.get(), why), SQLITE_OK) << why;
        ASSERT_EQ(
            w.exec(
                "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19999)"
                " INSERT INTO mappings (vnetid, mac, ip) SELECT 7, printf('02:00:00:00:%02x:%02x',"
                " i / 256, i % 256), '192.0.2.1' FROM n"),
            SQLITE_OK);
    } /* the last connection closed: everything is in the main file */
    auto size = std::filesystem::file_size(db);
    ASSERT_GT(size, 40u * 4096);
    {
        std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(16 * 4096);
        std::string junk(size - 24 * 4096, '\xa5');
        f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    Inst in(db);
    int drops = 0;
    for (int i = 0; i < 20000 && in.rec.degraded_msg().empty(); i += 97) {
        Answer a = in.lookup({2, 0, 0, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)});
        drops += a.kind == Answer::drop;
    }
    EXPECT_GT(drops, 0);
    EXPECT_TRUE(in.wait_degraded("malformed")) << in.rec.degraded_msg();
    /* The same broken file stays broken. */
    std::this_thread::sleep_for(700ms);
    EXPECT_NE(in.rec.degraded_msg(), "");
    std::string good = t.file("good.db");
    make_good(good);
    std::filesystem::rename(good, db);
    EXPECT_TRUE(in.wait_restored()) << in.rec.degraded_msg();
    EXPECT_EQ(in.lookup(mac(1)).kind, Answer::dest);
}

TEST(SqliteHealth, GarbageAtStart) {
    TempDir t;
    std::string db = t.file("c.db");
    {
        std::ofstream f(db, std::ios::binary);
        f << std::string(4096, '\x5a');
    }
    Inst in(db);
    EXPECT_TRUE(in.wait_degraded("file is not a database")) << in.rec.degraded_msg();
    EXPECT_EQ(in.lookup(mac(1)).kind, Answer::drop);
}

TEST(SqliteHealth, UnreadableThenFixed) {
    /*
     * The tests run as root, for whom chmod 000 changes nothing: a
     * directory where the file should be is what cannot be opened.
     */
    TempDir t;
    std::string db = t.file("d.db");
    std::filesystem::create_directory(db);
    Inst in(db);
    EXPECT_TRUE(in.wait_degraded("unable to open")) << in.rec.degraded_msg();
    std::filesystem::remove(db);
    std::string good = t.file("good.db");
    make_good(good);
    std::filesystem::rename(good, db);
    EXPECT_TRUE(in.wait_restored()) << in.rec.degraded_msg();
    EXPECT_EQ(in.lookup(mac(1)).kind, Answer::dest);
}

TEST(SqliteHealth, LockedThenReleased) {
    /*
     * In WAL mode every open connection holds a shared lock on the file,
     * so no one can lock the plugin out once it has the database open; a
     * program that took it exclusively before the plugin came is what
     * "locked" means here.
     */
    TempDir t;
    std::string db = t.file("l.db");
    make_good(db);
    auto w = std::make_unique<Outside>(db, false);
    ASSERT_EQ(w->exec("PRAGMA locking_mode = EXCLUSIVE"), SQLITE_OK);
    ASSERT_EQ(w->exec("BEGIN EXCLUSIVE"), SQLITE_OK) << w->last;
    ASSERT_EQ(w->exec("INSERT INTO mappings (vnetid, mac, ip) VALUES (7, '02:00:00:00:00:08', "
                      "'192.0.2.8')"),
              SQLITE_OK);
    ASSERT_EQ(w->exec("COMMIT"), SQLITE_OK); /* the exclusive lock stays */
    Inst in(db);
    EXPECT_TRUE(in.wait_degraded("database is locked")) << in.rec.degraded_msg();
    EXPECT_EQ(in.lookup(mac(1)).kind, Answer::drop);
    varpd_err_t err{};
    void* txn = nullptr;
    EXPECT_EQ(in.o->vpo_map_begin(in.arg, &txn, &err), -EIO);
    EXPECT_NE(std::string(err.ve_msg).find("database is locked"), std::string::npos) << err.ve_msg;
    w.reset(); /* closed: the exclusive lock goes */
    EXPECT_TRUE(in.wait_restored()) << in.rec.degraded_msg();
    EXPECT_EQ(in.lookup(mac(8)).kind, Answer::dest);

    /* A writer holding the write lock does not stop lookups (WAL). */
    Outside x(db, false);
    ASSERT_EQ(x.exec("BEGIN IMMEDIATE"), SQLITE_OK);
    ASSERT_EQ(x.exec("DELETE FROM mappings"), SQLITE_OK);
    EXPECT_EQ(in.lookup(mac(1)).kind, Answer::dest);
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(in.rec.degraded_msg(), "");
    ASSERT_EQ(x.exec("ROLLBACK"), SQLITE_OK);
}

TEST(SqliteHealth, VanishedThenBack) {
    TempDir t;
    std::string db = t.file("v.db");
    make_good(db);
    Inst in(db);
    std::string keep = t.file("keep.db");
    std::filesystem::rename(db, keep);
    EXPECT_TRUE(in.wait_degraded("missing; waiting for it to appear")) << in.rec.degraded_msg();
    /* Not recreated behind the operator's back. */
    std::this_thread::sleep_for(700ms);
    EXPECT_FALSE(std::filesystem::exists(db));
    EXPECT_EQ(in.lookup(mac(1)).kind, Answer::drop);
    std::filesystem::rename(keep, db);
    EXPECT_TRUE(in.wait_restored()) << in.rec.degraded_msg();
    EXPECT_EQ(in.lookup(mac(1)).kind, Answer::dest);
}

TEST(SqliteHealth, MissingDirectoryThenCreated) {
    TempDir t;
    std::string dir = t.file("later");
    std::string db = dir + "/x.db";
    Inst in(db);
    EXPECT_TRUE(in.wait_degraded("missing (no directory " + dir + ")")) << in.rec.degraded_msg();
    std::filesystem::create_directory(dir);
    EXPECT_TRUE(in.wait_restored()) << in.rec.degraded_msg();
    EXPECT_TRUE(std::filesystem::exists(db));
    EXPECT_EQ(in.uprop("sqlite/schema"), 2u);
}

TEST(SqliteProps, PathSaveRestore) {
    auto* o = ops();
    ASSERT_NE(o, nullptr);
    Recorder rec;
    void* a = nullptr;
    EXPECT_EQ(o->vpo_create(&rec.prov, VARPD_MODE_POINT, &a), -ENOTSUP);
    ASSERT_EQ(o->vpo_create(&rec.prov, VARPD_MODE_DYNAMIC, &a), 0);
    EXPECT_EQ(o->vpo_start(a), -EINVAL);
    EXPECT_TRUE(rec.logged("sqlite/path is required and unset"));
    EXPECT_EQ(set_str(o, a, "sqlite/path", "relative.db"), -EINVAL);
    EXPECT_EQ(set_str(o, a, "sqlite/path", "/"), -EINVAL);
    EXPECT_EQ(set_uint(o, a, "sqlite/schema", 3), -EPERM);
    EXPECT_EQ(set_str(o, a, "sqlite/nope", "/x"), -ENOENT);
    ASSERT_EQ(set_str(o, a, "sqlite/path", "/var/lib/x.db"), 0);
    char buf[64];
    uint32_t size = sizeof(buf);
    ASSERT_EQ(o->vpo_getprop(a, "sqlite/path", buf, &size), 0);
    EXPECT_STREQ(buf, "/var/lib/x.db");
    size_t len = 2;
    EXPECT_EQ(o->vpo_save(a, buf, &len), -ENOSPC);
    len = sizeof(buf);
    ASSERT_EQ(o->vpo_save(a, buf, &len), 0);
    void* b = nullptr;
    ASSERT_EQ(o->vpo_restore(&rec.prov, VARPD_MODE_DYNAMIC, buf, len, &b), 0);
    size = sizeof(buf);
    char buf2[64];
    ASSERT_EQ(o->vpo_getprop(b, "sqlite/path", buf2, &size), 0);
    EXPECT_STREQ(buf2, "/var/lib/x.db");
    EXPECT_EQ(o->vpo_restore(&rec.prov, VARPD_MODE_DYNAMIC, "rel", 3, &b), -EINVAL);
    uint32_t n = 0;
    ASSERT_EQ(o->vpo_nprops(a, &n), 0);
    varpd_prop_info_t info;
    for (uint32_t i = 0; i < n; i++)
        ASSERT_EQ(o->vpo_propinfo(a, i, &info), 0);
    EXPECT_EQ(o->vpo_propinfo(a, n, &info), -ENOENT);
    o->vpo_destroy(a);
    o->vpo_destroy(b);
}
