// libtools error reporting (see <libtools/error.h> for the contract).
//
// Theory: every fallible libtools C function reports through a caller-owned
// ov_error, so nothing here touches static or thread-local storage. fail()
// is the single place that formats a reason; it truncates at the buffer size.
#include "error_impl.h"

#include <cstdarg>
#include <cstdio>

extern "C" void ov_error_clear(ov_error_t* err) {
    if (err != nullptr) {
        err->code = 0;
        err->reason[0] = '\0';
    }
}

namespace ov {

int fail(ov_error_t* err, int code, const char* fmt, ...) {
    if (err != nullptr) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        std::vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
        va_end(ap);
    }
    return -code;
}

std::string quote_char(unsigned char c) {
    char buf[8];
    if (c >= 0x20 && c < 0x7f)
        std::snprintf(buf, sizeof(buf), "'%c'", c);
    else
        std::snprintf(buf, sizeof(buf), "\\x%02x", c);
    return buf;
}

std::string excerpt(std::string_view s) {
    std::string r;
    for (size_t i = 0; i < s.size() && i < 40; i++) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f)
            r += static_cast<char>(c);
        else
            r += quote_char(c);
    }
    if (s.size() > 40)
        r += "...";
    return r;
}

} // namespace ov
