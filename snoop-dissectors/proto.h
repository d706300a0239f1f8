// Declarations shared by the protocol files (proto_*.cpp) and the table.
// Each dissector is a plain function Next(Ctx&) wrapped in a Dissector so the
// table can bind it under one or more keys.
#pragma once

#include <cstdint>

#include "dissect.h"

namespace ov::snoop {

// Bounded scratch text for composed values (option lists, flag sets). Never
// allocates; silently stops at capacity with a trailing "...".
class Scratch {
public:
    void add(const char* s) {
        while (*s && n_ < sizeof b_ - 4)
            b_[n_++] = *s++;
        if (*s && !full_) {
            full_ = true;
            b_[n_++] = '.';
            b_[n_++] = '.';
            b_[n_++] = '.';
        }
    }
    void sep(const char* s = ",") {
        if (n_)
            add(s);
    }
    // A symbolic name when there is one, else prefix and number ("opt7").
    void name_or(const char* name, const char* prefix, uint64_t v) {
        sep();
        if (name) {
            add(name);
        } else {
            add(prefix);
            num(v);
        }
    }
    void num(uint64_t v) {
        char t[24];
        int i = 0;
        do {
            t[i++] = char('0' + v % 10);
            v /= 10;
        } while (v);
        char r[24];
        int j = 0;
        while (i)
            r[j++] = t[--i];
        r[j] = 0;
        add(r);
    }
    std::string_view view() const { return {b_, n_}; }
    bool empty() const { return n_ == 0; }

private:
    char b_[160];
    size_t n_ = 0;
    bool full_ = false;
};

// Step into an encapsulated Ethernet frame (VXLAN, NVGRE, GRE TEB).
Next enter_inner_ethernet(Ctx& c);

extern const Dissector kEthernet, kVlan, kArp, kLinuxSll, kRawIp, kTeb;
extern const Dissector kIpv4, kIpv6, kIp6Hbh, kIp6DstOpts, kIp6Routing, kIp6Fragment;
extern const Dissector kIcmp, kIcmp6;
extern const Dissector kUdp, kTcp;
extern const Dissector kDhcp;
extern const Dissector kVxlan, kGre;

// Names shared across files.
extern const Names kEthertypeNames;
extern const Names kIpProtoNames;

} // namespace ov::snoop
