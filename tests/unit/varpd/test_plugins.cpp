// Plugin loading: the good backends load, the bad ones are refused with a
// log line that names the file and the reason, and loading goes on.
#include "harness.h"

#include <gtest/gtest.h>

#include <cerrno>

using namespace varpd;

namespace {

const Refusal* refusal_of(const PluginSet& ps, const std::string& file) {
    for (auto& r : ps.refused())
        if (r.file == file)
            return &r;
    return nullptr;
}

} // namespace

TEST(PluginLoad, GoodOnesLoadBadOnesAreRefusedByName) {
    vt::LogCapture cap;
    PluginSet ps(cap.log);
    EXPECT_EQ(ps.load_dir(TEST_PLUGIN_DIR), 7u); /* abi1, degrader, example, later, mapstore(_nb), sleepy */
    ASSERT_NE(ps.find("example"), nullptr);
    EXPECT_EQ(ps.find("example")->mode, VARPD_MODE_DYNAMIC);
    EXPECT_FALSE(ps.find("example")->blocking());
    EXPECT_EQ(ps.find("example")->abi, 2u);
    EXPECT_TRUE(ps.find("example")->writable());
    /* A version 1 plugin loads (its vector is read no further than vpo_dhcp:
       the page after it faults) and has no map operations. */
    ASSERT_NE(ps.find("abi1"), nullptr);
    EXPECT_EQ(ps.find("abi1")->abi, 1u);
    EXPECT_FALSE(ps.find("abi1")->writable());
    EXPECT_EQ(ps.find("abi1")->ops->vpo_map_begin, nullptr);
    EXPECT_NE(ps.find("abi1")->ops->vpo_lookup, nullptr);
    EXPECT_TRUE(cap.contains("backend \"abi1\" loaded (dynamic mode, ABI 1)")) << cap.all();
    ASSERT_NE(ps.find("sleepy"), nullptr);
    EXPECT_TRUE(ps.find("sleepy")->blocking());
    EXPECT_EQ(ps.find("badabi"), nullptr);
    EXPECT_EQ(ps.find("missing"), nullptr);

    const Refusal* r = refusal_of(ps, "bad_abi.so");
    ASSERT_NE(r, nullptr);
    EXPECT_NE(r->reason.find("backend \"badabi\" refused: ABI version 99, varpd speaks 1 and 2"),
              std::string::npos)
        << r->reason;
    r = refusal_of(ps, "missing_op.so");
    ASSERT_NE(r, nullptr);
    EXPECT_NE(r->reason.find("missing operation vpo_ndp"), std::string::npos) << r->reason;
    r = refusal_of(ps, "noreg.so");
    ASSERT_NE(r, nullptr);
    EXPECT_NE(r->reason.find("not a varpd plugin"), std::string::npos) << r->reason;

    /* The log says the same, one line per refusal, naming the file. */
    EXPECT_TRUE(cap.contains("plugin bad_abi.so: backend \"badabi\" refused: ABI version 99"))
        << cap.all();
    EXPECT_TRUE(cap.contains("plugin missing_op.so: backend \"missing\" refused: missing "
                             "operation vpo_ndp"))
        << cap.all();
}

TEST(PluginLoad, ShippedBackends) {
    vt::LogCapture cap;
    PluginSet ps(cap.log);
    size_t n = ps.load_dir(OVERLAY_PLUGIN_DIR);
    EXPECT_EQ(n, ps.backends().size());
    ASSERT_NE(ps.find("direct"), nullptr);
    EXPECT_EQ(ps.find("direct")->mode, VARPD_MODE_POINT);
    ASSERT_NE(ps.find("files"), nullptr);
    EXPECT_EQ(ps.find("files")->mode, VARPD_MODE_DYNAMIC);
    EXPECT_TRUE(ps.refused().empty()) << cap.all();
}

