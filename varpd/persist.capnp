# varpd's persistent state: one file per instance, this message behind a
# header (magic "VARPDINS", version, length, FNV-1a 64 checksum) written by
# persist.cpp with libtools' atomic rename. Add fields at the end only.
@0x9158579d874064ca;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("varpd::persist");

struct Instance {
  id @0 :UInt64;        # varpd's instance id
  linkid @1 :UInt32;    # the overlay device (kernel link id)
  plugin @2 :Text;      # backend name
  mode @3 :UInt32;      # 1 point, 2 dynamic (varpd_mode_t)
  state @4 :Data;       # what the backend's vpo_save wrote
}
