/*
 * The libtools C ABI used from plain C11, as a plugin author would: this
 * file is built into a shared object (a stand-in for a varpd plugin) with
 * the static, PIC libtools libraries linked in, and c_abi_loader.c dlopens
 * it and calls libtools_c_abi_checks(). Every public header compiles as C,
 * and each library is called through it with its error reporting checked.
 */
#include <errno.h>
#include <libtools/addr.h>
#include <libtools/error.h>
#include <libtools/ethers.h>
#include <libtools/idspace.h>
#include <libtools/packet.h>
#include <libtools/rename.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "c_abi: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static int count_entry(void* arg, const ov_ethers_entry_t* e) {
    (void)e;
    ++*(int*)arg;
    return 0;
}

int libtools_c_abi_checks(void);

int libtools_c_abi_checks(void) {
    ov_error_t err;
    ov_error_clear(&err);

    /* ethers */
    ov_ether_addr_t a;
    char buf[OV_ETHER_ADDRSTRLEN];
    CHECK(ov_ethers_parse("DE:AD:BE:EF:0:1", &a, &err) == 0);
    CHECK(ov_ethers_format(&a, buf, sizeof(buf), &err) == 0);
    CHECK(strcmp(buf, "de:ad:be:ef:00:01") == 0);
    CHECK(ov_ethers_parse("de:ad:be:ef:0", &a, &err) == -EINVAL);
    CHECK(err.code == EINVAL && strstr(err.reason, "too few octets") != NULL);
    const char* file = "# c\n1:2:3:4:5:6 one\n";
    int n = 0;
    CHECK(ov_ethers_read_buffer(file, strlen(file), count_entry, NULL, &n, &err) == 1 && n == 1);

    /* addr */
    uint8_t ip[OV_ADDR_LEN];
    char ipbuf[OV_ADDRSTRLEN];
    CHECK(ov_addr_parse("::ffff:192.0.2.1", ip, &err) == 0);
    CHECK(ov_addr_is_v4(ip) == 1);
    CHECK(ov_addr_format(ip, ipbuf, sizeof(ipbuf), &err) == 0 && strcmp(ipbuf, "192.0.2.1") == 0);
    CHECK(ov_addr_parse("10.1", ip, &err) == -EINVAL && err.code == EINVAL);
    CHECK(strstr(err.reason, "is not an IPv4 or IPv6 address") != NULL);
    CHECK(ov_addr_format(ip, ipbuf, 8, &err) == -ENOSPC && err.code == ENOSPC);

    /* idspace */
    ov_idspace_t* s = NULL;
    uint64_t id = 0;
    CHECK(ov_idspace_create(&s, &err) == 0);
    CHECK(ov_idspace_add_range(s, 7, 1, &err) == 0);
    CHECK(ov_idspace_alloc(s, &id, &err) == 0 && id == 7);
    CHECK(ov_idspace_alloc(s, &id, &err) == -ENOSPC && err.code == ENOSPC);
    CHECK(ov_idspace_free(s, 7, &err) == 0);
    CHECK(ov_idspace_free(s, 7, &err) == -ENOENT);
    ov_idspace_destroy(s);

    /* rename */
    char dir[] = "/tmp/libtools-c-abi.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[sizeof(dir) + 16];
    snprintf(path, sizeof(path), "%s/state", dir);
    CHECK(ov_rename_write(path, "abc", 3, 0600, &err) == 0);
    CHECK(ov_rename_cleanup(path, &err) == 0);
    CHECK(unlink(path) == 0);
    CHECK(rmdir(dir) == 0);

    /* packet: an ARP request too short to answer */
    uint8_t frame[20] = {0}, out[OV_PACKET_ARP_REPLY_LEN];
    size_t outlen = 0;
    frame[12] = 0x08;
    frame[13] = 0x06;
    CHECK(ov_packet_arp_reply(frame, sizeof(frame), &a, out, sizeof(out), &outlen, &err) ==
          -EINVAL);
    CHECK(strstr(err.reason, "truncated ARP header") != NULL);

    if (failures == 0)
        printf("c_abi: all checks passed\n");
    return failures;
}
