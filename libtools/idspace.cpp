// ov_idspace: O(1) integer id allocation over disjoint ranges.
//
// Theory (the contract is in <libtools/idspace.h>): ranges are kept twice,
// in the order they were added (the cursor walks that order) and sorted by
// first id (to find the range holding an id by binary search). Per-id state
// is two bits, ALLOCATED and QUEUED (sitting in the free FIFO), stored in
// 4096-id chunks in a hash map, created on first write. An id's state is one
// of: fresh (ahead of the cursor, bits clear), allocated, free-and-queued,
// reserved-while-queued (both bits: the FIFO drops it when popped).
//
// A freed id goes into the FIFO only if the cursor has already passed it;
// an id ahead of the cursor (it could only have been reserved) is simply
// cleared, and the cursor hands it out when it gets there. So every id is in
// at most one of {cursor's future, FIFO}, and each skip the cursor or FIFO
// makes pays for one earlier reserve: alloc is amortised O(1).
//
// Exceptions (bad_alloc from the containers) stop at the C boundary and turn
// into ENOMEM. Locking: none, see the header.
#include "error_impl.h"

#include <algorithm>
#include <bitset>
#include <cerrno>
#include <cinttypes>
#include <deque>
#include <libtools/idspace.h>
#include <memory>
#include <new>
#include <unordered_map>
#include <vector>

namespace {

constexpr unsigned kChunkShift = 12;
constexpr uint64_t kChunkIds = uint64_t{1} << kChunkShift;

struct Chunk {
    std::bitset<kChunkIds> allocated;
    std::bitset<kChunkIds> queued;
};

struct Range {
    uint64_t first;
    uint64_t count;
    size_t order; // index in add order
};

} // namespace

struct ov_idspace {
    std::vector<Range> by_order; // add order: what the cursor walks
    std::vector<Range> by_first; // sorted by first: lookups
    size_t cur_range = 0;        // cursor: index in by_order
    uint64_t cur_off = 0;        //         offset inside that range
    std::deque<uint64_t> freeq;  // freed ids the cursor has passed, oldest first
    std::unordered_map<uint64_t, std::unique_ptr<Chunk>> chunks;
    uint64_t in_use = 0;
    uint64_t capacity = 0;

    const Range* find(uint64_t id) const {
        auto it = std::upper_bound(by_first.begin(), by_first.end(), id,
                                   [](uint64_t v, const Range& r) { return v < r.first; });
        if (it == by_first.begin())
            return nullptr;
        --it;
        return id - it->first < it->count ? &*it : nullptr;
    }

    const Chunk* chunk(uint64_t id) const {
        auto it = chunks.find(id >> kChunkShift);
        return it == chunks.end() ? nullptr : it->second.get();
    }
    Chunk& chunk_for_write(uint64_t id) {
        auto& c = chunks[id >> kChunkShift];
        if (!c)
            c = std::make_unique<Chunk>();
        return *c;
    }
    static size_t bit(uint64_t id) { return static_cast<size_t>(id & (kChunkIds - 1)); }

    bool allocated(uint64_t id) const {
        const Chunk* c = chunk(id);
        return c != nullptr && c->allocated.test(bit(id));
    }
    bool queued(uint64_t id) const {
        const Chunk* c = chunk(id);
        return c != nullptr && c->queued.test(bit(id));
    }

    // Has the cursor already walked past this id (which lies in range r)?
    bool behind_cursor(const Range& r, uint64_t id) const {
        if (r.order != cur_range)
            return r.order < cur_range;
        return id - r.first < cur_off;
    }

    void take(uint64_t id) {
        chunk_for_write(id).allocated.set(bit(id));
        in_use++;
    }

    bool alloc_fresh(uint64_t* idp) {
        while (cur_range < by_order.size()) {
            const Range& r = by_order[cur_range];
            if (cur_off == r.count) {
                cur_range++;
                cur_off = 0;
                continue;
            }
            uint64_t id = r.first + cur_off++;
            if (allocated(id) || queued(id))
                continue; // reserved ahead of the cursor
            take(id);
            *idp = id;
            return true;
        }
        return false;
    }

