// libFuzzer target: the decapsulation parsers of kernel-module/core, exactly
// as ovnet.ko runs them on a received packet. Byte 0 picks the parser
// (even: VXLAN on the UDP payload, odd: NVGRE on the IP payload), bytes 1-2
// an MTU; the rest is the packet. Beyond "no crash, no UB", it checks the
// invariants the module relies on: an accepted header lies inside the
// buffer, a VNI is 24 bits, and re-encoding an accepted header's vnetid
// yields the same identifier bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "ov_core.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 3)
        return 0;
    bool gre = data[0] & 1;
    uint32_t mtu = uint32_t(data[1]) << 8 | data[2];
    const uint8_t* p = data + 3;
    size_t len = size - 3;

    ov_decap_result r{};
    if (gre)
        ov_nvgre_parse(p, len, &r);
    else
        ov_vxlan_parse(p, len, &r);

    if (r.has_vnetid && r.vnetid > OV_VNETID_MAX)
        std::abort();
    if (r.verdict == OV_DECAP_OK) {
        if (!r.has_vnetid || r.hdrlen > len)
            std::abort();
        uint8_t h[8];
        if (gre)
            ov_nvgre_build(h, r.vnetid, p[7]);
        else
            ov_vxlan_build(h, r.vnetid);
        if (std::memcmp(h + 4, p + 4, 3) != 0)
            std::abort();
        uint32_t inner = ov_decap_inner_check(len - r.hdrlen, mtu);
        if (inner != OV_DECAP_OK && inner != OV_DECAP_RUNT && inner != OV_DECAP_OVERSIZE)
            std::abort();
    } else if (r.verdict > OV_DECAP_OVERSIZE) {
        std::abort();
    }
    (void)ov_flow_src_port(r.vnetid, 32768, 60999);
    return 0;
}
