// The sqlite backend inside a real varpd Daemon (tests/unit/varpd/harness.h:
// the daemon on its thread, the in-memory kernel channel, the control socket
// and client library overlayadm uses): mappings written through varpd, the
// import transaction, lookups answered into the "kernel" cache, an outside
// writer's change removing that cache entry within a second, and a broken
// database degrading the link with its message and recovering.
#include "../varpd/harness.h"
#include "schema.h"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

varpd::Mac mac(uint8_t last) {
    return {2, 0, 0, 0, 0, last};
}

std::vector<uint8_t> frame_to(const varpd::Mac& m) {
    std::vector<uint8_t> f(60, 0);
    std::memcpy(f.data(), m.data(), 6);
    f[11] = 0x77;
    f[12] = 0x08;
    return f;
}

struct Fixture {
    vt::TempDir dir;
    vt::LogCapture log;
    varpd::PluginSet plugins{log.log};
    varpd::FakeChannel chan;
    std::unique_ptr<vt::Running> run;
    std::string db;
    Fixture() {
        plugins.load_dir(OVERLAY_PLUGIN_DIR);
        chan.add_link(1, 42);
        db = dir / "map.db";
        run = std::make_unique<vt::Running>(dir.path, plugins, chan, log.log);
        varpd::Client c(run->socket);
        c.create_instance(1, "sqlite", {{"sqlite/path", db}});
    }
    /* A miss for m: the daemon's answer. */
    std::optional<varpd::FakeChannel::Outcome> miss(const varpd::Mac& m) {
        uint64_t id = chan.submit(1, frame_to(m));
        return chan.wait_outcome(id, 5000ms);
    }
    bool cached(const varpd::Mac& m) {
        auto l = chan.link(1);
        return l && l->cache.count(m) != 0;
    }
};

int exec(const std::string& db, const std::string& sql) {
    vsql::Db d;
    std::string why;
    int rc = vsql::open(db, false, false, 2000, 1024, d, why);
    if (rc == SQLITE_OK)
        rc = vsql::exec(d.get(), sql.c_str(), why);
    EXPECT_EQ(rc, SQLITE_OK) << why;
    return rc;
}

} // namespace

