/*
 * The persistent overlays: what `overlayadm up` re-creates. One JSON file,
 * <statedir>/overlays.json, replaced whole with libtools' atomic rename:
 *
 *   {"version": 1, "overlays": [{"name": "ov0", "encap": "vxlan",
 *     "search": "direct", "vnetid": 42,
 *     "props": [["vxlan/listen_ip", "192.0.2.1"], ["direct/dest_ip", ...]]}]}
 *
 * Properties are kept in the order given (a kernel property set after the
 * encapsulation, as on the command line). Writers hold <statedir>/overlays.lock
 * (flock) from load to save, so two overlayadm runs do not lose each other's
 * changes. A file that does not parse is an error naming the file and the
 * problem, never silently replaced.
 */
#ifndef OVERLAYADM_CONFIG_H
#define OVERLAYADM_CONFIG_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace overlayadm {

struct SavedOverlay {
    std::string name, encap, search;
    uint32_t vnetid = 0;
    std::vector<std::pair<std::string, std::string>> props;
};

class Config {
public:
    /* Locks the state directory (creating it, mode 0755) and loads the file. Throws. */
    explicit Config(const std::string& state_dir);
    ~Config();
    Config(const Config&) = delete;
    Config& operator=(const Config&) = delete;

    std::vector<SavedOverlay>& overlays() { return overlays_; }
    SavedOverlay* find(const std::string& name);
    void remove(const std::string& name);
    void save(); /* throws std::runtime_error naming the file */
    const std::string& path() const { return path_; }

private:
    std::string path_;
    int lock_fd_ = -1;
    std::vector<SavedOverlay> overlays_;
};

} // namespace overlayadm

#endif
