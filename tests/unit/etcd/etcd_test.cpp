/*
 * The etcd backend (plugins/etcd) against a real etcd on loopback (the
 * cluster fixture of tests/unit/etcd-cluster), driven through its ops
 * vector as varpd would (tests/unit/plugins/harness.h): lookups miss to
 * etcd and are cached, ARP/NDP/DHCP through the ip/ index, negative
 * entries shot down when the MAC appears, watch puts injected into the
 * kernel (timed) and deletes invalidated, map operations (put/remove/get/
 * walk, EEXIST/ENOENT, abort, all-or-nothing commit across txns with an
 * undo), lease TTLs kept alive and expiring once the instance is gone,
 * compaction while the watch is away (flush), no endpoint (degraded, drop,
 * cached answers go on, restored), values that do not parse (drop, logged).
 * The key layout and values are checked without etcd first.
 */
#include "../plugins/harness.h"
#include "etcd_client.h"
#include "etcd_cluster.h"
#include "etcd_layout.h"

#include <arpa/inet.h>
#include <atomic>
#include <cstdio>
#include <gtest/gtest.h>
#include <memory>
#include <signal.h>

using namespace plugin_harness;
using namespace std::chrono_literals;
using etcd_test::EtcdCluster;
using etcd_test::eventually;
using etcd_test::TempDir;

namespace {

const std::string plugin_path = std::string(OVERLAY_PLUGIN_DIR) + "/etcd.so";

Mac6 mac(uint8_t last, uint8_t b4 = 0) {
    return {0x02, 0, 0, 0, b4, last};
}

std::string joined(const std::vector<std::string>& logs) {
    std::string s;
    for (auto& l : logs)
        s += l + "\n";
    return s;
}

std::string key(uint32_t vnet, const std::string& tail) {
    return "/overlay/vnet/" + std::to_string(vnet) + "/" + tail;
}

/* One started instance of the backend on one vnet. */
struct Inst {
    Loaded& L;
    Recorder rec;
    void* a = nullptr;
    int start_rc = -1;
    Inst(Loaded& l, const std::string& endpoints, uint32_t vnet, bool wait_watch = true) : L(l) {
        rec.vnetid = vnet;
        EXPECT_EQ(L.ops->vpo_create(&rec.prov, VARPD_MODE_DYNAMIC, &a), 0);
        EXPECT_EQ(set_str(L.ops, a, "etcd/endpoints", endpoints), 0);
        start_rc = L.ops->vpo_start(a);
        EXPECT_EQ(start_rc, 0);
        if (wait_watch) { /* the first watch stream flushes the kernel's cache */
            EXPECT_TRUE(rec.wait_for([&] { return rec.flushes >= 1; }, 5000ms));
        }
    }
    ~Inst() {
        if (a)
            L.ops->vpo_destroy(a);
    }
    std::unique_ptr<Answer> lookup(const Mac6& m) {
        auto ans = std::make_unique<Answer>();
        varpd_lookup_t w{};
        w.vl_ethertype = 0x0800;
        std::memcpy(w.vl_dstmac, m.data(), 6);
        std::memcpy(w.vl_srcmac, mac(0xee).data(), 6);
        L.ops->vpo_lookup(a, &ans->q, &w);
        EXPECT_TRUE(ans->wait());
        return ans;
    }
    std::unique_ptr<Answer> dhcp(const Mac6& src) {
        auto ans = std::make_unique<Answer>();
        varpd_lookup_t w{};
        std::memset(w.vl_dstmac, 0xff, 6);
        std::memcpy(w.vl_srcmac, src.data(), 6);
        L.ops->vpo_dhcp(a, &ans->q, &w);
        EXPECT_TRUE(ans->wait());
        return ans;
    }
    std::unique_ptr<Answer> arp(const char* ip) {
        auto ans = std::make_unique<Answer>();
        uint8_t b[4];
        inet_pton(AF_INET, ip, b);
        L.ops->vpo_arp(a, &ans->q, b);
        EXPECT_TRUE(ans->wait());
        return ans;
    }
    std::unique_ptr<Answer> ndp(const char* ip) {
        auto ans = std::make_unique<Answer>();
        uint8_t b[16];
        inet_pton(AF_INET6, ip, b);
        L.ops->vpo_ndp(a, &ans->q, b);
        EXPECT_TRUE(ans->wait());
        return ans;
    }
    /* One transaction of puts and removes; the error text on failure. */
    int change(const std::vector<varpd_mapping_t>& puts, const std::vector<Mac6>& removes,
               std::string* why = nullptr) {
        varpd_err_t err{};
        void* t = nullptr;
        int rc = L.ops->vpo_map_begin(a, &t, &err);
        if (rc == 0 && !puts.empty())
            rc = L.ops->vpo_map_put(a, t, puts.data(), puts.size(), &err);
        for (auto& m : removes)
            if (rc == 0)
                rc = L.ops->vpo_map_remove(a, t, m.data(), &err);
        if (rc == 0)
            rc = L.ops->vpo_map_commit(a, t, &err);
        else if (t)
            L.ops->vpo_map_abort(a, t);
        if (why)
            *why = err.ve_msg;
        return rc;
    }
    /* A read-only counter property (etcd/revision, etcd/watch_restarts). */
    uint64_t counter(const char* name) {
        uint64_t v = 0;
        uint32_t sz = 8;
        EXPECT_EQ(L.ops->vpo_getprop(a, name, &v, &sz), 0) << name;
        return v;
    }
    int64_t revision() { return int64_t(counter("etcd/revision")); }
    bool injected_with(const Mac6& m, const std::array<uint8_t, 16>& ip) {
        for (auto& [im, d] : rec.injected)
            if (im == m && std::memcmp(d.vd_ip, ip.data(), 16) == 0)
                return true;
        return false;
    }
};

varpd_mapping_t mapping(const Mac6& m, std::array<uint8_t, 16> ip, uint16_t port = 0,
                        const char* arp = nullptr, const char* ndp = nullptr, uint32_t ttl = 0) {
    varpd_mapping_t x{};
    std::memcpy(x.vm_mac, m.data(), 6);
    std::memcpy(x.vm_dest.vd_ip, ip.data(), 16);
    x.vm_dest.vd_port = port;
    if (arp) {
        inet_pton(AF_INET, arp, x.vm_arp);
        x.vm_flags |= VARPD_MAP_F_ARP;
    }
    if (ndp) {
        inet_pton(AF_INET6, ndp, x.vm_ndp);
        x.vm_flags |= VARPD_MAP_F_NDP;
    }
    x.vm_ttl = ttl;
    return x;
}

/* One etcd member for the whole suite (each test uses its own vnet). */
class Etcd : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir = new TempDir("etcd-plugin");
        cluster = new EtcdCluster(1, dir->path());
        loaded = new Loaded(plugin_path);
    }
    static void TearDownTestSuite() {
        delete loaded;
        delete cluster;
        delete dir;
    }
    void SetUp() override {
        ASSERT_NE(loaded->ops, nullptr) << loaded->error;
        ASSERT_EQ(loaded->name, "etcd");
    }
    static TempDir* dir;
    static EtcdCluster* cluster;
    static Loaded* loaded;
};
TempDir* Etcd::dir;
EtcdCluster* Etcd::cluster;
Loaded* Etcd::loaded;

} // namespace

/* ---- without etcd: layout, values, endpoints ---- */

