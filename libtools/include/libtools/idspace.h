/*
 * ov_idspace: allocate and free integer ids inside one or more disjoint
 * ranges, in O(1), with exhaustion and double free reported as errors.
 *
 * Theory: varpd hands out instance ids and request ids. Both want a small,
 * fast allocator that never hands out an id twice and that catches a caller
 * freeing an id it does not own. An idspace is a set of disjoint ranges
 * [first, first + count). Allocation takes, in order:
 *   1. a never-allocated id from a cursor that walks the ranges in the order
 *      they were added (so fresh ids come first and ids are reused late,
 *      which keeps a stale reply from matching a recycled request id);
 *   2. once every id has been handed out at least once, the id freed longest
 *      ago (a FIFO of freed ids): the "wrap-around" reuse.
 * A two-bit state per id (allocated, queued-as-free) catches double frees
 * and keeps the cursor and the FIFO from handing out the same id. The state
 * is kept in 4096-id chunks created on first touch, so adding a range of 2^40
 * ids costs nothing until ids are used; memory grows with the ids in use or
 * once used, never with the range size.
 *
 * ov_idspace_reserve() claims one given id (varpd restoring instance ids from
 * disk); the cursor and the FIFO skip reserved ids, so every operation stays
 * amortised O(1). Lookups of which range holds an id are O(log ranges).
 *
 * Locking: none. An idspace belongs to one thread at a time; callers that
 * share one serialise with their own lock. Not supported: ranges that
 * include UINT64_MAX (first + count must not overflow), removing a range.
 *
 * Return values: 0 on success, or a negative errno with the reason in *err
 * (see <libtools/error.h>):
 *   ENOSPC  every id is allocated (exhaustion);
 *   ENOENT  freeing an id that is in a range but not allocated (double free);
 *   ERANGE  an id outside every range;
 *   EEXIST  reserving an id that is already allocated, or a range that
 *           overlaps one already added;
 *   EINVAL  a range of zero ids or one that wraps past UINT64_MAX;
 *   ENOMEM  out of memory.
 */
#ifndef LIBTOOLS_IDSPACE_H
#define LIBTOOLS_IDSPACE_H

#include <libtools/error.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ov_idspace ov_idspace_t;

int ov_idspace_create(ov_idspace_t** spacep, ov_error_t* err);
void ov_idspace_destroy(ov_idspace_t* space);

int ov_idspace_add_range(ov_idspace_t* space, uint64_t first, uint64_t count, ov_error_t* err);

int ov_idspace_alloc(ov_idspace_t* space, uint64_t* idp, ov_error_t* err);
int ov_idspace_reserve(ov_idspace_t* space, uint64_t id, ov_error_t* err);
int ov_idspace_free(ov_idspace_t* space, uint64_t id, ov_error_t* err);

bool ov_idspace_is_allocated(const ov_idspace_t* space, uint64_t id);
uint64_t ov_idspace_in_use(const ov_idspace_t* space);
uint64_t ov_idspace_capacity(const ov_idspace_t* space);

#ifdef __cplusplus
}

#include <memory>

namespace ov {
/* RAII owner for C++ callers: ov::IdSpacePtr s(raw); destroyed on scope exit. */
struct IdSpaceDeleter {
    void operator()(ov_idspace_t* s) const noexcept { ov_idspace_destroy(s); }
};
using IdSpacePtr = std::unique_ptr<ov_idspace_t, IdSpaceDeleter>;
} /* namespace ov */
#endif

#endif /* LIBTOOLS_IDSPACE_H */
