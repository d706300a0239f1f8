// Corpus replayer: the main() a fuzz target gets in the GCC tree.
//
// libFuzzer supplies main() in the clang tree. Here each argument is a file or
// a directory of files; every file is fed once to LLVMFuzzerTestOneInput, so
// the seed corpus is a regression test and the target compiles with GCC too.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int replay(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
        return 1;
    }
    std::vector<uint8_t> buf{std::istreambuf_iterator<char>(in), {}};
    LLVMFuzzerTestOneInput(buf.data(), buf.size());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    size_t n = 0;
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        std::filesystem::path arg(argv[i]);
        if (std::filesystem::is_directory(arg)) {
            for (const auto& e : std::filesystem::recursive_directory_iterator(arg)) {
                if (e.is_regular_file()) {
                    bad |= replay(e.path());
                    n++;
                }
            }
        } else {
            bad |= replay(arg);
            n++;
        }
    }
    if (n == 0) {
        std::fprintf(stderr, "replay: no input files\n");
        return 1;
    }
    std::printf("replay: %zu inputs, none crashed\n", n);
    return bad;
}
