// Fuzz the etcd backend's decoders of the JSON gateway's answers: the same
// bytes go to base64 (and back), to the version check, and, parsed as
// JSON, to the readers of numbers, errors, range pages, txn ranges, and as
// text to the staged-chunk, intent and value decoders. None may crash or throw, and:
//   - anything encoded decodes to itself, and what decodes re-encodes to
//     bytes that decode the same;
//   - a range page keeps only wanted keys and moves its resume key forward;
//   - a txn's ranges answer each asked key, and no other.
#include "etcd_instance.h"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

using etcd_plugin::json;

void check_b64(const std::string& s) {
    std::string out, again;
    if (!etcd::b64_decode(etcd::b64_encode(s), out) || out != s)
        std::abort();
    if (etcd::b64_decode(s, out) &&
        (!etcd::b64_decode(etcd::b64_encode(out), again) || again != out))
        std::abort();
}

void check_json(const json& j) {
    (void)etcd::num(j, "revision");
    (void)etcd::num(etcd::member(j, "header"), "revision");
    (void)etcd::num(j, "count");
    (void)etcd::flag(j, "succeeded");
    std::string why;
    int code = 0;
    (void)etcd::error_of(j, why, code);

    const std::string dir = "/overlay/vnet/7/mac/";
    const std::set<std::string> wanted = {dir + "02:00:00:00:00:01", dir + "02:00:00:00:00:02"};
    std::map<std::string, etcd_plugin::Cur> out;
    std::string from = dir, before = from;
    for (int page = 0; page < 4 && etcd_plugin::take_range_page(j, wanted, out, from); page++) {
        if (from <= before)
            std::abort(); /* a page that went nowhere must end the read */
        before = from;
    }
    for (auto& [k, c] : out)
        if (!wanted.count(k))
            std::abort();

    const std::vector<std::string> keys = {dir + "a", dir + "b", dir + "c"};
    std::map<std::string, etcd_plugin::Cur> got;
    etcd_plugin::take_txn_ranges(j, keys, 1, 3, got);
    if (got.size() != 2 || !got.count(keys[1]) || !got.count(keys[2]))
        std::abort();
    etcd_plugin::Cur c;
    for (const json& kv : etcd::array(j, "kvs"))
        etcd_plugin::take_kv(kv, c);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string s(reinterpret_cast<const char*>(data), size);
    check_b64(s);
    (void)etcd::progress_notify_trusted(s);
    json j = json::parse(s, nullptr, false);
    if (!j.is_discarded())
        check_json(j);
    std::vector<etcd_plugin::StagedOp> ops;
    if (etcd_plugin::parse_chunk(s, ops).empty())
        for (auto& o : ops)
            if (!o.put && (!o.value.empty() || o.ttl || o.lease))
                std::abort(); /* a delete carries no value */
    (void)etcd_plugin::state_of(s);
    files::Entry e;
    (void)etcd_layout::decode_mac_value({0x02, 0, 0, 0, 0, 1}, s, e);
    files::Mac m;
    (void)etcd_layout::decode_ip_value(s, m);
    return 0;
}
