#include "ui/attributeeditor.h"

#include "annotation/document.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPixmap>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>

namespace ui {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

// Option ids and their descriptions, as VIA keeps them ({"id": "description"}).
std::vector<std::pair<std::string, std::string>> options(const core::AttributeDef &def)
{
    std::vector<std::pair<std::string, std::string>> out;
    if (def.options.is_object())
        for (auto it = def.options.begin(); it != def.options.end(); ++it)
            out.emplace_back(it.key(), it.value().is_string() ? it.value().get<std::string>() : it.key());
    return out;
}

void clearForm(QFormLayout *form)
{
    while (form->rowCount() > 0) form->removeRow(0);
}

} // namespace

AttributeEditor::AttributeEditor(QWidget *parent) : QWidget(parent)
{
    m_regionBox = new QGroupBox(tr("Region"));
    auto *regionLayout = new QVBoxLayout(m_regionBox);
    m_classBox = new QComboBox;
    m_classBox->setObjectName(QStringLiteral("regionClass"));
    m_classBox->setToolTip(tr("The class of the selected region; picking another is one undo step"));
    auto *classRow = new QFormLayout;
    classRow->addRow(tr("Class"), m_classBox);
    regionLayout->addLayout(classRow);
    m_regionForm = new QFormLayout;
    regionLayout->addWidget(new QLabel(tr("<i>Attributes</i>")));
    regionLayout->addLayout(m_regionForm);
    connect(m_classBox, &QComboBox::activated, this, [this] {
        if (m_region) Q_EMIT classPicked(m_classBox->currentData().toLongLong());
    });
    m_regionNote = new QLabel;
    m_regionNote->setWordWrap(true);
    m_imageBox = new QGroupBox(tr("Image attributes"));
    m_imageForm = new QFormLayout(m_imageBox);
    auto *add = new QPushButton(tr("Add Attribute…"));
    add->setToolTip(tr("Add a text, checkbox, radio or dropdown attribute to the project's schema"));
    connect(add, &QPushButton::clicked, this, &AttributeEditor::addAttributeDialog);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_regionNote);
    layout->addWidget(m_regionBox);
    layout->addWidget(m_imageBox);
    layout->addWidget(add);
    layout->addStretch(1);
    setMinimumWidth(200);
    refresh();
}

void AttributeEditor::setDocument(annotation::Document *doc)
{
    m_doc = doc;
    m_region = 0;
    refresh();
}

void AttributeEditor::setClasses(std::vector<core::ClassRecord> classes)
{
    m_classes = std::move(classes);
    requestRefresh();
}

void AttributeEditor::showClass(const core::Region *r)
{
    const QSignalBlocker block(m_classBox);
    m_classBox->clear();
    m_classBox->addItem(tr("(no class)"), QVariant::fromValue<qlonglong>(0));
    for (const auto &c : m_classes) {
        QPixmap swatch(12, 12);
        swatch.fill(QColor(qs(c.color)));
        m_classBox->addItem(QIcon(swatch), qs(c.name), QVariant::fromValue<qlonglong>(c.id));
    }
    const int at = r ? m_classBox->findData(QVariant::fromValue<qlonglong>(r->classId)) : 0;
    m_classBox->setCurrentIndex(std::max(0, at));
}

void AttributeEditor::setRegion(core::Id id)
{
    if (id == m_region) return;
    m_region = id;
    requestRefresh();
}

void AttributeEditor::requestRefresh()
{
    if (m_refreshQueued) return;
    m_refreshQueued = true;
    QMetaObject::invokeMethod(this, [this] { refresh(); }, Qt::QueuedConnection);
}

QWidget *AttributeEditor::field(const QString &scope, const QString &name) const
{
    return findChild<QWidget *>(scope + QLatin1Char('/') + name);
}

void AttributeEditor::refresh()
{
    m_refreshQueued = false;
    clearForm(m_regionForm);
    clearForm(m_imageForm);
    if (!m_doc) { // no project: nothing to edit, and no empty class box pretending there is
        m_regionNote->setText(tr("Open a project to edit its regions' classes and attributes."));
        m_regionBox->hide();
        m_imageBox->hide();
        return;
    }
    m_imageBox->show();
    const core::Region *r = m_region ? m_doc->region(m_region) : nullptr;
    m_regionNote->setText(r ? QString() : tr("Select one region to edit its class and attributes."));
    m_regionBox->setVisible(r != nullptr);
    showClass(r);
    if (r) build(m_regionForm, "region", r->attributes);
    build(m_imageForm, "image", m_doc->imageAttributes());
}

void AttributeEditor::set(const std::string &scope, const std::string &name, const nlohmann::ordered_json &value)
{
    if (!m_doc) return;
    if (scope == "region") m_doc->setRegionAttribute({m_region}, name, value);
    else m_doc->setImageAttribute(name, value);
}

