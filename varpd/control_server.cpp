// The control API server: see control_server.h and control.capnp.
#include "control_server.h"

#include "control.capnp.h"
#include "daemon.h"
#include "text.h"

#include <unistd.h>

namespace varpd {

namespace {

[[noreturn]] void fail(const Status& s) {
    kj::throwFatalException(kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__,
                                          kj::str(s.why.c_str())));
}

void check(const Status& s) {
    if (!s.ok())
        fail(s);
}

void fill(control::Stats::Builder b, const StatsSnapshot& s) {
    b.setLookups(s.lookups);
    b.setHits(s.hits);
    b.setMisses(s.misses);
    b.setDrops(s.drops);
    b.setProxyArp(s.proxy_arp);
    b.setProxyNdp(s.proxy_ndp);
    b.setProxyDhcp(s.proxy_dhcp);
    b.setErrors(s.errors);
    b.setOutstanding(s.outstanding);
    b.setLatencyAvgUs(s.lat_avg_us);
    b.setLatencyP99Us(s.lat_p99_us);
    b.setLatencyMaxUs(s.lat_max_us);
}

void fill(control::CacheEntry::Builder b, const CacheEntry& e) {
    b.setMac(mac_to_text(e.mac));
    b.setDrop(e.drop);
    b.setIp(e.drop ? "" : ip_to_text(e.dest.ip));
    b.setPort(e.dest.port);
}

void fill(capnp::List<control::PropInfo>::Builder l, const std::vector<PropDesc>& v) {
    for (unsigned i = 0; i < v.size(); i++) {
        l[i].setName(v[i].name);
        l[i].setType(v[i].type);
        l[i].setReadable(v[i].readable);
        l[i].setWritable(v[i].writable);
        l[i].setRequired(v[i].required);
        l[i].setValue(v[i].value);
        l[i].setDefault(v[i].def);
        l[i].setMin(v[i].min);
        l[i].setMax(v[i].max);
        l[i].setPossible(v[i].possible);
    }
}

/* The whole text: kj's conversion to std::string stops at a NUL inside it. */
std::string whole(capnp::Text::Reader t) {
    return std::string(t.begin(), t.size());
}

Mac parse_mac(capnp::Text::Reader t) {
    Mac m;
    std::string why;
    if (!mac_from_text(whole(t), m, &why))
        fail(Status::fail(EINVAL, why));
    return m;
}

varpd_mapping_t parse_mapping(control::Mapping::Reader r) {
    MappingText t{whole(r.getMac()), whole(r.getIp()),        r.getPort(), whole(r.getArp()),
                  whole(r.getNdp()), whole(r.getDhcpProxy()), r.getTtl()};
    varpd_mapping_t m;
    std::string why;
    if (!mapping_from_text(t, m, &why))
        fail(Status::fail(EINVAL, why));
    return m;
}

void fill(control::Mapping::Builder b, const varpd_mapping_t& m) {
    MappingText t = mapping_to_text(m);
    b.setMac(t.mac);
    b.setIp(t.ip);
    b.setPort(static_cast<uint16_t>(t.port));
    b.setArp(t.arp);
    b.setNdp(t.ndp);
    b.setDhcpProxy(t.dhcp_proxy);
    b.setTtl(static_cast<uint32_t>(t.ttl));
}

/*
 * A promise fulfilled when the daemon reports through the MapDone it is
 * given (on the loop, maybe before this returns), rejected with the
 * Status's reason. The caller fills its results in a .then(): when the
 * call is cancelled (the client went away) that never runs.
 */
kj::Promise<void> when_done(const std::function<void(Daemon::MapDone)>& start) {
    auto paf = kj::newPromiseAndFulfiller<void>();
    auto ful = std::make_shared<kj::Own<kj::PromiseFulfiller<void>>>(kj::mv(paf.fulfiller));
    start([ful](Status s) {
        if (!(*ful)->isWaiting())
            return;
        if (s.ok())
            (*ful)->fulfill();
        else
            (*ful)->reject(kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__,
                                         kj::str(s.why.c_str())));
    });
    return kj::mv(paf.promise);
}

/* One bulk transaction; dropping the capability before commit aborts it. */
class ImportImpl final : public control::Import::Server {
  public:
    ImportImpl(Daemon& d, std::shared_ptr<MapTxn> txn) : d_(d), txn_(std::move(txn)) {}

    kj::Promise<void> put(PutContext ctx) override {
        auto l = ctx.getParams().getMappings();
        std::vector<varpd_mapping_t> batch;
        batch.reserve(l.size());
        for (auto m : l)
            batch.push_back(parse_mapping(m));
        return when_done([&](Daemon::MapDone done) { d_.txn_put(*txn_, std::move(batch), done); });
    }

    kj::Promise<void> remove(RemoveContext ctx) override {
        std::vector<Mac> macs;
        for (auto m : ctx.getParams().getMacs())
            macs.push_back(parse_mac(m));
        return when_done([&](Daemon::MapDone done) { d_.txn_remove(*txn_, std::move(macs), done); });
    }