TEST(EtcdLayout, KeysValuesAndRefusals) {
    etcd_layout::Layout l{"/overlay", 42};
    Mac6 m = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};
    EXPECT_EQ(l.mac_key(m.data()), "/overlay/vnet/42/mac/de:ad:be:ef:00:01");
    uint8_t v4[4] = {10, 0, 0, 1};
    EXPECT_EQ(l.ip_key(etcd_layout::mapped4(v4)), "/overlay/vnet/42/ip/10.0.0.1");
    etcd_layout::Ip6 a6{};
    inet_pton(AF_INET6, "fd00:0::1", a6.data());
    EXPECT_EQ(l.ip_key(a6), "/overlay/vnet/42/ip/fd00::1");

    etcd_layout::Mac km;
    etcd_layout::Ip6 ka;
    EXPECT_EQ(etcd_layout::classify(l, "/overlay/vnet/42/mac/de:ad:be:ef:00:01", km, ka),
              etcd_layout::Kind::mac);
    EXPECT_EQ(km[5], 1);
    /* other spellings are not the MAC's key (a lookup would never read them) */
    EXPECT_EQ(etcd_layout::classify(l, "/overlay/vnet/42/mac/DE:AD:BE:EF:0:1", km, ka),
              etcd_layout::Kind::other);
    EXPECT_EQ(etcd_layout::classify(l, "/overlay/vnet/42/ip/fd00:0::1", km, ka),
              etcd_layout::Kind::other);
    EXPECT_EQ(etcd_layout::classify(l, "/overlay/vnet/42/ip/fd00::1", km, ka),
              etcd_layout::Kind::ip);
    EXPECT_EQ(ka, a6);
    EXPECT_EQ(etcd_layout::classify(l, "/overlay/vnet/4/mac/de:ad:be:ef:00:01", km, ka),
              etcd_layout::Kind::other);
    EXPECT_EQ(etcd_layout::classify(l, "/overlay/vnet/42/mac/zz", km, ka),
              etcd_layout::Kind::other);

    /* encode -> decode gives the mapping back */
    varpd_mapping_t x =
        mapping(Mac6{m}, plugin_harness::v4(192, 0, 2, 10), 4789, "10.0.0.1", "fd00::1");
    x.vm_flags |= VARPD_MAP_F_DHCP;
    std::memcpy(x.vm_dhcp, mac(0x99).data(), 6);
    std::string v = etcd_layout::encode_mac_value(x);
    EXPECT_NE(v.find("\"ip\":\"192.0.2.10\""), std::string::npos) << v;
    EXPECT_NE(v.find("\"dhcp-proxy\":\"02:00:00:00:00:99\""), std::string::npos) << v;
    files::Entry e;
    ASSERT_EQ(etcd_layout::decode_mac_value(km, v, e), "");
    varpd_mapping_t back;
    etcd_layout::mapping_of(e, back);
    EXPECT_EQ(std::memcmp(&back, &x, sizeof x), 0);

    EXPECT_NE(etcd_layout::decode_mac_value(km, "{\"port\":1}", e).find("\"ip\" is missing"),
              std::string::npos);
    EXPECT_NE(etcd_layout::decode_mac_value(km, "{\"ip\":\"1.2.3.4\",\"colour\":1}", e)
                  .find("unknown member"),
              std::string::npos);
    EXPECT_NE(etcd_layout::decode_mac_value(km, "not json", e), "");
    EXPECT_NE(etcd_layout::decode_mac_value(km, "", e), "");
    /* a value cannot smuggle a second entry in */
    EXPECT_NE(etcd_layout::decode_mac_value(
                  km, "{\"ip\":\"1.2.3.4\"},\"02:00:00:00:00:01\":{\"ip\":\"1.1.1.1\"}", e),
              "");
    etcd_layout::Mac im;
    EXPECT_EQ(etcd_layout::decode_ip_value("{\"mac\":\"02:00:00:00:00:07\"}", im), "");
    EXPECT_EQ(im[5], 7);
    EXPECT_NE(etcd_layout::decode_ip_value("{\"mac\":\"nope\"}", im).find("not a MAC"),
              std::string::npos);
    EXPECT_NE(etcd_layout::decode_ip_value("{\"mac\":\"02:00:00:00:00:07\",\"x\":1}", im), "");

    std::string p;
    EXPECT_EQ(etcd_layout::normalise_prefix("/a/b//", p), "");
    EXPECT_EQ(p, "/a/b");
    EXPECT_NE(etcd_layout::normalise_prefix("a", p), "");
    /* UTF-8 only: a staged change carries its keys in JSON */
    EXPECT_EQ(etcd_layout::normalise_prefix("/\xc3\xa9t\xc3\xa9", p), "");
    for (const char* bad : {"/\xff", "/\xc3", "/\xc0\x80", "/\xed\xa0\x80", "/\xf4\x90\x80\x80"})
        EXPECT_NE(etcd_layout::normalise_prefix(bad, p).find("not UTF-8"), std::string::npos)
            << bad;

    std::vector<std::string> eps;
    EXPECT_EQ(etcd::parse_endpoints("http://127.0.0.1:2379, https://[::1]:2379/", eps), "");
    ASSERT_EQ(eps.size(), 2u);
    EXPECT_EQ(eps[1], "https://[::1]:2379");
    EXPECT_NE(etcd::parse_endpoints("127.0.0.1:2379", eps).find("http://"), std::string::npos);
    EXPECT_NE(etcd::parse_endpoints("http://127.0.0.1", eps).find("no port"), std::string::npos);
    EXPECT_EQ(etcd::parse_endpoints("http://a:1 http://b:2;http://c:3", eps), "");
    EXPECT_EQ(eps.size(), 3u);
    EXPECT_NE(etcd::parse_endpoints(" , ", eps).find("no endpoint"), std::string::npos);
    EXPECT_NE(etcd::parse_endpoints("http://a:1/v3", eps).find("path"), std::string::npos);
    /* Credentials in the URL are refused, and the message does not echo them. */
    for (const char* bad : {"http://user:secret@127.0.0.1:2379", "https://secret@[::1]:2379",
                            "http://a:1, http://u:secret@b:2", "u:secret@h:2379"}) {
        std::string why = etcd::parse_endpoints(bad, eps);
        EXPECT_NE(why.find("credentials do not belong in a URL"), std::string::npos) << bad;
        EXPECT_EQ(why.find("secret"), std::string::npos) << bad;
    }

    std::string d;
    for (const std::string& s :
         std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
        ASSERT_TRUE(etcd::b64_decode(etcd::b64_encode(s), d));
        EXPECT_EQ(d, s);
    }
    EXPECT_FALSE(etcd::b64_decode("a$==", d));
    EXPECT_EQ(etcd::prefix_end("/a/"), "/a0");
}

/* Which members' progress notifications may advance the resume point. */
TEST(EtcdClient, ProgressNotificationsTrustedFrom3425And358) {
    EXPECT_FALSE(etcd::progress_notify_trusted("3.4.23"));
    EXPECT_FALSE(etcd::progress_notify_trusted("3.4.24"));
    EXPECT_TRUE(etcd::progress_notify_trusted("3.4.25"));
    EXPECT_TRUE(etcd::progress_notify_trusted("3.4.30"));
    EXPECT_FALSE(etcd::progress_notify_trusted("3.5.7"));
    EXPECT_TRUE(etcd::progress_notify_trusted("3.5.8"));
    EXPECT_TRUE(etcd::progress_notify_trusted("3.5.17"));
    EXPECT_TRUE(etcd::progress_notify_trusted("3.6.0"));
    EXPECT_TRUE(etcd::progress_notify_trusted("4.0.0"));
    EXPECT_FALSE(etcd::progress_notify_trusted("3.3.27"));
    EXPECT_FALSE(etcd::progress_notify_trusted("2.3.8"));
    /* a pre-release is not the release; anything unparsable counts as old */
    EXPECT_FALSE(etcd::progress_notify_trusted("3.5.8-rc.0"));
    for (const char* bad : {"", "garbage", "3", "3.5", "3.5.", "3..8", "v3.5.8", "3.5.x", " 3.5.8",
                            "3.5.8 ", "3.5.99999999999", "-3.5.8"})
        EXPECT_FALSE(etcd::progress_notify_trusted(bad)) << bad;
}

/* ---- against etcd ---- */

