/*
 * ov_rename: atomic, durable replacement of a file's whole content.
 *
 * Theory: varpd persists one file per instance and must never leave a torn
 * or empty file behind if it is killed (or the machine loses power) in the
 * middle of a write. ov_rename_write() therefore never writes the target in
 * place. It:
 *   1. creates a temporary in the target's own directory, named
 *      ".<name>.XXXXXX" (mkstemp), so the final rename(2) never crosses a
 *      filesystem and is atomic;
 *   2. writes all the data (retrying short writes and EINTR), sets the mode
 *      with fchmod (so the umask does not change it), and fsyncs the file;
 *   3. renames the temporary over the target: a reader opening the target
 *      sees either the old content whole or the new content whole;
 *   4. fsyncs the directory, so the rename itself survives a power loss.
 * Any failure before step 3 unlinks the temporary; the target is untouched.
 * A failure at step 4 is reported (EIO-like errno) but the new content is
 * already in place.
 *
 * A writer killed between steps 1 and 3 leaves its temporary behind.
 * ov_rename_cleanup() removes the temporaries of one target (names of the
 * exact form ".<name>.XXXXXX" in its directory); call it at start-up, while
 * holding whatever lock makes you the only writer, never while another
 * writer of the same target may be running.
 *
 * Locking: none; two concurrent writers of one target each produce a whole
 * file and the last rename wins. Not supported: targets that are symbolic
 * links (the link is replaced, not followed), preserving owner or extended
 * attributes, names longer than NAME_MAX - 8.
 *
 * Return values: 0 (ov_rename_cleanup: the number of files removed) or a
 * negative errno with the reason in *err:
 *   EINVAL  an empty path, or a path naming a directory ("x/", ".", "..");
 *   ENAMETOOLONG  a last component too long to build a temporary name;
 *   any errno of mkstemp, write, fchmod, fsync, rename, open of the
 *   directory (ENOENT, EACCES, ENOSPC, EISDIR, EIO, ...), with the step and
 *   the path named in the reason.
 */
#ifndef LIBTOOLS_RENAME_H
#define LIBTOOLS_RENAME_H

#include <libtools/error.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

int ov_rename_write(const char* path, const void* data, size_t len, mode_t mode, ov_error_t* err);
int ov_rename_cleanup(const char* path, ov_error_t* err);

#ifdef __cplusplus
}

#include <string>
#include <string_view>

namespace ov {
inline int rename_write(const std::string& path, std::string_view data, mode_t mode,
                        ov_error_t* err) {
    return ov_rename_write(path.c_str(), data.data(), data.size(), mode, err);
}
} /* namespace ov */
#endif

#endif /* LIBTOOLS_RENAME_H */
