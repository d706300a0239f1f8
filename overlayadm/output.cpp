// Output tables: see output.h.
#include "output.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace overlayadm {

namespace {

std::string lower(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string upper(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

} // namespace

Table::Table(std::vector<std::string> fields) : fields_(std::move(fields)) {
    for (size_t i = 0; i < fields_.size(); i++)
        shown_.push_back(i);
}

void Table::select(const std::string& olist) {
    if (lower(olist) == "all")
        return;
    std::vector<size_t> shown;
    size_t start = 0;
    while (true) {
        size_t comma = olist.find(',', start);
        std::string f = lower(
            olist.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        auto it = std::find(fields_.begin(), fields_.end(), f);
        if (it == fields_.end()) {
            std::string names;
            for (auto& n : fields_)
                names += (names.empty() ? "" : ",") + n;
            throw std::invalid_argument("unknown field \"" + olist.substr(start, comma - start) +
                                        "\" (fields: " + names + ",all)");
        }
        shown.push_back(static_cast<size_t>(it - fields_.begin()));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    shown_ = shown;
}

void Table::add(std::vector<std::string> row) {
    row.resize(fields_.size());
    rows_.push_back(std::move(row));
}

std::string Table::escape(const std::string& v) {
    std::string o;
    for (char c : v) {
        if (c == ':' || c == '\\')
            o += '\\';
        o += c;
    }
    return o;
}

std::string Table::render(Format f) const {
    Table copy(*this);
    return copy.render_page(f, true, true);
}

std::string Table::render_page(Format f, bool first, bool last) {
    std::string out;
    if (f == Format::json) {
        out = first ? "[" : "";
        bool lead = !first;
        for (auto& r : rows_) {
            nlohmann::json o = nlohmann::json::object();
            for (size_t i : shown_)
                o[fields_[i]] = r[i];
            out += (lead ? "," : "") + o.dump();
            lead = true;
        }
        rows_.clear();
        return last ? out + "]\n" : out;
    }
    if (f == Format::parsable) {
        for (auto& r : rows_) {
            std::string line;
            for (size_t k = 0; k < shown_.size(); k++)
                line += (k ? ":" : "") + escape(r[shown_[k]]);
            out += line + "\n";
        }
        rows_.clear();
        return out;
    }
    if (first) {
        page_width_.clear();
        for (size_t i : shown_) {
            size_t w = fields_[i].size();
            for (auto& r : rows_)
                w = std::max(w, r[i].empty() ? 2 : r[i].size());
            page_width_.push_back(w);
        }
    }
    auto line = [&](auto cell) {
        std::string l;
        for (size_t k = 0; k < shown_.size(); k++) {
            std::string v = cell(shown_[k]);
            l += v;
            if (k + 1 < shown_.size())
                l += std::string(page_width_[k] > v.size() ? page_width_[k] - v.size() + 1 : 1,
                                 ' ');
        }
        return l + "\n";
    };
    if (first)
        out += line([&](size_t i) { return upper(fields_[i]); });
    for (auto& r : rows_)
        out += line([&](size_t i) { return r[i].empty() ? std::string("--") : r[i]; });
    rows_.clear();
    return out;
}

} // namespace overlayadm
