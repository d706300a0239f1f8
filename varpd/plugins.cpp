// PluginSet: see plugins.h.
#include "plugins.h"

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <filesystem>

namespace varpd {

struct PluginSet::Ctx {
    varpd_register_t reg; /* first: the plugin sees only this */
    PluginSet* set;
    std::string file;
    size_t accepted;
};

PluginSet::~PluginSet() {
    backends_.clear();
    for (auto it = handles_.rbegin(); it != handles_.rend(); ++it)
        dlclose(*it);
}

std::string PluginSet::check_ops(const char* name, varpd_mode_t mode,
                                 const varpd_plugin_ops_t* ops) {
    if (name == nullptr || name[0] == '\0')
        return "empty backend name";
    size_t len = strnlen(name, VARPD_NAMELEN);
    if (len >= VARPD_NAMELEN)
        return "backend name longer than " + std::to_string(VARPD_NAMELEN - 1) + " characters";
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
            return std::string("backend name \"") + name + "\" has a character other than "
                   "letters, digits, '-' and '_'";
    }
    if (mode != VARPD_MODE_POINT && mode != VARPD_MODE_DYNAMIC)
        return "unknown destination mode " + std::to_string(static_cast<int>(mode));
    if (ops == nullptr)
        return "no ops vector";
    if (ops->vpo_version < VARPD_PLUGIN_ABI_VERSION_MIN ||
        ops->vpo_version > VARPD_PLUGIN_ABI_VERSION)
        return "ABI version " + std::to_string(ops->vpo_version) + ", varpd speaks " +
               std::to_string(VARPD_PLUGIN_ABI_VERSION_MIN) + " and " +
               std::to_string(VARPD_PLUGIN_ABI_VERSION);
    if (ops->vpo_reserved != 0)
        return "vpo_reserved is not zero";
    if (ops->vpo_flags & ~VARPD_PLUGIN_F_ALL)
        return "unknown vpo_flags bits 0x" + [&] {
            char b[16];
            std::snprintf(b, sizeof(b), "%x", ops->vpo_flags & ~VARPD_PLUGIN_F_ALL);
            return std::string(b);
        }();
    /* Every operation, in vector order; a version 1 vector ends at vpo_dhcp. */
#define OV_OP(f) {#f, offsetof(varpd_plugin_ops_t, f)}
    static const struct {
        const char* field;
        size_t off;
    } fields[] = {
        OV_OP(vpo_create),    OV_OP(vpo_start),     OV_OP(vpo_stop),       OV_OP(vpo_destroy),
        OV_OP(vpo_default),   OV_OP(vpo_lookup),    OV_OP(vpo_nprops),     OV_OP(vpo_propinfo),
        OV_OP(vpo_getprop),   OV_OP(vpo_setprop),   OV_OP(vpo_save),       OV_OP(vpo_restore),
        OV_OP(vpo_arp),       OV_OP(vpo_ndp),       OV_OP(vpo_dhcp),       OV_OP(vpo_map_begin),
        OV_OP(vpo_map_put),   OV_OP(vpo_map_remove), OV_OP(vpo_map_commit), OV_OP(vpo_map_abort),
        OV_OP(vpo_map_get),   OV_OP(vpo_map_walk),
    };
#undef OV_OP
    size_t end = ops->vpo_version < 2 ? VARPD_PLUGIN_OPS_V1_SIZE : sizeof(varpd_plugin_ops_t);
    for (auto& f : fields) {
        if (f.off + sizeof(void (*)()) > end)
            break; /* never read past a shorter vector */
        void (*fn)() = nullptr;
        std::memcpy(&fn, reinterpret_cast<const char*>(ops) + f.off, sizeof(fn));
        if (fn == nullptr)
            return std::string("missing operation ") + f.field + " (NULL)";
    }
    return "";
}

