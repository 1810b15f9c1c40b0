#pragma once
// One QUndoCommand per verb. The constructor captures the old state; redo() and
// undo() apply a state through the Document, which writes it to the store.
#include "annotation/document.h"

#include <QUndoCommand>

namespace annotation {

enum CommandId { ChangeShapeId = 1 };

class AddRegions : public QUndoCommand {
public:
    AddRegions(Document *doc, std::vector<core::Region> regions);
    void redo() override;
    void undo() override;

private:
    Document *m_doc;
    std::vector<core::Region> m_regions; // ids filled by the first redo and kept for later ones
    bool m_done = false;
};

class RemoveRegions : public QUndoCommand {
public:
    RemoveRegions(Document *doc, std::vector<core::Region> regions);
    void redo() override;
    void undo() override;

private:
    Document *m_doc;
    std::vector<core::Region> m_regions;
};

// New shapes for one or more regions (a multi-selection moves as one step).
class ChangeShape : public QUndoCommand {
public:
    ChangeShape(Document *doc, std::vector<core::Region> before, std::vector<core::Shape> after, int dragId);
    void redo() override;
    void undo() override;
    int id() const override { return m_dragId ? ChangeShapeId : -1; }
    bool mergeWith(const QUndoCommand *other) override;

private:
    Document *m_doc;
    std::vector<core::Region> m_before;
    std::vector<core::Shape> m_after;
    int m_dragId;
};

class SetClass : public QUndoCommand {
public:
    SetClass(Document *doc, std::vector<core::Region> before, core::Id classId);
    void redo() override;
    void undo() override;

private:
    Document *m_doc;
    std::vector<core::Region> m_before;
    core::Id m_classId;
};

// Region attributes as a whole before and after (one attribute changed on several regions).
class SetAttributes : public QUndoCommand {
public:
    SetAttributes(Document *doc, std::vector<core::Region> before, std::vector<core::Region> after);
    void redo() override;
    void undo() override;

private:
    Document *m_doc;
    std::vector<core::Region> m_before, m_after;
};

class SetImageAttributes : public QUndoCommand {
public:
    SetImageAttributes(Document *doc, core::Id image, nlohmann::ordered_json before, nlohmann::ordered_json after);
    void redo() override;
    void undo() override;

private:
    Document *m_doc;
    core::Id m_image;
    nlohmann::ordered_json m_before, m_after;
};

// A change to the class table with the regions and images it moved: the states
// before and after, as ProjectStore::classState gives them.
class EditClasses : public QUndoCommand {
public:
    EditClasses(Document *doc, const QString &text, core::ClassState before, core::ClassState after);
    void redo() override;
    void undo() override;

private:
    Document *m_doc;
    core::ClassState m_before, m_after;
    bool m_applied = true; // the edit is already in the store when the command is pushed
};

class SetSchema : public QUndoCommand {
public:
    SetSchema(Document *doc, const QString &text, std::vector<core::AttributeDef> before, std::vector<core::AttributeDef> after);
    void redo() override;
    void undo() override;

private:
    Document *m_doc;
    std::vector<core::AttributeDef> m_before, m_after;
    bool m_applied = true; // in the store already when pushed
};

} // namespace annotation
