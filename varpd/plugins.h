/*
 * PluginSet: dlopen every plugin in a directory and keep the backends that
 * pass the ABI checks (see include/varpd/plugin.h for the rules).
 *
 * Theory: one bad plugin must not cost the host its other backends, so each
 * file is tried on its own: a dlopen failure, a missing register symbol, a
 * register function that fails, or a backend whose ops vector is refused is
 * logged with the file, the backend and the reason, and recorded in
 * refused(); loading goes on with the next file. Files are tried in name
 * order so the first of two backends with one name wins, reproducibly.
 * Handles are closed when the PluginSet is destroyed, which must be after
 * every instance of its backends is gone (main owns both, in that order).
 *
 * ABI versions: varpd speaks 1 and 2 (plugin.h, "Compatibility"). A version
 * 1 ops vector is shorter: it ends after vpo_dhcp, so nothing past
 * VARPD_PLUGIN_OPS_V1_SIZE is read. Each accepted vector is copied into a
 * full-size one owned by the Backend (a version 1 backend's map operations
 * NULL there); Backend::writable() says whether the map operations exist
 * at all (abi 2). A version 2 backend may still refuse every change
 * (-ENOTSUP, as direct and files do): writable() is "has the operations",
 * the backend's own answer is the last word.
 *
 * Locking: built once at start on the loop thread, then only read.
 */
#ifndef VARPD_PLUGINS_H
#define VARPD_PLUGINS_H

#include "log.h"

#include <varpd/plugin.h>

#include <memory>
#include <string>
#include <vector>

namespace varpd {

struct Backend {
    std::string name;
    varpd_mode_t mode;
    const varpd_plugin_ops_t* ops; /* == owned.get(): full size, whatever the ABI */
    std::string file;
    uint32_t abi = VARPD_PLUGIN_ABI_VERSION; /* the vector's vpo_version */
    std::shared_ptr<const varpd_plugin_ops_t> owned;
    bool blocking() const { return ops->vpo_flags & VARPD_PLUGIN_F_BLOCKING; }
    /* The map operations exist (ABI 2); the backend may still say -ENOTSUP. */
    bool writable() const { return abi >= 2; }
};

struct Refusal {
    std::string file;
    std::string reason;
};

class PluginSet {
  public:
    PluginSet(const Log& log) : log_(log) {}
    ~PluginSet();
    PluginSet(const PluginSet&) = delete;
    PluginSet& operator=(const PluginSet&) = delete;

    /* Load every *.so in dir; returns how many backends were accepted. */
    size_t load_dir(const std::string& dir);
    /* Load one file (also used by load_dir). */
    size_t load_file(const std::string& path);

    const Backend* find(const std::string& name) const;
    const std::vector<Backend>& backends() const { return backends_; }
    const std::vector<Refusal>& refused() const { return refused_; }

    /* The ops vector check, alone (unit tests). "" when acceptable. */
    static std::string check_ops(const char* name, varpd_mode_t mode,
                                 const varpd_plugin_ops_t* ops);

  private:
    struct Ctx;
    /* A full-size copy of an accepted vector (a version 1 one: its prefix only). */
    static std::shared_ptr<const varpd_plugin_ops_t> copy_ops(const varpd_plugin_ops_t* ops);
    static int register_cb(varpd_register_t* reg, const char* name, varpd_mode_t mode,
                           const varpd_plugin_ops_t* ops);
    void refuse(const std::string& file, const std::string& reason);

    const Log& log_;
    std::vector<void*> handles_;
    std::vector<Backend> backends_;
    std::vector<Refusal> refused_;
};

} // namespace varpd

#endif