std::shared_ptr<const varpd_plugin_ops_t> PluginSet::copy_ops(const varpd_plugin_ops_t* ops) {
    auto copy = std::make_shared<varpd_plugin_ops_t>();
    std::memset(copy.get(), 0, sizeof(*copy));
    std::memcpy(copy.get(), ops,
                ops->vpo_version < 2 ? VARPD_PLUGIN_OPS_V1_SIZE : sizeof(varpd_plugin_ops_t));
    return copy;
}

int PluginSet::register_cb(varpd_register_t* reg, const char* name, varpd_mode_t mode,
                           const varpd_plugin_ops_t* ops) {
    try {
        Ctx* ctx = reinterpret_cast<Ctx*>(reg);
        PluginSet* set = ctx->set;
        std::string label = name ? std::string(name, strnlen(name, 64)) : "(null)";
        std::string why = check_ops(name, mode, ops);
        if (!why.empty()) {
            set->refuse(ctx->file, "backend \"" + label + "\" refused: " + why);
            return -EINVAL;
        }
        if (set->find(name) != nullptr) {
            set->refuse(ctx->file, "backend \"" + label + "\" refused: the name is taken by " +
                                       set->find(name)->file);
            return -EEXIST;
        }
        auto owned = copy_ops(ops);
        set->backends_.push_back(
            Backend{name, mode, owned.get(), ctx->file, ops->vpo_version, owned});
        ctx->accepted++;
        set->log_.info("plugin " + ctx->file + ": backend \"" + label + "\" loaded (" +
                       (mode == VARPD_MODE_POINT ? "point" : "dynamic") + " mode, ABI " +
                       std::to_string(ops->vpo_version) +
                       (ops->vpo_flags & VARPD_PLUGIN_F_BLOCKING ? ", blocking" : "") + ")");
        return 0;
    } catch (...) { /* nothing unwinds into the plugin */
        return -ENOMEM;
    }
}

void PluginSet::refuse(const std::string& file, const std::string& reason) {
    log_.err("plugin " + file + ": " + reason);
    refused_.push_back(Refusal{file, reason});
}

size_t PluginSet::load_file(const std::string& path) {
    std::string file = std::filesystem::path(path).filename().string();
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
        const char* e = dlerror();
        refuse(file, std::string("dlopen failed: ") + (e ? e : "unknown error"));
        return 0;
    }
    auto* fn = reinterpret_cast<varpd_plugin_register_fn*>(dlsym(h, VARPD_PLUGIN_REGISTER_SYMBOL));
    if (fn == nullptr) {
        refuse(file, "no " VARPD_PLUGIN_REGISTER_SYMBOL " symbol: not a varpd plugin");
        dlclose(h);
        return 0;
    }
    static const varpd_register_ops_t ops = {.vrv_register = &PluginSet::register_cb};
    Ctx ctx{{VARPD_PLUGIN_ABI_VERSION, 0, &ops}, this, file, 0};
    int rc = fn(&ctx.reg);
    if (rc != 0 && ctx.accepted == 0 && (refused_.empty() || refused_.back().file != file))
        refuse(file, VARPD_PLUGIN_REGISTER_SYMBOL " failed: " + std::string(std::strerror(-rc)));
    if (ctx.accepted == 0) {
        if (rc == 0 && (refused_.empty() || refused_.back().file != file))
            refuse(file, "registered no backend");
        dlclose(h);
        return 0;
    }
    handles_.push_back(h);
    return ctx.accepted;
}

size_t PluginSet::load_dir(const std::string& dir) {
    std::error_code ec;
    std::vector<std::string> files;
    for (auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.path().extension() == ".so" && e.is_regular_file())
            files.push_back(e.path().string());
    if (ec) {
        log_.err("plugin directory " + dir + ": " + ec.message());
        return 0;
    }
    std::sort(files.begin(), files.end());
    size_t n = 0;
    for (auto& f : files)
        n += load_file(f);
    log_.info(std::to_string(n) + " backend(s) loaded from " + dir + ", " +
              std::to_string(refused_.size()) + " refused");
    return n;
}

const Backend* PluginSet::find(const std::string& name) const {
    for (auto& b : backends_)
        if (b.name == name)
            return &b;
    return nullptr;
}

} // namespace varpd