TEST_F(Etcd, PropertiesAreCheckedAndSaved) {
    Recorder rec;
    void* a = nullptr;
    const auto* o = loaded->ops;
    ASSERT_EQ(o->vpo_create(&rec.prov, VARPD_MODE_DYNAMIC, &a), 0);
    EXPECT_EQ(o->vpo_start(a), -EINVAL); /* endpoints unset */
    EXPECT_TRUE(rec.logged("etcd/endpoints is required"));
    EXPECT_EQ(set_str(o, a, "etcd/endpoints", "localhost"), -EINVAL);
    EXPECT_TRUE(rec.logged("must start with http:// or https://"));
    EXPECT_EQ(set_str(o, a, "etcd/prefix", "relative"), -EINVAL);
    EXPECT_EQ(set_str(o, a, "etcd/ca", "ca.pem"), -EINVAL);
    EXPECT_EQ(set_str(o, a, "etcd/nope", "x"), -ENOENT);
    EXPECT_EQ(set_uint(o, a, "etcd/revision", 3), -EPERM);
    EXPECT_EQ(set_str(o, a, "etcd/endpoints", cluster->endpoints()), 0);
    EXPECT_EQ(set_str(o, a, "etcd/prefix", "/tenants/"), 0);
    /* the password is no property: it would be saved with the others */
    EXPECT_EQ(set_str(o, a, "etcd/password", "s3cret"), -ENOTSUP);
    EXPECT_TRUE(rec.logged("use etcd/password_file"));
    EXPECT_EQ(set_str(o, a, "etcd/password_file", "pw.txt"), -EINVAL);
    EXPECT_TRUE(rec.logged("etcd/password_file must be an absolute path"));
    const std::string secret = "s3cret-never-saved";
    std::string pwf = dir->write_file("saved-pw", secret + "\n");
    EXPECT_EQ(set_str(o, a, "etcd/password_file", pwf), 0);
    char buf[256];
    uint32_t sz = sizeof buf;
    EXPECT_EQ(o->vpo_getprop(a, "etcd/prefix", buf, &sz), 0);
    EXPECT_STREQ(buf, "/tenants");
    sz = sizeof buf;
    EXPECT_EQ(o->vpo_getprop(a, "etcd/password", buf, &sz), -EPERM);
    sz = sizeof buf;
    EXPECT_EQ(o->vpo_getprop(a, "etcd/password_file", buf, &sz), 0);
    EXPECT_EQ(std::string(buf), pwf);
    uint32_t n = 0;
    ASSERT_EQ(o->vpo_nprops(a, &n), 0);
    bool pw_readable = true, file_readable = false;
    for (uint32_t i = 0; i < n; i++) {
        varpd_prop_info_t info;
        ASSERT_EQ(o->vpo_propinfo(a, i, &info), 0);
        if (std::string(info.vpi_name) == "etcd/password")
            pw_readable = info.vpi_perm & VARPD_PROP_PERM_READ;
        if (std::string(info.vpi_name) == "etcd/password_file")
            file_readable = info.vpi_perm & VARPD_PROP_PERM_READ;
    }
    EXPECT_FALSE(pw_readable);
    EXPECT_TRUE(file_readable);
    /* started, the file was read: the saved state still holds only its path */
    ASSERT_EQ(o->vpo_start(a), 0) << joined(rec.logs);
    /* save -> restore keeps every property */
    std::vector<char> saved(4096);
    size_t len = saved.size();
    ASSERT_EQ(o->vpo_save(a, saved.data(), &len), 0);
    o->vpo_destroy(a);
    const std::string bytes(saved.data(), len);
    EXPECT_EQ(bytes.find(secret), std::string::npos) << bytes;
    EXPECT_EQ(bytes.find("\"password\""), std::string::npos) << bytes;
    EXPECT_NE(bytes.find(pwf), std::string::npos) << bytes;
    void* b = nullptr;
    ASSERT_EQ(o->vpo_restore(&rec.prov, VARPD_MODE_DYNAMIC, saved.data(), len, &b), 0);
    sz = sizeof buf;
    EXPECT_EQ(o->vpo_getprop(b, "etcd/endpoints", buf, &sz), 0);
    EXPECT_EQ(std::string(buf), cluster->endpoints());
    std::vector<char> again(4096);
    size_t len2 = again.size();
    ASSERT_EQ(o->vpo_save(b, again.data(), &len2), 0);
    EXPECT_EQ(bytes, std::string(again.data(), len2));
    o->vpo_destroy(b);
    EXPECT_EQ(o->vpo_restore(&rec.prov, VARPD_MODE_DYNAMIC, "{\"prefix\":7}", 12, &b), -EINVAL);
}

/* An older varpd saved the password in the state: restored without it, said so. */
TEST_F(Etcd, OldStateWithAPasswordIsRestoredWithoutIt) {
    Recorder rec;
    const auto* o = loaded->ops;
    std::string old = nlohmann::json{
        {"endpoints", cluster->endpoints()},
        {"user", "root"},
        {"password",
         "old-s3cret"}}.dump();
    void* b = nullptr;
    ASSERT_EQ(o->vpo_restore(&rec.prov, VARPD_MODE_DYNAMIC, old.data(), old.size(), &b), 0);
    EXPECT_TRUE(rec.logged("the saved state holds a password"));
    EXPECT_TRUE(rec.logged("set etcd/password_file"));
    char buf[256];
    uint32_t sz = sizeof buf;
    EXPECT_EQ(o->vpo_getprop(b, "etcd/user", buf, &sz), 0);
    EXPECT_STREQ(buf, "root");
    std::vector<char> saved(4096);
    size_t len = saved.size();
    ASSERT_EQ(o->vpo_save(b, saved.data(), &len), 0);
    EXPECT_EQ(std::string(saved.data(), len).find("old-s3cret"), std::string::npos);
    /* without the file, a user cannot authenticate: start says what is missing */
    EXPECT_EQ(o->vpo_start(b), -EINVAL);
    EXPECT_TRUE(rec.logged("etcd/user is set but etcd/password_file is not"));
    o->vpo_destroy(b);
}

/* The password file is read at each start and refused, in one line naming
   it, when others could read it, or it is missing, not a file, or empty. */
TEST_F(Etcd, PasswordFileIsCheckedAtEachStart) {
    Recorder rec;
    rec.vnetid = 13;
    const auto* o = loaded->ops;
    void* a = nullptr;
    ASSERT_EQ(o->vpo_create(&rec.prov, VARPD_MODE_DYNAMIC, &a), 0);
    ASSERT_EQ(set_str(o, a, "etcd/endpoints", cluster->endpoints()), 0);
    std::string good = dir->write_file("pw-good", "pw\n");
    ASSERT_EQ(set_str(o, a, "etcd/password_file", good), 0);
    ASSERT_EQ(o->vpo_start(a), 0) << joined(rec.logs);
    o->vpo_stop(a);
    struct Case {
        std::string path;
        int rc;
        std::vector<std::string> said;
    };
    std::string open_mode = dir->write_file("pw-0644", "pw\n", 0644);
    std::string group = dir->write_file("pw-0620", "pw\n", 0620);
    std::string empty = dir->write_file("pw-empty", "\n");
    std::string lines = dir->write_file("pw-lines", "pw\nmore\n");
    std::string sub = dir->path() + "/pw-dir";
    ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
    const std::vector<Case> cases = {
        {open_mode, -EACCES, {"mode 0644", "chmod 600 " + open_mode}},
        {group, -EACCES, {"mode 0620", "chmod 600"}},
        {dir->path() + "/pw-missing", -ENOENT, {"no such file"}},
        {sub, -EINVAL, {"a directory"}},
        {empty, -EINVAL, {"empty"}},
        {lines, -EINVAL, {"more than one line"}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.path);
        ASSERT_EQ(set_str(o, a, "etcd/password_file", c.path), 0);
        size_t logs = rec.logs.size();
        EXPECT_EQ(o->vpo_start(a), c.rc);
        ASSERT_GT(rec.logs.size(), logs);
        const std::string& line = rec.logs.back();
        EXPECT_EQ(line.find('\n'), std::string::npos) << line;
        EXPECT_NE(line.find("etcd/password_file " + c.path + ": "), std::string::npos) << line;
        for (auto& w : c.said)
            EXPECT_NE(line.find(w), std::string::npos) << line;
        EXPECT_EQ(line.find("pw\nmore"), std::string::npos) << line; /* no content echoed */
    }
    /* a good file made readable by others is refused at the next start */
    ASSERT_EQ(set_str(o, a, "etcd/password_file", good), 0);
    ASSERT_EQ(o->vpo_start(a), 0);
    o->vpo_stop(a);
    ASSERT_EQ(::chmod(good.c_str(), 0604), 0);
    EXPECT_EQ(o->vpo_start(a), -EACCES);
    EXPECT_TRUE(rec.logged("mode 0604"));
    o->vpo_destroy(a);
}

TEST_F(Etcd, LookupMissReadsEtcdThenAnswersFromCache) {
    cluster->put(key(11, "mac/02:00:00:00:00:01"), R"({"ip":"192.0.2.10","port":4790})");
    cluster->put(key(11, "mac/02:00:00:00:00:02"), R"({"ip":"2001:db8::2"})");
    cluster->put(key(12, "mac/02:00:00:00:00:03"), R"({"ip":"192.0.2.30"})"); /* another vnet */
    Inst in(*loaded, cluster->endpoints(), 11);
    auto a1 = in.lookup(mac(1));
    ASSERT_EQ(a1->kind, Answer::dest);
    EXPECT_EQ(std::memcmp(a1->d.vd_ip, v4(192, 0, 2, 10).data(), 16), 0);
    EXPECT_EQ(a1->d.vd_port, 4790);
    auto a2 = in.lookup(mac(2));
    ASSERT_EQ(a2->kind, Answer::dest);
    uint8_t want[16];
    inet_pton(AF_INET6, "2001:db8::2", want);
    EXPECT_EQ(std::memcmp(a2->d.vd_ip, want, 16), 0);
    EXPECT_EQ(in.lookup(mac(3))->kind, Answer::drop); /* vnet 12's, not ours */
    EXPECT_EQ(in.lookup(mac(4))->kind, Answer::drop);
    uint64_t cached = 0;
    uint32_t sz = 8;
    ASSERT_EQ(loaded->ops->vpo_getprop(in.a, "etcd/cached", &cached, &sz), 0);
    EXPECT_EQ(cached, 4u); /* two positive, two negative */
    /* (that answers come from the cache is shown with etcd down, below) */
    EXPECT_EQ(in.rec.degrades, 0u);
}

