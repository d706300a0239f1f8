// Mappings through varpd, end to end in-process: a Daemon on its own thread
// with the in-memory kernel channel, driven over its real control socket by
// the client library, with the writable in-memory backend "mapstore"
// (blocking: its map operations run on the worker pool; every test runs
// again on "mapstore_nb", the same backend not blocking, whose operations
// run on the loop) and the shipped backends that take no changes (direct,
// files) or cannot (abi1).
#include "frames.h"
#include "harness.h"
#include "text.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

using namespace varpd;
using namespace std::chrono_literals;
using vt::error_of;

namespace {

const vt::Mac6 macR{0x02, 0, 0, 0, 0, 0x77};

client::Mapping full() {
    return client::Mapping{"02:00:00:00:00:0a", "192.0.2.1", 4789, "10.1.0.5", "fd00::5",
                           "02:00:00:00:00:99", 30};
}

client::Mapping plain(unsigned i) {
    char mac[32], ip[32];
    std::snprintf(mac, sizeof(mac), "02:00:00:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff,
                  i & 0xff);
    std::snprintf(ip, sizeof(ip), "198.51.%u.%u", (i >> 8) & 0xff, i & 0xff);
    return client::Mapping{mac, ip, 0, "", "", "", 0};
}

class Mappings : public ::testing::TestWithParam<const char*> {
  protected:
    void SetUp() override {
        vt::load_all_plugins(plugins);
        chan.add_link(1);
        chan.add_link(2);
        chan.add_link(3, 7003); /* the mapstore overlay: vnet 7003 */
        chan.add_link(4);
        running = std::make_unique<vt::Running>(dir.path, plugins, chan, cap.log);
        client = std::make_unique<Client>(running->socket);
        store = client->create_instance(3, GetParam());
    }
    void TearDown() override {
        client.reset();
        running.reset();
    }
    uint64_t prop(const std::string& name) {
        return std::stoull(client->get_prop(store, std::string("mapstore/") + name));
    }
    FakeChannel::Outcome lookup(uint32_t link, const vt::Mac6& dst) {
        uint64_t id = chan.submit(link, vt::unicast(dst, macR));
        auto o = chan.wait_outcome(id, 5s);
        EXPECT_TRUE(o.has_value()) << "request " << id << " never answered";
        return o.value_or(FakeChannel::Outcome{FakeChannel::Outcome::dropped, {}});
    }

    vt::TempDir dir;
    vt::LogCapture cap;
    PluginSet plugins{cap.log};
    FakeChannel chan;
    std::unique_ptr<vt::Running> running;
    std::unique_ptr<Client> client;
    uint64_t store = 0;
};

} // namespace

TEST_P(Mappings, TheBackendSeesItsDevicesVnetId) {
    EXPECT_EQ(prop("vnetid"), 7003u);
    /* And after a restart, read again from the (now different) device. */
    client.reset();
    running.reset();
    FakeChannel fresh;
    fresh.add_link(3, 8003);
    running = std::make_unique<vt::Running>(dir.path, plugins, fresh, cap.log);
    client = std::make_unique<Client>(running->socket);
    EXPECT_EQ(prop("vnetid"), 8003u);
}

TEST_P(Mappings, AWritableBackendIsRefusedWhenItsVnetIdCannotBeRead) {
    std::string e = error_of([&] { client->create_instance(9, GetParam()); });
    EXPECT_NE(e.find("cannot read the vnet id of link 9"), std::string::npos) << e;
    EXPECT_NE(e.find("no overlay device with this link id"), std::string::npos) << e;
}

TEST_P(Mappings, ADeviceWhoseVnetIdIsUnsetReadsAsZero) {
    chan.add_link(10, std::nullopt); /* made, its vnetid not set yet */
    uint64_t id = client->create_instance(10, GetParam());
    EXPECT_EQ(client->get_prop(id, "mapstore/vnetid"), "0");
    EXPECT_TRUE(cap.contains("the device's vnetid is unset; its vnet id reads as 0")) << cap.all();
}

