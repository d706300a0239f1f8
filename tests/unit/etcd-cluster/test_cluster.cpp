/*
 * The etcd cluster fixture itself, against Debian's etcd-server: three
 * members come up healthy, a killed leader is replaced by a new one while
 * writes keep working, the killed member rejoins and catches up; stop_all
 * leaves nothing answering and start_all brings the data back; the TLS
 * variant refuses a client without a certificate or with the wrong CA; the
 * auth variant refuses a wrong password and anonymous reads; no etcd
 * outlives its fixture.
 */
#include "etcd_cluster.h"

#include <gtest/gtest.h>
#include <signal.h>

using namespace etcd_test;

namespace {

bool alive(pid_t p) {
    return p > 0 && ::kill(p, 0) == 0;
}

} // namespace

TEST(EtcdCluster, ThreeMembersHealthyAndEndpoints) {
    TempDir d;
    EtcdCluster c(3, d.path());
    EXPECT_EQ(c.healthy_count(), 3u);
    std::string eps = c.endpoints();
    EXPECT_EQ(std::count(eps.begin(), eps.end(), ','), 2);
    EXPECT_EQ(eps.rfind("http://127.0.0.1:", 0), 0u) << eps;
    EXPECT_GE(c.wait_leader(), 0);
    int64_t r1 = c.put("/k", "v1");
    int64_t r2 = c.put("/k", "v2");
    EXPECT_GT(r2, r1);
    EXPECT_EQ(c.get("/k"), std::optional<std::string>("v2"));
    EXPECT_EQ(c.get("/absent"), std::nullopt);
    c.put("/p/a", "1");
    c.put("/p/b", "2");
    c.put("/q", "3");
    auto kvs = c.get_prefix("/p/");
    ASSERT_EQ(kvs.size(), 2u);
    EXPECT_EQ(kvs[0].key, "/p/a");
    EXPECT_EQ(kvs[1].value, "2");
    EXPECT_EQ(c.del("/p/", true), 2);
    EXPECT_TRUE(c.get_prefix("/p/").empty());
    /* compaction: the old revision is gone, the current value stays */
    c.compact();
    EXPECT_EQ(c.get("/k"), std::optional<std::string>("v2"));
    auto cl = c.client();
    std::string err;
    auto j = cl->call("/v3/kv/range", {{"key", b64enc("/k")}, {"revision", r1}}, &err);
    EXPECT_FALSE(j.has_value());
    EXPECT_NE(err.find("compacted"), std::string::npos) << err;
}