TEST_F(Etcd, ProxyArpNdpDhcpThroughTheIpIndex) {
    cluster->put(
        key(13, "mac/02:00:00:00:00:05"),
        R"({"ip":"192.0.2.5","arp":"10.0.0.5","ndp":"fd00::5","dhcp-proxy":"02:00:00:00:00:99"})");
    cluster->put(key(13, "ip/10.0.0.5"), R"({"mac":"02:00:00:00:00:05"})");
    cluster->put(key(13, "ip/fd00::5"), R"({"mac":"02:00:00:00:00:05"})");
    Inst in(*loaded, cluster->endpoints(), 13);
    auto a = in.arp("10.0.0.5");
    ASSERT_EQ(a->kind, Answer::arp);
    EXPECT_EQ(std::memcmp(a->mac, mac(5).data(), 6), 0);
    auto n = in.ndp("fd00::5");
    ASSERT_EQ(n->kind, Answer::ndp);
    EXPECT_EQ(std::memcmp(n->mac, mac(5).data(), 6), 0);
    EXPECT_EQ(in.arp("10.0.0.6")->kind, Answer::drop);
    auto d = in.dhcp(mac(5));
    ASSERT_EQ(d->kind, Answer::dhcp);
    EXPECT_EQ(std::memcmp(d->mac, mac(0x99).data(), 6), 0);
    EXPECT_EQ(in.dhcp(mac(6))->kind, Answer::drop);
    /* the index follows etcd: the address moves to another MAC */
    cluster->put(key(13, "ip/10.0.0.5"), R"({"mac":"02:00:00:00:00:06"})");
    bool moved = false;
    for (int i = 0; i < 50 && !moved; i++) {
        moved = std::memcmp(in.arp("10.0.0.5")->mac, mac(6).data(), 6) == 0;
        if (!moved)
            std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(moved);
}

TEST_F(Etcd, NegativeEntryShotDownWhenTheMacAppears) {
    Inst in(*loaded, cluster->endpoints(), 14);
    EXPECT_EQ(in.lookup(mac(7))->kind, Answer::drop); /* the kernel now caches DROP */
    cluster->put(key(14, "mac/02:00:00:00:00:07"), R"({"ip":"192.0.2.7"})");
    EXPECT_TRUE(in.rec.wait_for(
        [&] {
            for (auto& m : in.rec.invalidated)
                if (m == mac(7))
                    return true;
            return false;
        },
        2000ms));
    auto a = in.lookup(mac(7));
    ASSERT_EQ(a->kind, Answer::dest);
    EXPECT_EQ(std::memcmp(a->d.vd_ip, v4(192, 0, 2, 7).data(), 16), 0);
    /* a MAC nobody looked up is not this host's business */
    cluster->put(key(14, "mac/02:00:00:00:00:08"), R"({"ip":"192.0.2.8"})");
    std::this_thread::sleep_for(300ms);
    EXPECT_FALSE(in.rec.was_invalidated(mac(8)));
}

TEST_F(Etcd, WatchInjectsAPutWithinASecondAndInvalidatesADelete) {
    cluster->put(key(15, "mac/02:00:00:00:00:09"), R"({"ip":"192.0.2.9"})");
    Inst in(*loaded, cluster->endpoints(), 15);
    ASSERT_EQ(in.lookup(mac(9))->kind, Answer::dest);
    auto t0 = std::chrono::steady_clock::now();
    cluster->put(key(15, "mac/02:00:00:00:00:09"), R"({"ip":"192.0.2.99","port":4789})");
    ASSERT_TRUE(
        in.rec.wait_for([&] { return in.injected_with(mac(9), v4(192, 0, 2, 99)); }, 1000ms))
        << "no injection within 1 s";
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
    std::printf("etcd put -> cache_inject: %.1f ms\n", ms.count());
    RecordProperty("put_to_inject_ms", std::to_string(ms.count()));
    /* the local cache moved too: the next miss answers the new place */
    auto a = in.lookup(mac(9));
    EXPECT_EQ(std::memcmp(a->d.vd_ip, v4(192, 0, 2, 99).data(), 16), 0);
    EXPECT_EQ(a->d.vd_port, 4789);
    /* same destination, other members: nothing for the kernel */
    size_t before = in.rec.injected.size();
    cluster->put(key(15, "mac/02:00:00:00:00:09"),
                 R"({"ip":"192.0.2.99","port":4789,"arp":"10.9.9.9"})");
    cluster->del(key(15, "mac/02:00:00:00:00:09"));
    ASSERT_TRUE(in.rec.wait_for(
        [&] {
            for (auto& m : in.rec.invalidated)
                if (m == mac(9))
                    return true;
            return false;
        },
        1000ms));
    EXPECT_EQ(in.rec.injected.size(), before);
    EXPECT_EQ(in.lookup(mac(9))->kind, Answer::drop);
    uint64_t rev = 0;
    uint32_t sz = 8;
    ASSERT_EQ(loaded->ops->vpo_getprop(in.a, "etcd/revision", &rev, &sz), 0);
    EXPECT_EQ(int64_t(rev), cluster->revision());
}

TEST_F(Etcd, ValuesThatDoNotParseAnswerDropAndAreLogged) {
    cluster->put(key(16, "mac/02:00:00:00:00:0a"), R"({"ip":"not-an-address"})");
    cluster->put(key(16, "ip/10.0.0.10"), R"(["02:00:00:00:00:0a"])");
    Inst in(*loaded, cluster->endpoints(), 16);
    EXPECT_EQ(in.lookup(mac(0x0a))->kind, Answer::drop);
    EXPECT_EQ(in.lookup(mac(0x0a))->kind, Answer::drop);
    EXPECT_EQ(in.arp("10.0.0.10")->kind, Answer::drop);
    size_t logged = 0;
    {
        std::lock_guard g(in.rec.mu);
        for (auto& l : in.rec.logs)
            logged += l.find("mac/02:00:00:00:00:0a") != std::string::npos &&
                      l.find("is not an IPv4 or IPv6 address") != std::string::npos;
    }
    EXPECT_EQ(logged, 1u); /* once, not per lookup */
    EXPECT_TRUE(in.rec.logged("ip/10.0.0.10: the value is not a JSON object"));
    /* fixed in etcd: the kernel's DROP is shot down, the answer is right */
    cluster->put(key(16, "mac/02:00:00:00:00:0a"), R"({"ip":"192.0.2.10"})");
    ASSERT_TRUE(in.rec.wait_for(
        [&] {
            for (auto& m : in.rec.invalidated)
                if (m == mac(0x0a))
                    return true;
            return false;
        },
        1000ms));
    EXPECT_EQ(in.lookup(mac(0x0a))->kind, Answer::dest);
}

TEST_F(Etcd, MapOperationsWriteTheDocumentedLayout) {
    Inst in(*loaded, cluster->endpoints(), 17);
    std::string why;
    ASSERT_EQ(in.change({mapping(mac(0x22), v4(192, 0, 2, 22), 4789, "10.0.0.22", "fd00::22"),
                         mapping(mac(0x21), v4(192, 0, 2, 21))},
                        {}, &why),
              0)
        << why;
    /* what etcdctl would show an operator */
    auto v = cluster->get(key(17, "mac/02:00:00:00:00:22"));
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(*v, R"({"arp":"10.0.0.22","ip":"192.0.2.22","ndp":"fd00::22","port":4789})");
    EXPECT_EQ(cluster->get(key(17, "ip/10.0.0.22")),
              std::optional<std::string>(R"({"mac":"02:00:00:00:00:22"})"));
    EXPECT_EQ(cluster->get(key(17, "ip/fd00::22")),
              std::optional<std::string>(R"({"mac":"02:00:00:00:00:22"})"));
    /* get and walk (MAC order, after, max) */
    varpd_mapping_t got;
    varpd_err_t err{};
    Mac6 m22 = mac(0x22);
    ASSERT_EQ(loaded->ops->vpo_map_get(in.a, m22.data(), &got, &err), 0) << err.ve_msg;
    EXPECT_EQ(got.vm_dest.vd_port, 4789);
    EXPECT_EQ(got.vm_flags, VARPD_MAP_F_ARP | VARPD_MAP_F_NDP);
    Mac6 m23 = mac(0x23);
    EXPECT_EQ(loaded->ops->vpo_map_get(in.a, m23.data(), &got, &err), -ENOENT);
    EXPECT_NE(std::string(err.ve_msg).find("no mapping of 02:00:00:00:00:23"), std::string::npos);
    std::vector<Mac6> seen;
    auto cb = [](void* c, const varpd_mapping_t* m) -> int {
        Mac6 x;
        std::memcpy(x.data(), m->vm_mac, 6);
        static_cast<std::vector<Mac6>*>(c)->push_back(x);
        return 0;
    };
    ASSERT_EQ(loaded->ops->vpo_map_walk(in.a, nullptr, 10, cb, &seen, &err), 0);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0], mac(0x21));
    EXPECT_EQ(seen[1], mac(0x22));
    seen.clear();
    Mac6 m21 = mac(0x21);
    ASSERT_EQ(loaded->ops->vpo_map_walk(in.a, m21.data(), 10, cb, &seen, &err), 0);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0], mac(0x22));
    seen.clear();
    ASSERT_EQ(loaded->ops->vpo_map_walk(in.a, nullptr, 1, cb, &seen, &err), 0);
    EXPECT_EQ(seen.size(), 1u);

    /* an address another MAC answers for */
    EXPECT_EQ(in.change({mapping(mac(0x21), v4(192, 0, 2, 21), 0, "10.0.0.22")}, {}, &why),
              -EEXIST);
    EXPECT_NE(why.find("10.0.0.22 is answered for by 02:00:00:00:00:22"), std::string::npos) << why;
    EXPECT_EQ(in.change({mapping(mac(0x23), v4(192, 0, 2, 1), 0, "10.0.0.1"),
                         mapping(mac(0x24), v4(192, 0, 2, 1), 0, "10.0.0.1")},
                        {}, &why),
              -EEXIST);
    EXPECT_FALSE(cluster->get(key(17, "mac/02:00:00:00:00:23")).has_value());
    /* ... unless that MAC lets go of it in the same change */
    ASSERT_EQ(in.change({mapping(mac(0x22), v4(192, 0, 2, 22)),
                         mapping(mac(0x21), v4(192, 0, 2, 21), 0, "10.0.0.22")},
                        {}, &why),
              0)
        << why;
    EXPECT_EQ(cluster->get(key(17, "ip/10.0.0.22")),
              std::optional<std::string>(R"({"mac":"02:00:00:00:00:21"})"));
    EXPECT_FALSE(cluster->get(key(17, "ip/fd00::22")).has_value()); /* 22 dropped its ndp */
    /* remove takes the ip/ keys with it; an unknown MAC is ENOENT */
    ASSERT_EQ(in.change({}, {mac(0x21)}, &why), 0) << why;
    EXPECT_FALSE(cluster->get(key(17, "mac/02:00:00:00:00:21")).has_value());
    EXPECT_FALSE(cluster->get(key(17, "ip/10.0.0.22")).has_value());
    EXPECT_EQ(in.change({}, {mac(0x30)}, &why), -ENOENT);
    EXPECT_NE(why.find("no mapping of 02:00:00:00:00:30"), std::string::npos) << why;
    /* a bad mapping is refused at put, before anything is written */
    varpd_mapping_t bad = mapping(mac(0x31), v4(192, 0, 2, 31));
    bad.vm_flags |= 0x80;
    EXPECT_EQ(in.change({bad}, {}, &why), -EINVAL);
    EXPECT_NE(why.find("unknown flag bits"), std::string::npos);
    EXPECT_EQ(in.change({mapping(mac(0x31), v4(192, 0, 2, 31), 0, nullptr, nullptr, 1)}, {}, &why),
              -ENOTSUP);
    EXPECT_EQ(in.change({mapping(mac(0x31), v4(192, 0, 2, 31), 0, nullptr, "::ffff:10.0.0.22")}, {},
                        &why),
              -EINVAL);
    EXPECT_NE(why.find("IPv4-mapped"), std::string::npos) << why;
    /* 0.0.0.0 is no destination, as :: is not (the same check as sqlite's) */
    EXPECT_EQ(in.change({mapping(mac(0x31), v4(0, 0, 0, 0))}, {}, &why), -EINVAL);
    EXPECT_NE(why.find("unspecified address"), std::string::npos) << why;
    /* one transaction at a time; abort writes nothing */
    void* t1 = nullptr;
    void* t2 = nullptr;
    ASSERT_EQ(loaded->ops->vpo_map_begin(in.a, &t1, &err), 0);
    EXPECT_EQ(loaded->ops->vpo_map_begin(in.a, &t2, &err), -EBUSY);
    varpd_mapping_t ab = mapping(mac(0x32), v4(192, 0, 2, 32));
    ASSERT_EQ(loaded->ops->vpo_map_put(in.a, t1, &ab, 1, &err), 0);
    loaded->ops->vpo_map_abort(in.a, t1);
    EXPECT_FALSE(cluster->get(key(17, "mac/02:00:00:00:00:32")).has_value());
    ASSERT_EQ(loaded->ops->vpo_map_begin(in.a, &t2, &err), 0);
    loaded->ops->vpo_map_abort(in.a, t2);
}

