// The daemon end to end, in-process: a Daemon on its own thread with the
// in-memory kernel channel, driven over its real control socket by the
// client library, with the real direct and files plugins.
#include "frames.h"
#include "harness.h"
#include "text.h"

#include <filesystem>
#include <gtest/gtest.h>
#include <libtools/rename.h>
#include <set>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace varpd;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const vt::Mac6 macA{0x02, 0, 0, 0, 0, 0x0a}, macB{0x02, 0, 0, 0, 0, 0x0b},
    macC{0x02, 0, 0, 0, 0, 0x0c}, macP{0x02, 0, 0, 0, 0, 0x99}, macR{0x02, 0, 0, 0, 0, 0x77};

Dest dest(const std::string& ip, uint16_t port) {
    Dest d;
    EXPECT_TRUE(ip_from_text(ip, d.ip));
    d.port = port;
    return d;
}

const char* table1 = R"({
  "02:00:00:00:00:0a": { "ip": "192.0.2.1", "port": 4789, "arp": "10.1.0.5",
                         "ndp": "fd00::5", "dhcp-proxy": "02:00:00:00:00:99" },
  "02:00:00:00:00:0b": { "ip": "192.0.2.2", "port": 4789 },
  "02:00:00:00:00:99": { "ip": "192.0.2.99", "port": 8472 }
}
)";

class DaemonTest : public ::testing::Test {
protected:
    void SetUp() override {
        vt::load_all_plugins(plugins);
        for (uint32_t l = 1; l <= 6; l++)
            chan.add_link(l);
        config = dir / "overlay.json";
        vt::write_file(config, table1);
        start();
    }
    void TearDown() override {
        client.reset();
        running.reset();
    }
    void start() {
        running = std::make_unique<vt::Running>(dir.path, plugins, chan, cap.log);
        client = std::make_unique<Client>(running->socket);
    }
    void restart_with(FakeChannel& c) {
        client.reset();
        running.reset();
        running = std::make_unique<vt::Running>(dir.path, plugins, c, cap.log);
        client = std::make_unique<Client>(running->socket);
    }
    uint64_t files_instance(uint32_t link = 2) {
        return client->create_instance(link, "files", {{"files/config", config}});
    }
    FakeChannel::Outcome lookup(uint32_t link, const vt::Bytes& frame) {
        uint64_t id = chan.submit(link, frame);
        auto o = chan.wait_outcome(id, 5s);
        EXPECT_TRUE(o.has_value()) << "request " << id << " never answered";
        return o.value_or(FakeChannel::Outcome{FakeChannel::Outcome::dropped, {}});
    }
    std::string expect_error(std::function<void()> f) { return vt::error_of(f); }

    vt::TempDir dir;
    vt::LogCapture cap;
    PluginSet plugins{cap.log};
    FakeChannel chan;
    std::string config;
    std::unique_ptr<vt::Running> running;
    std::unique_ptr<Client> client;
};

} // namespace

