/*
 * varpd::Client: a small synchronous client of varpd's control API
 * (control.capnp), for overlayadm and the tests.
 *
 * Each call sends one RPC over the Unix socket and waits for its answer on
 * the calling thread's KJ event loop (created by the client; one Client per
 * thread). A failure, local (cannot connect) or remote (varpd refused), is a
 * ClientError whose what() is varpd's one-sentence reason without Cap'n
 * Proto's decorations.
 *
 * Mappings (writable backends: sqlite, etcd), by overlay link id. Values
 * are text as in control.capnp (client::Mapping is varpd::MappingText,
 * mapping.h; text.h's mapping_from_text() checks one the way varpd will):
 *
 *	cl.add_mapping(link, {"02:00:00:00:00:0a", "192.0.2.1", 4789});
 *	auto m = cl.get_mapping(link, "02:00:00:00:00:0a");
 *	for (std::string after;;) {            // every mapping, 10000 a page
 *	    auto page = cl.list_mappings(link, after, 10000);
 *	    if (page.empty()) break;
 *	    ...; after = page.back().mac;
 *	}
 *	auto imp = cl.begin_import(link);      // one backend transaction
 *	imp->put(batch); imp->remove(macs); ...
 *	uint64_t n = imp->commit();            // visible now, all together
 *
 * An Import destroyed (or whose Client goes away) before commit() is
 * aborted by varpd: nothing of it becomes visible. It must not outlive its
 * Client. Failures are ClientErrors naming the bad field or value ("bad MAC
 * \"zz\": ...", "arp \"1.2.3\" is not an IPv4 address"), the missing
 * instance ("link 7 has no varpd instance"), a backend that takes no
 * changes, or the backend's own sentence.
 */
#ifndef VARPD_CLIENT_H
#define VARPD_CLIENT_H

#include "mapping.h"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace varpd {

class ClientError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

namespace client {

struct Stats {
    uint64_t lookups = 0, hits = 0, misses = 0, drops = 0, proxy_arp = 0, proxy_ndp = 0,
             proxy_dhcp = 0, errors = 0, outstanding = 0;
    double latency_avg_us = 0, latency_p99_us = 0, latency_max_us = 0;
};
struct Instance {
    uint64_t id;
    uint32_t linkid;
    std::string plugin, mode;
    Stats stats;
};
struct Plugin {
    std::string name, mode;
    bool blocking;
    std::string file;
    uint32_t abi = 0;      /* plugin ABI version, 1 or 2 */
    bool writable = false; /* has map operations (it may still refuse changes) */
};
struct Refused {
    std::string file, reason;
};
struct PropInfo {
    std::string name, type;
    bool readable, writable, required;
    std::string value, def;
    uint64_t min, max;
    std::string possible;
};
struct CacheEntry {
    std::string mac;
    bool drop = false;
    std::string ip;
    uint16_t port = 0;
};
using Mapping = MappingText;
struct Status {
    uint32_t pid;
    uint64_t uptime_sec;
    std::string state_dir, plugin_dir, channel;
    uint32_t instances, plugins;
    std::vector<std::pair<uint32_t, std::string>> degraded;
    std::vector<Refused> set_aside;
};

} // namespace client

class Client {
  public:
    /* Connects to the control socket; throws ClientError. */
    explicit Client(const std::string& socket_path);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    uint64_t create_instance(uint32_t linkid, const std::string& plugin,
                             const std::vector<std::pair<std::string, std::string>>& props = {});
    void destroy_instance(uint64_t id);
    std::vector<client::Instance> list_instances();
    std::vector<client::Plugin> list_plugins(std::vector<client::Refused>* refused = nullptr);
    std::string get_prop(uint64_t id, const std::string& name);
    void set_prop(uint64_t id, const std::string& name, const std::string& value);
    std::vector<client::PropInfo> prop_info(uint64_t id);
    /* A backend's properties without an instance (values empty). */
    std::vector<client::PropInfo> plugin_prop_info(const std::string& plugin);
    client::CacheEntry cache_get(uint32_t linkid, const std::string& mac);
    void cache_set(uint32_t linkid, const client::CacheEntry& e);
    void cache_remove(uint32_t linkid, const std::string& mac);
    void cache_flush(uint32_t linkid);
    std::vector<client::CacheEntry> cache_iter(uint32_t linkid);
    client::Status status();
    client::Stats stats(uint64_t id = 0);

    /* Mappings of the instance on linkid: each change its own transaction. */
    void add_mapping(uint32_t linkid, const client::Mapping& m);
    void remove_mapping(uint32_t linkid, const std::string& mac);
    client::Mapping get_mapping(uint32_t linkid, const std::string& mac);
    /* In MAC order, strictly after `after` ("" from the first), at most limit (<= 100000). */
    std::vector<client::Mapping> list_mappings(uint32_t linkid, const std::string& after = "",
                                               uint32_t limit = 10000);

    /* A bulk change: one backend transaction, committed or aborted whole. */
    class Import {
      public:
        ~Import(); /* not committed: aborted */
        Import(const Import&) = delete;
        Import& operator=(const Import&) = delete;
        void put(const std::vector<client::Mapping>& batch);
        void remove(const std::vector<std::string>& macs);
        uint64_t commit(); /* mappings put or removed; the Import is spent after */

      private:
        friend class Client;
        struct State;
        explicit Import(std::unique_ptr<State> s);
        std::unique_ptr<State> s_;
    };
    std::unique_ptr<Import> begin_import(uint32_t linkid);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace varpd

#endif
