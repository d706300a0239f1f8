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

Mac parse_mac(capnp::Text::Reader t) {
    Mac m;
    std::string why;
    if (!mac_from_text(t.cStr(), m, &why))
        fail(Status::fail(EINVAL, why));
    return m;
}

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

  private:
    Daemon& d_;
};

} // namespace

capnp::Capability::Client make_control(Daemon& d) {
    return control::Varpd::Client(kj::heap<ControlImpl>(d));
}

} // namespace varpd
