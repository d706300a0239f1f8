/*
 * The etcd backend end to end on the build host: the real varpd (on its
 * in-memory kernel, -K none, where link N has vnet id N) loads etcd.so,
 * varpd-ctl creates an instance on link 7 against a real etcd member, and
 * overlayadm's mapping commands go through varpd's control socket to the
 * plugin's map operations and into etcd: add-mapping (with a TTL: a
 * lease), show-mapping (text, parsable), a key written by hand with the
 * etcd client and listed, import-mappings of a few hundred CSV lines
 * (several etcd txns) and of a file with a bad line (nothing imported),
 * an address another MAC answers for (the plugin's sentence reaches the
 * operator), remove-mapping twice.
 */
#include "etcd_cluster.h"
#include "etcd_layout.h"

#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <signal.h>
#include <sys/wait.h>

using etcd_test::EtcdCluster;
using etcd_test::TempDir;

namespace {

struct Ran {
    int status = -1;
    std::string out; /* stdout and stderr */
};

Ran run(const std::string& cmd) {
    Ran r;
    FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    if (!p)
        return r;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        r.out.append(buf, n);
    int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

const std::string bin = OVERLAY_BIN_DIR;

class EtcdE2E : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* p : {"varpd", "varpd-ctl", "overlayadm"})
            if (::access((bin + "/" + p).c_str(), X_OK) != 0)
                GTEST_SKIP() << bin << "/" << p << " is not built";
        std::filesystem::create_directories(tmp.path() + "/plugins");
        std::filesystem::create_symlink(std::string(OVERLAY_PLUGIN_DIR) + "/etcd.so",
                                        tmp.path() + "/plugins/etcd.so");
        cluster = std::make_unique<EtcdCluster>(1, tmp.path() + "/etcd");
        Ran v = run(bin + "/varpd -d " + tmp.path() + "/varpd -p " + tmp.path() +
                    "/plugins -K none -l stderr >/dev/null 2>>" + tmp.path() + "/varpd.log");
        ASSERT_EQ(v.status, 0) << v.out;
        started = true;
        sock = tmp.path() + "/varpd/varpd.sock";
        adm = bin + "/overlayadm -S " + sock + " -D " + tmp.path() + "/state ";
        Ran c = run(bin + "/varpd-ctl -s " + sock +
                    " create 7 etcd etcd/endpoints=" + cluster->endpoints());
        ASSERT_EQ(c.status, 0) << c.out;
    }
    void TearDown() override {
        if (!started)
            return;
        if (HasFailure()) {
            std::ifstream log(tmp.path() + "/varpd.log");
            std::cerr << "varpd's log:\n" << log.rdbuf();
        }
        std::ifstream lock(tmp.path() + "/varpd/varpd.lock");
        pid_t pid = 0;
        if (lock >> pid && pid > 0)
            ::kill(pid, SIGTERM);
    }
    TempDir tmp{"etcd-e2e"};
    std::unique_ptr<EtcdCluster> cluster;
    bool started = false;
    std::string sock, adm;
};

} // namespace

TEST_F(EtcdE2E, OverlayadmMappingCommandsWriteEtcd) {
    Ran r = run(adm + "add-mapping -a 10.0.0.5 -p 4789 -t 30 link:7 02:00:00:00:00:0a 192.0.2.1");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(cluster->get("/overlay/vnet/7/mac/02:00:00:00:00:0a"),
              std::optional<std::string>(R"({"arp":"10.0.0.5","ip":"192.0.2.1","port":4789})"));
    EXPECT_EQ(cluster->get("/overlay/vnet/7/ip/10.0.0.5"),
              std::optional<std::string>(R"({"mac":"02:00:00:00:00:0a"})"));
    /* the TTL is a lease: it shows as what is left of it */
    r = run(adm + "show-mapping -p -o mac,ip,port,arp,ttl link:7");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find(R"(02\:00\:00\:00\:00\:0a:192.0.2.1:4789:10.0.0.5:)"), std::string::npos)
        << r.out;
    EXPECT_EQ(r.out.find(":0\n"), std::string::npos) << "no TTL shown: " << r.out;

    /* written by hand with an etcd client, listed by overlayadm */
    cluster->put("/overlay/vnet/7/mac/02:00:00:00:00:0b", R"({"ip":"2001:db8::b"})");
    r = run(adm + "show-mapping -p -o mac,ip link:7 02:00:00:00:00:0b");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out, "02\\:00\\:00\\:00\\:00\\:0b:2001\\:db8\\:\\:b\n");

    /* the plugin's refusal reaches the operator */
    r = run(adm + "add-mapping -a 10.0.0.5 link:7 02:00:00:00:00:0c 192.0.2.3");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("10.0.0.5 is answered for by 02:00:00:00:00:0a already"),
              std::string::npos)
        << r.out;

    /* an import of 300 lines: several etcd txns, all there */
    {
        std::ofstream f(tmp.path() + "/map.csv");
        f << "mac,ip,port,arp\n# generated\n";
        for (int i = 0; i < 300; i++)
            f << "02:01:00:00:" << std::hex << (i >> 8) << ":" << (i & 255) << std::dec
              << ",192.0.2." << (i % 250 + 1) << ",,10.1." << (i >> 8) << "." << (i & 255) << "\n";
    }
    r = run(adm + "import-mappings link:7 " + tmp.path() + "/map.csv");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("imported 300 mappings into link:7"), std::string::npos) << r.out;
    EXPECT_EQ(cluster->get_prefix("/overlay/vnet/7/mac/").size(), 302u);
    EXPECT_EQ(cluster->get_prefix("/overlay/vnet/7/ip/").size(), 301u);
    r = run(adm + "show-mapping -p -o mac link:7");
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 302);

    /* a bad line: nothing of the file is imported */
    {
        std::ofstream f(tmp.path() + "/bad.csv");
        f << "02:02:00:00:00:01,192.0.2.9\n02:02:00:00:00:02,192.0.2.300\n";
    }
    r = run(adm + "import-mappings link:7 " + tmp.path() + "/bad.csv");
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find("bad.csv:2:"), std::string::npos) << r.out;
    EXPECT_FALSE(cluster->get("/overlay/vnet/7/mac/02:02:00:00:00:01").has_value());

    /* remove: the mac/ key and its ip/ key go; twice is an error */
    r = run(adm + "remove-mapping link:7 02:00:00:00:00:0a");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_FALSE(cluster->get("/overlay/vnet/7/mac/02:00:00:00:00:0a").has_value());
    EXPECT_FALSE(cluster->get("/overlay/vnet/7/ip/10.0.0.5").has_value());
    r = run(adm + "remove-mapping link:7 02:00:00:00:00:0a");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("no mapping of 02:00:00:00:00:0a"), std::string::npos) << r.out;
}