TEST_F(Etcd, WritesThroughOneHostReachAnotherHostsKernel) {
    Inst h1(*loaded, cluster->endpoints(), 18);
    Inst h2(*loaded, cluster->endpoints(), 18);
    std::string why;
    ASSERT_EQ(h1.change({mapping(mac(0x40), v4(192, 0, 2, 40))}, {}, &why), 0) << why;
    ASSERT_EQ(h2.lookup(mac(0x40))->kind, Answer::dest);
    ASSERT_EQ(h1.change({mapping(mac(0x40), v4(192, 0, 2, 41))}, {}, &why), 0) << why;
    EXPECT_TRUE(
        h2.rec.wait_for([&] { return h2.injected_with(mac(0x40), v4(192, 0, 2, 41)); }, 1000ms));
    ASSERT_EQ(h1.change({}, {mac(0x40)}, &why), 0) << why;
    EXPECT_TRUE(h2.rec.wait_for(
        [&] {
            for (auto& m : h2.rec.invalidated)
                if (m == mac(0x40))
                    return true;
            return false;
        },
        1000ms));
}

TEST_F(Etcd, CommitIsAllOrNothingAcrossTxns) {
    Inst in(*loaded, cluster->endpoints(), 19);
    std::string why;
    /* a lease of 30 s for the instance, then revoked behind its back */
    ASSERT_EQ(
        in.change({mapping(mac(0x01, 0xff), v4(192, 0, 2, 1), 0, nullptr, nullptr, 30)}, {}, &why),
        0)
        << why;
    auto cl = cluster->client();
    auto r =
        cl->must("/v3/kv/range", {{"key", etcd_test::b64enc(key(19, "mac/02:00:00:00:ff:01"))}});
    std::string lease = r["kvs"][0].value("lease", "");
    ASSERT_FALSE(lease.empty());
    cl->must("/v3/lease/revoke", {{"ID", lease}});
    ASSERT_FALSE(cluster->get(key(19, "mac/02:00:00:00:ff:01")).has_value());
    cluster->put(key(19, "mac/02:00:00:00:00:05"), R"({"ip":"198.51.100.5"})");
    std::vector<varpd_mapping_t> many;
    for (int i = 0; i < 250; i++)
        many.push_back(mapping(mac(uint8_t(i), 0), v4(192, 0, 2, 1)));
    many.push_back(mapping(mac(0x02, 0xff), v4(192, 0, 2, 2), 0, nullptr, nullptr, 30));

    /* Another writer's larger change is staged on this vnet (its intent
       alive, held by its lease): the commit waits for it (busy_wait, 10 s),
       then fails saying so, having written nothing. */
    auto g = cl->must("/v3/lease/grant", {{"TTL", 60}});
    std::string other = g.value("ID", "");
    ASSERT_FALSE(other.empty());
    cl->must(
        "/v3/kv/put",
        {{"key", etcd_test::b64enc(key(19, "intent"))},
         {"value", etcd_test::b64enc(R"({"id":"0000000000000abc","state":"staged","by":"h2"})")},
         {"lease", other}});
    cluster->put("/overlay/staging/19/0000000000000abc/0", R"([{"k":"x"}])");
    int rc = in.change(many, {}, &why);
    EXPECT_EQ(rc, -EAGAIN) << why;
    EXPECT_NE(why.find("in progress"), std::string::npos) << why;
    EXPECT_NE(why.find("h2"), std::string::npos) << why;
    auto left = cluster->get_prefix(key(19, "mac/"));
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].value, R"({"ip":"198.51.100.5"})");
    /* a one-txn change waits for it too, and fails the same way */
    rc = in.change({mapping(mac(0x07, 0x07), v4(192, 0, 2, 7))}, {}, &why);
    EXPECT_EQ(rc, -EAGAIN) << why;
    EXPECT_NE(why.find("in progress"), std::string::npos) << why;

    /* That writer dies (its lease ends): its staged chunks are discarded,
       and all of this change lands. The mapping whose lease was revoked
       gets a new one when the change is applied. */
    cl->must("/v3/lease/revoke", {{"ID", other}});
    ASSERT_EQ(in.change(many, {}, &why), 0) << why;
    left = cluster->get_prefix(key(19, "mac/"));
    EXPECT_EQ(left.size(), 251u);
    EXPECT_FALSE(cluster->get(key(19, "intent")).has_value());
    EXPECT_TRUE(etcd_test::eventually(
        [&] { return cluster->get_prefix("/overlay/staging/19/").empty(); }, 10s))
        << "staged chunks left";
    EXPECT_NE(*cluster->get(key(19, "mac/02:00:00:00:00:05")), R"({"ip":"198.51.100.5"})");
    r = cl->must("/v3/kv/range", {{"key", etcd_test::b64enc(key(19, "mac/02:00:00:00:ff:02"))}});
    std::string l2 = r["kvs"][0].value("lease", "");
    ASSERT_FALSE(l2.empty());
    auto ttl = cl->must("/v3/lease/timetolive", {{"ID", l2}});
    EXPECT_GT(std::stoll(ttl.value("TTL", "0")), 0) << ttl.dump();
}

