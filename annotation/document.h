#pragma once
// The document of the editor: the regions of the image being edited, the undo
// stack and the store. Every edit is a QUndoCommand whose redo()/undo() write
// through to the store at once (one transaction each: there is nothing unsaved)
// and emit one changed() event naming the regions and what changed.
#include "core/project_store.h"

#include <QObject>
#include <QUndoStack>

#include <functional>

#include <memory>
#include <vector>

namespace annotation {

struct ChangeEvent {
    enum Kind { Reset, Added, Removed, ShapeChanged, ClassChanged, AttributesChanged, ImageAttributesChanged, SchemaChanged };
    Kind kind = Reset;
    std::vector<core::Id> regions; // the regions concerned (empty for Reset)
};

class Document : public QObject {
    Q_OBJECT
public:
    explicit Document(std::shared_ptr<core::ProjectStore> store, QObject *parent = nullptr);

    core::ProjectStore &store() { return *m_store; }
    QUndoStack *undoStack() { return &m_undo; }
    core::Id image() const { return m_image; }
    // Loads the regions of `image`; the undo history stays (its commands name their image).
    // A failed read leaves no regions and returns the error (the caller shows it).
    core::Status setImage(core::Id image);
    const std::vector<core::Region> &regions() const { return m_regions; }
    const core::Region *region(core::Id id) const;
    // The last error a command met writing to the store (empty when none); the edit is then not applied.
    const QString &lastError() const { return m_lastError; }

    // Edits, each one undo step. A shape change with `dragId` != 0 merges with the
    // previous change carrying the same dragId, so a whole drag is one step.
    void addRegion(core::Region region);
    void addRegions(std::vector<core::Region> regions); // e.g. a paste: new ids, this image
    void removeRegions(const std::vector<core::Id> &ids);
    void changeShape(core::Id id, const core::Shape &shape, int dragId = 0);
    void changeShapes(const std::vector<core::Id> &ids, const std::vector<core::Shape> &shapes, int dragId = 0);
    void setClass(const std::vector<core::Id> &ids, core::Id classId);
    // One attribute of regions (value null: remove it), or of the current image.
    void setRegionAttribute(const std::vector<core::Id> &ids, const std::string &name, const nlohmann::ordered_json &value);
    void setImageAttribute(const std::string &name, const nlohmann::ordered_json &value);
    nlohmann::ordered_json imageAttributes() const { return m_imageAttributes; }
    // A class edit (add, rename, recolour, hotkey, merge, delete): `op` changes the
    // class table in one transaction; `concerned` are the classes whose regions
    // and images it may move. One undo step that restores the class table and
    // those assignments. An error changes nothing and pushes nothing.
    core::Status editClasses(const QString &text, const std::vector<core::Id> &concerned,
                             const std::function<core::Status(core::ProjectStore &)> &op);
    // The project's attribute schema as a whole (e.g. with an attribute added): one undo step.
    core::Status setAttributeSchema(const QString &text, const std::vector<core::AttributeDef> &schema);

Q_SIGNALS:
    void changed(const annotation::ChangeEvent &event);
    // The class table changed (an edit, or its undo/redo); the regions were reloaded.
    void classesChanged();
    // A command could not write to the store (read-only or full disk, locked or
    // changed by another program): the edit is not applied, nothing else changes.
    void storeFailed(const QString &message);

private:
    friend class AddRegions;
    friend class RemoveRegions;
    friend class ChangeShape;
    friend class SetClass;
    friend class SetAttributes;
    friend class SetImageAttributes;
    friend class EditClasses;
    friend class SetSchema;
    // Applied by the commands: write to the store, then mirror in memory and notify.
    bool storeAdd(std::vector<core::Region> &regions, bool restore);
    bool storeRemove(const std::vector<core::Region> &regions);
    bool storeUpdate(const std::vector<core::Region> &regions, ChangeEvent::Kind kind);
    bool fail(const core::Error &e);
    bool storeImageAttributes(core::Id image, const nlohmann::ordered_json &attrs);
    bool storeClassState(const core::ClassState &state);
    bool storeSchema(const std::vector<core::AttributeDef> &schema);
    void classesEdited();

    std::shared_ptr<core::ProjectStore> m_store;
    QUndoStack m_undo;
    core::Id m_image = 0;
    std::vector<core::Region> m_regions;
    nlohmann::ordered_json m_imageAttributes = nlohmann::ordered_json::object();
    QString m_lastError;
};

} // namespace annotation

Q_DECLARE_METATYPE(annotation::ChangeEvent)