TEST_P(Mappings, AddGetListRemove) {
    client->add_mapping(3, full());
    client->add_mapping(3, {"02:00:00:00:00:0b", "2001:db8::2", 0, "", "", "", 0});
    client->add_mapping(3, {"02:00:00:00:00:01", "192.0.2.3", 8472, "", "", "", 0});
    EXPECT_EQ(client->get_mapping(3, "02:00:00:00:00:0a"), full());
    EXPECT_EQ(client->get_mapping(3, "02:00:00:00:00:0B").ip, "2001:db8::2");
    auto all = client->list_mappings(3);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].mac, "02:00:00:00:00:01"); /* MAC order */
    EXPECT_EQ(all[1], full());
    EXPECT_EQ(all[2].mac, "02:00:00:00:00:0b");
    EXPECT_EQ(prop("commits"), 3u);

    /* Lookups see them, and ARP is answered for the address mapped. */
    auto o = lookup(3, {0x02, 0, 0, 0, 0, 0x0a});
    EXPECT_EQ(o.kind, FakeChannel::Outcome::responded);
    EXPECT_EQ(ip_to_text(o.dest.ip), "192.0.2.1");
    EXPECT_EQ(o.dest.port, 4789);

    /* A put replaces; a change shoots the kernel's entry down. */
    auto moved = full();
    moved.ip = "192.0.2.11";
    moved.arp = "";
    client->add_mapping(3, moved);
    EXPECT_EQ(client->get_mapping(3, "02:00:00:00:00:0a"), moved);
    EXPECT_FALSE(chan.link(3)->cache.count(Mac{0x02, 0, 0, 0, 0, 0x0a}));

    client->remove_mapping(3, "02:00:00:00:00:0a");
    EXPECT_EQ(error_of([&] { client->get_mapping(3, "02:00:00:00:00:0a"); }),
              "no mapping of 02:00:00:00:00:0a on link 3");
    EXPECT_EQ(lookup(3, {0x02, 0, 0, 0, 0, 0x0a}).kind, FakeChannel::Outcome::dropped);
    EXPECT_EQ(client->list_mappings(3).size(), 2u);
    EXPECT_EQ(error_of([&] { client->remove_mapping(3, "02:00:00:00:00:0a"); }),
              "mapstore: no mapping of that MAC");
}

TEST_P(Mappings, ListingPagesInMacOrder) {
    auto imp = client->begin_import(3);
    std::vector<client::Mapping> batch;
    for (unsigned i = 25; i > 0; i--) /* out of order on purpose */
        batch.push_back(plain(i));
    imp->put(batch);
    EXPECT_EQ(imp->commit(), 25u);
    std::vector<std::string> seen;
    std::string after;
    size_t pages = 0;
    for (;;) {
        auto page = client->list_mappings(3, after, 10);
        if (page.empty())
            break;
        EXPECT_LE(page.size(), 10u);
        pages++;
        for (auto& m : page)
            seen.push_back(m.mac);
        after = page.back().mac;
    }
    EXPECT_EQ(pages, 3u);
    ASSERT_EQ(seen.size(), 25u);
    for (unsigned i = 0; i < 25; i++)
        EXPECT_EQ(seen[i], plain(i + 1).mac);
    EXPECT_EQ(client->list_mappings(3, plain(24).mac, 10).size(), 1u);
    EXPECT_NE(error_of([&] { client->list_mappings(3, "nope", 10); }).find("bad MAC \"nope\""),
              std::string::npos);
}

TEST_P(Mappings, AnImportIsInvisibleUntilCommitAndAbortedWhenDropped) {
    client->add_mapping(3, plain(1000));
    {
        auto imp = client->begin_import(3);
        std::vector<client::Mapping> batch;
        for (unsigned i = 0; i < 20000; i++) {
            batch.push_back(plain(i));
            if (batch.size() == 5000) {
                imp->put(batch);
                batch.clear();
            }
        }
        imp->remove({plain(1000).mac});
        EXPECT_EQ(prop("open"), 1u);
        /* Staged, not visible: the old table answers. */
        EXPECT_EQ(client->list_mappings(3).size(), 1u);
        EXPECT_EQ(client->get_mapping(3, plain(1000).mac), plain(1000));
        EXPECT_EQ(lookup(3, {0x02, 0, 0, 0, 0, 0x05}).kind, FakeChannel::Outcome::dropped);
        /* One import at a time per overlay. */
        EXPECT_EQ(error_of([&] { client->begin_import(3); }),
                  "an import into link 3 is already in progress");
        EXPECT_EQ(imp->commit(), 20001u);
        EXPECT_EQ(error_of([&] { imp->put({plain(1)}); }), "the import is already committed");
    }
    EXPECT_EQ(prop("entries"), 19999u); /* 0..19999 less 1000, put then removed */
    EXPECT_EQ(lookup(3, {0x02, 0, 0, 0, 0, 0x05}).kind, FakeChannel::Outcome::responded);

    /* Dropped without commit: aborted, nothing changed. */
    {
        auto imp = client->begin_import(3);
        imp->put({plain(50000)});
    }
    ASSERT_TRUE(vt::eventually([&] { return prop("aborts") == 1; }));
    EXPECT_EQ(prop("open"), 0u);
    EXPECT_EQ(prop("entries"), 19999u);

    /* The client goes away mid-import: aborted too. */
    {
        Client other(running->socket);
        auto imp = other.begin_import(3);
        imp->put({plain(50001)});
        imp.release(); /* never destroyed: only the connection's end can abort it */
    }
    ASSERT_TRUE(vt::eventually([&] { return prop("aborts") == 2; }));
    EXPECT_EQ(prop("open"), 0u);
    EXPECT_EQ(error_of([&] { client->get_mapping(3, plain(50001).mac); }),
              "no mapping of " + plain(50001).mac + " on link 3");
    /* And the next import may begin. */
    auto imp = client->begin_import(3);
    imp->put({plain(50002)});
    EXPECT_EQ(imp->commit(), 1u);
}

