// libFuzzer target for the state-dict reader (training/models/state_dict.h). Each
// input is read twice: as a whole file (zip or legacy layout, as `--weights` or
// `eval --checkpoint` would read it), and as the data.pkl of a zip archive that
// also holds two storage records, so the fuzzer reaches the pickle machine without
// first having to find a valid zip directory. Any crash, leak, sanitizer report,
// hang or out-of-memory is a bug; errors returned as values are fine.
#include "training/models/state_dict.h"

#include <caffe2/serialize/inline_container.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::string dir = [] {
        const std::string d = fs::temp_directory_path().string() + "/annotrain-fuzz-state-dict-" + std::to_string(::getpid());
        fs::create_directories(d);
        return d;
    }();
    const std::string raw = dir + "/raw.pth", zip = dir + "/zip.pth";
    std::ofstream(raw, std::ios::binary).write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
    (void)training::loadStateDict(raw);
    {
        caffe2::serialize::PyTorchStreamWriter w(zip);
        w.writeRecord("data.pkl", data, size);
        const std::string storage(64, '\x01');
        w.writeRecord("data/0", storage.data(), storage.size());
        w.writeRecord("data/1", storage.data(), 16);
        w.writeEndOfFile();
    }
    (void)training::loadStateDict(zip);
    return 0;
}