    kj::Promise<void> commit(CommitContext ctx) override {
        auto count = std::make_shared<uint64_t>(0);
        return when_done([&](Daemon::MapDone done) { d_.txn_commit(*txn_, count, done); })
            .then([ctx, count]() mutable { ctx.getResults().setCount(*count); });
    }

  private:
    Daemon& d_;
    std::shared_ptr<MapTxn> txn_; /* its destructor aborts an uncommitted one */
};

class ControlImpl final : public control::Varpd::Server {
  public:
    explicit ControlImpl(Daemon& d) : d_(d) {}

    kj::Promise<void> createInstance(CreateInstanceContext ctx) override {
        auto p = ctx.getParams();
        std::vector<std::pair<std::string, std::string>> props;
        for (auto pr : p.getProps())
            props.emplace_back(pr.getName().cStr(), pr.getValue().cStr());
        uint64_t id = 0;
        check(d_.create_instance(p.getLinkid(), p.getPlugin().cStr(), props, id));
        ctx.getResults().setId(id);
        return kj::READY_NOW;
    }

    kj::Promise<void> destroyInstance(DestroyInstanceContext ctx) override {
        check(d_.destroy_instance(ctx.getParams().getId()));
        return kj::READY_NOW;
    }

    kj::Promise<void> listInstances(ListInstancesContext ctx) override {
        auto v = d_.instances();
        auto l = ctx.getResults().initInstances(static_cast<unsigned>(v.size()));
        for (unsigned i = 0; i < v.size(); i++) {
            l[i].setId(v[i].id);
            l[i].setLinkid(v[i].linkid);
            l[i].setPlugin(v[i].plugin);
            l[i].setMode(v[i].mode == Mode::point ? "point" : "dynamic");
            fill(l[i].initStats(), v[i].stats);
        }
        return kj::READY_NOW;
    }

    kj::Promise<void> listPlugins(ListPluginsContext ctx) override {
        auto& b = d_.plugins().backends();
        auto l = ctx.getResults().initPlugins(static_cast<unsigned>(b.size()));
        for (unsigned i = 0; i < b.size(); i++) {
            l[i].setName(b[i].name);
            l[i].setMode(b[i].mode == VARPD_MODE_POINT ? "point" : "dynamic");
            l[i].setBlocking(b[i].blocking());
            l[i].setFile(b[i].file);
            l[i].setAbi(b[i].abi);
            l[i].setWritable(b[i].writable());
        }
        auto& r = d_.plugins().refused();
        auto rl = ctx.getResults().initRefused(static_cast<unsigned>(r.size()));
        for (unsigned i = 0; i < r.size(); i++) {
            rl[i].setFile(r[i].file);
            rl[i].setReason(r[i].reason);
        }
        return kj::READY_NOW;
    }

    kj::Promise<void> getProp(GetPropContext ctx) override {
        std::string v;
        check(d_.get_prop(ctx.getParams().getId(), ctx.getParams().getName().cStr(), v));
        ctx.getResults().setValue(v);
        return kj::READY_NOW;
    }

    kj::Promise<void> setProp(SetPropContext ctx) override {
        auto p = ctx.getParams();
        check(d_.set_prop(p.getId(), p.getName().cStr(), p.getValue().cStr()));
        return kj::READY_NOW;
    }

    kj::Promise<void> propInfo(PropInfoContext ctx) override {
        std::vector<PropDesc> v;
        check(d_.prop_info(ctx.getParams().getId(), v));
        fill(ctx.getResults().initProps(static_cast<unsigned>(v.size())), v);
        return kj::READY_NOW;
    }

    kj::Promise<void> pluginPropInfo(PluginPropInfoContext ctx) override {
        std::vector<PropDesc> v;
        check(d_.plugin_prop_info(ctx.getParams().getPlugin().cStr(), v));
        fill(ctx.getResults().initProps(static_cast<unsigned>(v.size())), v);
        return kj::READY_NOW;
    }

    kj::Promise<void> cacheGet(CacheGetContext ctx) override {
        CacheEntry e;
        check(d_.channel().cache_get(ctx.getParams().getLinkid(),
                                     parse_mac(ctx.getParams().getMac()), e));
        fill(ctx.getResults().initEntry(), e);
        return kj::READY_NOW;
    }

    kj::Promise<void> cacheSet(CacheSetContext ctx) override {
        auto in = ctx.getParams().getEntry();
        CacheEntry e;
        e.mac = parse_mac(in.getMac());
        e.drop = in.getDrop();
        if (!e.drop && !ip_from_text(in.getIp().cStr(), e.dest.ip))
            fail(Status::fail(EINVAL, std::string("bad IP address \"") + in.getIp().cStr() + "\""));
        e.dest.port = in.getPort();
        check(d_.channel().cache_set(ctx.getParams().getLinkid(), e));
        return kj::READY_NOW;
    }