TEST_F(DaemonTest, ControlSocketIsPrivate) {
    struct stat st;
    ASSERT_EQ(stat(running->socket.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto s = client->status();
    EXPECT_EQ(s.pid, static_cast<uint32_t>(getpid()));
    EXPECT_EQ(s.channel, "fake");
    /* direct, files, abi1, degrader, example, later, mapstore, sleepy, and
       whatever other backends the build tree has grown */
    EXPECT_EQ(s.plugins, plugins.backends().size());
    EXPECT_GE(s.plugins, 8u);
}

TEST_F(DaemonTest, ListsPluginsAndRefusals) {
    std::vector<client::Refused> refused;
    auto ps = client->list_plugins(&refused);
    std::vector<std::string> names; /* those this test knows, in load order */
    const std::set<std::string> known{"direct",  "files", "abi1",     "degrader",
                                      "example", "later", "mapstore", "sleepy"};
    for (auto& p : ps)
        if (known.count(p.name))
            names.push_back(p.name + "/" + p.mode + (p.blocking ? "/blocking" : ""));
    EXPECT_EQ(names,
              (std::vector<std::string>{"direct/point", "files/dynamic", "abi1/dynamic",
                                        "degrader/dynamic", "example/dynamic", "later/dynamic",
                                        "mapstore/dynamic/blocking", "sleepy/dynamic/blocking"}));
    for (auto& p : ps) {
        if (p.name == "abi1") {
            EXPECT_EQ(p.abi, 1u);
            EXPECT_FALSE(p.writable);
        } else if (p.name == "example" || p.name == "files") {
            EXPECT_EQ(p.abi, 2u);
            EXPECT_TRUE(p.writable);
        }
    }
    ASSERT_EQ(refused.size(), 3u);
    EXPECT_EQ(refused[0].file, "bad_abi.so");
    EXPECT_NE(refused[0].reason.find("ABI version 99"), std::string::npos);
    EXPECT_EQ(refused[1].file, "missing_op.so");
    EXPECT_NE(refused[1].reason.find("vpo_ndp"), std::string::npos);
}

TEST_F(DaemonTest, DirectInstanceSetsThePointDestination) {
    uint64_t id = client->create_instance(
        1, "direct", {{"direct/dest_ip", "192.0.2.7"}, {"direct/dest_port", "4789"}});
    auto l = chan.link(1);
    ASSERT_TRUE(l);
    EXPECT_TRUE(l->associated);
    EXPECT_EQ(l->mode, Mode::point);
    EXPECT_EQ(l->dest, dest("192.0.2.7", 4789));
    EXPECT_EQ(client->get_prop(id, "direct/dest_ip"), "192.0.2.7");
    EXPECT_EQ(client->get_prop(id, "direct/dest_port"), "4789");

    /* A change moves the kernel's destination at once, IPv6 too. */
    client->set_prop(id, "direct/dest_port", "8472");
    EXPECT_EQ(chan.link(1)->dest, dest("192.0.2.7", 8472));
    client->set_prop(id, "direct/dest_ip", "2001:db8::1");
    EXPECT_EQ(chan.link(1)->dest, dest("2001:db8::1", 8472));
    EXPECT_EQ(client->get_prop(id, "direct/dest_ip"), "2001:db8::1");

    auto pi = client->prop_info(id);
    ASSERT_EQ(pi.size(), 2u);
    EXPECT_EQ(pi[0].name, "direct/dest_ip");
    EXPECT_EQ(pi[0].type, "ip");
    EXPECT_TRUE(pi[0].required);
    EXPECT_EQ(pi[1].name, "direct/dest_port");
    EXPECT_EQ(pi[1].type, "uint");
    EXPECT_EQ(pi[1].max, 65535u);
    EXPECT_EQ(pi[1].def, "0");
    EXPECT_EQ(pi[1].value, "8472");

    auto list = client->list_instances();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].id, id);
    EXPECT_EQ(list[0].linkid, 1u);
    EXPECT_EQ(list[0].plugin, "direct");
    EXPECT_EQ(list[0].mode, "point");
    EXPECT_TRUE(fs::exists(dir / ("instance-" + std::to_string(id) + ".varpd")));

    client->destroy_instance(id);
    EXPECT_FALSE(chan.link(1)->associated);
    EXPECT_TRUE(client->list_instances().empty());
    EXPECT_FALSE(fs::exists(dir / ("instance-" + std::to_string(id) + ".varpd")));
}

TEST_F(DaemonTest, BadRequestsAreRefusedWithTheReason) {
    std::string loaded;
    for (auto& b : plugins.backends())
        loaded += (loaded.empty() ? "" : ", ") + b.name;
    EXPECT_NE(loaded.find("direct, "), std::string::npos);
    EXPECT_NE(expect_error([&] {
                  client->create_instance(1, "nope");
              }).find("no backend \"nope\" (loaded: " + loaded + ")"),
              std::string::npos);
    EXPECT_NE(expect_error([&] {
                  client->create_instance(1, "direct", {{"direct/dest_ip", "192.0.2.300"}});
              }).find("\"192.0.2.300\" is not an IP address"),
              std::string::npos);
    EXPECT_NE(expect_error([&] {
                  client->create_instance(
                      1, "direct",
                      {{"direct/dest_ip", "192.0.2.1"}, {"direct/dest_port", "70000"}});
              }).find("70000 is outside 0-65535"),
              std::string::npos);
    EXPECT_NE(expect_error([&] { client->create_instance(1, "direct"); }).find("start failed"),
              std::string::npos);
    EXPECT_NE(expect_error([&] {
                  client->create_instance(1, "direct", {{"direct/nope", "1"}});
              }).find("has no property \"direct/nope\""),
              std::string::npos);
    EXPECT_NE(expect_error([&] {
                  client->create_instance(2, "files", {{"files/config", dir / "missing.json"}});
              }).find("start failed"),
              std::string::npos);
    EXPECT_TRUE(cap.contains("missing.json: cannot open")) << cap.all();
    /* Nothing half-made stays behind. */
    EXPECT_TRUE(client->list_instances().empty());
    for (auto& e : fs::directory_iterator(dir.path))
        EXPECT_EQ(e.path().filename().string().find("instance-"), std::string::npos) << e.path();
    EXPECT_FALSE(chan.link(1)->associated);

    client->create_instance(1, "direct", {{"direct/dest_ip", "192.0.2.1"}});
    EXPECT_NE(expect_error([&] {
                  client->create_instance(1, "direct", {{"direct/dest_ip", "192.0.2.1"}});
              }).find("link 1 already has instance"),
              std::string::npos);
    EXPECT_NE(expect_error([&] { client->destroy_instance(999); }).find("no instance 999"),
              std::string::npos);
    EXPECT_NE(expect_error([&] { client->get_prop(999, "x"); }).find("no instance 999"),
              std::string::npos);
    EXPECT_NE(expect_error([&] { client->cache_get(1, "zz:00:00:00:00:01"); }).find("bad MAC"),
              std::string::npos);
}