TEST_F(Etcd, LeaseKeptAliveWhileRunningExpiresWhenGone) {
    auto in = std::make_unique<Inst>(*loaded, cluster->endpoints(), 20);
    std::string why;
    ASSERT_EQ(
        in->change({mapping(mac(0x50), v4(192, 0, 2, 50), 0, "10.0.0.50", nullptr, 2)}, {}, &why),
        0)
        << why;
    std::this_thread::sleep_for(3500ms); /* longer than the TTL: the keeper renews it */
    EXPECT_TRUE(cluster->get(key(20, "mac/02:00:00:00:00:50")).has_value());
    EXPECT_TRUE(cluster->get(key(20, "ip/10.0.0.50")).has_value());
    varpd_mapping_t got;
    varpd_err_t err{};
    Mac6 m = mac(0x50);
    ASSERT_EQ(loaded->ops->vpo_map_get(in->a, m.data(), &got, &err), 0);
    EXPECT_GE(got.vm_ttl, 1u);
    EXPECT_LE(got.vm_ttl, 2u);
    in.reset(); /* the host's varpd is gone: nobody keeps the lease */
    auto t0 = std::chrono::steady_clock::now();
    bool gone = false;
    while (!gone && std::chrono::steady_clock::now() - t0 < 5s) {
        gone = !cluster->get(key(20, "mac/02:00:00:00:00:50")).has_value();
        if (!gone)
            std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(gone);
    EXPECT_FALSE(cluster->get(key(20, "ip/10.0.0.50")).has_value());
}

/* Lookups on several worker threads race the watch while etcd changes the
   MACs under them (and a property change restarts the instance midway):
   once the writes stop, the cache and the kernel's last word agree with
   etcd for every MAC. */
TEST_F(Etcd, ConcurrentLookupsAndWritesConverge) {
    Inst in(*loaded, cluster->endpoints(), 25);
    const int nmac = 16;
    auto val = [](int gen) { return "{\"ip\":\"192.0.2." + std::to_string(gen) + "\"}"; };
    for (int i = 0; i < nmac; i++)
        cluster->put(key(25, "mac/" + etcd_layout::mac_text(mac(uint8_t(i), 7).data())), val(1));
    std::atomic<bool> done{false};
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; t++)
        workers.emplace_back([&, t] {
            for (int n = 0; !done; n++) {
                Answer ans;
                varpd_lookup_t w{};
                std::memcpy(w.vl_dstmac, mac(uint8_t((n + t) % nmac), 7).data(), 6);
                loaded->ops->vpo_lookup(in.a, &ans.q, &w);
                ans.wait();
            }
        });
    auto writer = cluster->client();
    for (int gen = 2; gen < 40; gen++) {
        for (int i = 0; i < nmac; i += 3)
            writer->put(
                key(25, "mac/" + etcd_layout::mac_text(mac(uint8_t((i + gen) % nmac), 7).data())),
                val(gen));
        if (gen == 20) { /* the worker pool keeps looking up through a restart */
            EXPECT_EQ(set_str(loaded->ops, in.a, "etcd/prefix", "/overlay"), 0);
        }
    }
    std::this_thread::sleep_for(500ms);
    done = true;
    for (auto& w : workers)
        w.join();
    for (int i = 0; i < nmac; i++) {
        Mac6 m = mac(uint8_t(i), 7);
        auto kv = cluster->get(key(25, "mac/" + etcd_layout::mac_text(m.data())));
        ASSERT_TRUE(kv.has_value());
        files::Entry want;
        etcd_layout::Mac mm;
        std::memcpy(mm.data(), m.data(), 6);
        ASSERT_EQ(etcd_layout::decode_mac_value(mm, *kv, want), "");
        auto a = in.lookup(m);
        ASSERT_EQ(a->kind, Answer::dest);
        EXPECT_EQ(std::memcmp(a->d.vd_ip, want.ip.data(), 16), 0) << "MAC " << i << " is stale";
    }
    EXPECT_EQ(in.rec.degrades, 0u);
}

/* Three members of its own for a test that kills some. */
class EtcdFaults : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_NE(L.ops, nullptr) << L.error; }
    Loaded L{plugin_path};
    TempDir dir{"etcd-plugin-faults"};
    EtcdCluster c{3, dir.path()};
};

/* The instance talks to member 0 only, which is killed. */
TEST_F(EtcdFaults, CompactionWhileAwayFlushesAndNoEndpointDegrades) {
    c.put(key(21, "mac/02:00:00:00:00:60"), R"({"ip":"192.0.2.60"})");
    Inst in(L, c.url(0), 21);
    ASSERT_EQ(in.lookup(mac(0x60))->kind, Answer::dest);
    size_t flushes = in.rec.flushes;
    c.kill(0);
    /* cached answers go on; a new MAC answers drop and degrades */
    EXPECT_EQ(in.lookup(mac(0x60))->kind, Answer::dest);
    EXPECT_EQ(in.lookup(mac(0x61))->kind, Answer::drop);
    EXPECT_TRUE(in.rec.wait_for([&] { return !in.rec.degraded.empty(); }, 3000ms));
    std::string msg = in.rec.degraded_msg();
    EXPECT_NE(msg.find("etcd: no endpoint answers"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.url(0)), std::string::npos) << msg;
    EXPECT_NE(msg.find("new destinations cannot be looked up"), std::string::npos) << msg;
    EXPECT_LT(msg.size(), size_t(VARPD_MSGLEN));
    std::printf("degraded: %s\n", msg.c_str());
    EXPECT_TRUE(in.rec.logged("no endpoint answers (" + c.url(0) + ": "));
    /* meanwhile: writes, then the history is compacted past them */
    c.put(key(21, "mac/02:00:00:00:00:60"), R"({"ip":"192.0.2.160"})");
    c.put(key(21, "mac/02:00:00:00:00:61"), R"({"ip":"192.0.2.61"})");
    c.compact();
    c.start(0);
    c.wait_healthy();
    /* back: restored, the watch finds its revision compacted and flushes */
    EXPECT_TRUE(in.rec.wait_for([&] { return in.rec.degraded.empty() && in.rec.flushes > flushes; },
                                10000ms))
        << "degraded: " << in.rec.degraded_msg() << " flushes " << in.rec.flushes;
    EXPECT_TRUE(in.rec.logged("was compacted"));
    EXPECT_GE(in.rec.restores, 1u);
    auto a = in.lookup(mac(0x60));
    ASSERT_EQ(a->kind, Answer::dest);
    EXPECT_EQ(std::memcmp(a->d.vd_ip, v4(192, 0, 2, 160).data(), 16), 0);
    EXPECT_EQ(in.lookup(mac(0x61))->kind, Answer::dest);
    uint64_t restarts = 0;
    uint32_t sz = 8;
    ASSERT_EQ(L.ops->vpo_getprop(in.a, "etcd/watch_restarts", &restarts, &sz), 0);
    EXPECT_GE(restarts, 2u);
}

