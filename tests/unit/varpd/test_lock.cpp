// One varpd per state directory: the real binary, started twice. The second
// is refused with a message naming the first one's pid.
#include "harness.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

struct Child {
    pid_t pid = -1;
    std::string err_path;
};

Child spawn(const std::vector<std::string>& args, const std::string& err_path) {
    Child c;
    c.err_path = err_path;
    c.pid = fork();
    if (c.pid == 0) {
        int fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 2);
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    return c;
}

int wait_exit(pid_t pid) {
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

std::string slurp(const std::string& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

TEST(Lock, SecondVarpdIsRefusedNamingTheFirst) {
    vt::TempDir d;
    std::string state = d / "state";
    std::vector<std::string> args = {VARPD_BIN, "-f", "-K", "none", "-d", state,
                                     "-p", OVERLAY_PLUGIN_DIR};
    Child first = spawn(args, d / "first.err");
    ASSERT_TRUE(vt::eventually([&] { return std::filesystem::exists(state + "/varpd.sock"); }))
        << slurp(first.err_path);
    Child second = spawn(args, d / "second.err");
    EXPECT_EQ(wait_exit(second.pid), 1);
    std::string msg = slurp(second.err_path);
    EXPECT_NE(msg.find("another varpd (pid " + std::to_string(first.pid) +
                       ") already runs with state directory " + state),
              std::string::npos)
        << msg;
    /* The first one is untouched and still serves. */
    varpd::Client c(state + "/varpd.sock");
    EXPECT_EQ(c.status().pid, static_cast<uint32_t>(first.pid));
    EXPECT_GE(c.list_plugins().size(), 2u); /* direct, files, and any newer backend built */
    kill(first.pid, SIGTERM);
    EXPECT_EQ(wait_exit(first.pid), 0);
    EXPECT_NE(slurp(first.err_path).find("stopped"), std::string::npos);

    /* Once it is gone, a new one starts (no stale lock after exit). */
    Child third = spawn(args, d / "third.err");
    ASSERT_TRUE(vt::eventually([&] {
        try {
            return varpd::Client(state + "/varpd.sock").status().pid ==
                   static_cast<uint32_t>(third.pid);
        } catch (...) {
            return false;
        }
    })) << slurp(third.err_path);
    kill(third.pid, SIGTERM);
    EXPECT_EQ(wait_exit(third.pid), 0);
}

TEST(Lock, DaemonModeReportsReadinessAndBadOptions) {
    vt::TempDir d;
    std::string state = d / "state";
    /* Without -f varpd forks; the parent exits 0 once the child serves. */
    Child parent = spawn({VARPD_BIN, "-K", "none", "-d", state, "-p", OVERLAY_PLUGIN_DIR},
                         d / "daemon.err");
    EXPECT_EQ(wait_exit(parent.pid), 0) << slurp(parent.err_path);
    varpd::Client c(state + "/varpd.sock");
    pid_t daemon = static_cast<pid_t>(c.status().pid);
    EXPECT_NE(daemon, parent.pid);
    kill(daemon, SIGTERM);
    EXPECT_TRUE(vt::eventually([&] { return kill(daemon, 0) != 0; }));

    Child bad = spawn({VARPD_BIN, "-f", "-l", "journal"}, d / "bad.err");
    EXPECT_EQ(wait_exit(bad.pid), 1);
    EXPECT_NE(slurp(bad.err_path).find("\"journal\" is neither stderr nor syslog"),
              std::string::npos);
    Child nodev = spawn({VARPD_BIN, "-f", "-d", state, "-K", d / "no-such-device"},
                        d / "nodev.err");
    EXPECT_EQ(wait_exit(nodev.pid), 1);
    EXPECT_NE(slurp(nodev.err_path).find("no-such-device: No such file or directory"),
              std::string::npos)
        << slurp(nodev.err_path);
}