TEST_F(DaemonTest, InstancesSurviveARestart) {
    uint64_t d = client->create_instance(
        1, "direct", {{"direct/dest_ip", "192.0.2.7"}, {"direct/dest_port", "8472"}});
    uint64_t f = files_instance(2);
    uint64_t e = client->create_instance(3, "example", {{"example/port", "6081"}});

    FakeChannel fresh; /* the kernel after a reboot of varpd: nothing associated */
    for (uint32_t l = 1; l <= 4; l++)
        fresh.add_link(l);
    restart_with(fresh);
    auto list = client->list_instances();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].id, d);
    EXPECT_EQ(list[1].id, f);
    EXPECT_EQ(list[2].id, e);
    EXPECT_EQ(fresh.link(1)->dest, dest("192.0.2.7", 8472));
    EXPECT_TRUE(fresh.link(2)->associated);
    EXPECT_EQ(fresh.link(2)->mode, Mode::dynamic);
    EXPECT_EQ(client->get_prop(f, "files/config"), config);
    EXPECT_EQ(client->get_prop(e, "example/port"), "6081");
    auto deg = client->status().degraded; /* only link 4, which never had an instance */
    ASSERT_EQ(deg.size(), 1u);
    EXPECT_EQ(deg[0].first, 4u);
    EXPECT_NE(deg[0].second.find("none was created"), std::string::npos) << deg[0].second;
    uint64_t r = fresh.submit(2, vt::unicast(macB, macR));
    auto o = fresh.wait_outcome(r, 5s);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->dest, dest("192.0.2.2", 4789));
    /* A new instance never reuses a restored id. */
    uint64_t n = client->create_instance(4, "example");
    EXPECT_NE(n, d);
    EXPECT_NE(n, f);
    EXPECT_NE(n, e);
}

TEST_F(DaemonTest, CorruptedFilesAreSetAsideAndTheirLinksDegraded) {
    uint64_t d = client->create_instance(1, "direct", {{"direct/dest_ip", "192.0.2.7"}});
    client->create_instance(2, "example");
    client->create_instance(3, "example");
    client.reset();
    running.reset();
    /* Damage two of the three: one truncated, one with a flipped byte. */
    std::string p2 = dir / "instance-2.varpd", p3 = dir / "instance-3.varpd";
    fs::resize_file(p2, fs::file_size(p2) - 5);
    {
        std::fstream f(p3, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(30);
        f.put('\x55');
    }
    vt::write_file(dir / "instance-9.varpd", ""); /* an empty one too */
    FakeChannel fresh;
    for (uint32_t l = 1; l <= 4; l++)
        fresh.add_link(l);
    restart_with(fresh);

    auto s = client->status(); /* still running and answering */
    ASSERT_EQ(s.set_aside.size(), 3u);
    EXPECT_NE(s.set_aside[0].reason.find("truncated"), std::string::npos) << s.set_aside[0].reason;
    EXPECT_NE(s.set_aside[1].reason.find("checksum mismatch"), std::string::npos);
    EXPECT_NE(s.set_aside[2].reason.find("truncated: 0 bytes"), std::string::npos);
    EXPECT_TRUE(fs::exists(p2 + ".bad"));
    EXPECT_TRUE(fs::exists(p3 + ".bad"));
    EXPECT_FALSE(fs::exists(p2));
    EXPECT_TRUE(cap.contains("instance file " + p2 + " set aside as " + p2 + ".bad: truncated"))
        << cap.all();

    auto list = client->list_instances();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].id, d);
    EXPECT_FALSE(fresh.link(1)->degraded);
    for (uint32_t l = 2; l <= 4; l++) {
        auto link = fresh.link(l);
        EXPECT_TRUE(link->degraded) << "link " << l;
        EXPECT_NE(link->message.find("no instance for this overlay; set aside at start: "
                                     "instance-2.varpd (truncated"),
                  std::string::npos)
            << link->message;
    }
    ASSERT_EQ(s.degraded.size(), 3u);
    /* Creating an instance for a degraded link clears its state. */
    client->create_instance(2, "example");
    EXPECT_FALSE(fresh.link(2)->degraded);
}

