/*
 * Persistence of instances: one file per instance in the state directory,
 * "instance-<id>.varpd", holding
 *
 *	offset 0  8 bytes  magic "VARPDINS"
 *	       8  4 bytes  version (1), little endian
 *	      12  4 bytes  length of the message in bytes (a multiple of 8)
 *	      16  8 bytes  FNV-1a 64 checksum of the message
 *	      24  length   a Cap'n Proto flat message, struct Instance
 *	                   (persist.capnp)
 *
 * written with ov_rename_write (atomic and durable). load_all() reads every
 * such file; a file that is short, has a wrong magic, version, length or
 * checksum, or a message that does not decode is reported with the reason
 * and renamed to "<name>.bad" so it is kept for a person to look at and is
 * not read again. Nothing read from disk is trusted: the reader uses
 * bounded traversal limits and catches every decode error.
 *
 * Locking: none; the loop thread owns the store.
 */
#ifndef VARPD_PERSIST_H
#define VARPD_PERSIST_H

#include <cstdint>
#include <string>
#include <vector>

namespace varpd {

struct InstanceRecord {
    uint64_t id = 0;
    uint32_t linkid = 0;
    std::string plugin;
    uint32_t mode = 0;
    std::vector<uint8_t> state;
};

struct BadFile {
    std::string path;   /* where it was */
    std::string reason; /* why it was set aside */
    std::string moved_to;
};

std::vector<uint8_t> encode_record(const InstanceRecord& r);
/* "" and *out filled, or the reason the bytes are refused. */
std::string decode_record(const uint8_t* data, size_t len, InstanceRecord* out);

class PersistStore {
  public:
    explicit PersistStore(std::string dir) : dir_(std::move(dir)) {}
    std::string path_of(uint64_t id) const;
    /* "" or the reason the write failed. */
    std::string save(const InstanceRecord& r) const;
    std::string remove(uint64_t id) const;
    void load_all(std::vector<InstanceRecord>& good, std::vector<BadFile>& bad) const;

  private:
    std::string dir_;
};

} // namespace varpd

#endif
