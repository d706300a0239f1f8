/*
 * The control API's server side: control.capnp's Varpd interface over a
 * Daemon. Every method runs on the daemon's event loop thread; a failed
 * Status becomes an RPC exception carrying its reason.
 */
#ifndef VARPD_CONTROL_SERVER_H
#define VARPD_CONTROL_SERVER_H

#include <capnp/capability.h>

namespace varpd {
class Daemon;
capnp::Capability::Client make_control(Daemon& d);
} // namespace varpd

#endif