    bool alloc_recycled(uint64_t* idp) {
        while (!freeq.empty()) {
            uint64_t id = freeq.front();
            freeq.pop_front();
            Chunk& c = chunk_for_write(id);
            c.queued.reset(bit(id));
            if (c.allocated.test(bit(id)))
                continue; // reserved while it waited in the FIFO
            take(id);
            *idp = id;
            return true;
        }
        return false;
    }
};

namespace {

// Run f() and turn an allocation failure into ENOMEM: nothing may throw
// across the C ABI.
template <typename F>
int guarded(ov_error_t* err, F&& f) noexcept {
    try {
        return f();
    } catch (const std::bad_alloc&) {
        return ov::fail(err, ENOMEM, "idspace: out of memory");
    } catch (...) {
        return ov::fail(err, EIO, "idspace: unexpected internal error");
    }
}

} // namespace

extern "C" {

int ov_idspace_create(ov_idspace_t** spacep, ov_error_t* err) {
    return guarded(err, [&] {
        *spacep = new ov_idspace();
        return 0;
    });
}

void ov_idspace_destroy(ov_idspace_t* space) {
    delete space;
}

int ov_idspace_add_range(ov_idspace_t* s, uint64_t first, uint64_t count, ov_error_t* err) {
    if (count == 0)
        return ov::fail(err, EINVAL, "idspace: range at %" PRIu64 " has no ids", first);
    if (first + count < first || first + count == 0)
        return ov::fail(err, EINVAL, "idspace: range %" PRIu64 "+%" PRIu64 " goes past UINT64_MAX",
                        first, count);
    uint64_t last = first + count - 1;
    for (const Range& r : s->by_first) {
        if (first <= r.first + r.count - 1 && r.first <= last)
            return ov::fail(err, EEXIST,
                            "idspace: range [%" PRIu64 ", %" PRIu64 "] overlaps [%" PRIu64
                            ", %" PRIu64 "]",
                            first, last, r.first, r.first + r.count - 1);
    }
    return guarded(err, [&] {
        Range r{first, count, s->by_order.size()};
        s->by_order.reserve(s->by_order.size() + 1);
        auto pos = std::upper_bound(s->by_first.begin(), s->by_first.end(), first,
                                    [](uint64_t v, const Range& x) { return v < x.first; });
        s->by_first.insert(pos, r);
        s->by_order.push_back(r); // cannot throw after reserve
        s->capacity += count;
        return 0;
    });
}

int ov_idspace_alloc(ov_idspace_t* s, uint64_t* idp, ov_error_t* err) {
    return guarded(err, [&] {
        if (s->alloc_fresh(idp) || s->alloc_recycled(idp))
            return 0;
        return ov::fail(err, ENOSPC, "idspace: all %" PRIu64 " ids are allocated", s->capacity);
    });
}

int ov_idspace_reserve(ov_idspace_t* s, uint64_t id, ov_error_t* err) {
    if (s->find(id) == nullptr)
        return ov::fail(err, ERANGE, "idspace: id %" PRIu64 " is outside every range", id);
    if (s->allocated(id))
        return ov::fail(err, EEXIST, "idspace: id %" PRIu64 " is already allocated", id);
    return guarded(err, [&] {
        s->take(id);
        return 0;
    });
}

int ov_idspace_free(ov_idspace_t* s, uint64_t id, ov_error_t* err) {
    const Range* r = s->find(id);
    if (r == nullptr)
        return ov::fail(err, ERANGE, "idspace: id %" PRIu64 " is outside every range", id);
    if (!s->allocated(id))
        return ov::fail(err, ENOENT, "idspace: id %" PRIu64 " is not allocated (double free?)", id);
    return guarded(err, [&] {
        Chunk& c = s->chunk_for_write(id);
        if (s->behind_cursor(*r, id) && !c.queued.test(ov_idspace::bit(id))) {
            s->freeq.push_back(id); // may throw: state untouched until it succeeded
            c.queued.set(ov_idspace::bit(id));
        }
        c.allocated.reset(ov_idspace::bit(id));
        s->in_use--;
        return 0;
    });
}

bool ov_idspace_is_allocated(const ov_idspace_t* s, uint64_t id) {
    return s->find(id) != nullptr && s->allocated(id);
}

uint64_t ov_idspace_in_use(const ov_idspace_t* s) {
    return s->in_use;
}

uint64_t ov_idspace_capacity(const ov_idspace_t* s) {
    return s->capacity;
}

} // extern "C"
