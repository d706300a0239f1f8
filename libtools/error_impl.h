// Internal helper shared by the libtools sources: fill an ov_error.
//
// ov_error_set() formats the reason with snprintf semantics into the caller's
// ov_error (truncating, never overflowing), stores the code, and returns
// -code so a C function can write `return ov::fail(err, EINVAL, "...")`.
// Not installed; plugins only see the ov_error struct in <libtools/error.h>.
#ifndef LIBTOOLS_ERROR_IMPL_H
#define LIBTOOLS_ERROR_IMPL_H

#include <libtools/error.h>
#include <string>
#include <string_view>

namespace ov {

[[gnu::format(printf, 3, 4)]] int fail(ov_error_t* err, int code, const char* fmt, ...);

// Print one byte of user input for a reason: 'x' when printable, else \xHH.
std::string quote_char(unsigned char c);

// Shorten user text for a reason: at most 40 bytes, non-printables escaped
// as quote_char() does, "..." after a cut.
std::string excerpt(std::string_view s);

} // namespace ov

#endif