TEST(PluginLoad, SecondBackendWithTheSameNameIsRefused) {
    vt::LogCapture cap;
    PluginSet ps(cap.log);
    EXPECT_EQ(ps.load_file(std::string(TEST_PLUGIN_DIR) + "/example.so"), 1u);
    EXPECT_EQ(ps.load_file(std::string(TEST_PLUGIN_DIR) + "/example.so"), 0u);
    ASSERT_EQ(ps.refused().size(), 1u);
    EXPECT_NE(ps.refused()[0].reason.find("the name is taken"), std::string::npos);
}

TEST(PluginLoad, MissingDirectoryAndBrokenFileAreReported) {
    vt::LogCapture cap;
    PluginSet ps(cap.log);
    EXPECT_EQ(ps.load_dir("/nonexistent/varpd-plugins"), 0u);
    EXPECT_TRUE(cap.contains("/nonexistent/varpd-plugins")) << cap.all();
    vt::TempDir d;
    vt::write_file(d / "junk.so", "this is not an ELF file");
    EXPECT_EQ(ps.load_dir(d.path), 0u);
    ASSERT_EQ(ps.refused().size(), 1u);
    EXPECT_NE(ps.refused()[0].reason.find("dlopen failed"), std::string::npos);
}

namespace {
int nop_create(varpd_provider_t*, varpd_mode_t, void**) { return 0; }
int nop_int(void*) { return 0; }
void nop_void(void*) {}
int nop_default(void*, varpd_dest_t*) { return 0; }
void nop_lookup(void*, varpd_query_t*, const varpd_lookup_t*) {}
int nop_nprops(void*, uint32_t*) { return 0; }
int nop_propinfo(void*, uint32_t, varpd_prop_info_t*) { return 0; }
int nop_getprop(void*, const char*, void*, uint32_t*) { return 0; }
int nop_setprop(void*, const char*, const void*, uint32_t) { return 0; }
int nop_save(void*, void*, size_t*) { return 0; }
int nop_restore(varpd_provider_t*, varpd_mode_t, const void*, size_t, void**) { return 0; }
void nop_ip(void*, varpd_query_t*, const uint8_t*) {}

varpd_plugin_ops_t good_ops() {
    return varpd_plugin_ops_t{
        .vpo_version = VARPD_PLUGIN_ABI_VERSION,
        .vpo_flags = 0,
        .vpo_reserved = 0,
        .vpo_create = nop_create,
        .vpo_start = nop_int,
        .vpo_stop = nop_void,
        .vpo_destroy = nop_void,
        .vpo_default = nop_default,
        .vpo_lookup = nop_lookup,
        .vpo_nprops = nop_nprops,
        .vpo_propinfo = nop_propinfo,
        .vpo_getprop = nop_getprop,
        .vpo_setprop = nop_setprop,
        .vpo_save = nop_save,
        .vpo_restore = nop_restore,
        .vpo_arp = nop_ip,
        .vpo_ndp = nop_ip,
        .vpo_dhcp = nop_lookup,
        .vpo_map_begin = [](void*, void**, varpd_err_t*) { return -ENOTSUP; },
        .vpo_map_put = [](void*, void*, const varpd_mapping_t*, size_t, varpd_err_t*) { return -ENOTSUP; },
        .vpo_map_remove = [](void*, void*, const uint8_t*, varpd_err_t*) { return -ENOTSUP; },
        .vpo_map_commit = [](void*, void*, varpd_err_t*) { return -ENOTSUP; },
        .vpo_map_abort = [](void*, void*) {},
        .vpo_map_get = [](void*, const uint8_t*, varpd_mapping_t*, varpd_err_t*) { return -ENOTSUP; },
        .vpo_map_walk = [](void*, const uint8_t*, size_t, varpd_map_walk_fn*, void*, varpd_err_t*) { return -ENOTSUP; },
    };
}
} // namespace

