/*
 * Loads the libtools C ABI test shared object the way varpd loads a plugin
 * (dlopen with RTLD_NOW | RTLD_LOCAL), runs its checks, and exits 0 only if
 * the object loaded, resolved and every check passed.
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PLUGIN.so\n", argv[0]);
        return 2;
    }
    void* h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fprintf(stderr, "c_abi_loader: %s\n", dlerror());
        return 1;
    }
    int (*checks)(void) = (int (*)(void))dlsym(h, "libtools_c_abi_checks");
    if (checks == NULL) {
        fprintf(stderr, "c_abi_loader: %s\n", dlerror());
        return 1;
    }
    int failures = checks();
    dlclose(h);
    return failures == 0 ? 0 : 1;
}
