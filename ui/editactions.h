#pragma once
// The Edit menu: Undo and Redo (Ctrl+Z; Ctrl+Shift+Z or Ctrl+Y) of the open
// project's document, and Copy, Paste, Select All and Delete of regions. The region
// actions are shortcuts of the canvas only (Ctrl+C in the search box copies text).
#include <QList>
#include <QObject>

class QAction;
class QMenu;

namespace annotation {
class Document;
}

namespace ui {

class AnnotateWorkspace;

class EditActions : public QObject {
    Q_OBJECT
public:
    EditActions(AnnotateWorkspace *annotate, QMenu *menu);
    // Undo and Redo follow this document's stack from now on.
    void setDocument(annotation::Document *doc);

private:
    AnnotateWorkspace *m_annotate;
    QMenu *m_menu;
    QList<QAction *> m_regionActions;
    QAction *m_undo = nullptr, *m_redo = nullptr;
};

} // namespace ui