TEST(PluginCheck, EveryFieldIsChecked) {
    auto ops = good_ops();
    EXPECT_EQ(PluginSet::check_ops("ok", VARPD_MODE_DYNAMIC, &ops), "");
    ops.vpo_reserved = 1;
    EXPECT_EQ(PluginSet::check_ops("ok", VARPD_MODE_DYNAMIC, &ops), "vpo_reserved is not zero");
    ops = good_ops();
    ops.vpo_flags = 0x10;
    EXPECT_EQ(PluginSet::check_ops("ok", VARPD_MODE_DYNAMIC, &ops), "unknown vpo_flags bits 0x10");
    ops = good_ops();
    ops.vpo_version = 3;
    EXPECT_EQ(PluginSet::check_ops("ok", VARPD_MODE_DYNAMIC, &ops),
              "ABI version 3, varpd speaks 1 and 2");
    ops.vpo_version = 0;
    EXPECT_EQ(PluginSet::check_ops("ok", VARPD_MODE_DYNAMIC, &ops),
              "ABI version 0, varpd speaks 1 and 2");
    EXPECT_EQ(PluginSet::check_ops("ok", static_cast<varpd_mode_t>(7), &ops),
              "unknown destination mode 7");
    ops = good_ops();
    EXPECT_EQ(PluginSet::check_ops("", VARPD_MODE_POINT, &ops), "empty backend name");
    EXPECT_NE(PluginSet::check_ops("a b", VARPD_MODE_POINT, &ops).find("has a character"),
              std::string::npos);
    EXPECT_NE(PluginSet::check_ops(std::string(40, 'x').c_str(), VARPD_MODE_POINT, &ops)
                  .find("longer than 31"),
              std::string::npos);
    EXPECT_EQ(PluginSet::check_ops("ok", VARPD_MODE_POINT, nullptr), "no ops vector");
    /* Each operation in turn. */
    const char* names[] = {"vpo_create", "vpo_start", "vpo_stop", "vpo_destroy", "vpo_default",
                           "vpo_lookup", "vpo_nprops", "vpo_propinfo", "vpo_getprop",
                           "vpo_setprop", "vpo_save", "vpo_restore", "vpo_arp", "vpo_ndp",
                           "vpo_dhcp"};
    for (int i = 0; i < 15; i++) {
        ops = good_ops();
        switch (i) {
        case 0: ops.vpo_create = nullptr; break;
        case 1: ops.vpo_start = nullptr; break;
        case 2: ops.vpo_stop = nullptr; break;
        case 3: ops.vpo_destroy = nullptr; break;
        case 4: ops.vpo_default = nullptr; break;
        case 5: ops.vpo_lookup = nullptr; break;
        case 6: ops.vpo_nprops = nullptr; break;
        case 7: ops.vpo_propinfo = nullptr; break;
        case 8: ops.vpo_getprop = nullptr; break;
        case 9: ops.vpo_setprop = nullptr; break;
        case 10: ops.vpo_save = nullptr; break;
        case 11: ops.vpo_restore = nullptr; break;
        case 12: ops.vpo_arp = nullptr; break;
        case 13: ops.vpo_ndp = nullptr; break;
        case 14: ops.vpo_dhcp = nullptr; break;
        }
        EXPECT_EQ(PluginSet::check_ops("ok", VARPD_MODE_DYNAMIC, &ops),
                  std::string("missing operation ") + names[i] + " (NULL)");
    }
    /* Version 2: every map operation too; version 1 has none to check. */
    const char* map_names[] = {"vpo_map_begin", "vpo_map_put", "vpo_map_remove",
                               "vpo_map_commit", "vpo_map_abort", "vpo_map_get",
                               "vpo_map_walk"};
    for (int i = 0; i < 7; i++) {
        ops = good_ops();
        switch (i) {
        case 0: ops.vpo_map_begin = nullptr; break;
        case 1: ops.vpo_map_put = nullptr; break;
        case 2: ops.vpo_map_remove = nullptr; break;
        case 3: ops.vpo_map_commit = nullptr; break;
        case 4: ops.vpo_map_abort = nullptr; break;
        case 5: ops.vpo_map_get = nullptr; break;
        case 6: ops.vpo_map_walk = nullptr; break;
        }
        EXPECT_EQ(PluginSet::check_ops("ok", VARPD_MODE_DYNAMIC, &ops),
                  std::string("missing operation ") + map_names[i] + " (NULL)");
        ops.vpo_version = 1;
        EXPECT_EQ(PluginSet::check_ops("ok", VARPD_MODE_DYNAMIC, &ops), "") << map_names[i];
    }
}