TEST_P(Mappings, AFailedPutAbortsTheImportSoALaterCommitCommitsNothing) {
    auto with_arp = [&](unsigned i) {
        auto m = plain(i);
        m.arp = "10.9.0.1";
        return m;
    };
    client->add_mapping(3, with_arp(1));
    auto imp = client->begin_import(3);
    imp->put({plain(2)});
    /* The backend refuses the second batch (its arp is 1's). */
    std::string why = error_of([&] { imp->put({with_arp(3)}); });
    EXPECT_NE(why.find("another MAC answers ARP"), std::string::npos) << why;
    EXPECT_NE(why.find("nothing of it is committed"), std::string::npos) << why;
    EXPECT_EQ(prop("open"), 0u);
    /* A client that commits anyway commits nothing: 2 was staged before the failure. */
    why = error_of([&] { imp->commit(); });
    EXPECT_NE(why.find("no longer open"), std::string::npos) << why;
    EXPECT_EQ(error_of([&] { client->get_mapping(3, plain(2).mac); }),
              "no mapping of " + plain(2).mac + " on link 3");
    EXPECT_EQ(client->list_mappings(3).size(), 1u);
}

TEST_P(Mappings, BadTextIsRefusedNamingTheFieldAndValue) {
    auto m = full();
    m.mac = "zz";
    EXPECT_NE(error_of([&] { client->add_mapping(3, m); }).find("bad MAC \"zz\": "),
              std::string::npos);
    m = full();
    m.mac = "ff:ff:ff:ff:ff:ff";
    EXPECT_EQ(error_of([&] { client->add_mapping(3, m); }),
              "MAC \"ff:ff:ff:ff:ff:ff\" is a multicast or broadcast address");
    m = full();
    m.ip = "192.0.2.300";
    EXPECT_EQ(error_of([&] { client->add_mapping(3, m); }),
              "ip \"192.0.2.300\" is not an IP address");
    m.ip = "";
    EXPECT_EQ(error_of([&] { client->add_mapping(3, m); }),
              "mapping of 02:00:00:00:00:0a has no underlay IP address");
    m = full();
    m.arp = "1.2.3";
    EXPECT_EQ(error_of([&] { client->add_mapping(3, m); }), "arp \"1.2.3\" is not an IPv4 address");
    m = full();
    m.ndp = "10.0.0.1";
    EXPECT_EQ(error_of([&] { client->add_mapping(3, m); }),
              "ndp \"10.0.0.1\" is not an IPv6 address");
    /* A NUL inside the text is refused, not cut at (the text crosses the RPC whole). */
    for (auto field : {&client::Mapping::mac, &client::Mapping::arp, &client::Mapping::ndp,
                       &client::Mapping::dhcp_proxy}) {
        m = full();
        m.*field += std::string("\0junk", 5);
        EXPECT_NE(error_of([&] { client->add_mapping(3, m); }), "") << "a NUL was let through";
    }
    EXPECT_EQ(client->list_mappings(3).size(), 0u);
    m = full();
    m.dhcp_proxy = "02:00";
    EXPECT_NE(error_of([&] { client->add_mapping(3, m); }).find("dhcp-proxy: bad MAC \"02:00\""),
              std::string::npos);
    m = full();
    m.port = 70000;
    EXPECT_EQ(error_of([&] { client->add_mapping(3, m); }), "port 70000 is outside 0-65535");
    /* A bad line in an import refuses the batch; nothing of it is staged. */
    auto imp = client->begin_import(3);
    m = full();
    m.arp = "1.2.3";
    EXPECT_EQ(error_of([&] { imp->put({plain(1), m}); }), "arp \"1.2.3\" is not an IPv4 address");
    EXPECT_EQ(imp->commit(), 0u);
    EXPECT_EQ(prop("entries"), 0u);
    /* The backend's own refusals, in its words. */
    client->add_mapping(3, full());
    auto dup = plain(7);
    dup.arp = full().arp;
    EXPECT_EQ(error_of([&] { client->add_mapping(3, dup); }),
              "mapstore: another MAC answers ARP for that address");
}