TEST(SqliteVarpd, MappingsThroughVarpdReachLookups) {
    Fixture f;
    varpd::Client c(f.run->socket);
    c.add_mapping(1, {"02:00:00:00:00:0a", "192.0.2.10", 4789, "10.0.0.10", "", "", 0});
    auto m = c.get_mapping(1, "02:00:00:00:00:0a");
    EXPECT_EQ(m.ip, "192.0.2.10");
    EXPECT_EQ(m.port, 4789u);
    EXPECT_EQ(m.arp, "10.0.0.10");
    /* Keyed by the device's vnet id (42), as another writer would see it. */
    vsql::Db d;
    std::string why;
    ASSERT_EQ(vsql::open(f.db, false, false, 1000, 1024, d, why), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(d.get(), "SELECT vnetid FROM mappings", -1, &st, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(st, 0), 42);
    sqlite3_finalize(st);

    auto o = f.miss(mac(0x0a));
    ASSERT_TRUE(o);
    ASSERT_EQ(o->kind, varpd::FakeChannel::Outcome::responded);
    EXPECT_EQ(o->dest.ip[15], 10);
    EXPECT_EQ(o->dest.port, 4789);

    std::string e = vt::error_of([&] {
        c.add_mapping(1, {"02:00:00:00:00:0b", "192.0.2.11", 0, "", "", "", 30});
    });
    EXPECT_NE(e.find("ttl is for etcd"), std::string::npos) << e;
    e = vt::error_of([&] {
        c.add_mapping(1, {"02:00:00:00:00:0c", "192.0.2.12", 0, "10.0.0.10", "", "", 0});
    });
    EXPECT_NE(e.find("arp 10.0.0.10 already answers for MAC 02:00:00:00:00:0a"), std::string::npos)
        << e;
    e = vt::error_of([&] { c.remove_mapping(1, "02:00:00:00:00:0d"); });
    EXPECT_NE(e.find("no mapping for MAC 02:00:00:00:00:0d"), std::string::npos) << e;

    c.remove_mapping(1, "02:00:00:00:00:0a");
    EXPECT_TRUE(vt::eventually([&] { return !f.cached(mac(0x0a)); }, 1000ms));
    o = f.miss(mac(0x0a));
    ASSERT_TRUE(o);
    EXPECT_EQ(o->kind, varpd::FakeChannel::Outcome::dropped);
}

TEST(SqliteVarpd, ImportIsAllOrNothing) {
    Fixture f;
    varpd::Client c(f.run->socket);
    std::vector<varpd::client::Mapping> batch;
    for (int i = 0; i < 1000; i++) {
        char m[18];
        std::snprintf(m, sizeof(m), "02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
        batch.push_back({m, "192.0.2.1", 0, "", "", "", 0});
    }
    {
        auto imp = c.begin_import(1);
        imp->put(batch);
        /* Another transaction meanwhile is refused by the backend. */
        std::string e = vt::error_of([&] { c.add_mapping(1, batch[0]); });
        EXPECT_NE(e.find("already open"), std::string::npos) << e;
    } /* dropped uncommitted: aborted */
    EXPECT_TRUE(c.list_mappings(1).empty());
    auto imp = c.begin_import(1);
    imp->put(batch);
    EXPECT_EQ(imp->commit(), 1000u);
    auto page = c.list_mappings(1, "", 600);
    ASSERT_EQ(page.size(), 600u);
    auto rest = c.list_mappings(1, page.back().mac, 600);
    EXPECT_EQ(rest.size(), 400u);
    EXPECT_EQ(rest.back().mac, "02:00:00:00:03:e7");
}

TEST(SqliteVarpd, OutsideWriterShootsDownTheKernelEntryWithinOneSecond) {
    Fixture f;
    varpd::Client c(f.run->socket);
    c.add_mapping(1, {"02:00:00:00:00:01", "192.0.2.1", 0, "", "", "", 0});
    auto o = f.miss(mac(1));
    ASSERT_TRUE(o);
    ASSERT_EQ(o->kind, varpd::FakeChannel::Outcome::responded);
    ASSERT_TRUE(f.cached(mac(1)));
    auto t0 = clk::now();
    exec(f.db, "UPDATE mappings SET ip = '192.0.2.99' WHERE mac = '02:00:00:00:00:01'");
    EXPECT_TRUE(vt::eventually([&] { return !f.cached(mac(1)); }, 2000ms));
    EXPECT_LT(clk::now() - t0, 1000ms);
    o = f.miss(mac(1));
    ASSERT_TRUE(o);
    EXPECT_EQ(o->dest.ip[15], 99);

    /* A MAC the kernel holds as DROP: an outside INSERT clears that too. */
    o = f.miss(mac(2));
    ASSERT_TRUE(o);
    ASSERT_EQ(o->kind, varpd::FakeChannel::Outcome::dropped);
    f.chan.cache_set(1, varpd::CacheEntry{mac(2), true, {}});
    ASSERT_TRUE(f.cached(mac(2)));
    t0 = clk::now();
    exec(f.db,
         "INSERT INTO mappings (vnetid, mac, ip) VALUES (42, '02:00:00:00:00:02', '192.0.2.2')");
    EXPECT_TRUE(vt::eventually([&] { return !f.cached(mac(2)); }, 2000ms));
    EXPECT_LT(clk::now() - t0, 1000ms);
}

TEST(SqliteVarpd, BrokenDatabaseDegradesTheLinkAndRecovers) {
    Fixture f;
    {
        auto l = f.chan.link(1);
        ASSERT_TRUE(l);
        EXPECT_FALSE(l->degraded) << l->message;
    }
    std::string keep = f.dir / "keep.db";
    std::filesystem::rename(f.db, keep);
    EXPECT_TRUE(vt::eventually([&] {
        auto l = f.chan.link(1);
        return l && l->degraded &&
               l->message.find("missing; waiting for it to appear") != std::string::npos;
    }));
    EXPECT_NE(f.chan.link(1)->message.find(f.db), std::string::npos) << f.chan.link(1)->message;
    varpd::Client c(f.run->socket);
    std::string e = vt::error_of([&] { c.get_mapping(1, "02:00:00:00:00:01"); });
    EXPECT_NE(e.find("missing"), std::string::npos) << e;
    std::filesystem::rename(keep, f.db);
    EXPECT_TRUE(vt::eventually([&] {
        auto l = f.chan.link(1);
        return l && !l->degraded;
    }));
}

TEST(SqliteVarpd, BadAtStartStaysDegradedThoughTheStartSucceeds) {
    /* varpd clears a link's degrade after a start; the backend says it again. */
    vt::TempDir dir;
    vt::LogCapture log;
    varpd::PluginSet plugins{log.log};
    plugins.load_dir(OVERLAY_PLUGIN_DIR);
    varpd::FakeChannel chan;
    chan.add_link(1, 42);
    std::string db = dir / "junk.db";
    vt::write_file(db, std::string(4096, 'j'));
    vt::Running run(dir.path, plugins, chan, log.log);
    varpd::Client c(run.socket);
    c.create_instance(1, "sqlite", {{"sqlite/path", db}});
    EXPECT_TRUE(vt::eventually(
        [&] {
            auto l = chan.link(1);
            return l && l->degraded &&
                   l->message.find("file is not a database") != std::string::npos;
        },
        2000ms))
        << (chan.link(1) ? chan.link(1)->message : "no link");
    /* And it stays so (not cleared by a later start step). */
    std::this_thread::sleep_for(600ms);
    EXPECT_TRUE(chan.link(1)->degraded);
    EXPECT_NE(chan.link(1)->message.find("sqlite: " + db), std::string::npos)
        << chan.link(1)->message;
}
