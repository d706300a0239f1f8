// Instance persistence: see persist.h.
#include "persist.h"

#include "persist.capnp.h"

#include <libtools/rename.h>

#include <algorithm>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <kj/exception.h>
#include <unistd.h>

namespace varpd {

namespace {

constexpr char magic[8] = {'V', 'A', 'R', 'P', 'D', 'I', 'N', 'S'};
constexpr uint32_t version = 1;
constexpr size_t header_len = 24;
constexpr size_t max_file = 1u << 20; /* an instance's state is small */

uint64_t fnv1a64(const uint8_t* p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void put_le(uint8_t* p, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++)
        p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t get_le(const uint8_t* p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

} // namespace

std::vector<uint8_t> encode_record(const InstanceRecord& r) {
    capnp::MallocMessageBuilder mb;
    auto b = mb.initRoot<persist::Instance>();
    b.setId(r.id);
    b.setLinkid(r.linkid);
    b.setPlugin(r.plugin);
    b.setMode(r.mode);
    b.setState(kj::arrayPtr(r.state.data(), r.state.size()));
    auto words = capnp::messageToFlatArray(mb);
    auto bytes = words.asBytes();
    std::vector<uint8_t> out(header_len + bytes.size());
    std::memcpy(out.data(), magic, 8);
    put_le(&out[8], version, 4);
    put_le(&out[12], bytes.size(), 4);
    put_le(&out[16], fnv1a64(bytes.begin(), bytes.size()), 8);
    std::memcpy(out.data() + header_len, bytes.begin(), bytes.size());
    return out;
}

std::string decode_record(const uint8_t* data, size_t len, InstanceRecord* out) {
    if (len < header_len)
        return "truncated: " + std::to_string(len) + " bytes, the header alone is " +
               std::to_string(header_len);
    if (std::memcmp(data, magic, 8) != 0)
        return "bad magic (not a varpd instance file)";
    uint32_t v = static_cast<uint32_t>(get_le(data + 8, 4));
    if (v != version)
        return "version " + std::to_string(v) + ", this varpd reads " + std::to_string(version);
    uint64_t mlen = get_le(data + 12, 4);
    if (mlen != len - header_len)
        return "truncated or padded: header says " + std::to_string(mlen) +
               " bytes of message, the file has " + std::to_string(len - header_len);
    if (mlen % sizeof(capnp::word) != 0 || mlen == 0)
        return "message length " + std::to_string(mlen) + " is not a whole number of words";
    if (get_le(data + 16, 8) != fnv1a64(data + header_len, mlen))
        return "checksum mismatch (the file is corrupted)";
    try {
        kj::Array<capnp::word> words = kj::heapArray<capnp::word>(mlen / sizeof(capnp::word));
        std::memcpy(words.begin(), data + header_len, mlen);
        capnp::ReaderOptions opts;
        opts.traversalLimitInWords = max_file / sizeof(capnp::word);
        opts.nestingLimit = 16;
        capnp::FlatArrayMessageReader reader(words, opts);
        auto r = reader.getRoot<persist::Instance>();
        out->id = r.getId();
        out->linkid = r.getLinkid();
        out->plugin = r.getPlugin();
        out->mode = r.getMode();
        auto st = r.getState();
        out->state.assign(st.begin(), st.end());
    } catch (const kj::Exception& e) {
        return std::string("message does not decode: ") + e.getDescription().cStr();
    }
    if (out->mode != 1 && out->mode != 2)
        return "unknown destination mode " + std::to_string(out->mode);
    if (out->plugin.empty())
        return "no backend name";
    return "";
}

std::string PersistStore::path_of(uint64_t id) const {
    return dir_ + "/instance-" + std::to_string(id) + ".varpd";
}

std::string PersistStore::save(const InstanceRecord& r) const {
    auto bytes = encode_record(r);
    ov_error_t err;
    if (ov_rename_write(path_of(r.id).c_str(), bytes.data(), bytes.size(), 0600, &err) != 0)
        return err.reason;
    return "";
}

std::string PersistStore::remove(uint64_t id) const {
    std::string p = path_of(id);
    if (unlink(p.c_str()) != 0 && errno != ENOENT)
        return "unlink " + p + ": " + std::strerror(errno);
    return "";
}

void PersistStore::load_all(std::vector<InstanceRecord>& good, std::vector<BadFile>& bad) const {
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<fs::path> files;
    for (auto& e : fs::directory_iterator(dir_, ec)) {
        std::string n = e.path().filename().string();
        if (n.rfind("instance-", 0) == 0 && e.path().extension() == ".varpd")
            files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (auto& p : files) {
        ov_rename_cleanup(p.c_str(), nullptr); /* temporaries of a killed writer */
        std::string reason;
        InstanceRecord r;
        std::error_code sec;
        auto size = fs::file_size(p, sec);
        if (sec) {
            reason = "cannot stat: " + sec.message();
        } else if (size > max_file) {
            reason = "too large (" + std::to_string(size) + " bytes)";
        } else {
            std::ifstream in(p, std::ios::binary);
            std::vector<uint8_t> data{std::istreambuf_iterator<char>(in), {}};
            if (!in.good() && !in.eof())
                reason = "cannot read";
            else
                reason = decode_record(data.data(), data.size(), &r);
            if (reason.empty()) {
                std::string n = p.filename().string();
                if (n != "instance-" + std::to_string(r.id) + ".varpd")
                    reason = "holds instance " + std::to_string(r.id) + ", not the one its name says";
            }
        }
        if (reason.empty()) {
            good.push_back(std::move(r));
            continue;
        }
        BadFile b{p.string(), reason, p.string() + ".bad"};
        fs::rename(p, b.moved_to, sec);
        if (sec)
            b.moved_to.clear();
        bad.push_back(std::move(b));
    }
}

} // namespace varpd
