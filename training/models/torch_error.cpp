#include "training/models/torch_error.h"

#include <c10/util/Exception.h>

namespace training {

std::string exceptionText(const std::exception &e)
{
    if (dynamic_cast<const std::bad_alloc *>(&e)) return "out of memory";
    const auto *c10 = dynamic_cast<const c10::Error *>(&e);
    std::string s = c10 ? c10->what_without_backtrace() : e.what();
    s = s.substr(0, s.find('\n'));
    // LibTorch's allocator: "[enforce fail at alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to allocate N bytes. ..."
    if (const auto at = s.find("can't allocate memory: you tried to allocate "); at != std::string::npos) {
        const std::string bytes = s.substr(at + 45, s.find(' ', at + 45) - at - 45);
        return "out of memory (an allocation of " + bytes + " bytes failed)";
    }
    return s.size() > 200 ? s.substr(0, 200) + "..." : s;
}

} // namespace training