TEST_F(DaemonTest, FilesLookupsCountHitsMissesAndLatency) {
    uint64_t f = files_instance(2);
    EXPECT_EQ(client->get_prop(f, "files/entries"), "3");
    auto o = lookup(2, vt::unicast(macA, macR));
    EXPECT_EQ(o.kind, FakeChannel::Outcome::responded);
    EXPECT_EQ(o.dest, dest("192.0.2.1", 4789));
    o = lookup(2, vt::unicast(macC, macR));
    EXPECT_EQ(o.kind, FakeChannel::Outcome::dropped);
    /* The kernel caches the answer (RESPOND fills the target cache). */
    auto e = client->cache_get(2, "02:00:00:00:00:0a");
    EXPECT_EQ(e.ip, "192.0.2.1");
    EXPECT_EQ(e.port, 4789);
    auto st = client->stats(f);
    EXPECT_EQ(st.lookups, 2u);
    EXPECT_EQ(st.hits, 1u);
    EXPECT_EQ(st.misses, 1u);
    EXPECT_EQ(st.outstanding, 0u);
    EXPECT_GT(st.latency_avg_us, 0.0);
    EXPECT_GE(st.latency_max_us, st.latency_avg_us);
    EXPECT_GT(st.latency_p99_us, 0.0);
    /* A link with no instance, or a point-mode one: dropped and counted. */
    client->create_instance(1, "direct", {{"direct/dest_ip", "192.0.2.1"}});
    EXPECT_EQ(lookup(1, vt::unicast(macA, macR)).kind, FakeChannel::Outcome::dropped);
    EXPECT_EQ(lookup(6, vt::unicast(macA, macR)).kind, FakeChannel::Outcome::dropped);
    auto all = client->stats(0);
    EXPECT_EQ(all.lookups, 4u);
    EXPECT_EQ(all.drops, 2u);
    EXPECT_EQ(all.hits, 1u);
}

