// The files backend's JSON table: see files_table.h.
#include "files_table.h"

#include <libtools/addr.h>
#include <libtools/ethers.h>

#include <arpa/inet.h>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unordered_set>

namespace files {

using json = nlohmann::json;

const Mac* Table::find_arp(const uint8_t* ip4) const {
    uint32_t k;
    std::memcpy(&k, ip4, 4);
    auto it = by_arp.find(k);
    return it == by_arp.end() ? nullptr : &it->second;
}

const Mac* Table::find_ndp(const uint8_t* ip6) const {
    Ip6 k;
    std::memcpy(k.data(), ip6, 16);
    auto it = by_ndp.find(k);
    return it == by_ndp.end() ? nullptr : &it->second;
}

namespace {

/* The 1-based line where "key" is first written (for messages). */
size_t line_of(std::string_view text, const std::string& key) {
    std::string needle = "\"" + key + "\"";
    size_t pos = text.find(needle);
    if (pos == std::string_view::npos)
        return 0;
    size_t line = 1;
    for (size_t i = 0; i < pos; i++)
        line += text[i] == '\n';
    return line;
}

struct Refusal {
    std::string why;
};

std::string quote_(const std::string& s) { return "\"" + s + "\""; }

bool ip4(const std::string& s, std::array<uint8_t, 4>& out) {
    return inet_pton(AF_INET, s.c_str(), out.data()) == 1;
}

bool ip6(const std::string& s, Ip6& out) { return inet_pton(AF_INET6, s.c_str(), out.data()) == 1; }

const std::string& text_member(const json& v, const char* name) {
    if (!v.is_string())
        throw Refusal{quote_(name) + " must be a string, not " + v.type_name()};
    return v.get_ref<const std::string&>();
}

Entry entry_of(const Mac& mac, const json& obj) {
    if (!obj.is_object())
        throw Refusal{std::string("the value must be an object, not ") + obj.type_name()};
    Entry e;
    e.mac = mac;
    bool have_ip = false;
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        const std::string& k = it.key();
        const json& v = it.value();
        if (k == "ip") {
            const std::string& s = text_member(v, "ip");
            if (!ov::addr_parse(s, e.ip))
                throw Refusal{"\"ip\": " + quote_(s) + " is not an IPv4 or IPv6 address"};
            have_ip = true;
        } else if (k == "port") {
            if (!v.is_number_integer())
                throw Refusal{std::string("\"port\" must be an integer, not ") + v.type_name()};
            if (v.is_number_unsigned() ? v.get<uint64_t>() > 65535 : v.get<int64_t>() < 0 ||
                                                                         v.get<int64_t>() > 65535)
                throw Refusal{"\"port\": " + v.dump() + " is outside 0-65535"};
            e.port = static_cast<uint16_t>(v.get<int64_t>());
        } else if (k == "arp") {
            const std::string& s = text_member(v, "arp");
            if (!ip4(s, e.arp))
                throw Refusal{"\"arp\": " + quote_(s) + " is not an IPv4 address"};
            e.has_arp = true;
        } else if (k == "ndp") {
            const std::string& s = text_member(v, "ndp");
            if (!ip6(s, e.ndp))
                throw Refusal{"\"ndp\": " + quote_(s) + " is not an IPv6 address"};
            e.has_ndp = true;
        } else if (k == "dhcp-proxy") {
            const std::string& s = text_member(v, "dhcp-proxy");
            ov_ether_addr_t a;
            ov_error_t err;
            if (ov_ethers_parse(s.c_str(), &a, &err) != 0)
                throw Refusal{"\"dhcp-proxy\": " + quote_(s) + " is not a MAC: " + err.reason};
            std::memcpy(e.dhcp_proxy.data(), a.octet, 6);
            e.has_dhcp = true;
        } else {
            throw Refusal{"unknown member " + quote_(k) +
                          " (known: ip, port, arp, ndp, dhcp-proxy)"};
        }
    }
    if (!have_ip)
        throw Refusal{"\"ip\" is missing"};
    return e;
}

/*
 * Finds the first top-level key written twice. (nlohmann's parser callback
 * could too, but it makes parsing quadratic in the number of keys.)
 */
struct DupFinder : nlohmann::json_sax<json> {
    int depth = 0;
    std::unordered_set<std::string> seen;
    std::string dup;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return ++depth, true; }
    bool end_object() override { return --depth, true; }
    bool start_array(std::size_t) override { return ++depth, true; }
    bool end_array() override { return --depth, true; }
    bool key(string_t& k) override {
        if (depth == 1 && !seen.insert(k).second && dup.empty())
            dup = k;
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
        return false;
    }
};

} // namespace

std::string parse(std::string_view text, Table& out) {
    out = Table{};
    json doc;
    try {
        doc = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        std::string w = e.what();
        size_t p = w.find("] ");
        return p == std::string::npos ? w : w.substr(p + 2);
    } catch (const std::exception& e) {
        return std::string("cannot parse: ") + e.what();
    }
    /* The DOM keeps the last of two equal keys: a SAX pass sees them all. */
    DupFinder finder;
    json::sax_parse(text.begin(), text.end(), &finder);
    const std::string& dup = finder.dup;
    if (!dup.empty())
        return "line " + std::to_string(line_of(text, dup)) + ": MAC " + quote_(dup) +
               " is written twice";
    if (!doc.is_object())
        return std::string("the file must hold one JSON object keyed by MAC, not ") +
               doc.type_name();
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        const std::string& key = it.key();
        /* Only a refusal pays for finding the line. */
        auto where = [&] { return "line " + std::to_string(line_of(text, key)) + ": " + quote_(key); };
        ov_ether_addr_t a;
        ov_error_t err;
        if (ov_ethers_parse_n(key.data(), key.size(), &a, &err) != 0)
            return where() + " is not a MAC: " + err.reason;
        Mac mac;
        std::memcpy(mac.data(), a.octet, 6);
        if (mac[0] & 1)
            return where() + " is a multicast MAC, which no host owns";
        Entry e;
        try {
            e = entry_of(mac, it.value());
        } catch (const Refusal& r) {
            return where() + ": " + r.why;
        }
        if (!out.by_mac.emplace(mac_key(mac.data()), e).second)
            return where() + ": the same MAC as another key (written in another case)";
        if (e.has_arp) {
            uint32_t k;
            std::memcpy(&k, e.arp.data(), 4);
            if (!out.by_arp.emplace(k, mac).second)
                return where() + ": its \"arp\" address is claimed by another MAC too";
        }
        if (e.has_ndp && !out.by_ndp.emplace(e.ndp, mac).second)
            return where() + ": its \"ndp\" address is claimed by another MAC too";
    }
    return "";
}

} // namespace files
