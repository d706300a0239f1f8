// The persistent overlays file: see config.h.
#include "config.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <libtools/rename.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace overlayadm {

namespace {

void mkdirs(const std::string& dir) {
    for (size_t i = 1; i <= dir.size(); i++) {
        if (i < dir.size() && dir[i] != '/')
            continue;
        std::string p = dir.substr(0, i);
        if (mkdir(p.c_str(), 0755) != 0 && errno != EEXIST)
            throw std::runtime_error("cannot create state directory " + p + ": " +
                                     std::strerror(errno));
    }
}

} // namespace

Config::Config(const std::string& state_dir) : path_(state_dir + "/overlays.json") {
    mkdirs(state_dir);
    std::string lock = state_dir + "/overlays.lock";
    lock_fd_ = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0 || flock(lock_fd_, LOCK_EX) != 0)
        throw std::runtime_error("cannot lock " + lock + ": " + std::strerror(errno));
    std::ifstream in(path_);
    if (!in)
        return; /* nothing saved yet */
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        auto j = nlohmann::json::parse(ss.str());
        if (j.at("version").get<int>() != 1)
            throw std::runtime_error("unknown version " + j.at("version").dump());
        for (auto& o : j.at("overlays")) {
            SavedOverlay s;
            s.name = o.at("name").get<std::string>();
            s.encap = o.at("encap").get<std::string>();
            s.search = o.at("search").get<std::string>();
            s.vnetid = o.at("vnetid").get<uint32_t>();
            for (auto& p : o.at("props"))
                s.props.emplace_back(p.at(0).get<std::string>(), p.at(1).get<std::string>());
            overlays_.push_back(std::move(s));
        }
    } catch (const std::exception& e) {
        close(lock_fd_);
        throw std::runtime_error(path_ + " is damaged: " + e.what() +
                                 " (fix or remove it; nothing was changed)");
    }
}

Config::~Config() {
    if (lock_fd_ >= 0)
        close(lock_fd_); /* releases the flock */
}

SavedOverlay* Config::find(const std::string& name) {
    for (auto& o : overlays_)
        if (o.name == name)
            return &o;
    return nullptr;
}

void Config::remove(const std::string& name) {
    std::erase_if(overlays_, [&](const SavedOverlay& o) { return o.name == name; });
}

void Config::save() {
    nlohmann::json j;
    j["version"] = 1;
    j["overlays"] = nlohmann::json::array();
    for (auto& o : overlays_) {
        nlohmann::json props = nlohmann::json::array();
        for (auto& [k, v] : o.props)
            props.push_back({k, v});
        j["overlays"].push_back({{"name", o.name},
                                 {"encap", o.encap},
                                 {"search", o.search},
                                 {"vnetid", o.vnetid},
                                 {"props", props}});
    }
    std::string text = j.dump(2) + "\n";
    ov_error_t err;
    if (ov::rename_write(path_, text, 0644, &err) != 0)
        throw std::runtime_error("cannot save " + path_ + ": " + err.reason);
}

} // namespace overlayadm
