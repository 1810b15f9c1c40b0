// libFuzzer target for the two JSON parsers behind every reader: core::parseJson
// (nlohmann with the depth bound; small documents, the store, run configs) and the
// simdjson walk of core/formats/json_reader.h (the big annotation readers). Differential:
// on every input both must accept or both refuse, and what they accept must be the same
// value, key order and number types included. Crashes, sanitizer reports and hangs are
// bugs too, as in fuzz_import.cpp.
#include "core/formats/json_reader.h"
#include "core/json_parse.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::string file = fs::temp_directory_path().string() + "/annotrain-fuzz-json-" + std::to_string(::getpid()) + ".json";
    const std::string text(reinterpret_cast<const char *>(data), size);
    std::ofstream(file, std::ios::binary).write(text.data(), static_cast<std::streamsize>(text.size()));

    auto ordered = core::parseJson<nlohmann::ordered_json>(text, file);
    auto plain = core::parseJson<nlohmann::json>(text, file);
    if (ordered.ok() != plain.ok()) __builtin_trap();
    if (ordered.ok() && nlohmann::json(*ordered) != *plain) __builtin_trap();

    core::json::JsonReader in;
    auto walked = [&]() -> core::Result<nlohmann::ordered_json> {
        if (auto s = in.open(file); !s) return s.error();
        return in.guard([&]() -> core::Result<nlohmann::ordered_json> {
            const auto type = in.doc().type().value();
            // The readers take objects and lists only; simdjson reads a scalar document another way.
            if (type != core::json::od::json_type::object && type != core::json::od::json_type::array)
                return core::makeError(core::ErrorCode::Invalid, file, "$", "scalar document");
            nlohmann::ordered_json out;
            core::JsonPath path;
            if (auto s = in.toOjson(in.doc().get_value(), &out, path); !s) return s.error();
            if (auto s = in.expectEnd(); !s) return s.error();
            return out;
        });
    }();
    if (!walked.ok() && walked.error().code == core::ErrorCode::Invalid) return 0; // a scalar document: not compared
    if (walked.ok() != ordered.ok()) __builtin_trap();
    if (walked.ok() && *walked != *ordered) __builtin_trap();
    return 0;
}
