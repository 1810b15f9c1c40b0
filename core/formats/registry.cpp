#include "core/formats/formats.h"

namespace core {

void registerBuiltinFormats(FormatRegistry &r)
{
    // FORMAT-LIST: one line per codec, in the order the CLI and dialogs list them.
    r.add(makeViaJsonFormat());
    r.add(makeViaProjectFormat());
    r.add(makeVia3Format());
    r.add(makeViaCsvFormat());
    r.add(makeCocoFormat());
    r.add(makeLabelmeFormat());
    r.add(makeYoloFormat());
    r.add(makeVocFormat());
    r.add(makeIdxFormat());
    r.add(makeFolderFormat());
    r.add(makeMasksFormat());
}

} // namespace core
