// libFuzzer target: any bytes through the whole dissector stack.
//
// The first byte selects how the rest is read: bits 0-1 the link type
// (Ethernet, raw IP, Linux cooked), bits 2-3 the rendering (summary,
// verbose, JSON, none), bit 4 whether the capture claims the packet was
// longer than captured (truncation path). Output goes to a buffer that is
// thrown away, after two checks: JSON must parse and a summary must be
// exactly one line. A crash, a sanitizer report or a failed check is a bug.
#include <pcap/dlt.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "dissect.h"

using namespace ov::snoop;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    static const Table table(kDefaultVxlanPorts);
    static const int kLinks[] = {DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL, DLT_EN10MB};
    static const Mode kModes[] = {Mode::Summary, Mode::Verbose, Mode::Json, Mode::Null};
    uint8_t sel = data[0];
    Out out(kModes[(sel >> 2) & 3]);
    uint32_t caplen = uint32_t(size - 1);
    PacketInfo info{1, 1700000000, 0, caplen, caplen + ((sel & 0x10) ? 100u : 0u)};
    dissect_frame(table, out, kLinks[sel & 3], info, data + 1, caplen);
    std::string_view t = out.text();
    if (out.mode() == Mode::Json && !nlohmann::json::accept(t))
        std::abort();
    if (out.mode() == Mode::Summary &&
        (std::count(t.begin(), t.end(), '\n') != 1 || t.back() != '\n'))
        std::abort();
    return 0;
}
