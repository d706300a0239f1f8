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
            v.push_back({p.getName(), p.getMode(), p.getBlocking(), p.getFile(), p.getAbi(),
                         p.getWritable()});
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

namespace {

/* The whole string: kj::StringPtr(std::string) would stop at a NUL inside it. */
capnp::Text::Reader whole(const std::string& s) {
    return kj::StringPtr(s.data(), s.size());
}

void to_capnp(control::Mapping::Builder b, const client::Mapping& m) {
    b.setMac(whole(m.mac));
    b.setIp(whole(m.ip));
    if (m.port > 65535)
        throw ClientError("port " + std::to_string(m.port) + " is outside 0-65535");
    b.setPort(static_cast<uint16_t>(m.port));
    b.setArp(whole(m.arp));
    b.setNdp(whole(m.ndp));
    b.setDhcpProxy(whole(m.dhcp_proxy));
    if (m.ttl > UINT32_MAX)
        throw ClientError("ttl " + std::to_string(m.ttl) + " is more than 4294967295 seconds");
    b.setTtl(static_cast<uint32_t>(m.ttl));
}

client::Mapping of_capnp(control::Mapping::Reader r) {
    return client::Mapping{r.getMac(), r.getIp(), r.getPort(), r.getArp(), r.getNdp(),
                           r.getDhcpProxy(), r.getTtl()};
}

} // namespace

void Client::add_mapping(uint32_t linkid, const client::Mapping& m) {
    guarded([&] {
        auto req = impl_->cap.addMappingRequest();
        req.setLinkid(linkid);
        to_capnp(req.initMapping(), m);
        req.send().wait(impl_->ws());
        return 0;
    });
}

void Client::remove_mapping(uint32_t linkid, const std::string& mac) {
    guarded([&] {
        auto req = impl_->cap.removeMappingRequest();
        req.setLinkid(linkid);
        req.setMac(mac);
        req.send().wait(impl_->ws());
        return 0;
    });
}

client::Mapping Client::get_mapping(uint32_t linkid, const std::string& mac) {
    return guarded([&] {
        auto req = impl_->cap.getMappingRequest();
        req.setLinkid(linkid);
        req.setMac(mac);
        return of_capnp(req.send().wait(impl_->ws()).getMapping());
    });
}

std::vector<client::Mapping> Client::list_mappings(uint32_t linkid, const std::string& after,
                                                   uint32_t limit) {
    return guarded([&] {
        auto req = impl_->cap.listMappingsRequest();
        req.setLinkid(linkid);
        req.setAfter(after);
        req.setLimit(limit);
        auto r = req.send().wait(impl_->ws());
        std::vector<client::Mapping> v;
        v.reserve(r.getMappings().size());
        for (auto m : r.getMappings())
            v.push_back(of_capnp(m));
        return v;
    });
}

struct Client::Import::State {
    Impl& impl;
    control::Import::Client cap;
    bool spent = false;
};

Client::Import::Import(std::unique_ptr<State> s) : s_(std::move(s)) {}

Client::Import::~Import() {
    if (!s_)
        return;
    /* Dropping the capability is the abort; let the release reach varpd now. */
    kj::WaitScope& ws = s_->impl.ws();
    s_.reset();
    try {
        ws.poll();
    } catch (...) {
    }
}

void Client::Import::put(const std::vector<client::Mapping>& batch) {
    guarded([&] {
        if (s_->spent)
            throw ClientError("the import is already committed");
        auto req = s_->cap.putRequest();
        auto l = req.initMappings(static_cast<unsigned>(batch.size()));
        for (unsigned i = 0; i < batch.size(); i++)
            to_capnp(l[i], batch[i]);
        req.send().wait(s_->impl.ws());
        return 0;
    });
}

void Client::Import::remove(const std::vector<std::string>& macs) {
    guarded([&] {
        if (s_->spent)
            throw ClientError("the import is already committed");
        auto req = s_->cap.removeRequest();
        auto l = req.initMacs(static_cast<unsigned>(macs.size()));
        for (unsigned i = 0; i < macs.size(); i++)
            l.set(i, macs[i]);
        req.send().wait(s_->impl.ws());
        return 0;
    });
}

uint64_t Client::Import::commit() {
    return guarded([&] {
        if (s_->spent)
            throw ClientError("the import is already committed");
        s_->spent = true;
        return s_->cap.commitRequest().send().wait(s_->impl.ws()).getCount();
    });
}

std::unique_ptr<Client::Import> Client::begin_import(uint32_t linkid) {
    return guarded([&] {
        auto req = impl_->cap.beginRequest();
        req.setLinkid(linkid);
        auto r = req.send().wait(impl_->ws());
        auto st = std::unique_ptr<Import::State>(new Import::State{*impl_, r.getImport()});
        return std::unique_ptr<Import>(new Import(std::move(st)));
    });
}

} // namespace varpd