TEST_P(Mappings, BackendsThatTakeNoChangesAndMissingInstancesSaySo) {
    client->create_instance(
        1, "direct", {{"direct/dest_ip", "192.0.2.7"}});
    std::string files = dir / "t.json";
    vt::write_file(files, "{}\n");
    client->create_instance(2, "files", {{"files/config", files}});
    client->create_instance(4, "abi1");
    EXPECT_NE(error_of([&] { client->add_mapping(1, full()); }).find("direct: a point-mode backend"),
              std::string::npos);
    EXPECT_EQ(error_of([&] { client->list_mappings(2); }),
              "files: mappings come from the file named by files/config; edit that file");
    EXPECT_EQ(error_of([&] { client->begin_import(2); }),
              "files: mappings come from the file named by files/config; edit that file");
    EXPECT_EQ(error_of([&] { client->add_mapping(4, full()); }),
              "backend abi1 (plugin ABI 1) takes no mapping changes");
    EXPECT_EQ(error_of([&] { client->get_mapping(4, full().mac); }),
              "backend abi1 (plugin ABI 1) takes no mapping changes");
    EXPECT_EQ(error_of([&] { client->add_mapping(9, full()); }), "link 9 has no varpd instance");
    EXPECT_EQ(error_of([&] { client->begin_import(9); }), "link 9 has no varpd instance");
}

TEST_P(Mappings, TheLoopAnswersWhileASlowPutSleeps) {
    if (std::string(GetParam()) != "mapstore")
        GTEST_SKIP() << "a non-blocking backend's map operations run on the loop by contract";
    client->create_instance(4, "example"); /* non-blocking: answered on the loop */
    client->set_prop(store, "mapstore/put_delay_ms", "1500");
    client->add_mapping(3, full()); /* 1.5 s */
    std::atomic<bool> done{false};
    auto t0 = std::chrono::steady_clock::now();
    std::thread slow([&] {
        Client other(running->socket);
        other.add_mapping(3, plain(1));
        done = true;
    });
    std::this_thread::sleep_for(100ms);
    auto t1 = std::chrono::steady_clock::now();
    auto st = client->status();                          /* the control socket */
    auto o = lookup(4, {0x02, 0, 0, 0, 0, 0x21});        /* a non-blocking backend */
    auto o3 = lookup(3, {0x02, 0, 0, 0, 0, 0x0a});       /* the slow backend's own lookups */
    auto answered = std::chrono::steady_clock::now() - t1;
    EXPECT_FALSE(done) << "the put did not sleep";
    EXPECT_LT(answered, 700ms);
    EXPECT_EQ(st.pid, static_cast<uint32_t>(getpid()));
    EXPECT_EQ(o.kind, FakeChannel::Outcome::responded);
    EXPECT_EQ(o3.kind, FakeChannel::Outcome::responded);
    slow.join();
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 1400ms);
    EXPECT_EQ(client->get_mapping(3, plain(1).mac), plain(1));
}

TEST_P(Mappings, DestroyingTheInstanceAbortsItsOpenImport) {
    auto imp = client->begin_import(3);
    imp->put({plain(1)});
    client->destroy_instance(store);
    EXPECT_NE(error_of([&] { imp->put({plain(2)}); }).find("is being destroyed"),
              std::string::npos);
    EXPECT_EQ(error_of([&] { client->list_mappings(3); }), "link 3 has no varpd instance");
    imp.reset(); /* nothing left to abort; nothing breaks */
    store = client->create_instance(3, GetParam());
    EXPECT_EQ(prop("entries"), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, Mappings, ::testing::Values("mapstore", "mapstore_nb"),
                         [](const auto& info) { return std::string(info.param); });
