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
    const varpd_plugin_ops_t* ops;
    std::string file;
    bool blocking() const { return ops->vpo_flags & VARPD_PLUGIN_F_BLOCKING; }
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