    kj::Promise<void> cacheRemove(CacheRemoveContext ctx) override {
        check(d_.channel().cache_remove(ctx.getParams().getLinkid(),
                                        parse_mac(ctx.getParams().getMac())));
        return kj::READY_NOW;
    }

    kj::Promise<void> cacheFlush(CacheFlushContext ctx) override {
        check(d_.channel().cache_flush(ctx.getParams().getLinkid()));
        return kj::READY_NOW;
    }

    kj::Promise<void> cacheIter(CacheIterContext ctx) override {
        std::vector<CacheEntry> v;
        check(d_.channel().cache_iter(ctx.getParams().getLinkid(), v));
        auto l = ctx.getResults().initEntries(static_cast<unsigned>(v.size()));
        for (unsigned i = 0; i < v.size(); i++)
            fill(l[i], v[i]);
        return kj::READY_NOW;
    }

    kj::Promise<void> status(StatusContext ctx) override {
        auto r = ctx.getResults();
        r.setPid(static_cast<uint32_t>(getpid()));
        r.setUptimeSec(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                                 std::chrono::steady_clock::now() - d_.started_at())
                                                 .count()));
        r.setStateDir(d_.config().state_dir);
        r.setPluginDir(d_.config().plugin_dir);
        r.setChannel(d_.channel().name());
        r.setInstances(static_cast<uint32_t>(d_.instances().size()));
        r.setPlugins(static_cast<uint32_t>(d_.plugins().backends().size()));
        auto deg = d_.degraded();
        auto dl = r.initDegraded(static_cast<unsigned>(deg.size()));
        unsigned i = 0;
        for (auto& [link, msg] : deg) {
            dl[i].setLinkid(link);
            dl[i].setMessage(msg);
            i++;
        }
        auto& bad = d_.set_aside();
        auto bl = r.initSetAside(static_cast<unsigned>(bad.size()));
        for (i = 0; i < bad.size(); i++) {
            bl[i].setFile(bad[i].path);
            bl[i].setReason(bad[i].reason);
        }
        return kj::READY_NOW;
    }

    kj::Promise<void> stats(StatsContext ctx) override {
        StatsSnapshot s;
        check(d_.stats(ctx.getParams().getId(), s));
        fill(ctx.getResults().initStats(), s);
        return kj::READY_NOW;
    }

    kj::Promise<void> addMapping(AddMappingContext ctx) override {
        auto p = ctx.getParams();
        varpd_mapping_t m = parse_mapping(p.getMapping());
        uint32_t link = p.getLinkid();
        return when_done([&](Daemon::MapDone done) { d_.map_add(link, m, done); });
    }

    kj::Promise<void> removeMapping(RemoveMappingContext ctx) override {
        Mac mac = parse_mac(ctx.getParams().getMac());
        uint32_t link = ctx.getParams().getLinkid();
        return when_done([&](Daemon::MapDone done) { d_.map_remove(link, mac, done); });
    }

    kj::Promise<void> getMapping(GetMappingContext ctx) override {
        Mac mac = parse_mac(ctx.getParams().getMac());
        uint32_t link = ctx.getParams().getLinkid();
        auto out = std::make_shared<varpd_mapping_t>();
        return when_done([&](Daemon::MapDone done) { d_.map_get(link, mac, out, done); })
            .then([ctx, out]() mutable { fill(ctx.getResults().initMapping(), *out); });
    }

    kj::Promise<void> listMappings(ListMappingsContext ctx) override {
        auto p = ctx.getParams();
        std::optional<Mac> after;
        if (p.getAfter().size() != 0)
            after = parse_mac(p.getAfter());
        size_t limit = p.getLimit() == 0 ? 10000 : p.getLimit();
        uint32_t link = p.getLinkid();
        auto out = std::make_shared<std::vector<varpd_mapping_t>>();
        return when_done([&](Daemon::MapDone done) { d_.map_list(link, after, limit, out, done); })
            .then([ctx, out]() mutable {
                auto l = ctx.getResults().initMappings(static_cast<unsigned>(out->size()));
                for (unsigned i = 0; i < out->size(); i++)
                    fill(l[i], (*out)[i]);
            });
    }

    kj::Promise<void> begin(BeginContext ctx) override {
        uint32_t link = ctx.getParams().getLinkid();
        auto holder = std::make_shared<std::shared_ptr<MapTxn>>();
        return when_done([&](Daemon::MapDone done) { d_.map_begin(link, holder, done); })
            .then([this, ctx, holder]() mutable {
                ctx.getResults().setImport(kj::heap<ImportImpl>(d_, *holder));
            });
    }

  private:
    Daemon& d_;
};

} // namespace

capnp::Capability::Client make_control(Daemon& d) {
    return control::Varpd::Client(kj::heap<ControlImpl>(d));
}

} // namespace varpd
