// direct and files driven through their ops vectors, as varpd drives them,
// with a provider and query handles that record what the backend does.
#include "harness.h"

#include <varpd/plugin.h>

#include <libtools/rename.h>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstring>
#include <dlfcn.h>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace plugin_harness;

/* A plugin built into this tree, by file name. */
struct Plugin : Loaded {
    explicit Plugin(const std::string& file) : Loaded(std::string(OVERLAY_PLUGIN_DIR) + "/" + file) {}
};

int set_ip(const varpd_plugin_ops_t* o, void* a, const char* name, std::array<uint8_t, 16> ip) {
    return o->vpo_setprop(a, name, ip.data(), 16);
}

varpd_lookup_t to_mac(uint8_t last) {
    varpd_lookup_t w{};
    uint8_t m[6] = {2, 0, 0, 0, 0, last};
    std::memcpy(w.vl_dstmac, m, 6);
    std::memcpy(w.vl_srcmac, m, 6);
    return w;
}

} // namespace

TEST(Direct, PointDestinationPropertiesAndState) {
    Plugin p("direct.so");
    ASSERT_NE(p.ops, nullptr) << dlerror();
    EXPECT_EQ(p.name, "direct");
    EXPECT_EQ(p.mode, VARPD_MODE_POINT);
    const varpd_plugin_ops_t* o = p.ops;
    Recorder rec;
    void* a = nullptr;
    EXPECT_EQ(o->vpo_create(&rec.prov, VARPD_MODE_DYNAMIC, &a), -ENOTSUP);
    ASSERT_EQ(o->vpo_create(&rec.prov, VARPD_MODE_POINT, &a), 0);
    EXPECT_EQ(o->vpo_start(a), -EINVAL);
    EXPECT_TRUE(rec.logged("direct/dest_ip is required and unset"));
    varpd_dest_t d;
    EXPECT_EQ(o->vpo_default(a, &d), -EINVAL);
    EXPECT_EQ(o->vpo_setprop(a, "direct/dest_ip", "abcd", 4), -EINVAL);
    EXPECT_EQ(set_ip(o, a, "direct/dest_ip", v4(224, 0, 0, 1)), -EINVAL);
    EXPECT_EQ(set_ip(o, a, "direct/dest_ip", v4(0, 0, 0, 0)), -EINVAL);
    EXPECT_EQ(set_uint(o, a, "direct/dest_port", 65536), -ERANGE);
    EXPECT_EQ(set_uint(o, a, "direct/nope", 1), -ENOENT);
    ASSERT_EQ(set_ip(o, a, "direct/dest_ip", v4(192, 0, 2, 9)), 0);
    ASSERT_EQ(set_uint(o, a, "direct/dest_port", 4789), 0);
    EXPECT_EQ(o->vpo_start(a), 0);
    ASSERT_EQ(o->vpo_default(a, &d), 0);
    EXPECT_EQ(d.vd_ip[15], 9);
    EXPECT_EQ(d.vd_port, 4789);
    uint8_t buf[16];
    uint32_t size = 4;
    EXPECT_EQ(o->vpo_getprop(a, "direct/dest_ip", buf, &size), -EOVERFLOW);
    size = 16;
    ASSERT_EQ(o->vpo_getprop(a, "direct/dest_ip", buf, &size), 0);
    EXPECT_EQ(size, 16u);
    EXPECT_EQ(buf[12], 192);

    /* Save and restore give the same destination. */
    size_t len = 4;
    uint8_t state[64];
    EXPECT_EQ(o->vpo_save(a, state, &len), -ENOSPC);
    ASSERT_GT(len, 4u);
    ASSERT_EQ(o->vpo_save(a, state, &len), 0);
    void* b = nullptr;
    EXPECT_EQ(o->vpo_restore(&rec.prov, VARPD_MODE_POINT, state, len - 1, &b), -EINVAL);
    ASSERT_EQ(o->vpo_restore(&rec.prov, VARPD_MODE_POINT, state, len, &b), 0);
    varpd_dest_t d2;
    ASSERT_EQ(o->vpo_default(b, &d2), 0);
    EXPECT_EQ(std::memcmp(&d, &d2, sizeof(d)), 0);

    /* A point-mode backend answers per-MAC questions with "drop". */
    Answer q;
    auto w = to_mac(1);
    o->vpo_lookup(a, &q.q, &w);
    EXPECT_EQ(q.kind, Answer::drop);
    EXPECT_EQ(q.count, 1);
    o->vpo_stop(a);
    o->vpo_destroy(a);
    o->vpo_destroy(b);
}

