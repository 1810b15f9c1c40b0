#pragma once
// The class and the attributes of the selected region, and the image's attributes.
// The class is a box of the project's classes (picking one is one SetClass undo
// step, as labelme and VIA edit it in place); the attributes follow the project's
// VIA-style schema:
// text (a line edit), checkbox (one box per option; VIA keeps {option: true}),
// radio (one choice) and dropdown or image (a combo box). Every change is an undo
// command on the Document, written to the store at once. "Add attribute…"
// extends the schema.
#include "core/dataset.h"
#include "core/project_store.h"

#include <QWidget>

class QComboBox;
class QFormLayout;
class QGroupBox;
class QLabel;

namespace annotation {
class Document;
}

namespace ui {

class AttributeEditor : public QWidget {
    Q_OBJECT
public:
    explicit AttributeEditor(QWidget *parent = nullptr);
    void setDocument(annotation::Document *doc);
    // The region whose class and attributes are shown (0: none or several selected).
    void setRegion(core::Id id);
    // The classes the class box offers, in the project's order.
    void setClasses(std::vector<core::ClassRecord> classes);
    QComboBox *classBox() const { return m_classBox; }
    // Reads the schema and the values again: now, or at the next turn of the event
    // loop (safe from inside an editor's own signal, whose widget it replaces).
    void refresh();
    void requestRefresh();
    // The editor of one attribute ("region" or "image" scope), for tests.
    QWidget *field(const QString &scope, const QString &name) const;
    void addAttributeDialog();

Q_SIGNALS:
    void classPicked(core::Id classId); // the user chose a class for the region shown (0: none)

private:
    void showClass(const core::Region *r);
    void build(QFormLayout *form, const std::string &scope, const nlohmann::ordered_json &values);
    void set(const std::string &scope, const std::string &name, const nlohmann::ordered_json &value);

    annotation::Document *m_doc = nullptr;
    core::Id m_region = 0;
    QGroupBox *m_regionBox, *m_imageBox;
    QFormLayout *m_regionForm, *m_imageForm;
    QLabel *m_regionNote;
    QComboBox *m_classBox;
    std::vector<core::ClassRecord> m_classes;
    bool m_refreshQueued = false;
};

} // namespace ui