TEST_F(DaemonTest, FilesReloadShootsDownChangedEntriesAndKeepsTheOldTableOnError) {
    uint64_t f = files_instance(2);
    EXPECT_EQ(lookup(2, vt::unicast(macA, macR)).dest, dest("192.0.2.1", 4789));
    EXPECT_EQ(lookup(2, vt::unicast(macB, macR)).dest, dest("192.0.2.2", 4789));
    client->cache_set(2, {"02:00:00:00:00:99", false, "192.0.2.99", 8472});
    EXPECT_EQ(client->cache_iter(2).size(), 3u);

    /* A moves, B goes, C comes, the proxy stays: written with an atomic rename. */
    const char* table2 = R"({
      "02:00:00:00:00:0a": { "ip": "192.0.2.11", "port": 4789 },
      "02:00:00:00:00:0c": { "ip": "192.0.2.3" },
      "02:00:00:00:00:99": { "ip": "192.0.2.99", "port": 8472 }
    })";
    ASSERT_EQ(ov::rename_write(config, table2, 0644, nullptr), 0);
    ASSERT_TRUE(vt::eventually([&] { return client->get_prop(f, "files/reloads") == "2"; }))
        << cap.all();
    auto cache = client->cache_iter(2);
    ASSERT_EQ(cache.size(), 1u); /* A and B shot down, the unchanged proxy kept */
    EXPECT_EQ(cache[0].mac, "02:00:00:00:00:99");
    EXPECT_EQ(lookup(2, vt::unicast(macA, macR)).dest, dest("192.0.2.11", 4789));
    EXPECT_EQ(lookup(2, vt::unicast(macB, macR)).kind, FakeChannel::Outcome::dropped);
    EXPECT_EQ(lookup(2, vt::unicast(macC, macR)).dest, dest("192.0.2.3", 0));

    /* A broken file (written in place) is reported with its line; the old table stays. */
    vt::write_file(config, "{\n  \"02:00:00:00:00:0a\": { \"ip\": \"192.0.2.1\" },\n  oops\n}\n");
    ASSERT_TRUE(vt::eventually([&] { return cap.contains("the previous table stays in force"); }))
        << cap.all();
    EXPECT_TRUE(cap.contains("line 3, column 3")) << cap.all();
    EXPECT_EQ(client->get_prop(f, "files/reloads"), "2");
    EXPECT_EQ(lookup(2, vt::unicast(macC, macR)).dest, dest("192.0.2.3", 0));
    /* A semantic error names the MAC's line too. */
    vt::write_file(config, "{\n  \"02:00:00:00:00:0a\": { \"ip\": \"192.0.2.1\" },\n"
                           "  \"02:00:00:00:00:0b\": { \"ip\": \"192.0.2.1\", \"prot\": 1 }\n}\n");
    ASSERT_TRUE(vt::eventually([&] { return cap.contains("unknown member \"prot\""); }))
        << cap.all();
    EXPECT_TRUE(cap.contains("line 3: \"02:00:00:00:00:0b\": unknown member \"prot\""))
        << cap.all();
    EXPECT_EQ(lookup(2, vt::unicast(macC, macR)).dest, dest("192.0.2.3", 0));
}

TEST_F(DaemonTest, ProxyArpAnswersWithAReply) {
    files_instance(2);
    auto o = lookup(2, vt::arp_request(macR, {10, 1, 0, 9}, {10, 1, 0, 5}));
    EXPECT_EQ(o.kind, FakeChannel::Outcome::dropped); /* the request itself goes nowhere */
    auto inj = chan.injected();
    ASSERT_EQ(inj.size(), 1u);
    const auto& f = inj[0];
    ASSERT_EQ(f.size(), 60u);
    EXPECT_TRUE(std::equal(macR.begin(), macR.end(), f.begin()));     /* to the requester */
    EXPECT_TRUE(std::equal(macA.begin(), macA.end(), f.begin() + 6)); /* from the owner */
    EXPECT_EQ(f[12], 0x08);
    EXPECT_EQ(f[13], 0x06);
    EXPECT_EQ(f[21], 2); /* ARP reply */
    EXPECT_TRUE(std::equal(macA.begin(), macA.end(), f.begin() + 22));
    EXPECT_EQ(std::vector<uint8_t>(f.begin() + 28, f.begin() + 32),
              (std::vector<uint8_t>{10, 1, 0, 5}));
    EXPECT_TRUE(std::equal(macR.begin(), macR.end(), f.begin() + 32));
    EXPECT_EQ(std::vector<uint8_t>(f.begin() + 38, f.begin() + 42),
              (std::vector<uint8_t>{10, 1, 0, 9}));
    /* Unknown address: no reply, counted as a miss. */
    EXPECT_EQ(lookup(2, vt::arp_request(macR, {10, 1, 0, 9}, {10, 1, 0, 6})).kind,
              FakeChannel::Outcome::dropped);
    EXPECT_EQ(chan.injected().size(), 1u);
    auto st = client->stats(0);
    EXPECT_EQ(st.proxy_arp, 1u);
    EXPECT_EQ(st.misses, 1u);
}

