// Fuzz overlayadm import-mappings' reader: any bytes must give checked
// mappings until the end, or an ImportError naming a line; never a crash,
// and every mapping handed out converts to the plugin ABI as varpd will
// convert it (the reader promises it checks each line as varpd does).
#include "import.h"
#include "text.h"

#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    overlayadm::ImportReader r(in, "fuzz");
    varpd::MappingText m;
    try {
        while (r.next(m)) {
            varpd_mapping_t out;
            std::string why;
            if (!varpd::mapping_from_text(m, out, &why))
                std::abort(); /* the reader let through what varpd refuses */
        }
    } catch (const overlayadm::ImportError& e) {
        if (std::string(e.what()).rfind("fuzz:", 0) != 0)
            std::abort(); /* every refusal names the file and line */
    }
    return 0;
}
