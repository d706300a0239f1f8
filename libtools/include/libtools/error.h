/*
 * libtools error reporting: an errno-style code plus a reason a person can
 * read, filled in by every libtools C function that can fail.
 *
 * Theory: a C ABI cannot carry exceptions or std::string, and a bare errno
 * loses the "why" (which character, which line, which field). So every
 * fallible ov_* function returns 0 on success or a negative errno value on
 * failure and, when the caller passes an ov_error, also stores the positive
 * errno in ->code and a NUL-terminated sentence in ->reason. The struct lives
 * in the caller's storage: nothing is static, so every function is re-entrant
 * and thread-safe as long as callers do not share one ov_error. Passing NULL
 * is allowed and just drops the reason. Reasons longer than the buffer are
 * truncated, never overflowed.
 */
#ifndef LIBTOOLS_ERROR_H
#define LIBTOOLS_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define OV_ERROR_REASON_MAX 256

typedef struct ov_error {
    int code;                         /* positive errno, 0 when none */
    char reason[OV_ERROR_REASON_MAX]; /* "" when none */
} ov_error_t;

/* Reset an ov_error to "no error" (code 0, empty reason). */
void ov_error_clear(ov_error_t* err);

#ifdef __cplusplus
}
#endif

#endif /* LIBTOOLS_ERROR_H */