void AttributeEditor::build(QFormLayout *form, const std::string &scope, const nlohmann::ordered_json &values)
{
    int shown = 0;
    const auto schema = m_doc->store().attributeSchema();
    if (!schema) {
        form->addRow(new QLabel(tr("Cannot read the attribute schema: %1").arg(QString::fromStdString(schema.error().toString()))));
        return;
    }
    for (const core::AttributeDef &def : *schema) {
        if (def.scope != scope) continue;
        ++shown;
        const std::string name = def.name;
        const nlohmann::ordered_json value = values.contains(name) ? values[name] : nlohmann::ordered_json();
        QWidget *editor = nullptr;
        if (def.type == "checkbox") {
            auto *box = new QWidget;
            auto *col = new QVBoxLayout(box);
            col->setContentsMargins(0, 0, 0, 0);
            for (const auto &[id, text] : options(def)) {
                auto *check = new QCheckBox(qs(text));
                check->setChecked(value.is_object() && value.value(id, false));
                col->addWidget(check);
                connect(check, &QCheckBox::toggled, this, [this, scope, name, id = id, values](bool on) {
                    nlohmann::ordered_json v = values.contains(name) && values[name].is_object() ? values[name] : nlohmann::ordered_json::object();
                    if (on) v[id] = true;
                    else v.erase(id);
                    set(scope, name, v);
                });
            }
            editor = box;
        } else if (def.type == "radio") {
            auto *box = new QWidget;
            auto *col = new QVBoxLayout(box);
            col->setContentsMargins(0, 0, 0, 0);
            auto *group = new QButtonGroup(box);
            for (const auto &[id, text] : options(def)) {
                auto *radio = new QRadioButton(qs(text));
                radio->setChecked(value.is_string() && value.get<std::string>() == id);
                group->addButton(radio);
                col->addWidget(radio);
                connect(radio, &QRadioButton::clicked, this, [this, scope, name, id = id] { set(scope, name, id); });
            }
            editor = box;
        } else if (def.type == "dropdown" || def.type == "image") {
            auto *combo = new QComboBox;
            combo->addItem(tr("(none)"), QString());
            for (const auto &[id, text] : options(def)) combo->addItem(qs(text), qs(id));
            const int at = value.is_string() ? combo->findData(qs(value.get<std::string>())) : 0;
            combo->setCurrentIndex(std::max(0, at));
            connect(combo, &QComboBox::activated, this, [this, scope, name, combo] {
                const QString id = combo->currentData().toString();
                set(scope, name, id.isEmpty() ? nlohmann::ordered_json() : nlohmann::ordered_json(id.toStdString()));
            });
            editor = combo;
        } else { // text, and any type this build does not know, as text
            auto *line = new QLineEdit(value.is_string() ? qs(value.get<std::string>()) : value.is_null() ? QString() : qs(value.dump()));
            line->setPlaceholderText(qs(def.defaultValue));
            connect(line, &QLineEdit::editingFinished, this, [this, scope, name, line] {
                set(scope, name, line->text().isEmpty() ? nlohmann::ordered_json() : nlohmann::ordered_json(line->text().toStdString()));
            });
            editor = line;
        }
        editor->setObjectName(qs(scope) + QLatin1Char('/') + qs(name));
        if (!def.description.empty()) editor->setToolTip(qs(def.description));
        form->addRow(qs(name), editor);
    }
    if (!shown) {
        auto *none = new QLabel(tr("No %1 attributes in the schema yet.").arg(qs(scope)));
        none->setWordWrap(true);
        form->addRow(none);
    }
}

void AttributeEditor::addAttributeDialog()
{
    if (!m_doc) return;
    QDialog d(this);
    d.setWindowTitle(tr("Add Attribute"));
    auto *name = new QLineEdit;
    auto *scope = new QComboBox;
    scope->addItems({QStringLiteral("region"), QStringLiteral("image")});
    auto *type = new QComboBox;
    type->addItems({QStringLiteral("text"), QStringLiteral("checkbox"), QStringLiteral("radio"), QStringLiteral("dropdown")});
    auto *opts = new QLineEdit;
    opts->setPlaceholderText(tr("comma-separated, e.g. good,blurred,occluded"));
    auto *form = new QFormLayout(&d);
    form->addRow(tr("Name"), name);
    form->addRow(tr("For"), scope);
    form->addRow(tr("Type"), type);
    form->addRow(tr("Options"), opts);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &d, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &d, &QDialog::reject);
    if (d.exec() != QDialog::Accepted || name->text().trimmed().isEmpty()) return;
    core::AttributeDef def;
    def.name = name->text().trimmed().toStdString();
    def.scope = scope->currentText().toStdString();
    def.type = type->currentText().toStdString();
    for (const QString &o : opts->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) def.options[o.trimmed().toStdString()] = o.trimmed().toStdString();
    if (def.type != "text" && def.options.empty()) {
        QMessageBox::warning(this, tr("Add Attribute"), tr("A %1 attribute needs options.").arg(type->currentText()));
        return;
    }
    auto read = m_doc->store().attributeSchema();
    if (!read) {
        QMessageBox::warning(this, tr("Add Attribute"), qs(read.error().toString()));
        return;
    }
    std::vector<core::AttributeDef> schema = std::move(read.value());
    for (const auto &a : schema)
        if (a.scope == def.scope && a.name == def.name) {
            QMessageBox::warning(this, tr("Add Attribute"), tr("The schema already has a %1 attribute '%2'.").arg(qs(def.scope), qs(def.name)));
            return;
        }
    schema.push_back(def);
    if (auto s = m_doc->setAttributeSchema(tr("Add attribute %1").arg(qs(def.name)), schema); !s) {
        QMessageBox::warning(this, tr("Add Attribute"), qs(s.error().toString()));
        return;
    }
}

} // namespace ui
