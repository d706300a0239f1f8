// libFuzzer target for the request checks of the packet builders: the
// frames varpd answers come from tenants and are hostile input.
//
// Input: the first byte picks the builder (ARP reply, NA reply, DHCPv4
// redirect), the rest is the request frame. Beyond "no crash", a frame that
// is answered must give a well-formed answer: an ARP reply of 60 bytes with
// opcode 2, an NA whose ICMPv6 checksum verifies, a DHCP copy that differs
// from the request only in its Ethernet destination. A refusal must be
// -EINVAL with a reason.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <libtools/packet.h>
#include <vector>

namespace {

void require(bool ok) {
    if (!ok)
        std::abort();
}

bool na_checksum_ok(const uint8_t* f, size_t len) {
    if (len != OV_PACKET_NA_LEN)
        return false;
    uint8_t pseudo[40] = {};
    std::memcpy(pseudo, f + 22, 32);
    pseudo[35] = 32;
    pseudo[39] = 58;
    uint32_t s = ov_packet_cksum_fold(pseudo, sizeof(pseudo), 0);
    return ov_packet_cksum_fold(f + 54, 32, s) == 0xffff;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1)
        return 0;
    const uint8_t* frame = data + 1;
    size_t len = size - 1;
    const ov_ether_addr_t mac{{0x02, 0, 0, 0, 0, 0x42}};
    std::vector<uint8_t> out(len + 128);
    size_t outlen = 0;
    ov_error_t err;
    int r;
    switch (data[0] % 3) {
    case 0:
        r = ov_packet_arp_reply(frame, len, &mac, out.data(), out.size(), &outlen, &err);
        if (r == 0)
            require(outlen == OV_PACKET_ARP_REPLY_LEN && out[20] == 0 && out[21] == 2);
        break;
    case 1:
        r = ov_packet_na_reply(frame, len, &mac, data[0] & OV_PACKET_NA_OVERRIDE, out.data(),
                               out.size(), &outlen, &err);
        if (r == 0)
            require(na_checksum_ok(out.data(), outlen));
        break;
    default:
        r = ov_packet_dhcp_redirect(frame, len, &mac, out.data(), out.size(), &outlen, &err);
        if (r == 0)
            require(outlen == len && std::memcmp(out.data(), mac.octet, 6) == 0 &&
                    std::memcmp(out.data() + 6, frame + 6, len - 6) == 0);
        break;
    }
    if (r != 0)
        require(r == -EINVAL && err.code == EINVAL && err.reason[0] != '\0');
    return 0;
}
