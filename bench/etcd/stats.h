/*
 * stats.h - bench-etcd's latency summaries (bench.cpp on the host,
 * kernel.cpp in the VM): nearest-rank percentiles of milliseconds and the
 * JSON object each figure is reported as. Pure functions, header-only.
 */
#ifndef OVERLAY_BENCH_ETCD_STATS_H
#define OVERLAY_BENCH_ETCD_STATS_H

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

namespace etcd_bench {

/* The nearest-rank p-th percentile (0-100) of v; NAN when empty. */
inline double pct(std::vector<double> v, double p) {
    if (v.empty())
        return NAN;
    std::sort(v.begin(), v.end());
    size_t i = size_t(std::ceil(p / 100.0 * double(v.size())));
    return v[std::min(v.size() - 1, i ? i - 1 : 0)];
}

inline nlohmann::json summary(const std::vector<double>& v) {
    nlohmann::json j;
    j["p50_ms"] = pct(v, 50);
    j["p99_ms"] = pct(v, 99);
    j["max_ms"] = v.empty() ? NAN : *std::max_element(v.begin(), v.end());
    /* below zero: the host saw the change before the writer saw its ack */
    j["min_ms"] = v.empty() ? NAN : *std::min_element(v.begin(), v.end());
    return j;
}

} // namespace etcd_bench

#endif
