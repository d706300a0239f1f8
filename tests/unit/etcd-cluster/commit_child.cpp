/*
 * etcd-commit-child - one varpd-like process that commits one mapping
 * change through the etcd backend and is killed at a failpoint, for the
 * crash tests in test_faults.cpp (varpd SIGKILLed between the txns of a
 * commit).
 *
 *   etcd-commit-child PLUGIN ENDPOINTS PREFIX VNET FIRST N SEQ FAILPOINT
 *
 * Maps test_mac(FIRST+i) -> seq_ip(SEQ+i) for i < N in one transaction.
 * FAILPOINT ("before-mark", "after-mark", "mid-apply", or "none") is set
 * as VARPD_ETCD_FAILPOINT before the plugin is loaded: the backend kills
 * the process with SIGKILL there, as a crash would. Exit 0 when the commit
 * returned 0, 1 when it failed (the reason on stderr), 2 on bad usage.
 */
#include "etcd_plugin.h"

#include <cstdlib>
#include <iostream>

using namespace etcd_test;

int main(int argc, char** argv) {
    if (argc != 9) {
        std::cerr
            << "usage: etcd-commit-child PLUGIN ENDPOINTS PREFIX VNET FIRST N SEQ FAILPOINT\n";
        return 2;
    }
    if (std::string(argv[8]) != "none")
        setenv("VARPD_ETCD_FAILPOINT", argv[8], 1);
    uint32_t vnet = uint32_t(std::stoul(argv[4])), first = uint32_t(std::stoul(argv[5]));
    uint32_t n = uint32_t(std::stoul(argv[6])), seq = uint32_t(std::stoul(argv[7]));
    Loaded lib(argv[1]);
    if (!lib.ops) {
        std::cerr << argv[1] << ": " << lib.error << "\n";
        return 2;
    }
    TimedProvider prov;
    prov.vnetid = vnet;
    EtcdInstance inst(lib, prov, {{"etcd/endpoints", argv[2]}, {"etcd/prefix", argv[3]}});
    if (!inst.setprop_errors().empty() || inst.start() != 0) {
        std::cerr << "cannot start: " << inst.setprop_errors() << prov.all_logs();
        return 1;
    }
    auto o = inst.ops();
    varpd_err_t err{};
    void* txn = nullptr;
    int rc = o->vpo_map_begin(inst.arg(), &txn, &err);
    if (rc == 0) {
        std::vector<varpd_mapping_t> v;
        for (uint32_t i = 0; i < n; i++)
            v.push_back(test_mapping(first + i, seq + i));
        rc = o->vpo_map_put(inst.arg(), txn, v.data(), v.size(), &err);
        if (rc == 0)
            rc = o->vpo_map_commit(inst.arg(), txn, &err);
        else
            o->vpo_map_abort(inst.arg(), txn);
    }
    if (rc != 0) {
        std::cerr << "commit: " << rc << ": " << err.ve_msg << "\n" << prov.all_logs();
        return 1;
    }
    return 0;
}
