#pragma once
// The in-memory interchange model between formats and the project store.
// A codec reads a file into a Dataset and writes a Dataset to a file; the
// ProjectStore imports a Dataset in one transaction and exports one for a split.
// Nothing here touches disk.
#include "core/shape.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace core {

enum class Split { Unassigned, Train, Val, Test };
const char *splitName(Split s); // "unassigned", "train", "val", "test"
bool splitFromName(const std::string &name, Split *out);

enum class Origin { Manual, Model };

// A class (label): name, colour "#rrggbb", hotkey '1'..'9' or 0 for none.
struct ClassInfo {
    std::string name;
    std::string color;
    char hotkey = 0;
};

// VIA-style attribute schema entry. `scope` is "region" or "file"; `type` one of
// "text", "checkbox", "radio", "dropdown", "image"; `options` maps option id ->
// description; `defaults` lists the option ids selected by default.
struct AttributeDef {
    std::string scope = "region";
    std::string name;
    std::string type = "text";
    std::string description;
    nlohmann::ordered_json options = nlohmann::ordered_json::object();
    std::vector<std::string> defaults;
    std::string defaultValue; // for text
};

struct RegionData {
    Shape shape;
    std::string className;            // empty: no class
    nlohmann::ordered_json attributes = nlohmann::ordered_json::object(); // region attributes as VIA keeps them
    Origin origin = Origin::Manual;
    double score = 1.0;               // model score when origin == Model
    std::int64_t runId = 0;           // training run that predicted it, 0 for none
    bool iscrowd = false;             // COCO crowd region
    nlohmann::ordered_json extra = nlohmann::ordered_json::object(); // unknown keys of the source, kept for round trips
};

struct ImageEntry {
    std::string path;                 // as named in the source file, relative to an image root ('/' separators)
    int width = 0, height = 0;        // 0 when unknown
    std::int64_t fileSize = -1;       // -1 when unknown (VIA keys images by filename+size)
    Split split = Split::Unassigned;
    std::string imageClass;           // image-level class for classification; empty for none
    nlohmann::ordered_json fileAttributes = nlohmann::ordered_json::object();
    std::vector<RegionData> regions;
    nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

struct Dataset {
    std::vector<ClassInfo> classes;         // in id order; a class named by a region must be listed
    std::vector<AttributeDef> attributes;   // VIA-style schema
    std::vector<ImageEntry> images;
    nlohmann::ordered_json extra = nlohmann::ordered_json::object(); // e.g. _via_settings, COCO info/licenses

    // Adds `name` to classes if missing; returns its index.
    std::size_t ensureClass(const std::string &name);
    std::size_t regionCount() const;
};

// A deterministic colour for the i-th class ("#rrggbb").
std::string defaultClassColor(std::size_t index);

} // namespace core
