// Tests for ov_idspace: allocation order, exhaustion, double free, ids
// outside the ranges, wrap-around reuse (oldest freed first), reserve, and
// huge ranges without memory proportional to their size. A randomised run
// checks every result against a simple model (a std::set of live ids).
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <gtest/gtest.h>
#include <libtools/idspace.h>
#include <random>
#include <set>
#include <string>

namespace {

ov::IdSpacePtr make_space(std::initializer_list<std::pair<uint64_t, uint64_t>> ranges) {
    ov_idspace_t* raw = nullptr;
    ov_error_t err{};
    EXPECT_EQ(ov_idspace_create(&raw, &err), 0) << err.reason;
    ov::IdSpacePtr s(raw);
    for (auto [first, count] : ranges)
        EXPECT_EQ(ov_idspace_add_range(s.get(), first, count, &err), 0) << err.reason;
    return s;
}

uint64_t alloc_ok(ov_idspace_t* s) {
    uint64_t id = ~uint64_t{0};
    ov_error_t err{};
    EXPECT_EQ(ov_idspace_alloc(s, &id, &err), 0) << err.reason;
    return id;
}

TEST(IdSpace, AllocatesFreshIdsInRangeOrder) {
    auto s = make_space({{100, 3}, {10, 2}});
    EXPECT_EQ(ov_idspace_capacity(s.get()), 5u);
    // Ranges are walked in the order they were added, not sorted.
    EXPECT_EQ(alloc_ok(s.get()), 100u);
    EXPECT_EQ(alloc_ok(s.get()), 101u);
    EXPECT_EQ(alloc_ok(s.get()), 102u);
    EXPECT_EQ(alloc_ok(s.get()), 10u);
    EXPECT_EQ(alloc_ok(s.get()), 11u);
    EXPECT_EQ(ov_idspace_in_use(s.get()), 5u);
    EXPECT_TRUE(ov_idspace_is_allocated(s.get(), 101));
    EXPECT_FALSE(ov_idspace_is_allocated(s.get(), 103));
}

TEST(IdSpace, ExhaustionIsENOSPC) {
    auto s = make_space({{1, 4}});
    for (int i = 0; i < 4; i++)
        alloc_ok(s.get());
    uint64_t id = 77;
    ov_error_t err{};
    EXPECT_EQ(ov_idspace_alloc(s.get(), &id, &err), -ENOSPC);
    EXPECT_EQ(err.code, ENOSPC);
    EXPECT_NE(std::strstr(err.reason, "all 4 ids"), nullptr) << err.reason;
    EXPECT_EQ(id, 77u) << "id must be untouched on failure";
    // Freeing one makes exactly one available again.
    EXPECT_EQ(ov_idspace_free(s.get(), 3, &err), 0) << err.reason;
    EXPECT_EQ(alloc_ok(s.get()), 3u);
    EXPECT_EQ(ov_idspace_alloc(s.get(), &id, &err), -ENOSPC);
}

TEST(IdSpace, EmptySpaceIsExhausted) {
    auto s = make_space({});
    uint64_t id;
    EXPECT_EQ(ov_idspace_alloc(s.get(), &id, nullptr), -ENOSPC); // NULL err is allowed
}

TEST(IdSpace, DoubleFreeIsENOENT) {
    auto s = make_space({{50, 10}});
    uint64_t a = alloc_ok(s.get());
    ov_error_t err{};
    EXPECT_EQ(ov_idspace_free(s.get(), a, &err), 0);
    EXPECT_EQ(ov_idspace_free(s.get(), a, &err), -ENOENT);
    EXPECT_EQ(err.code, ENOENT);
    EXPECT_NE(std::strstr(err.reason, "id 50 is not allocated"), nullptr) << err.reason;
    // An id in range that was never handed out is refused the same way.
    EXPECT_EQ(ov_idspace_free(s.get(), 59, &err), -ENOENT);
    EXPECT_EQ(ov_idspace_in_use(s.get()), 0u);
    // The double free must not have queued the id twice.
    std::set<uint64_t> seen;
    for (int i = 0; i < 10; i++)
        EXPECT_TRUE(seen.insert(alloc_ok(s.get())).second);
    uint64_t id;
    EXPECT_EQ(ov_idspace_alloc(s.get(), &id, &err), -ENOSPC);
}

TEST(IdSpace, IdsOutsideEveryRangeAreERANGE) {
    auto s = make_space({{10, 5}, {100, 5}});
    ov_error_t err{};
    for (uint64_t id :
         {uint64_t{0}, uint64_t{9}, uint64_t{15}, uint64_t{99}, uint64_t{105}, ~uint64_t{0}}) {
        EXPECT_EQ(ov_idspace_free(s.get(), id, &err), -ERANGE) << id;
        EXPECT_NE(std::strstr(err.reason, "outside every range"), nullptr) << err.reason;
        EXPECT_EQ(ov_idspace_reserve(s.get(), id, &err), -ERANGE) << id;
        EXPECT_FALSE(ov_idspace_is_allocated(s.get(), id));
    }
}

TEST(IdSpace, BadRangesAreRefused) {
    auto s = make_space({{10, 10}});
    ov_error_t err{};
    EXPECT_EQ(ov_idspace_add_range(s.get(), 5, 0, &err), -EINVAL);
    EXPECT_NE(std::strstr(err.reason, "no ids"), nullptr) << err.reason;
    EXPECT_EQ(ov_idspace_add_range(s.get(), ~uint64_t{0} - 1, 5, &err), -EINVAL);
    EXPECT_NE(std::strstr(err.reason, "UINT64_MAX"), nullptr) << err.reason;
    EXPECT_EQ(ov_idspace_add_range(s.get(), 19, 5, &err), -EEXIST); // overlaps the end
    EXPECT_NE(std::strstr(err.reason, "overlaps [10, 19]"), nullptr) << err.reason;
    EXPECT_EQ(ov_idspace_add_range(s.get(), 0, 11, &err), -EEXIST);          // overlaps the start
    EXPECT_EQ(ov_idspace_add_range(s.get(), 12, 2, &err), -EEXIST);          // inside
    EXPECT_EQ(ov_idspace_add_range(s.get(), 0, 100, &err), -EEXIST);         // around
    EXPECT_EQ(ov_idspace_add_range(s.get(), 0, 10, &err), 0) << err.reason;  // adjacent
    EXPECT_EQ(ov_idspace_add_range(s.get(), 20, 10, &err), 0) << err.reason; // adjacent
    EXPECT_EQ(ov_idspace_capacity(s.get()), 30u);
}

TEST(IdSpace, WrapAroundReusesOldestFreedOnlyAfterFreshIdsRunOut) {
    auto s = make_space({{0, 8}});
    for (int i = 0; i < 4; i++)
        alloc_ok(s.get()); // 0..3
    ov_error_t err{};
    ASSERT_EQ(ov_idspace_free(s.get(), 2, &err), 0);
    ASSERT_EQ(ov_idspace_free(s.get(), 0, &err), 0);
    // Fresh ids first: a freed request id is not recycled while unused ones exist.
    EXPECT_EQ(alloc_ok(s.get()), 4u);
    EXPECT_EQ(alloc_ok(s.get()), 5u);
    EXPECT_EQ(alloc_ok(s.get()), 6u);
    EXPECT_EQ(alloc_ok(s.get()), 7u);
    // Then wrap around, oldest freed first.
    EXPECT_EQ(alloc_ok(s.get()), 2u);
    ASSERT_EQ(ov_idspace_free(s.get(), 5, &err), 0);
    EXPECT_EQ(alloc_ok(s.get()), 0u);
    EXPECT_EQ(alloc_ok(s.get()), 5u);
    uint64_t id;
    EXPECT_EQ(ov_idspace_alloc(s.get(), &id, &err), -ENOSPC);
}

TEST(IdSpace, ReserveClaimsAGivenIdAndAllocSkipsIt) {
    auto s = make_space({{1, 6}});
    ov_error_t err{};
    ASSERT_EQ(ov_idspace_reserve(s.get(), 3, &err), 0) << err.reason; // ahead of the cursor
    EXPECT_EQ(ov_idspace_reserve(s.get(), 3, &err), -EEXIST);
    EXPECT_NE(std::strstr(err.reason, "already allocated"), nullptr) << err.reason;
    EXPECT_EQ(alloc_ok(s.get()), 1u);
    EXPECT_EQ(alloc_ok(s.get()), 2u);
    EXPECT_EQ(alloc_ok(s.get()), 4u) << "the cursor must skip the reserved id";
    // Free a reserved id the cursor skipped, and one it passed; reserve one
    // that waits in the free FIFO: nothing may be handed out twice.
    ASSERT_EQ(ov_idspace_free(s.get(), 3, &err), 0);
    ASSERT_EQ(ov_idspace_free(s.get(), 1, &err), 0);
    ASSERT_EQ(ov_idspace_reserve(s.get(), 1, &err), 0);
    std::set<uint64_t> got;
    uint64_t id;
    while (ov_idspace_alloc(s.get(), &id, &err) == 0)
        EXPECT_TRUE(got.insert(id).second) << "id " << id << " handed out twice";
    EXPECT_EQ(got, (std::set<uint64_t>{3, 5, 6}));
    EXPECT_EQ(ov_idspace_in_use(s.get()), 6u);
}

TEST(IdSpace, HugeRangesCostNothingUntilUsed) {
    // 2^40 + 2^50 ids: a bitmap or free list built at creation would need
    // terabytes; creation and a few operations must be instant.
    auto s = make_space({{uint64_t{1} << 40, uint64_t{1} << 40}, {1, uint64_t{1} << 39}});
    EXPECT_EQ(ov_idspace_capacity(s.get()), (uint64_t{1} << 40) + (uint64_t{1} << 39));
    EXPECT_EQ(alloc_ok(s.get()), uint64_t{1} << 40);
    ov_error_t err{};
    uint64_t far = (uint64_t{1} << 41) - 1; // last id of the first range
    ASSERT_EQ(ov_idspace_reserve(s.get(), far, &err), 0) << err.reason;
    EXPECT_TRUE(ov_idspace_is_allocated(s.get(), far));
    EXPECT_EQ(ov_idspace_free(s.get(), far, &err), 0);
    EXPECT_EQ(ov_idspace_free(s.get(), far, &err), -ENOENT);
    EXPECT_EQ(ov_idspace_in_use(s.get()), 1u);
}

TEST(IdSpace, MillionsOfOperationsStayFast) {
    // A figure, with a generous bound that only an O(n) step would break:
    // 1M allocations, 1M frees, then 1M recycled allocations in a 2^32 range.
    auto s = make_space({{1, uint64_t{1} << 32}});
    const uint64_t n = 1000000;
    ov_error_t err{};
    auto t0 = std::chrono::steady_clock::now();
    uint64_t id;
    for (uint64_t i = 0; i < n; i++)
        ASSERT_EQ(ov_idspace_alloc(s.get(), &id, &err), 0);
    for (uint64_t i = 1; i <= n; i++)
        ASSERT_EQ(ov_idspace_free(s.get(), i, &err), 0);
    auto s2 = make_space({{1, n}});
    for (uint64_t i = 0; i < n; i++)
        ASSERT_EQ(ov_idspace_alloc(s2.get(), &id, &err), 0);
    for (uint64_t i = 1; i <= n; i++)
        ASSERT_EQ(ov_idspace_free(s2.get(), i, &err), 0);
    for (uint64_t i = 0; i < n; i++) {
        ASSERT_EQ(ov_idspace_alloc(s2.get(), &id, &err), 0);
        ASSERT_EQ(id, i + 1) << "recycled in FIFO order";
    }
    double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
        (5.0 * n);
    std::printf("idspace: %.0f ns per operation over 5M alloc/free\n", ns);
    EXPECT_LT(ns, 2000.0);
}

TEST(IdSpace, RandomOperationsMatchAModel) {
    auto s = make_space({{1000, 300}, {5, 200}, {70000, 5000}});
    const uint64_t cap = 5500;
    std::set<uint64_t> live;
    std::mt19937_64 rng(12345);
    ov_error_t err{};
    for (int step = 0; step < 200000; step++) {
        unsigned op = rng() % 10;
        if (op < 5) {
            uint64_t id;
            int r = ov_idspace_alloc(s.get(), &id, &err);
            if (live.size() == cap) {
                ASSERT_EQ(r, -ENOSPC);
            } else {
                ASSERT_EQ(r, 0) << err.reason;
                ASSERT_TRUE(live.insert(id).second) << "id " << id << " handed out twice";
                ASSERT_TRUE((id >= 1000 && id < 1300) || (id >= 5 && id < 205) ||
                            (id >= 70000 && id < 75000))
                    << id;
            }
        } else if (op < 9 && !live.empty()) {
            auto it = live.begin();
            std::advance(it, static_cast<long>(rng() % std::min<size_t>(live.size(), 64)));
            ASSERT_EQ(ov_idspace_free(s.get(), *it, &err), 0) << err.reason;
            live.erase(it);
        } else {
            // Reserve or double-free a random id in a range.
            uint64_t id = 70000 + rng() % 5000;
            if (rng() & 1) {
                int r = ov_idspace_reserve(s.get(), id, &err);
                ASSERT_EQ(r, live.count(id) ? -EEXIST : 0);
                live.insert(id);
            } else {
                int r = ov_idspace_free(s.get(), id, &err);
                ASSERT_EQ(r, live.count(id) ? 0 : -ENOENT);
                live.erase(id);
            }
        }
        ASSERT_EQ(ov_idspace_in_use(s.get()), live.size());
    }
}

} // namespace
