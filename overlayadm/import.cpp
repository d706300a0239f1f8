// import-mappings' reader and progress line: see import.h.
#include "import.h"

#include "text.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace overlayadm {

namespace {

std::string trim(const std::string& s) {
    size_t a = s.find_first_not_of(" \t");
    if (a == std::string::npos)
        return "";
    size_t b = s.find_last_not_of(" \t");
    return s.substr(a, b - a + 1);
}

/* A number field: decimal, 0..max, named in the reason. */
uint64_t number(const std::string& field, const std::string& v, uint64_t max) {
    uint64_t n = 0;
    if (v.empty() || v.size() > 20)
        throw std::invalid_argument(field + " \"" + v + "\" is not a number in 0.." +
                                    std::to_string(max));
    for (char c : v) {
        if (c < '0' || c > '9' || n > (UINT64_MAX - 9) / 10)
            throw std::invalid_argument(field + " \"" + v + "\" is not a number in 0.." +
                                        std::to_string(max));
        n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    if (n > max)
        throw std::invalid_argument(field + " " + v + " is outside 0.." + std::to_string(max));
    return n;
}

} // namespace

void ImportReader::bad(const std::string& why) const {
    throw ImportError(name_ + ":" + std::to_string(line_) + ": " + why);
}

void ImportReader::csv(const std::string& l, varpd::MappingText& m) const {
    std::vector<std::string> f;
    size_t start = 0;
    for (;;) {
        size_t comma = l.find(',', start);
        f.push_back(trim(l.substr(start, comma == std::string::npos ? std::string::npos
                                                                    : comma - start)));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    if (f.size() < 2 || f.size() > 7)
        bad(std::to_string(f.size()) +
            (f.size() == 1 ? " field" : " fields") +
            "; a line is mac,ip[,port[,arp[,ndp[,dhcp-proxy[,ttl]]]]]");
    f.resize(7);
    try {
        m = varpd::MappingText{f[0], f[1], 0, f[3], f[4], f[5], 0};
        if (!f[2].empty())
            m.port = static_cast<uint32_t>(number("port", f[2], 65535));
        if (!f[6].empty())
            m.ttl = number("ttl", f[6], UINT32_MAX);
    } catch (const std::invalid_argument& e) {
        bad(e.what());
    }
}

void ImportReader::json(const std::string& l, varpd::MappingText& m) const {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(l);
    } catch (const nlohmann::json::exception& e) {
        std::string w = e.what();
        size_t close = w.find("] ");
        if (close != std::string::npos)
            w = w.substr(close + 2); /* no "[json.exception..." */
        size_t l1 = w.find("line 1, column ");
        if (l1 != std::string::npos)
            w.replace(l1, 8, ""); /* one line of JSON: the column says it */
        bad(w);
    }
    if (!j.is_object())
        bad("not a JSON object (JSON lines: one {...} per line)");
    m = varpd::MappingText{};
    for (auto& [k, v] : j.items()) {
        std::string* text = k == "mac"          ? &m.mac
                            : k == "ip"         ? &m.ip
                            : k == "arp"        ? &m.arp
                            : k == "ndp"        ? &m.ndp
                            : k == "dhcp-proxy" ? &m.dhcp_proxy
                                                : nullptr;
        if (text) {
            if (!v.is_string())
                bad("\"" + k + "\" is not a string");
            *text = v.get<std::string>();
        } else if (k == "port" || k == "ttl") {
            if (!v.is_number_unsigned())
                bad("\"" + k + "\" is not a number");
            uint64_t n = v.get<uint64_t>();
            uint64_t max = k == "port" ? 65535 : UINT32_MAX;
            if (n > max)
                bad(k + " " + std::to_string(n) + " is outside 0.." + std::to_string(max));
            if (k == "port")
                m.port = static_cast<uint32_t>(n);
            else
                m.ttl = n;
        } else {
            bad("unknown member \"" + k + "\" (members: mac, ip, port, arp, ndp, dhcp-proxy, ttl)");
        }
    }
    if (m.mac.empty())
        bad("no \"mac\"");
}

bool ImportReader::next(varpd::MappingText& m) {
    std::string l;
    while (std::getline(in_, l)) {
        line_++;
        bytes_ += l.size() + 1;
        if (!l.empty() && l.back() == '\r')
            l.pop_back();
        std::string t = trim(l);
        if (t.empty() || t[0] == '#')
            continue;
        if (format_ == unknown) {
            format_ = t[0] == '{' ? is_json : is_csv;
            if (format_ == is_csv && t.compare(0, 3, "mac") == 0)
                continue; /* the header line */
        }
        if (format_ == is_json)
            json(t, m);
        else
            csv(t, m);
        varpd_mapping_t check;
        std::string why;
        if (!varpd::mapping_from_text(m, check, &why))
            bad(why);
        return true;
    }
    if (in_.bad())
        bad("read error");
    return false;
}

Progress::Progress(uint64_t size, bool quiet, int fd)
    : size_(size), quiet_(quiet), tty_(isatty(fd) == 1), fd_(fd),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

std::string Progress::text(uint64_t lines, uint64_t bytes) const {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    uint64_t rate = secs > 0 ? static_cast<uint64_t>(static_cast<double>(lines) / secs) : 0;
    std::string s = "imported " + std::to_string(lines);
    if (size_ && bytes && lines) {
        uint64_t total = static_cast<uint64_t>(static_cast<double>(size_) /
                                               static_cast<double>(bytes) *
                                               static_cast<double>(lines));
        unsigned pct = static_cast<unsigned>(std::min<uint64_t>(100, bytes * 100 / size_));
        s += " of ~" + std::to_string(std::max(total, lines)) + " lines (" + std::to_string(pct) +
             "%)";
    } else {
        s += " lines";
    }
    return s + ", " + std::to_string(rate) + " lines/s";
}

void Progress::update(uint64_t lines, uint64_t bytes) {
    if (quiet_ || (lines & 1023) != 0)
        return;
    auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::seconds(1))
        return; /* short imports say nothing */
    bool due;
    if (tty_) {
        due = now - last_ >= std::chrono::milliseconds(200);
    } else {
        bool tenth = size_ && bytes * 10 >= size_ * static_cast<uint64_t>(next_tenth_);
        due = tenth || now - last_ >= std::chrono::seconds(5);
        if (tenth)
            while (bytes * 10 >= size_ * static_cast<uint64_t>(next_tenth_))
                next_tenth_++;
    }
    if (!due)
        return;
    last_ = now;
    shown_ = true;
    std::string s = (tty_ ? "\r" : "") + text(lines, bytes) + (tty_ ? "\033[K" : "\n");
    ssize_t n = write(fd_, s.data(), s.size());
    (void)n;
}

void Progress::done(uint64_t lines, uint64_t bytes) {
    if (quiet_ || !shown_)
        return;
    std::string s = (tty_ ? "\r" : "") + text(lines, bytes) + (tty_ ? "\033[K\n" : "\n");
    ssize_t n = write(fd_, s.data(), s.size());
    (void)n;
}

} // namespace overlayadm
