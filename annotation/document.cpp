#include "annotation/document.h"

#include "annotation/commands.h"

#include <algorithm>

namespace annotation {

Document::Document(std::shared_ptr<core::ProjectStore> store, QObject *parent) : QObject(parent), m_store(std::move(store))
{
    qRegisterMetaType<annotation::ChangeEvent>();
}

core::Status Document::setImage(core::Id image)
{
    m_image = image;
    m_regions.clear();
    m_imageAttributes = nlohmann::ordered_json::object();
    auto regions = m_store->regions(image);
    auto attributes = m_store->imageAttributes(image);
    const bool ok = regions && attributes;
    if (ok) {
        m_regions = std::move(regions.value());
        if (attributes->is_object()) m_imageAttributes = std::move(attributes.value());
    }
    Q_EMIT changed({ChangeEvent::Reset, {}});
    if (!ok) return !regions ? regions.error() : attributes.error();
    return {};
}

const core::Region *Document::region(core::Id id) const
{
    auto it = std::find_if(m_regions.begin(), m_regions.end(), [id](const core::Region &r) { return r.id == id; });
    return it == m_regions.end() ? nullptr : &*it;
}

void Document::addRegion(core::Region region) { addRegions({std::move(region)}); }

void Document::addRegions(std::vector<core::Region> regions)
{
    if (regions.empty()) return;
    for (auto &r : regions) {
        r.id = 0;
        r.imageId = m_image;
    }
    m_undo.push(new AddRegions(this, std::move(regions)));
}

void Document::removeRegions(const std::vector<core::Id> &ids)
{
    std::vector<core::Region> gone;
    for (core::Id id : ids)
        if (const core::Region *r = region(id)) gone.push_back(*r);
    if (!gone.empty()) m_undo.push(new RemoveRegions(this, std::move(gone)));
}

void Document::changeShape(core::Id id, const core::Shape &shape, int dragId) { changeShapes({id}, {shape}, dragId); }

void Document::changeShapes(const std::vector<core::Id> &ids, const std::vector<core::Shape> &shapes, int dragId)
{
    std::vector<core::Region> before;
    std::vector<core::Shape> after;
    for (std::size_t i = 0; i < ids.size() && i < shapes.size(); ++i)
        if (const core::Region *r = region(ids[i]); r && r->shape != shapes[i]) { // a change to nothing is not pushed
            before.push_back(*r);
            after.push_back(shapes[i]);
        }
    if (!before.empty()) m_undo.push(new ChangeShape(this, std::move(before), std::move(after), dragId));
}

void Document::setRegionAttribute(const std::vector<core::Id> &ids, const std::string &name, const nlohmann::ordered_json &value)
{
    std::vector<core::Region> before, after;
    for (core::Id id : ids) {
        const core::Region *r = region(id);
        if (!r) continue;
        core::Region changed = *r;
        if (value.is_null()) changed.attributes.erase(name);
        else changed.attributes[name] = value;
        if (changed.attributes == r->attributes) continue;
        before.push_back(*r);
        after.push_back(std::move(changed));
    }
    if (!before.empty()) m_undo.push(new SetAttributes(this, std::move(before), std::move(after)));
}

void Document::setImageAttribute(const std::string &name, const nlohmann::ordered_json &value)
{
    if (!m_image) return;
    nlohmann::ordered_json after = m_imageAttributes;
    if (value.is_null()) after.erase(name);
    else after[name] = value;
    if (after != m_imageAttributes) m_undo.push(new SetImageAttributes(this, m_image, m_imageAttributes, after));
}

bool Document::storeImageAttributes(core::Id image, const nlohmann::ordered_json &attrs)
{
    if (auto s = m_store->setImageAttributes(image, attrs); !s) return fail(s.error());
    if (image == m_image) m_imageAttributes = attrs;
    m_lastError.clear();
    Q_EMIT changed(ChangeEvent{ChangeEvent::ImageAttributesChanged, {}});
    return true;
}

void Document::setClass(const std::vector<core::Id> &ids, core::Id classId)
{
    std::vector<core::Region> before;
    for (core::Id id : ids)
        if (const core::Region *r = region(id); r && r->classId != classId) before.push_back(*r);
    if (!before.empty()) m_undo.push(new SetClass(this, std::move(before), classId));
}

core::Status Document::editClasses(const QString &text, const std::vector<core::Id> &concerned,
                                   const std::function<core::Status(core::ProjectStore &)> &op)
{
    auto before = m_store->classState(concerned);
    if (!before) return before.error();
    if (auto s = op(*m_store); !s) return s;
    // The edit is in the store; without the state after it there is no undo step to push,
    // and the caller hears why.
    auto after = m_store->classState(concerned);
    if (!after) {
        classesEdited();
        return after.error();
    }
    m_undo.push(new EditClasses(this, text, std::move(before.value()), std::move(after.value())));
    return {};
}

bool Document::storeClassState(const core::ClassState &state)
{
    if (auto s = m_store->restoreClassState(state); !s) return fail(s.error());
    classesEdited();
    return true;
}

void Document::classesEdited()
{
    m_lastError.clear();
    if (m_image) { // merged or deleted classes move regions
        if (auto regions = m_store->regions(m_image)) m_regions = std::move(regions.value());
        else fail(regions.error());
    }
    Q_EMIT changed({ChangeEvent::Reset, {}});
    Q_EMIT classesChanged();
}

core::Status Document::setAttributeSchema(const QString &text, const std::vector<core::AttributeDef> &schema)
{
    auto before = m_store->attributeSchema();
    if (!before) return before.error();
    if (auto s = m_store->setAttributeSchema(schema); !s) return s;
    m_undo.push(new SetSchema(this, text, std::move(before.value()), schema));
    return {};
}

bool Document::storeSchema(const std::vector<core::AttributeDef> &schema)
{
    if (auto s = m_store->setAttributeSchema(schema); !s) return fail(s.error());
    m_lastError.clear();
    Q_EMIT changed({ChangeEvent::SchemaChanged, {}});
    return true;
}

bool Document::fail(const core::Error &e)
{
    m_lastError = QString::fromStdString(e.toString());
    Q_EMIT storeFailed(m_lastError);
    return false;
}

bool Document::storeAdd(std::vector<core::Region> &regions, bool restore)
{
    if (restore) {
        if (auto s = m_store->restoreRegions(regions); !s) return fail(s.error());
    } else {
        auto ids = m_store->addRegions(regions);
        if (!ids) return fail(ids.error());
        for (std::size_t i = 0; i < regions.size(); ++i) regions[i].id = (*ids)[i];
    }
    ChangeEvent e{ChangeEvent::Added, {}};
    for (const auto &r : regions) {
        if (r.imageId == m_image) m_regions.push_back(r);
        e.regions.push_back(r.id);
    }
    std::sort(m_regions.begin(), m_regions.end(), [](const core::Region &a, const core::Region &b) { return a.id < b.id; });
    m_lastError.clear();
    Q_EMIT changed(e);
    return true;
}

bool Document::storeRemove(const std::vector<core::Region> &regions)
{
    std::vector<core::Id> ids;
    for (const auto &r : regions) ids.push_back(r.id);
    if (auto s = m_store->removeRegions(ids); !s) return fail(s.error());
    m_regions.erase(std::remove_if(m_regions.begin(), m_regions.end(),
                                   [&](const core::Region &r) { return std::find(ids.begin(), ids.end(), r.id) != ids.end(); }),
                    m_regions.end());
    m_lastError.clear();
    Q_EMIT changed({ChangeEvent::Removed, ids});
    return true;
}

bool Document::storeUpdate(const std::vector<core::Region> &regions, ChangeEvent::Kind kind)
{
    if (auto s = m_store->updateRegions(regions); !s) return fail(s.error());
    ChangeEvent e{kind, {}};
    for (const auto &r : regions) {
        for (auto &mine : m_regions)
            if (mine.id == r.id) mine = r;
        e.regions.push_back(r.id);
    }
    m_lastError.clear();
    Q_EMIT changed(e);
    return true;
}

// ---------------------------------------------------------------- commands

AddRegions::AddRegions(Document *doc, std::vector<core::Region> regions) : m_doc(doc), m_regions(std::move(regions))
{
    setText(m_regions.size() == 1 ? QObject::tr("Add %1").arg(QString::fromUtf8(core::shapeTypeName(m_regions[0].shape.type())))
                                   : QObject::tr("Add %1 regions").arg(m_regions.size()));
}

void AddRegions::redo()
{
    // The first time the store gives ids; a redo after an undo restores the same ids.
    if (m_doc->storeAdd(m_regions, m_done)) m_done = true;
    else setObsolete(true);
}

void AddRegions::undo() { m_doc->storeRemove(m_regions); }

RemoveRegions::RemoveRegions(Document *doc, std::vector<core::Region> regions) : m_doc(doc), m_regions(std::move(regions))
{
    setText(QObject::tr("Delete %n region(s)", nullptr, static_cast<int>(m_regions.size())));
}

void RemoveRegions::redo()
{
    if (!m_doc->storeRemove(m_regions)) setObsolete(true);
}

void RemoveRegions::undo() { m_doc->storeAdd(m_regions, true); }

ChangeShape::ChangeShape(Document *doc, std::vector<core::Region> before, std::vector<core::Shape> after, int dragId)
    : m_doc(doc), m_before(std::move(before)), m_after(std::move(after)), m_dragId(dragId)
{
    setText(m_before.size() == 1 ? QObject::tr("Change %1").arg(QString::fromUtf8(core::shapeTypeName(m_after.front().type())))
                                 : QObject::tr("Move %1 regions").arg(m_before.size()));
}

void ChangeShape::redo()
{
    std::vector<core::Region> now = m_before;
    for (std::size_t i = 0; i < now.size(); ++i) now[i].shape = m_after[i];
    if (!m_doc->storeUpdate(now, ChangeEvent::ShapeChanged)) setObsolete(true);
}

void ChangeShape::undo() { m_doc->storeUpdate(m_before, ChangeEvent::ShapeChanged); }

bool ChangeShape::mergeWith(const QUndoCommand *other)
{
    const auto *o = static_cast<const ChangeShape *>(other);
    if (o->m_dragId != m_dragId || o->m_before.size() != m_before.size()) return false;
    for (std::size_t i = 0; i < m_before.size(); ++i)
        if (o->m_before[i].id != m_before[i].id) return false;
    m_after = o->m_after; // keep our "before": the whole drag undoes at once
    return true;
}

SetClass::SetClass(Document *doc, std::vector<core::Region> before, core::Id classId)
    : m_doc(doc), m_before(std::move(before)), m_classId(classId)
{
    setText(QObject::tr("Set class"));
}

void SetClass::redo()
{
    std::vector<core::Region> after = m_before;
    for (auto &r : after) r.classId = m_classId;
    if (!m_doc->storeUpdate(after, ChangeEvent::ClassChanged)) setObsolete(true);
}

void SetClass::undo() { m_doc->storeUpdate(m_before, ChangeEvent::ClassChanged); }

SetAttributes::SetAttributes(Document *doc, std::vector<core::Region> before, std::vector<core::Region> after)
    : m_doc(doc), m_before(std::move(before)), m_after(std::move(after))
{
    setText(QObject::tr("Set attribute"));
}

void SetAttributes::redo()
{
    if (!m_doc->storeUpdate(m_after, ChangeEvent::AttributesChanged)) setObsolete(true);
}

void SetAttributes::undo() { m_doc->storeUpdate(m_before, ChangeEvent::AttributesChanged); }

SetImageAttributes::SetImageAttributes(Document *doc, core::Id image, nlohmann::ordered_json before, nlohmann::ordered_json after)
    : m_doc(doc), m_image(image), m_before(std::move(before)), m_after(std::move(after))
{
    setText(QObject::tr("Set image attribute"));
}

void SetImageAttributes::redo()
{
    if (!m_doc->storeImageAttributes(m_image, m_after)) setObsolete(true);
}

void SetImageAttributes::undo() { m_doc->storeImageAttributes(m_image, m_before); }

EditClasses::EditClasses(Document *doc, const QString &text, core::ClassState before, core::ClassState after)
    : m_doc(doc), m_before(std::move(before)), m_after(std::move(after))
{
    setText(text);
}

void EditClasses::redo()
{
    if (m_applied) { // the first redo, from push(): the store holds the edit already
        m_applied = false;
        m_doc->classesEdited();
        return;
    }
    m_doc->storeClassState(m_after);
}

void EditClasses::undo() { m_doc->storeClassState(m_before); }

SetSchema::SetSchema(Document *doc, const QString &text, std::vector<core::AttributeDef> before, std::vector<core::AttributeDef> after)
    : m_doc(doc), m_before(std::move(before)), m_after(std::move(after))
{
    setText(text);
}

void SetSchema::redo()
{
    if (m_applied) { // the first redo, from push(): the store holds it already
        m_applied = false;
        Q_EMIT m_doc->changed({ChangeEvent::SchemaChanged, {}});
        return;
    }
    m_doc->storeSchema(m_after);
}

void SetSchema::undo() { m_doc->storeSchema(m_before); }

} // namespace annotation