/* Quorum lost under a live member: its watch stream may stay open, but
   reads fail; the device is degraded, and the first read that works again
   restores it and shoots down the drops answered meanwhile. */
TEST_F(EtcdFaults, NoQuorumDegradesAndTheNextGoodReadRestores) {
    c.put(key(26, "mac/02:00:00:00:00:a0"), R"({"ip":"192.0.2.160"})");
    c.put(key(26, "mac/02:00:00:00:00:a1"), R"({"ip":"192.0.2.161"})");
    Inst in(L, c.url(0), 26);
    ASSERT_EQ(in.lookup(mac(0xa0))->kind, Answer::dest);
    c.kill(1);
    c.kill(2);
    EXPECT_EQ(in.lookup(mac(0xa1))->kind, Answer::drop); /* the kernel caches this DROP */
    EXPECT_FALSE(in.rec.degraded_msg().empty());
    /* the next miss does not wait for the timeouts again */
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(in.lookup(mac(0xa2))->kind, Answer::drop);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 300ms);
    EXPECT_EQ(in.lookup(mac(0xa0))->kind, Answer::dest); /* cached answers go on */
    c.start(1);
    ASSERT_GE(c.wait_leader(), 0);
    EXPECT_TRUE(in.rec.wait_for(
        [&] {
            for (auto& m : in.rec.invalidated)
                if (m == mac(0xa1))
                    return true;
            return in.rec.flushes > 1;
        },
        10000ms))
        << "the DROP answered while degraded stays in the kernel";
    auto a = in.lookup(mac(0xa1));
    EXPECT_EQ(a->kind, Answer::dest);
    EXPECT_TRUE(in.rec.was_invalidated(mac(0xa2)) || in.rec.flushes > 1);
    EXPECT_TRUE(in.rec.degraded_msg().empty()) << in.rec.degraded_msg();
    EXPECT_GE(in.rec.restores, 1u);
}

/* The watch's member is stopped (SIGSTOP: its TCP stream stays open and
   silent): the keeper's probe notices, the watch moves to the next
   endpoint from its last revision, and a change made meanwhile arrives. */
TEST_F(EtcdFaults, SilentMemberLosesTheWatch) {
    c.put(key(27, "mac/02:00:00:00:00:b0"), R"({"ip":"192.0.2.176"})");
    Inst in(L, c.url(0) + " " + c.url(1) + " " + c.url(2), 27);
    ASSERT_EQ(in.lookup(mac(0xb0))->kind, Answer::dest);
    ASSERT_EQ(::kill(c.pid(0), SIGSTOP), 0);
    auto t0 = std::chrono::steady_clock::now();
    c.put(key(27, "mac/02:00:00:00:00:b0"), R"({"ip":"192.0.2.177"})");
    bool moved =
        in.rec.wait_for([&] { return in.injected_with(mac(0xb0), v4(192, 0, 2, 177)); }, 15000ms);
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
    ::kill(c.pid(0), SIGCONT);
    EXPECT_TRUE(moved) << "the change never reached the kernel";
    std::printf("watch member stopped -> change injected after %.0f ms\n", ms.count());
    EXPECT_TRUE(in.rec.logged("does not answer a read"));
    EXPECT_EQ(in.rec.flushes, 1u); /* resumed, not resynced */
}

/* A watch that broke without compaction resumes where it was: no flush;
   every change made while it was away reaches the cache once, in order,
   the first of them (at the last applied revision + 1) included, and
   nothing applied before the break is applied again. */
TEST_F(EtcdFaults, BrokenWatchResumesFromTheLastRevision) {
    c.put(key(22, "mac/02:00:00:00:00:70"), R"({"ip":"192.0.2.70"})");
    c.put(key(22, "mac/02:00:00:00:00:71"), R"({"ip":"192.0.2.71"})");
    Inst in(L, c.url(0), 22); /* its watch on member 0 alone */
    ASSERT_EQ(in.lookup(mac(0x70))->kind, Answer::dest);
    ASSERT_EQ(in.lookup(mac(0x71))->kind, Answer::dest);
    ASSERT_EQ(in.lookup(mac(0x72))->kind, Answer::drop); /* cached absent */
    auto revision = [&] { return in.revision(); };
    auto restarts = [&] { return in.counter("etcd/watch_restarts"); };
    /* the last change before the break has been applied */
    int64_t before = c.put(key(22, "mac/02:00:00:00:00:70"), R"({"ip":"192.0.2.170"})");
    ASSERT_TRUE(
        in.rec.wait_for([&] { return in.injected_with(mac(0x70), v4(192, 0, 2, 170)); }, 5000ms));
    ASSERT_TRUE(eventually([&] { return revision() == before; }, 5000ms)) << revision();
    size_t flushes, injected, invalidated;
    {
        std::lock_guard g(in.rec.mu);
        flushes = in.rec.flushes;
        injected = in.rec.injected.size();
        invalidated = in.rec.invalidated.size();
    }
    uint64_t r0 = restarts();
    c.kill(0);
    ASSERT_TRUE(eventually([&] { return restarts() > r0; }, 5000ms)) << "the watch did not break";
    /* while it is away (members 1 and 2 hold the quorum) */
    int64_t first = c.put(key(22, "mac/02:00:00:00:00:70"), R"({"ip":"192.0.2.171"})");
    EXPECT_EQ(first, before + 1); /* exactly where the resume starts */
    c.del(key(22, "mac/02:00:00:00:00:71"));
    c.put(key(22, "mac/02:00:00:00:00:72"), R"({"ip":"192.0.2.72"})");
    int64_t last = c.put(key(22, "mac/02:00:00:00:00:70"), R"({"ip":"192.0.2.172"})");
    c.start(0);
    c.wait_healthy();
    ASSERT_TRUE(eventually([&] { return revision() == last; }, 15000ms))
        << "revision " << revision() << ", want " << last;
    ASSERT_TRUE(
        in.rec.wait_for([&] { return in.injected_with(mac(0x70), v4(192, 0, 2, 172)); }, 5000ms));
    std::vector<std::array<uint8_t, 16>> moved;
    std::vector<Mac6> shot;
    {
        std::lock_guard g(in.rec.mu);
        EXPECT_EQ(in.rec.flushes, flushes) << "resynced instead of resumed";
        for (size_t i = injected; i < in.rec.injected.size(); i++) {
            auto& [m, d] = in.rec.injected[i];
            EXPECT_EQ(m, mac(0x70));
            std::array<uint8_t, 16> ip;
            std::memcpy(ip.data(), d.vd_ip, 16);
            moved.push_back(ip);
        }
        shot.assign(in.rec.invalidated.begin() + long(invalidated), in.rec.invalidated.end());
    }
    /* 0x70: the first change while away and the last, once each, in order */
    EXPECT_EQ(moved,
              (std::vector<std::array<uint8_t, 16>>{v4(192, 0, 2, 171), v4(192, 0, 2, 172)}));
    /* 0x71 deleted and 0x72 appeared: each shot down once */
    EXPECT_EQ(std::count(shot.begin(), shot.end(), mac(0x71)), 1) << shot.size();
    EXPECT_EQ(std::count(shot.begin(), shot.end(), mac(0x72)), 1) << shot.size();
    EXPECT_EQ(in.lookup(mac(0x71))->kind, Answer::drop);
    auto a = in.lookup(mac(0x72));
    ASSERT_EQ(a->kind, Answer::dest);
    EXPECT_EQ(std::memcmp(a->d.vd_ip, v4(192, 0, 2, 72).data(), 16), 0);
    EXPECT_FALSE(in.rec.logged("was compacted"));
}

/*
 * etcd before 3.4.25 / 3.5.8 can send a progress notification to a watcher
 * still catching up (etcd issue 15220): on such a member the notifications
 * must not move the resume point. With notifications every 200 ms, writes
 * to another vnet advance the cluster while this vnet is quiet; a watcher
 * of our own on the same prefix and member shows the notifications at the
 * new revision are being sent, and once it has seen five of them (about a
 * second: the plugin's stream got several too), etcd/revision must still be
 * the vnet's last change. On a member new enough it follows them instead.
 */