class FilesBackend : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/files-backend.XXXXXX";
        dir = mkdtemp(tmpl);
        path = dir + "/t.json";
        write(R"({"02:00:00:00:00:01": {"ip": "192.0.2.1", "port": 4789, "arp": "10.0.0.1",
                   "ndp": "fd00::1", "dhcp-proxy": "02:00:00:00:00:03"},
                  "02:00:00:00:00:02": {"ip": "192.0.2.2"},
                  "02:00:00:00:00:03": {"ip": "192.0.2.3"}})");
        ASSERT_NE(p.ops, nullptr);
        o = p.ops;
        ASSERT_EQ(o->vpo_create(&rec.prov, VARPD_MODE_DYNAMIC, &a), 0);
    }
    void TearDown() override {
        if (a)
            o->vpo_destroy(a);
        std::filesystem::remove_all(dir);
    }
    void write(const std::string& text) { ASSERT_EQ(ov::rename_write(path, text, 0644, nullptr), 0); }
    uint64_t uprop(const char* name) {
        uint64_t v = 0;
        uint32_t size = 8;
        EXPECT_EQ(o->vpo_getprop(a, name, &v, &size), 0);
        return v;
    }
    Answer lookup(uint8_t last) {
        Answer q;
        auto w = to_mac(last);
        o->vpo_lookup(a, &q.q, &w);
        return q;
    }
    Plugin p{"files.so"};
    const varpd_plugin_ops_t* o = nullptr;
    Recorder rec;
    void* a = nullptr;
    std::string dir, path;
};

TEST_F(FilesBackend, PropertiesAreChecked) {
    EXPECT_EQ(p.name, "files");
    EXPECT_EQ(p.mode, VARPD_MODE_DYNAMIC);
    EXPECT_EQ(o->vpo_start(a), -EINVAL); /* config unset */
    EXPECT_EQ(set_str(o, a, "files/config", "relative.json"), -EINVAL);
    EXPECT_EQ(o->vpo_setprop(a, "files/config", "/x", 2), -EINVAL); /* no NUL inside size */
    EXPECT_EQ(set_uint(o, a, "files/entries", 1), -EPERM);
    EXPECT_EQ(set_str(o, a, "files/nope", "/x"), -ENOENT);
    uint32_t n;
    ASSERT_EQ(o->vpo_nprops(a, &n), 0);
    EXPECT_EQ(n, 3u);
    varpd_prop_info_t info;
    ASSERT_EQ(o->vpo_propinfo(a, 0, &info), 0);
    EXPECT_STREQ(info.vpi_name, "files/config");
    EXPECT_TRUE(info.vpi_perm & VARPD_PROP_PERM_REQUIRED);
    EXPECT_EQ(o->vpo_propinfo(a, 3, &info), -ENOENT);
}

TEST_F(FilesBackend, AnswersLookupsAndProxies) {
    ASSERT_EQ(set_str(o, a, "files/config", path), 0);
    ASSERT_EQ(o->vpo_start(a), 0);
    EXPECT_EQ(uprop("files/entries"), 3u);
    Answer q = lookup(1);
    ASSERT_EQ(q.kind, Answer::dest);
    EXPECT_EQ(q.d.vd_ip[15], 1);
    EXPECT_EQ(q.d.vd_port, 4789);
    EXPECT_EQ(lookup(9).kind, Answer::drop);

    Answer arp;
    uint8_t ip4[4] = {10, 0, 0, 1};
    o->vpo_arp(a, &arp.q, ip4);
    EXPECT_EQ(arp.kind, Answer::arp);
    EXPECT_EQ(arp.mac[5], 1);
    Answer ndp;
    uint8_t ip6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    o->vpo_ndp(a, &ndp.q, ip6);
    EXPECT_EQ(ndp.kind, Answer::ndp);
    EXPECT_EQ(ndp.mac[5], 1);
    Answer dhcp;
    auto w = to_mac(1);
    o->vpo_dhcp(a, &dhcp.q, &w);
    EXPECT_EQ(dhcp.kind, Answer::dhcp);
    EXPECT_EQ(dhcp.mac[5], 3);
    Answer nodhcp;
    w = to_mac(2);
    o->vpo_dhcp(a, &nodhcp.q, &w);
    EXPECT_EQ(nodhcp.kind, Answer::drop);
    o->vpo_stop(a);
}