TEST_F(DaemonTest, ProxyNdpAnswersWithAValidAdvertisement) {
    files_instance(2);
    std::array<uint8_t, 16> sip{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    std::array<uint8_t, 16> tgt{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
    auto o = lookup(2, vt::neighbour_solicit(macR, sip, tgt));
    EXPECT_EQ(o.kind, FakeChannel::Outcome::dropped);
    auto inj = chan.injected();
    ASSERT_EQ(inj.size(), 1u);
    const auto& f = inj[0];
    ASSERT_EQ(f.size(), static_cast<size_t>(OV_PACKET_NA_LEN));
    EXPECT_TRUE(std::equal(macR.begin(), macR.end(), f.begin()));
    EXPECT_TRUE(std::equal(macA.begin(), macA.end(), f.begin() + 6));
    EXPECT_EQ(f[20], 58);      /* ICMPv6 */
    EXPECT_EQ(f[21], 255);     /* hop limit */
    EXPECT_EQ(f[54], 136);     /* Neighbour Advertisement */
    EXPECT_TRUE(f[58] & 0x40); /* solicited */
    EXPECT_TRUE(std::equal(tgt.begin(), tgt.end(), f.begin() + 62));
    EXPECT_TRUE(std::equal(macA.begin(), macA.end(), f.begin() + 80)); /* target LL option */
    EXPECT_EQ(vt::icmp6_sum(&f[22], &f[38], &f[54], 32), 0xffff) << "NA checksum invalid";
    EXPECT_EQ(client->stats(0).proxy_ndp, 1u);
    /* A solicitation with a bad checksum is malformed: dropped, no reply. */
    auto bad = vt::neighbour_solicit(macR, sip, tgt);
    bad[56] ^= 1;
    EXPECT_EQ(lookup(2, bad).kind, FakeChannel::Outcome::dropped);
    EXPECT_EQ(chan.injected().size(), 1u);
    EXPECT_EQ(client->stats(0).drops, 1u);
}

TEST_F(DaemonTest, ProxyDhcpRedirectsToTheProxy) {
    files_instance(2);
    auto frame = vt::dhcp_discover(macA);
    auto o = lookup(2, frame);
    EXPECT_EQ(o.kind, FakeChannel::Outcome::dropped);
    auto rs = chan.resent();
    ASSERT_EQ(rs.size(), 1u);
    EXPECT_EQ(rs[0].linkid, 2u);
    EXPECT_EQ(rs[0].dest, dest("192.0.2.99", 8472)); /* where the proxy MAC lives */
    ASSERT_EQ(rs[0].frame.size(), frame.size());
    EXPECT_TRUE(std::equal(macP.begin(), macP.end(), rs[0].frame.begin()));
    EXPECT_TRUE(std::equal(frame.begin() + 6, frame.end(), rs[0].frame.begin() + 6));
    EXPECT_EQ(client->stats(0).proxy_dhcp, 1u);
    /* B has no dhcp-proxy: its DHCP request is dropped. */
    EXPECT_EQ(lookup(2, vt::dhcp_discover(macB)).kind, FakeChannel::Outcome::dropped);
    EXPECT_EQ(chan.resent().size(), 1u);
}

TEST_F(DaemonTest, OtherBroadcastAndMulticastIsDroppedAndCounted) {
    uint64_t f = files_instance(2);
    EXPECT_EQ(lookup(2, vt::unicast({0x33, 0x33, 0, 0, 0, 1}, macR)).kind,
              FakeChannel::Outcome::dropped);
    EXPECT_EQ(lookup(2, vt::unicast({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, macR)).kind,
              FakeChannel::Outcome::dropped);
    EXPECT_EQ(lookup(2, vt::unicast({0x01, 0, 0x5e, 0, 0, 1}, macR)).kind,
              FakeChannel::Outcome::dropped);
    auto st = client->stats(f);
    EXPECT_EQ(st.drops, 3u);
    EXPECT_EQ(st.hits + st.misses, 0u);
    EXPECT_TRUE(chan.injected().empty());
}

TEST_F(DaemonTest, BlockingBackendRunsOnWorkersNotTheLoop) {
    files_instance(2);
    client->create_instance(5, "sleepy");
    auto t0 = std::chrono::steady_clock::now();
    uint64_t slow = chan.submit(5, vt::unicast(macA, macR));
    uint64_t slow2 = chan.submit(5, vt::unicast(macB, macR));
    uint64_t fast = chan.submit(2, vt::unicast(macA, macR));
    auto o = chan.wait_outcome(fast, 5s);
    ASSERT_TRUE(o);
    client->status(); /* the control socket answers meanwhile */
    auto t_fast = std::chrono::steady_clock::now() - t0;
    EXPECT_LT(t_fast, 450ms); /* not queued behind a 500 ms lookup */
    EXPECT_FALSE(chan.outcome(slow)) << "the sleepy backend cannot have answered yet";
    EXPECT_TRUE(vt::eventually([&] { return client->stats(0).outstanding == 2; }));
    auto s1 = chan.wait_outcome(slow, 5s), s2 = chan.wait_outcome(slow2, 5s);
    ASSERT_TRUE(s1 && s2);
    EXPECT_EQ(s1->dest, dest("198.51.100.1", 4789));
    auto t_slow = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(t_slow, 450ms);
    EXPECT_LT(t_slow, 1000ms) << "two lookups should sleep in parallel on two workers";
    EXPECT_TRUE(vt::eventually([&] { return client->stats(0).outstanding == 0; }));
}

TEST_F(DaemonTest, DestroyWaitsForOutstandingQueries) {
    uint64_t id = client->create_instance(5, "sleepy");
    uint64_t r = chan.submit(5, vt::unicast(macA, macR));
    ASSERT_TRUE(vt::eventually([&] { return client->stats(0).outstanding == 1; }));
    client->destroy_instance(id); /* while the worker sleeps in the backend */
    auto o = chan.wait_outcome(r, 5s);
    ASSERT_TRUE(o); /* the answer still arrives, the instance goes after it */
    EXPECT_TRUE(vt::eventually([&] { return client->stats(0).outstanding == 0; }));
}

TEST_F(DaemonTest, ExamplePluginFromTheManPage) {
    uint64_t id = client->create_instance(3, "example", {{"example/port", "8472"}});
    auto o = lookup(3, vt::unicast({0x02, 0, 0, 0, 0, 42}, macR));
    EXPECT_EQ(o.kind, FakeChannel::Outcome::responded);
    EXPECT_EQ(o.dest, dest("192.0.2.42", 8472));
    lookup(3, vt::arp_request(macR, {10, 0, 0, 1}, {10, 0, 0, 9}));
    auto inj = chan.injected();
    ASSERT_EQ(inj.size(), 1u);
    EXPECT_EQ(std::vector<uint8_t>(inj[0].begin() + 22, inj[0].begin() + 28),
              (std::vector<uint8_t>{2, 0, 0, 0, 0, 9}));
    EXPECT_NE(expect_error([&] {
                  client->set_prop(id, "example/port", "0");
              }).find("0 is outside 1-65535"),
              std::string::npos);
}

TEST_F(DaemonTest, TargetCacheApi) {
    files_instance(2);
    client->cache_set(2, {"02:00:00:00:00:01", false, "2001:db8::5", 4789});
    client->cache_set(2, {"02:00:00:00:00:02", true, "", 0});
    auto e = client->cache_get(2, "02:00:00:00:00:01");
    EXPECT_EQ(e.ip, "2001:db8::5");
    EXPECT_FALSE(e.drop);
    EXPECT_TRUE(client->cache_get(2, "02:00:00:00:00:02").drop);
    EXPECT_EQ(client->cache_iter(2).size(), 2u);
    client->cache_remove(2, "02:00:00:00:00:01");
    EXPECT_EQ(client->cache_iter(2).size(), 1u);
    client->cache_flush(2);
    EXPECT_TRUE(client->cache_iter(2).empty());
    EXPECT_NE(
        expect_error([&] { client->cache_get(2, "02:00:00:00:00:02"); }).find("no cache entry"),
        std::string::npos);
    EXPECT_NE(expect_error([&] { client->cache_flush(77); }).find("no link 77"), std::string::npos);
}

TEST_F(DaemonTest, PeerCredentialsAreChecked) {
    /* Open the socket's mode so only SO_PEERCRED stands in the way. */
    ASSERT_EQ(chmod(running->socket.c_str(), 0666), 0);
    ASSERT_EQ(chmod(dir.path.c_str(), 0711), 0);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(3);
        try {
            Client c(running->socket);
            c.status();
        } catch (const ClientError&) {
            _exit(0); /* refused: what we want */
        }
        _exit(1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    ASSERT_TRUE(WIFEXITED(st));
    if (WEXITSTATUS(st) == 3)
        GTEST_SKIP() << "cannot change uid here (not root)";
    EXPECT_EQ(WEXITSTATUS(st), 0) << "a connection from uid 65534 was served";
    EXPECT_TRUE(vt::eventually([&] {
        return cap.contains("control connection refused: peer uid 65534");
    })) << cap.all();
    client->status(); /* our own uid still is */
}

TEST_F(DaemonTest, BackendsCanDegradeAndRestoreTheirOverlay) {
    uint64_t id = client->create_instance(4, "degrader");
    client->set_prop(id, "degrader/message", "etcd unreachable since 10:02");
    auto l = chan.link(4);
    EXPECT_TRUE(l->degraded);
    EXPECT_EQ(l->message, "degrader: etcd unreachable since 10:02");
    /* status lists it (with the links that never had an instance). */
    auto degraded_msg = [&](uint32_t link) -> std::string {
        for (auto& [l, m] : client->status().degraded)
            if (l == link)
                return m;
        return "";
    };
    EXPECT_EQ(degraded_msg(4), "degrader: etcd unreachable since 10:02");
    EXPECT_NE(degraded_msg(5).find("no instance for this overlay"), std::string::npos);
    EXPECT_TRUE(cap.contains("link 4 degraded: degrader: etcd unreachable")) << cap.all();
    /* a backend that names itself is not named twice */
    client->set_prop(id, "degrader/message", "degrader: its own words");
    EXPECT_EQ(chan.link(4)->message, "degrader: its own words");
    client->set_prop(id, "degrader/message", "");
    EXPECT_FALSE(chan.link(4)->degraded);
    EXPECT_EQ(degraded_msg(4), "");
    EXPECT_NE(degraded_msg(5), "");
}

TEST_F(DaemonTest, ADegradeSaidBeforeTheStartOutlivesIt) {
    /* Link 5 is degraded by varpd ("no instance"); the backend degrades it before its start. */
    ASSERT_TRUE(chan.link(5)->degraded);
    client->create_instance(5, "degrader", {{"degrader/message", "cannot read /var/db yet"}});
    EXPECT_TRUE(chan.link(5)->degraded) << "the start cleared what the backend said";
    EXPECT_EQ(chan.link(5)->message, "degrader: cannot read /var/db yet");
}

TEST_F(DaemonTest, BackendsAnswerLaterFromTheirOwnThreads) {
    uint64_t id = client->create_instance(3, "later");
    std::vector<uint64_t> reqs;
    for (uint8_t i = 1; i <= 20; i++)
        reqs.push_back(chan.submit(3, vt::unicast({0x02, 0, 0, 0, 0, i}, macR)));
    /* All twenty are in the backend's hands at once; the loop is free. */
    ASSERT_TRUE(vt::eventually([&] { return client->stats(id).outstanding == 20; }));
    for (uint8_t i = 1; i <= 20; i++) {
        auto o = chan.wait_outcome(reqs[i - 1], 5s);
        ASSERT_TRUE(o);
        EXPECT_EQ(o->dest, dest("203.0.113." + std::to_string(i), 4789));
    }
    /* The counters move just after the kernel hears the answer, on the backend's thread. */
    client::Stats st;
    EXPECT_TRUE(vt::eventually([&] {
        st = client->stats(id);
        return st.hits == 20 && st.outstanding == 0;
    })) << st.hits
        << " hits, " << st.outstanding << " outstanding";
    EXPECT_GE(st.latency_avg_us, 90000.0); /* the backend's 100 ms, measured */
    /* Destroyed with answers in flight: they still land, then it goes. */
    uint64_t r = chan.submit(3, vt::unicast(macA, macR));
    ASSERT_TRUE(vt::eventually([&] { return client->stats(0).outstanding == 1; }));
    client->destroy_instance(id);
    ASSERT_TRUE(chan.wait_outcome(r, 5s));
    EXPECT_TRUE(vt::eventually([&] { return client->stats(0).outstanding == 0; }));
}

TEST_F(DaemonTest, AVersion1BackendStillAnswersLookups) {
    client->create_instance(3, "abi1");
    auto o = lookup(3, vt::unicast(macA, macR));
    EXPECT_EQ(o.kind, FakeChannel::Outcome::responded);
    EXPECT_EQ(o.dest, dest("192.0.2.200", 4789));
}

TEST(FakeChannelVnet, ALinksVnetIdIsItsOwnOrTheOneGiven) {
    FakeChannel c;
    c.add_link(3);
    c.add_link(4, 5001);
    uint32_t v = 0;
    ASSERT_TRUE(c.link_vnetid(3, v).ok());
    EXPECT_EQ(v, 3u);
    ASSERT_TRUE(c.link_vnetid(4, v).ok());
    EXPECT_EQ(v, 5001u);
    Status s = c.link_vnetid(9, v);
    EXPECT_EQ(s.err, ENOENT);
    EXPECT_NE(s.why.find("GETPROP vnetid on link 9"), std::string::npos) << s.why;
}