TEST(EtcdProgress, NotificationsOfAnOldMemberDoNotMoveTheResumePoint) {
    Loaded L(plugin_path);
    ASSERT_NE(L.ops, nullptr) << L.error;
    TempDir dir("etcd-plugin-progress");
    etcd_test::ClusterOptions o;
    o.extra_args = {"--experimental-watch-progress-notify-interval=200ms"};
    EtcdCluster c(1, dir.path(), o);
    etcd::Config cfg;
    cfg.endpoints = {c.url(0)};
    etcd::Client cl(cfg);
    etcd::Reply st = cl.call_at(0, "/v3/maintenance/status", nlohmann::json::object());
    ASSERT_TRUE(st.ok) << st.error;
    const std::string version = etcd::str(st.body, "version");
    const bool trusted = etcd::progress_notify_trusted(version);
    std::printf("etcd %s: progress notifications %strusted\n", version.c_str(),
                trusted ? "" : "not ");

    c.put(key(31, "mac/02:00:00:00:00:31"), R"({"ip":"192.0.2.31"})");
    Inst in(L, c.url(0), 31);
    ASSERT_EQ(in.lookup(mac(0x31))->kind, Answer::dest);
    auto revision = [&] { return in.revision(); };
    int64_t mine = c.put(key(31, "mac/02:00:00:00:00:31"), R"({"ip":"192.0.2.131"})");
    ASSERT_TRUE(eventually([&] { return revision() == mine; }, 5000ms)) << revision();

    std::atomic<int64_t> target{INT64_MAX};
    std::atomic<int> seen{0};
    std::string dir31 = key(31, "");
    nlohmann::json create = {{"key", etcd::b64_encode(dir31)},
                             {"range_end", etcd::b64_encode(etcd::prefix_end(dir31))},
                             {"progress_notify", true}};
    std::thread observer([&] {
        cl.stream(0, "/v3/watch", {{"create_request", create}}, [&](const nlohmann::json& m) {
            const nlohmann::json& r = etcd::member(m, "result");
            bool progress =
                r.is_object() && !r.value("created", false) && etcd::array(r, "events").empty();
            if (progress && etcd::num(etcd::member(r, "header"), "revision") >= target)
                seen++;
            return true;
        });
    });
    struct Joiner {
        etcd::Client& cl;
        std::thread& t;
        ~Joiner() {
            cl.wake();
            t.join();
        }
    } joiner{cl, observer};

    int64_t ahead = 0;
    for (int i = 0; i < 5; i++)
        ahead =
            c.put(key(32, "mac/02:00:00:00:00:3" + std::to_string(i)), R"({"ip":"192.0.2.32"})");
    target = ahead;
    ASSERT_TRUE(eventually([&] { return seen >= 5; }, 10000ms))
        << "etcd sent no progress notification at revision " << ahead;
    if (trusted) {
        EXPECT_TRUE(eventually([&] { return revision() == ahead; }, 2000ms)) << revision();
    } else {
        EXPECT_EQ(revision(), mine) << "a progress notification of etcd " << version
                                    << " moved the resume point past the vnet's last change";
        EXPECT_TRUE(
            in.rec.logged("is etcd " + version + ": its progress notifications are not trusted"));
    }
    /* its own vnet's changes still move it */
    int64_t again = c.put(key(31, "mac/02:00:00:00:00:31"), R"({"ip":"192.0.2.231"})");
    EXPECT_TRUE(eventually([&] { return revision() == again; }, 5000ms)) << revision();
}

/* TLS: the instance's etcd/ca, etcd/cert and etcd/key reach etcd over https. */
TEST(EtcdSecure, TlsClientCertificate) {
    Loaded L(plugin_path);
    ASSERT_NE(L.ops, nullptr) << L.error;
    TempDir dir("etcd-plugin-tls");
    etcd_test::ClusterOptions o;
    o.tls = true;
    EtcdCluster c(1, dir.path(), o);
    c.put(key(23, "mac/02:00:00:00:00:80"), R"({"ip":"192.0.2.80"})");
    Recorder rec;
    rec.vnetid = 23;
    void* a = nullptr;
    ASSERT_EQ(L.ops->vpo_create(&rec.prov, VARPD_MODE_DYNAMIC, &a), 0);
    ASSERT_EQ(set_str(L.ops, a, "etcd/endpoints", c.endpoints()), 0);
    ASSERT_EQ(set_str(L.ops, a, "etcd/ca", c.ca_file()), 0);
    ASSERT_EQ(set_str(L.ops, a, "etcd/cert", c.cert_file()), 0);
    ASSERT_EQ(set_str(L.ops, a, "etcd/key", c.key_file()), 0);
    ASSERT_EQ(L.ops->vpo_start(a), 0);
    EXPECT_TRUE(rec.wait_for([&] { return rec.flushes >= 1; }, 5000ms));
    Answer ans;
    varpd_lookup_t w{};
    std::memcpy(w.vl_dstmac, mac(0x80).data(), 6);
    L.ops->vpo_lookup(a, &ans.q, &w);
    ASSERT_TRUE(ans.wait());
    EXPECT_EQ(ans.kind, Answer::dest);
    c.put(key(23, "mac/02:00:00:00:00:80"), R"({"ip":"192.0.2.81"})");
    EXPECT_TRUE(rec.wait_for([&] { return !rec.injected.empty(); }, 2000ms));
    /* the wrong CA: the member is refused, and the device says so */
    ASSERT_EQ(set_str(L.ops, a, "etcd/ca", c.wrong_ca_file()), 0);
    Answer ans2;
    std::memcpy(w.vl_dstmac, mac(0x81).data(), 6);
    L.ops->vpo_lookup(a, &ans2.q, &w);
    ASSERT_TRUE(ans2.wait());
    EXPECT_EQ(ans2.kind, Answer::drop);
    EXPECT_TRUE(rec.wait_for([&] { return !rec.degraded.empty(); }, 3000ms));
    std::printf("degraded: %s\n", rec.degraded_msg().c_str());
    L.ops->vpo_destroy(a);
}

/* Auth: etcd/user + etcd/password_file; the token is fetched again after the
   member restarts (simple tokens do not survive it). */
TEST(EtcdSecure, AuthAndReauthenticationAfterRestart) {
    Loaded L(plugin_path);
    ASSERT_NE(L.ops, nullptr) << L.error;
    TempDir dir("etcd-plugin-auth");
    etcd_test::ClusterOptions o;
    o.auth = true;
    EtcdCluster c(1, dir.path(), o);
    c.put(key(24, "mac/02:00:00:00:00:90"), R"({"ip":"192.0.2.90"})");
    Recorder rec;
    rec.vnetid = 24;
    void* a = nullptr;
    ASSERT_EQ(L.ops->vpo_create(&rec.prov, VARPD_MODE_DYNAMIC, &a), 0);
    ASSERT_EQ(set_str(L.ops, a, "etcd/endpoints", c.endpoints()), 0);
    ASSERT_EQ(set_str(L.ops, a, "etcd/user", c.user()), 0);
    ASSERT_EQ(set_str(L.ops, a, "etcd/password_file", dir.write_file("pw", c.password() + "\n")),
              0);
    ASSERT_EQ(L.ops->vpo_start(a), 0);
    EXPECT_TRUE(rec.wait_for([&] { return rec.flushes >= 1; }, 5000ms));
    auto look = [&](const Mac6& m) {
        auto ans = std::make_unique<Answer>();
        varpd_lookup_t w{};
        std::memcpy(w.vl_dstmac, m.data(), 6);
        L.ops->vpo_lookup(a, &ans->q, &w);
        EXPECT_TRUE(ans->wait());
        return ans;
    };
    EXPECT_EQ(look(mac(0x90))->kind, Answer::dest);
    c.stop(0);
    c.start(0);
    c.wait_healthy();
    c.put(key(24, "mac/02:00:00:00:00:91"), R"({"ip":"192.0.2.91"})");
    EXPECT_EQ(look(mac(0x91))->kind, Answer::dest);
    c.put(key(24, "mac/02:00:00:00:00:90"), R"({"ip":"192.0.2.190"})");
    EXPECT_TRUE(rec.wait_for(
        [&] {
            for (auto& [m, d] : rec.injected)
                if (m == mac(0x90))
                    return true;
            return false;
        },
        5000ms))
        << "the watch did not come back after the restart";
    /* a wrong password: refused, said so */
    ASSERT_EQ(set_str(L.ops, a, "etcd/password_file", dir.write_file("pw-wrong", "wrong")), 0);
    EXPECT_EQ(look(mac(0x92))->kind, Answer::drop);
    EXPECT_TRUE(rec.wait_for([&] { return !rec.degraded.empty(); }, 3000ms));
    EXPECT_TRUE(rec.logged("authentication as \"root\" refused"));
    EXPECT_EQ(rec.degraded_msg().rfind("etcd: authentication as \"root\" refused", 0), 0u)
        << rec.degraded_msg();
    L.ops->vpo_destroy(a);
}
