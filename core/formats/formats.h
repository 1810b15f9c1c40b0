#pragma once
// Factories of the built-in codecs; registerBuiltinFormats() (formats/registry.cpp)
// adds each one to the registry. A new format adds its factory here and one line there.
#include "core/format.h"

#include <memory>

namespace core {

class FormatRegistry;
void registerBuiltinFormats(FormatRegistry &r);

std::unique_ptr<Format> makeViaJsonFormat();     // "via": VIA 1.x/2.x annotations JSON
std::unique_ptr<Format> makeViaProjectFormat();  // "via-project": VIA 2.x project JSON
std::unique_ptr<Format> makeVia3Format();        // "via3": VIA 3.x project JSON (import)
std::unique_ptr<Format> makeViaCsvFormat();      // "via-csv"
std::unique_ptr<Format> makeCocoFormat();        // "coco": COCO instances JSON
std::unique_ptr<Format> makeLabelmeFormat();     // "labelme": one JSON per image, in a folder or a single file
std::unique_ptr<Format> makeYoloFormat();        // "yolo": detect/segment txt + names
std::unique_ptr<Format> makeVocFormat();         // "voc": Pascal VOC XML folder
std::unique_ptr<Format> makeIdxFormat();         // "idx": MNIST/Fashion-MNIST IDX (import)
std::unique_ptr<Format> makeFolderFormat();      // "folder": class-per-folder image tree (import)
std::unique_ptr<Format> makeMasksFormat();       // "masks": per-image mask PNGs (export)

// For WriteReport::notes of formats that hold closed shapes only: how many points and
// polylines were left out, or nothing when none were.
std::vector<std::string> openShapesNote(std::size_t left, const std::string &format);

} // namespace core
