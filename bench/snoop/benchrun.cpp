// snoop-benchrun: run one command and report what it cost.
//
//   snoop-benchrun OUT COMMAND [ARG...]
//
// Runs COMMAND with standard output to /dev/null and standard error to
// OUT.err, waits for it with wait4(2), and writes one line to OUT:
//   <wall seconds> <user seconds> <system seconds> <peak RSS in KiB>
// with microsecond resolution (GNU time's is 10 ms). Exits 1 when the
// command cannot be started or does not exit 0.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

namespace {

double seconds(const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; }

double now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: snoop-benchrun OUT COMMAND [ARG...]\n");
        return 2;
    }
    std::string err = std::string(argv[1]) + ".err";
    double start = now();
    pid_t pid = fork();
    if (pid < 0) {
        std::fprintf(stderr, "snoop-benchrun: fork: %s\n", std::strerror(errno));
        return 1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (null < 0 || e < 0 || dup2(null, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        execvp(argv[2], argv + 2);
        std::fprintf(stderr, "snoop-benchrun: cannot run %s: %s\n", argv[2], std::strerror(errno));
        _exit(127);
    }
    int status = 0;
    rusage ru{};
    if (wait4(pid, &status, 0, &ru) < 0) {
        std::fprintf(stderr, "snoop-benchrun: wait4: %s\n", std::strerror(errno));
        return 1;
    }
    double wall = now() - start;
    FILE* f = std::fopen(argv[1], "w");
    if (!f) {
        std::fprintf(stderr, "snoop-benchrun: cannot write %s: %s\n", argv[1], std::strerror(errno));
        return 1;
    }
    std::fprintf(f, "%.6f %.6f %.6f %ld\n", wall, seconds(ru.ru_utime), seconds(ru.ru_stime),
                 ru.ru_maxrss);
    if (std::fclose(f) != 0)
        return 1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "snoop-benchrun: %s did not exit 0\n", argv[2]);
        return 1;
    }
    return 0;
}
