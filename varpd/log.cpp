// Log: see log.h.
#include "log.h"

#include <cstdio>

namespace varpd {

Log Log::to_stderr(int max_level) {
    return Log(
        [](int level, const std::string& msg) {
            const char* tag = level <= LOG_ERR       ? "error: "
                              : level == LOG_WARNING ? "warning: "
                                                     : "";
            std::fprintf(stderr, "varpd: %s%s\n", tag, msg.c_str());
            std::fflush(stderr);
        },
        max_level);
}

Log Log::to_syslog(int max_level) {
    openlog("varpd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
    return Log([](int level, const std::string& msg) { syslog(level, "%s", msg.c_str()); },
               max_level);
}

} // namespace varpd
