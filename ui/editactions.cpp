#include "ui/editactions.h"

#include "annotation/canvas.h"
#include "ui/annotateworkspace.h"

#include <QMenu>
#include <QUndoStack>

namespace ui {

EditActions::EditActions(AnnotateWorkspace *annotate, QMenu *menu) : QObject(annotate), m_annotate(annotate), m_menu(menu)
{
    annotation::Canvas *canvas = annotate->canvas();
    auto *copy = new QAction(tr("&Copy Regions"), this);
    copy->setShortcut(QKeySequence::Copy);
    copy->setToolTip(tr("Copy the selected regions, to paste them onto this or another image"));
    connect(copy, &QAction::triggered, canvas, &annotation::Canvas::copySelection);
    auto *paste = new QAction(tr("&Paste Regions"), this);
    paste->setShortcut(QKeySequence::Paste);
    connect(paste, &QAction::triggered, canvas, &annotation::Canvas::paste);
    auto *selectAll = new QAction(tr("Select &All Regions"), this);
    selectAll->setShortcut(QKeySequence::SelectAll);
    connect(selectAll, &QAction::triggered, canvas, &annotation::Canvas::selectAll);
    auto *remove = new QAction(tr("&Delete Regions"), this);
    remove->setShortcut(QKeySequence::Delete);
    connect(remove, &QAction::triggered, canvas, &annotation::Canvas::deleteSelection);
    m_regionActions = {copy, paste, selectAll, remove};
    for (QAction *a : m_regionActions) a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    canvas->addActions(m_regionActions);
    setDocument(nullptr);
}

void EditActions::setDocument(annotation::Document *doc)
{
    m_menu->clear();
    delete m_undo;
    delete m_redo;
    m_undo = m_redo = nullptr;
    if (doc) {
        m_undo = doc->undoStack()->createUndoAction(this, tr("&Undo"));
        m_undo->setShortcut(QKeySequence::Undo);
        m_redo = doc->undoStack()->createRedoAction(this, tr("&Redo"));
        QList<QKeySequence> redoKeys = QKeySequence::keyBindings(QKeySequence::Redo);
        if (!redoKeys.contains(QKeySequence(QStringLiteral("Ctrl+Y")))) redoKeys << QKeySequence(QStringLiteral("Ctrl+Y")); // labelme's and Windows' key
        m_redo->setShortcuts(redoKeys);
        m_menu->addAction(m_undo);
        m_menu->addAction(m_redo);
        m_menu->addSeparator();
    }
    m_menu->addActions(m_regionActions);
}

} // namespace ui