TEST_F(FilesBackend, ReloadShootsDownWhatChangedCameOrWent) {
    ASSERT_EQ(set_str(o, a, "files/config", path), 0);
    ASSERT_EQ(o->vpo_start(a), 0);
    /* 01's port changes, 02 goes, 03 stays, 04 comes (the kernel may hold a DROP entry for it). */
    write(R"({"02:00:00:00:00:01": {"ip": "192.0.2.1", "port": 8472},
              "02:00:00:00:00:03": {"ip": "192.0.2.3"},
              "02:00:00:00:00:04": {"ip": "192.0.2.4"}})");
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (uprop("files/reloads") < 2 && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(uprop("files/reloads"), 2u);
    ASSERT_EQ(rec.invalidations(), 3u);
    std::vector<uint8_t> shot;
    for (auto& m : rec.invalidated)
        shot.push_back(m[5]);
    std::sort(shot.begin(), shot.end());
    EXPECT_EQ(shot, (std::vector<uint8_t>{1, 2, 4}));
    EXPECT_EQ(lookup(1).d.vd_port, 8472);
    EXPECT_EQ(lookup(2).kind, Answer::drop);
    EXPECT_EQ(lookup(4).kind, Answer::dest);

    /* Removing the file keeps the table; a bad one keeps it too. */
    std::filesystem::remove(path);
    end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!rec.logged("was removed") && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(rec.logged("the previous table stays in force until it is back"));
    EXPECT_EQ(lookup(4).kind, Answer::dest);

    /* Pointing the instance at a broken file is refused; the old file stays in force. */
    std::string bad = dir + "/bad.json";
    std::ofstream(bad) << "{ \"02:00:00:00:00:01\": ";
    EXPECT_EQ(set_str(o, a, "files/config", bad), -EINVAL);
    char cfg[256];
    uint32_t size = sizeof(cfg);
    ASSERT_EQ(o->vpo_getprop(a, "files/config", cfg, &size), 0);
    EXPECT_EQ(std::string(cfg), path);
    o->vpo_stop(a);
}

TEST_F(FilesBackend, SaveAndRestore) {
    ASSERT_EQ(set_str(o, a, "files/config", path), 0);
    char buf[512];
    size_t len = sizeof(buf);
    ASSERT_EQ(o->vpo_save(a, buf, &len), 0);
    EXPECT_EQ(std::string(buf, len), path);
    void* b = nullptr;
    EXPECT_EQ(o->vpo_restore(&rec.prov, VARPD_MODE_DYNAMIC, "rel", 3, &b), -EINVAL);
    EXPECT_EQ(o->vpo_restore(&rec.prov, VARPD_MODE_DYNAMIC, "/a\0b", 4, &b), -EINVAL);
    ASSERT_EQ(o->vpo_restore(&rec.prov, VARPD_MODE_DYNAMIC, buf, len, &b), 0);
    ASSERT_EQ(o->vpo_start(b), 0);
    Answer q;
    auto w = to_mac(2);
    o->vpo_lookup(b, &q.q, &w);
    EXPECT_EQ(q.kind, Answer::dest);
    o->vpo_stop(b);
    o->vpo_destroy(b);
}

/* direct and files take no mapping changes: every map operation says where
   their destinations come from instead, in the varpd_err_t varpd shows. */
TEST(NoMappings, DirectAndFilesRefuseEveryMapOperationSayingWhy) {
    struct Case {
        const char* file;
        const char* why;
    } const cases[] = {
        {"direct.so", "direct: a point-mode backend has one destination"},
        {"files.so", "files: mappings come from the file named by files/config"},
    };
    for (const Case& c : cases) {
        Plugin p(c.file);
        ASSERT_NE(p.ops, nullptr) << c.file;
        const varpd_plugin_ops_t* o = p.ops;
        EXPECT_EQ(o->vpo_version, 2u);
        Recorder rec;
        void* a = nullptr;
        ASSERT_EQ(o->vpo_create(&rec.prov, p.mode, &a), 0) << c.file;
        varpd_mapping_t m{};
        uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
        void* txn = nullptr;
        auto check = [&](int rc, varpd_err_t& e, const char* op) {
            EXPECT_EQ(rc, -ENOTSUP) << c.file << " " << op;
            EXPECT_NE(std::string(e.ve_msg).find(c.why), std::string::npos)
                << c.file << " " << op << ": " << e.ve_msg;
        };
        varpd_err_t e{};
        check(o->vpo_map_begin(a, &txn, &e), e, "begin");
        e = {};
        check(o->vpo_map_put(a, txn, &m, 1, &e), e, "put");
        e = {};
        check(o->vpo_map_remove(a, txn, mac, &e), e, "remove");
        e = {};
        check(o->vpo_map_commit(a, txn, &e), e, "commit");
        e = {};
        check(o->vpo_map_get(a, mac, &m, &e), e, "get");
        e = {};
        check(o->vpo_map_walk(
                  a, nullptr, 10, [](void*, const varpd_mapping_t*) { return 0; }, nullptr, &e),
              e, "walk");
        o->vpo_map_abort(a, txn); /* nothing to undo; must not crash */
        o->vpo_destroy(a);
    }
}