TEST(EtcdCluster, KillLeaderNewLeaderThenRejoin) {
    TempDir d;
    EtcdCluster c(3, d.path());
    int l = c.wait_leader();
    ASSERT_GE(l, 0);
    pid_t old = c.pid(size_t(l));
    c.kill(size_t(l));
    EXPECT_FALSE(c.running(size_t(l)));
    EXPECT_FALSE(alive(old));
    auto t0 = Clock::now();
    int l2 = c.wait_leader(10s);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
    ASSERT_GE(l2, 0);
    EXPECT_NE(l2, l);
    std::printf("new leader m%d elected %lld ms after m%d was killed\n", l2,
                (long long)took.count(), l);
    /* two of three still take writes */
    c.put("/during", "x");
    c.start(size_t(l));
    c.wait_healthy(20s);
    EXPECT_EQ(c.healthy_count(), 3u);
    /* the rejoined member has the write made while it was dead */
    EtcdClient only({c.url(size_t(l))}, c.credentials());
    std::optional<std::string> v;
    for (int i = 0; i < 50 && !v; i++) {
        v = only.get("/during");
        if (!v)
            std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(v, std::optional<std::string>("x"));
}

TEST(EtcdCluster, MakeLeaderMovesLeadership) {
    TempDir d;
    EtcdCluster c(3, d.path());
    int l = c.wait_leader();
    ASSERT_GE(l, 0);
    size_t other = size_t(l + 1) % 3;
    EXPECT_TRUE(c.make_leader(other));
    EXPECT_EQ(c.leader(), int(other));
    EXPECT_TRUE(c.make_leader(other)); /* already: nothing to do */
    c.put("/after-move", "ok");
}

TEST(EtcdCluster, StopAllThenStartAllKeepsData) {
    TempDir d;
    EtcdCluster c(3, d.path());
    c.put("/keep", "yes");
    c.stop_all();
    for (size_t i = 0; i < 3; i++)
        EXPECT_FALSE(c.running(i));
    auto cl = c.client(500ms);
    std::string err;
    EXPECT_LT(cl->put("/x", "y", &err), 0);
    EXPECT_FALSE(err.empty());
    c.start_all();
    EXPECT_EQ(c.healthy_count(), 3u);
    EXPECT_EQ(c.get("/keep"), std::optional<std::string>("yes"));
}

TEST(EtcdCluster, TlsVariant) {
    TempDir d;
    ClusterOptions o;
    o.tls = true;
    EtcdCluster c(1, d.path(), o);
    EXPECT_EQ(c.endpoints().rfind("https://127.0.0.1:", 0), 0u);
    c.put("/tls", "ok");
    EXPECT_EQ(c.get("/tls"), std::optional<std::string>("ok"));
    std::string err;
    /* no client certificate: etcd (--client-cert-auth) refuses */
    EtcdClient nocert({c.url(0)}, {c.ca_file(), "", "", "", ""}, 1000ms);
    EXPECT_LT(nocert.put("/x", "y", &err), 0);
    /* the wrong CA: we refuse etcd's certificate */
    EtcdClient wrongca({c.url(0)}, {c.wrong_ca_file(), c.cert_file(), c.key_file(), "", ""},
                       1000ms);
    err.clear();
    EXPECT_LT(wrongca.put("/x", "y", &err), 0);
    EXPECT_NE(err.find("certificate"), std::string::npos) << err;
    /* etcdctl with the fixture's flags works too */
    EXPECT_EQ(run_sh(c.etcdctl_prefix() + " get /tls >/dev/null 2>&1"), 0);
}

TEST(EtcdCluster, AuthVariant) {
    TempDir d;
    ClusterOptions o;
    o.auth = true;
    EtcdCluster c(1, d.path(), o);
    EXPECT_EQ(c.user(), "root");
    c.put("/auth", "ok");
    EXPECT_EQ(c.get("/auth"), std::optional<std::string>("ok"));
    std::string err;
    EtcdClient wrong({c.url(0)}, {"", "", "", "root", "not-the-password"}, 1000ms);
    EXPECT_LT(wrong.put("/x", "y", &err), 0);
    EXPECT_NE(err.find("authentication failed"), std::string::npos) << err;
    EtcdClient anon({c.url(0)}, {}, 1000ms);
    err.clear();
    EXPECT_FALSE(anon.get("/auth", &err).has_value());
    EXPECT_NE(err.find("user name is empty"), std::string::npos) << err;
}

TEST(EtcdCluster, NoEtcdOutlivesTheFixture) {
    std::vector<pid_t> pids;
    {
        TempDir d;
        EtcdCluster c(3, d.path());
        for (size_t i = 0; i < 3; i++)
            pids.push_back(c.pid(i));
    }
    for (pid_t p : pids)
        EXPECT_FALSE(alive(p)) << p;
    /* a child that dies with its parent: fork a process that makes a
       cluster and is SIGKILLed; its members must go with it */
    TempDir d;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t child = ::fork();
    if (child == 0) {
        ::close(fds[0]);
        try {
            EtcdCluster c(1, d.path());
            pid_t p = c.pid(0);
            (void)!::write(fds[1], &p, sizeof p);
            ::pause();
        } catch (...) {
        }
        ::_exit(1);
    }
    ::close(fds[1]);
    pid_t member = -1;
    ASSERT_EQ(::read(fds[0], &member, sizeof member), ssize_t(sizeof member));
    ::close(fds[0]);
    EXPECT_TRUE(alive(member));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; i++) {
        /* PDEATHSIG reparents it to init (or a subreaper) and kills it */
        gone = !alive(member) || ::getpgid(member) < 0;
        std::string stat;
        std::ifstream f("/proc/" + std::to_string(member) + "/stat");
        std::getline(f, stat);
        if (stat.find(") Z") != std::string::npos)
            gone = true; /* a zombie waiting for its new parent */
        if (!gone)
            std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(gone) << "etcd pid " << member << " outlived its killed parent";
}
