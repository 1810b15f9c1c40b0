#pragma once
// Project › Classes…: the project's classes in a table (colour swatch, name,
// hotkey 1-9, number of regions) with Add, Rename, Colour, Hotkey, Merge into and
// Delete. Every change is one undo step of the document (Edit › Undo takes back a
// merge or a delete, regions included) and goes straight to the store; an error
// from the store is shown and changes nothing. Delete and Merge ask first,
// naming the class and how many regions the change touches.
//
// The operations are public methods that take their arguments and open no
// dialog (for tests and scripting); the buttons ask the user, then call them.
// Region counts are read (countUsage()) when the dialog opens and after every
// class change of the document, undo and redo included, off the GUI thread:
// countsUpdated() when they are in the table (until then it shows "…").
#include "annotation/document.h"
#include "core/project_store.h"
#include "core/result.h"

#include <QDialog>

#include <map>
#include <memory>
#include <optional>
#include <vector>

class QColor;
class QLabel;
class QPushButton;
class QTableWidget;

namespace ui {

class ClassManagerDialog : public QDialog {
    Q_OBJECT
public:
    enum Column { ColourColumn, NameColumn, HotkeyColumn, RegionsColumn, ColumnCount };

    explicit ClassManagerDialog(annotation::Document *doc, QWidget *parent = nullptr);
    ~ClassManagerDialog() override;

    // The operations, without asking. Each refreshes the table and emits
    // classesChanged() when it changed something; an error changes nothing.
    core::Status addClass(const QString &name);
    core::Status renameClass(core::Id id, const QString &newName);
    core::Status recolour(core::Id id, const QColor &colour);
    core::Status setHotkey(core::Id id, int digit); // 1-9, 0 = none; takes the key from a class that had it
    core::Status merge(core::Id from, core::Id into); // regions and images of `from` move to `into`; `from` goes
    core::Status remove(core::Id id);               // its regions and images become unclassed

    QTableWidget *table() const { return m_table; }
    int rowOf(core::Id id) const;              // -1 if not listed
    core::Id classAt(int row) const;           // 0 if none
    core::Id selectedClass() const;            // 0 if none
    void selectClass(core::Id id);
    int regionCount(core::Id id) const;        // regions of a class; 0 = without a class
    int imageCount(core::Id id) const;         // images with this image-level class
    bool countsCurrent() const { return m_countsCurrent; } // the counts are those of the store's last class change

Q_SIGNALS:
    void classesChanged();
    void countsUpdated();

private:
    // Counts regions and images per class (the store counts them over its class index).
    void countUsage();
    void refresh();
    void updateButtons();
    std::optional<core::ClassRecord> findClass(core::Id id) const;
    void showError(const QString &title, const core::Status &s);

    // The buttons: ask, then call the operations above.
    void onAdd();
    void onRename();
    void onColour();
    void onHotkey();
    void onMerge();
    void onDelete();

    annotation::Document *m_doc;
    core::ProjectStore *m_store;
    std::vector<core::ClassRecord> m_classes;
    std::map<core::Id, int> m_regions, m_images; // per class id; key 0 = without a class
    bool m_countsCurrent = false;
    quint64 m_countGeneration = 0;
    QString m_readError;                         // why the last refresh could not read the project
    QTableWidget *m_table;
    QLabel *m_summary;
    QPushButton *m_add, *m_rename, *m_colour, *m_hotkey, *m_merge, *m_delete;
    QPushButton *m_undo = nullptr, *m_redo = nullptr;
};

} // namespace ui
