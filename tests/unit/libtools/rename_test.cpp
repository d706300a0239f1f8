// Tests for ov_rename on real files: content and mode, every error path
// leaving no temporary and the old target intact, stale-temporary cleanup,
// and the crash test: a writer SIGKILLed at random points, hundreds of
// times, must always leave either the old or the new content whole.
#include "tempdir.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libtools/rename.h>
#include <random>
#include <set>
#include <signal.h>
#include <string>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace {

std::set<std::string> entries(const std::string& dir) {
    std::set<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        out.insert(e.path().filename().string());
    return out;
}

int write_str(const std::string& path, const std::string& s, mode_t mode, ov_error_t* err) {
    return ov::rename_write(path, s, mode, err);
}

TEST(Rename, WritesContentWithTheGivenModeDespiteUmask) {
    TempDir d;
    std::string t = d.file("state");
    mode_t old = ::umask(077);
    ov_error_t err{};
    int r = write_str(t, "first", 0644, &err);
    ::umask(old);
    ASSERT_EQ(r, 0) << err.reason;
    EXPECT_EQ(slurp(t), "first");
    struct stat st;
    ASSERT_EQ(::stat(t.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u);
    ASSERT_EQ(write_str(t, "second, longer", 0600, &err), 0) << err.reason;
    EXPECT_EQ(slurp(t), "second, longer");
    ASSERT_EQ(::stat(t.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    ASSERT_EQ(write_str(t, "", 0600, &err), 0) << err.reason; // empty content is content
    EXPECT_EQ(slurp(t), "");
    EXPECT_EQ(entries(d.path()), std::set<std::string>{"state"}) << "a temporary was left";
}

TEST(Rename, RelativePathUsesTheCurrentDirectory) {
    TempDir d;
    int here = ::open(".", O_RDONLY | O_DIRECTORY);
    ASSERT_GE(here, 0);
    ASSERT_EQ(::chdir(d.path().c_str()), 0);
    ov_error_t err{};
    int r = write_str("rel", "data", 0600, &err);
    ASSERT_EQ(::fchdir(here), 0);
    ::close(here);
    ASSERT_EQ(r, 0) << err.reason;
    EXPECT_EQ(slurp(d.file("rel")), "data");
}

TEST(Rename, BadPathsAreRefusedWithAReason) {
    TempDir d;
    ov_error_t err{};
    EXPECT_EQ(write_str("", "x", 0600, &err), -EINVAL);
    EXPECT_NE(std::strstr(err.reason, "empty path"), nullptr) << err.reason;
    EXPECT_EQ(write_str(d.path() + "/", "x", 0600, &err), -EINVAL);
    EXPECT_NE(std::strstr(err.reason, "names a directory"), nullptr) << err.reason;
    EXPECT_EQ(write_str(d.file(".."), "x", 0600, &err), -EINVAL);
    EXPECT_EQ(write_str(d.file(std::string(250, 'n')), "x", 0600, &err), -ENAMETOOLONG);
    EXPECT_EQ(ov_rename_write(nullptr, "x", 1, 0600, &err), -EINVAL);
    EXPECT_TRUE(entries(d.path()).empty());
}

TEST(Rename, MissingDirectoryIsENOENT) {
    TempDir d;
    ov_error_t err{};
    std::string missing = d.file("nope");
    EXPECT_EQ(write_str(missing + "/state", "x", 0600, &err), -ENOENT);
    EXPECT_EQ(err.code, ENOENT);
    EXPECT_NE(std::strstr(err.reason, missing.c_str()), nullptr) << err.reason;
}

TEST(Rename, FailedRenameRemovesTheTemporary) {
    TempDir d;
    std::string t = d.file("target");
    ASSERT_EQ(::mkdir(t.c_str(), 0700), 0); // a non-empty directory cannot be renamed over
    spit(t + "/keep", "kept");
    ov_error_t err{};
    int r = write_str(t, "new", 0600, &err);
    EXPECT_LT(r, 0);
    EXPECT_TRUE(err.code == EISDIR || err.code == ENOTEMPTY || err.code == EEXIST) << err.code;
    EXPECT_NE(std::strstr(err.reason, "rename of"), nullptr) << err.reason;
    EXPECT_EQ(entries(d.path()), std::set<std::string>{"target"}) << "temporary left behind";
    EXPECT_EQ(slurp(t + "/keep"), "kept");
}

TEST(Rename, FailedWriteRemovesTheTemporaryAndKeepsTheOldContent) {
    // RLIMIT_FSIZE makes write(2) fail with EFBIG part-way: a real short
    // write from the kernel. Done in a child so the limit does not leak.
    TempDir d;
    std::string t = d.file("target");
    spit(t, "old content");
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {4096, 4096};
        ::setrlimit(RLIMIT_FSIZE, &rl);
        std::string big(100000, 'x');
        ov_error_t err{};
        int r = write_str(t, big, 0600, &err);
        bool ok =
            r == -EFBIG && err.code == EFBIG && std::strstr(err.reason, "write to") != nullptr;
        ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "write did not fail with EFBIG and a reason";
    EXPECT_EQ(slurp(t), "old content");
    EXPECT_EQ(entries(d.path()), std::set<std::string>{"target"}) << "temporary left behind";
}

TEST(Rename, CleanupRemovesOnlyThisTargetsTemporaries) {
    TempDir d;
    for (const char* n : {".t.abcdef", ".t.Z9_x-1", "t", ".t.abc", ".tx.abcdef", ".other.abcdef",
                          "t.abcdef", ".t.abcdefg"})
        spit(d.file(n), "x");
    ov_error_t err{};
    EXPECT_EQ(ov_rename_cleanup(d.file("t").c_str(), &err), 2) << err.reason;
    EXPECT_EQ(entries(d.path()),
              (std::set<std::string>{"t", ".t.abc", ".tx.abcdef", ".other.abcdef", "t.abcdef",
                                     ".t.abcdefg"}));
    EXPECT_EQ(ov_rename_cleanup(d.file("t").c_str(), &err), 0);
    EXPECT_EQ(ov_rename_cleanup(d.file("nodir/t").c_str(), &err), -ENOENT);
    EXPECT_NE(std::strstr(err.reason, "cannot open directory"), nullptr) << err.reason;
}

// Two contents of different sizes whose every byte depends on which one it
// is and where it sits, so any mix, truncation or zero fill shows.
std::string content(char tag, size_t size) {
    std::string s(size, '\0');
    for (size_t i = 0; i < size; i++)
        s[i] = static_cast<char>((i * 131 + (i >> 8) * 7 + static_cast<unsigned char>(tag)) & 0xff);
    std::memcpy(s.data(), tag == 'A' ? "OVRT-A" : "OVRT-B", 6);
    return s;
}

TEST(Rename, SurvivesSigkillAtRandomPoints) {
    TempDir d;
    const std::string t = d.file("instance");
    const std::string a = content('A', 64 * 1024), b = content('B', 100 * 1024);
    ov_error_t err{};
    ASSERT_EQ(write_str(t, a, 0600, &err), 0) << err.reason;

    // Renames the child finished, counted in shared memory (a figure, and
    // proof that the child did real work between kills).
    auto* done = static_cast<std::atomic<uint64_t>*>(::mmap(nullptr, sizeof(std::atomic<uint64_t>),
                                                            PROT_READ | PROT_WRITE,
                                                            MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(done, MAP_FAILED);
    new (done) std::atomic<uint64_t>(0);

    // Kill at a random point inside roughly two or three replacements, so
    // kills land in every step however slow fsync is on this disk today.
    // At least 200 rounds; more (up to 600) while within 12 seconds.
    auto t_cal = std::chrono::steady_clock::now();
    for (int i = 0; i < 4; i++)
        ASSERT_EQ(write_str(t, (i & 1) ? a : b, 0600, &err), 0) << err.reason;
    ASSERT_EQ(write_str(t, a, 0600, &err), 0) << err.reason;
    long per_write_us = static_cast<long>(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t_cal)
            .count() /
        5);
    long max_delay_us = std::clamp(per_write_us * 5 / 2, 1000L, 100000L);
    std::mt19937 rng(20261122);
    std::uniform_int_distribution<long> delay_us(0, max_delay_us);
    const int min_rounds = 200, max_rounds = 600;
    int rounds = 0;
    int saw_a = 0, saw_b = 0, temps_left = 0;
    auto start = std::chrono::steady_clock::now();
    for (int round = 0; round < max_rounds; round++, rounds++) {
        if (round >= min_rounds &&
            std::chrono::steady_clock::now() - start > std::chrono::seconds(12))
            break;
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            for (bool next_a = (round & 1) != 0;; next_a = !next_a) {
                const std::string& c = next_a ? a : b;
                if (ov_rename_write(t.c_str(), c.data(), c.size(), 0600, nullptr) != 0)
                    ::_exit(2);
                done->fetch_add(1);
            }
        }
        long us = delay_us(rng);
        struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
        ::nanosleep(&ts, nullptr);
        ASSERT_EQ(::kill(pid, SIGKILL), 0);
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFSIGNALED(status)) << "writer failed on its own, status " << status;

        std::string now = slurp(t);
        if (now == a) {
            saw_a++;
        } else if (now == b) {
            saw_b++;
        } else {
            FAIL() << "round " << round << ": file is neither whole content (" << now.size()
                   << " bytes, starts '" << now.substr(0, 6) << "')";
        }
        int removed = ov_rename_cleanup(t.c_str(), &err);
        ASSERT_GE(removed, 0) << err.reason;
        temps_left += removed;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    uint64_t renames = done->load();
    ::munmap(done, sizeof(*done));
    std::printf("rename crash test: %d kills in %.1f s (one replacement ~%ld us, kill delay "
                "0..%ld us), %llu renames completed, old/new seen %d/%d, %d killed mid-write "
                "(temporary left)\n",
                rounds, secs, per_write_us, max_delay_us, static_cast<unsigned long long>(renames),
                saw_a, saw_b, temps_left);
    // Not vacuous: the file really changed between kills, and kills really
    // landed between mkstemp and rename.
    EXPECT_GT(saw_a, 0);
    EXPECT_GT(saw_b, 0);
    EXPECT_GT(renames, 0u);
    EXPECT_GT(temps_left, 0);
    EXPECT_EQ(entries(d.path()), std::set<std::string>{"instance"});
}

} // namespace
