#include "core/formats/class_names.h"

namespace core {

ClassNames::ClassNames(Dataset &ds) : m_ds(ds)
{
    for (const ClassInfo &c : ds.classes)
        m_known.insert(c.name);
}

void ClassNames::ensure(const std::string &name)
{
    if (name == m_last) return;
    if (m_known.insert(name).second) m_ds.ensureClass(name);
    m_last = name;
}

} // namespace core
