// Fuzz the files backend's parser: any bytes must give either a table whose
// hashed indexes agree with its entries, or a reason; never a crash.
#include "files_table.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    files::Table t;
    std::string why = files::parse(std::string_view(reinterpret_cast<const char*>(data), size), t);
    if (!why.empty())
        return 0;
    /* Every index entry points at an entry that claims it. */
    for (auto& [ip, mac] : t.by_arp) {
        const files::Entry* e = t.find(mac.data());
        if (!e || !e->has_arp)
            std::abort();
    }
    for (auto& [ip, mac] : t.by_ndp) {
        const files::Entry* e = t.find(mac.data());
        if (!e || !e->has_ndp || e->ndp != ip)
            std::abort();
    }
    for (auto& [key, e] : t.by_mac)
        if (files::mac_key(e.mac.data()) != key || (e.mac[0] & 1))
            std::abort();
    return 0;
}
