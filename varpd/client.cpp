// varpd::Client: see client.h.
#include "client.h"

#include "control.capnp.h"

#include <capnp/ez-rpc.h>

namespace varpd {

struct Client::Impl {
    capnp::EzRpcClient rpc;
    control::Varpd::Client cap;
    explicit Impl(const std::string& path)
        : rpc("unix:" + path), cap(rpc.getMain<control::Varpd>()) {}
    kj::WaitScope& ws() { return rpc.getWaitScope(); }
};

namespace {

/* Run one call; turn KJ's exception into a ClientError with varpd's reason. */
template <typename F> auto guarded(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const kj::Exception& e) {
        std::string d = e.getDescription().cStr();
        const std::string prefix = "remote exception: ";
        if (d.rfind(prefix, 0) == 0)
            d = d.substr(prefix.size());
        throw ClientError(d);
    }
}

client::Stats stats_of(control::Stats::Reader r) {
    client::Stats s;
    s.lookups = r.getLookups();
    s.hits = r.getHits();
    s.misses = r.getMisses();
    s.drops = r.getDrops();
    s.proxy_arp = r.getProxyArp();
    s.proxy_ndp = r.getProxyNdp();
    s.proxy_dhcp = r.getProxyDhcp();
    s.errors = r.getErrors();
    s.outstanding = r.getOutstanding();
    s.latency_avg_us = r.getLatencyAvgUs();
    s.latency_p99_us = r.getLatencyP99Us();
    s.latency_max_us = r.getLatencyMaxUs();
    return s;
}

client::CacheEntry entry_of(control::CacheEntry::Reader r) {
    return client::CacheEntry{r.getMac(), r.getDrop(), r.getIp(), r.getPort()};
}

} // namespace

Client::Client(const std::string& path) {
    guarded([&] {
        impl_ = std::make_unique<Impl>(path);
        return 0;
    });
}

Client::~Client() = default;

uint64_t Client::create_instance(uint32_t linkid, const std::string& plugin,
                                 const std::vector<std::pair<std::string, std::string>>& props) {
    return guarded([&] {
        auto req = impl_->cap.createInstanceRequest();
        req.setLinkid(linkid);
        req.setPlugin(plugin);
        auto l = req.initProps(static_cast<unsigned>(props.size()));
        for (unsigned i = 0; i < props.size(); i++) {
            l[i].setName(props[i].first);
            l[i].setValue(props[i].second);
        }
        return req.send().wait(impl_->ws()).getId();
    });
}

void Client::destroy_instance(uint64_t id) {
    guarded([&] {
        auto req = impl_->cap.destroyInstanceRequest();
        req.setId(id);
        req.send().wait(impl_->ws());
        return 0;
    });
}

std::vector<client::Instance> Client::list_instances() {
    return guarded([&] {
        auto r = impl_->cap.listInstancesRequest().send().wait(impl_->ws());
        std::vector<client::Instance> v;
        for (auto i : r.getInstances())
            v.push_back({i.getId(), i.getLinkid(), i.getPlugin(), i.getMode(),
                         stats_of(i.getStats())});
        return v;
    });
}

std::vector<client::Plugin> Client::list_plugins(std::vector<client::Refused>* refused) {
    return guarded([&] {
        auto r = impl_->cap.listPluginsRequest().send().wait(impl_->ws());
        std::vector<client::Plugin> v;
        for (auto p : r.getPlugins())
            v.push_back({p.getName(), p.getMode(), p.getBlocking(), p.getFile()});
        if (refused)
            for (auto x : r.getRefused())
                refused->push_back({x.getFile(), x.getReason()});
        return v;
    });
}

std::string Client::get_prop(uint64_t id, const std::string& name) {
    return guarded([&] {
        auto req = impl_->cap.getPropRequest();
        req.setId(id);
        req.setName(name);
        return std::string(req.send().wait(impl_->ws()).getValue());
    });
}

void Client::set_prop(uint64_t id, const std::string& name, const std::string& value) {
    guarded([&] {
        auto req = impl_->cap.setPropRequest();
        req.setId(id);
        req.setName(name);
        req.setValue(value);
        req.send().wait(impl_->ws());
        return 0;
    });
}

static std::vector<client::PropInfo> props_of(capnp::List<control::PropInfo>::Reader l) {
    std::vector<client::PropInfo> v;
    for (auto p : l)
        v.push_back({p.getName(), p.getType(), p.getReadable(), p.getWritable(), p.getRequired(),
                     p.getValue(), p.getDefault(), p.getMin(), p.getMax(), p.getPossible()});
    return v;
}

std::vector<client::PropInfo> Client::prop_info(uint64_t id) {
    return guarded([&] {
        auto req = impl_->cap.propInfoRequest();
        req.setId(id);
        return props_of(req.send().wait(impl_->ws()).getProps());
    });
}

std::vector<client::PropInfo> Client::plugin_prop_info(const std::string& plugin) {
    return guarded([&] {
        auto req = impl_->cap.pluginPropInfoRequest();
        req.setPlugin(plugin);
        return props_of(req.send().wait(impl_->ws()).getProps());
    });
}

client::CacheEntry Client::cache_get(uint32_t linkid, const std::string& mac) {
    return guarded([&] {
        auto req = impl_->cap.cacheGetRequest();
        req.setLinkid(linkid);
        req.setMac(mac);
        return entry_of(req.send().wait(impl_->ws()).getEntry());
    });
}

void Client::cache_set(uint32_t linkid, const client::CacheEntry& e) {
    guarded([&] {
        auto req = impl_->cap.cacheSetRequest();
        req.setLinkid(linkid);
        auto b = req.initEntry();
        b.setMac(e.mac);
        b.setDrop(e.drop);
        b.setIp(e.ip);
        b.setPort(e.port);
        req.send().wait(impl_->ws());
        return 0;
    });
}

void Client::cache_remove(uint32_t linkid, const std::string& mac) {
    guarded([&] {
        auto req = impl_->cap.cacheRemoveRequest();
        req.setLinkid(linkid);
        req.setMac(mac);
        req.send().wait(impl_->ws());
        return 0;
    });
}

void Client::cache_flush(uint32_t linkid) {
    guarded([&] {
        auto req = impl_->cap.cacheFlushRequest();
        req.setLinkid(linkid);
        req.send().wait(impl_->ws());
        return 0;
    });
}

std::vector<client::CacheEntry> Client::cache_iter(uint32_t linkid) {
    return guarded([&] {
        auto req = impl_->cap.cacheIterRequest();
        req.setLinkid(linkid);
        auto r = req.send().wait(impl_->ws());
        std::vector<client::CacheEntry> v;
        for (auto e : r.getEntries())
            v.push_back(entry_of(e));
        return v;
    });
}

client::Status Client::status() {
    return guarded([&] {
        auto r = impl_->cap.statusRequest().send().wait(impl_->ws());
        client::Status s{r.getPid(),        r.getUptimeSec(), r.getStateDir(), r.getPluginDir(),
                         r.getChannel(),    r.getInstances(), r.getPlugins(),  {},
                         {}};
        for (auto d : r.getDegraded())
            s.degraded.emplace_back(d.getLinkid(), d.getMessage());
        for (auto b : r.getSetAside())
            s.set_aside.push_back({b.getFile(), b.getReason()});
        return s;
    });
}

client::Stats Client::stats(uint64_t id) {
    return guarded([&] {
        auto req = impl_->cap.statsRequest();
        req.setId(id);
        return stats_of(req.send().wait(impl_->ws()).getStats());
    });
}

} // namespace varpd
