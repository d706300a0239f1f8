# varpd's control API: Cap'n Proto RPC on a Unix socket (mode 0600, peer
# credentials checked: root or varpd's own uid). The bootstrap capability is
# a Varpd. Every failure is an exception whose description is one sentence
# naming the problem. Values cross as text: MACs "xx:xx:xx:xx:xx:xx", IPs in
# their usual text form, property values as their type reads them (uint in
# decimal, ip as an address, string as is).
@0xd6ebe769cbfac191;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("varpd::control");

struct Prop {
  name @0 :Text;
  value @1 :Text;
}

struct PropInfo {
  name @0 :Text;
  type @1 :Text;        # "uint", "ip", "string"
  readable @2 :Bool;
  writable @3 :Bool;
  required @4 :Bool;
  value @5 :Text;       # "" when unset and without default
  default @6 :Text;     # "" when none
  min @7 :UInt64;       # uint only
  max @8 :UInt64;
  possible @9 :Text;    # string only, comma-separated; "" any
}

struct Stats {
  lookups @0 :UInt64;   # requests taken from the kernel
  hits @1 :UInt64;      # answered with a destination
  misses @2 :UInt64;    # the backend knew no answer (dropped)
  drops @3 :UInt64;     # dropped by varpd: broadcast/multicast, malformed, no instance
  proxyArp @4 :UInt64;
  proxyNdp @5 :UInt64;
  proxyDhcp @6 :UInt64;
  errors @7 :UInt64;    # the kernel refused an answer
  outstanding @8 :UInt64;
  latencyAvgUs @9 :Float64;
  latencyP99Us @10 :Float64;  # from a log-scale histogram (within 10%)
  latencyMaxUs @11 :Float64;
}

struct InstanceInfo {
  id @0 :UInt64;
  linkid @1 :UInt32;
  plugin @2 :Text;
  mode @3 :Text;        # "point" or "dynamic"
  stats @4 :Stats;
}

struct PluginInfo {
  name @0 :Text;
  mode @1 :Text;
  blocking @2 :Bool;
  file @3 :Text;
  abi @4 :UInt32;       # the plugin ABI version of its ops vector (1 or 2)
  writable @5 :Bool;    # has map operations (ABI 2); it may still refuse changes
}

struct Refused {
  file @0 :Text;
  reason @1 :Text;
}

struct CacheEntry {
  mac @0 :Text;
  drop @1 :Bool;
  ip @2 :Text;
  port @3 :UInt16;
}

struct Degraded {
  linkid @0 :UInt32;
  message @1 :Text;
}

# One mapping of a writable backend (sqlite, etcd): where a MAC lives.
struct Mapping {
  mac @0 :Text;
  ip @1 :Text;          # underlay address
  port @2 :UInt16;      # 0: the encapsulation's default
  arp @3 :Text;         # "" none: the IPv4 address this MAC answers ARP for
  ndp @4 :Text;         # "" none: the IPv6 address it answers NDP for
  dhcpProxy @5 :Text;   # "" none: the MAC its DHCP requests are sent to
  ttl @6 :UInt32;       # seconds until it expires; 0 never (etcd: a lease)
}

# A bulk change in one backend transaction. Nothing is visible until
# commit(); dropping the capability without commit() aborts it.
interface Import {
  put @0 (mappings :List(Mapping));
  remove @1 (macs :List(Text));
  commit @2 () -> (count :UInt64);   # mappings put or removed
}

interface Varpd {
  createInstance @0 (linkid :UInt32, plugin :Text, props :List(Prop)) -> (id :UInt64);
  destroyInstance @1 (id :UInt64);
  listInstances @2 () -> (instances :List(InstanceInfo));
  listPlugins @3 () -> (plugins :List(PluginInfo), refused :List(Refused));
  getProp @4 (id :UInt64, name :Text) -> (value :Text);
  setProp @5 (id :UInt64, name :Text, value :Text);
  propInfo @6 (id :UInt64) -> (props :List(PropInfo));
  cacheGet @7 (linkid :UInt32, mac :Text) -> (entry :CacheEntry);
  cacheSet @8 (linkid :UInt32, entry :CacheEntry);
  cacheRemove @9 (linkid :UInt32, mac :Text);
  cacheFlush @10 (linkid :UInt32);
  cacheIter @11 (linkid :UInt32) -> (entries :List(CacheEntry));
  status @12 () -> (pid :UInt32, uptimeSec :UInt64, stateDir :Text, pluginDir :Text,
                    channel :Text, instances :UInt32, plugins :UInt32,
                    degraded :List(Degraded), setAside :List(Refused));
  stats @13 (id :UInt64) -> (stats :Stats);   # id 0: every instance together
  # A backend's properties without an instance (values empty): what
  # `overlayadm show-plugin` lists and create-overlay checks before creating.
  pluginPropInfo @14 (plugin :Text) -> (props :List(PropInfo));
  # Mappings of a writable backend, by overlay link. Each change is one
  # backend transaction; begin() opens a bulk one.
  addMapping @15 (linkid :UInt32, mapping :Mapping);
  removeMapping @16 (linkid :UInt32, mac :Text);
  getMapping @17 (linkid :UInt32, mac :Text) -> (mapping :Mapping);
  # In MAC order, strictly after `after` ("" from the first), at most limit.
  listMappings @18 (linkid :UInt32, after :Text, limit :UInt32) -> (mappings :List(Mapping));
  begin @19 (linkid :UInt32) -> (import :Import);
}
