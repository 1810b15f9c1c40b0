#include "ui/classmanager.h"

#include <QColor>
#include <QColorDialog>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIcon>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPainter>
#include <QPixmap>
#include <QPushButton>
#include <QTableWidget>
#include <QUndoStack>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <utility>

namespace ui {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

core::Error invalid(const QString &message)
{
    return core::makeError(core::ErrorCode::Invalid, {}, {}, message.toStdString());
}

QIcon swatch(const QColor &c)
{
    QPixmap pm(16, 16);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setPen(QPen(Qt::black, 1));
    p.setBrush(c.isValid() ? c : QColor(Qt::gray));
    p.drawRect(0, 0, 15, 15);
    return QIcon(pm);
}

QTableWidgetItem *cell(const QString &text, core::Id id)
{
    auto *item = new QTableWidgetItem(text);
    item->setData(Qt::UserRole, QVariant::fromValue<qlonglong>(id));
    item->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
    return item;
}

} // namespace

ClassManagerDialog::ClassManagerDialog(annotation::Document *doc, QWidget *parent)
    : QDialog(parent), m_doc(doc), m_store(doc ? &doc->store() : nullptr)
{
    setWindowTitle(tr("Classes"));

    m_table = new QTableWidget(0, ColumnCount);
    m_table->setHorizontalHeaderLabels({tr("Colour"), tr("Name"), tr("Hotkey"), tr("Regions")});
    m_table->horizontalHeaderItem(ColourColumn)->setToolTip(tr("Colour of the class's regions on the canvas"));
    m_table->horizontalHeaderItem(HotkeyColumn)->setToolTip(tr("Key (1-9) that picks the class while annotating"));
    m_table->horizontalHeaderItem(RegionsColumn)->setToolTip(tr("Regions of the class in the whole project"));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(NameColumn, QHeaderView::Stretch);
    m_table->setToolTip(tr("Double-click a colour, name or hotkey to change it"));

    auto button = [this](const QString &text, const QString &tip, void (ClassManagerDialog::*slot)()) {
        auto *b = new QPushButton(text);
        b->setToolTip(tip);
        connect(b, &QPushButton::clicked, this, slot);
        return b;
    };
    m_add = button(tr("Add…"), tr("Add a new class to the project"), &ClassManagerDialog::onAdd);
    m_rename = button(tr("Rename…"), tr("Give the selected class another name; its regions keep it"),
                      &ClassManagerDialog::onRename);
    m_colour = button(tr("Colour…"), tr("Choose the colour the selected class is drawn in"), &ClassManagerDialog::onColour);
    m_hotkey = button(tr("Hotkey…"), tr("Choose the key (1-9) that picks the selected class while annotating"),
                      &ClassManagerDialog::onHotkey);
    m_merge = button(tr("Merge into…"),
                     tr("Move every region and image of the selected class into another class, then delete it"),
                     &ClassManagerDialog::onMerge);
    m_delete = button(tr("Delete…"), tr("Delete the selected class; its regions stay, without a class"),
                      &ClassManagerDialog::onDelete);

    auto *side = new QVBoxLayout;
    for (QPushButton *b : {m_add, m_rename, m_colour, m_hotkey, m_merge, m_delete})
        side->addWidget(b);
    side->addStretch();
    if (m_doc) { // the document's undo stack, reachable without leaving the dialog
        QUndoStack *stack = m_doc->undoStack();
        m_undo = new QPushButton(tr("Undo"));
        m_redo = new QPushButton(tr("Redo"));
        m_undo->setShortcut(QKeySequence::Undo);
        m_redo->setShortcut(QKeySequence::Redo);
        connect(m_undo, &QPushButton::clicked, stack, &QUndoStack::undo);
        connect(m_redo, &QPushButton::clicked, stack, &QUndoStack::redo);
        auto follow = [this, stack] {
            auto tip = [](bool can, const QString &verb, const QString &what, QKeySequence::StandardKey key) {
                return can ? tr("%1: %2 (%3)").arg(verb, what, QKeySequence(key).toString(QKeySequence::NativeText)) : tr("Nothing to %1").arg(verb.toLower());
            };
            m_undo->setEnabled(stack->canUndo());
            m_redo->setEnabled(stack->canRedo());
            m_undo->setToolTip(tip(stack->canUndo(), tr("Undo"), stack->undoText(), QKeySequence::Undo));
            m_redo->setToolTip(tip(stack->canRedo(), tr("Redo"), stack->redoText(), QKeySequence::Redo));
        };
        connect(stack, &QUndoStack::indexChanged, this, follow);
        follow();
        side->addWidget(m_undo);
        side->addWidget(m_redo);
    }

    auto *top = new QHBoxLayout;
    top->addWidget(m_table, 1);
    top->addLayout(side);

    m_summary = new QLabel;
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    buttons->button(QDialogButtonBox::Close)->setToolTip(tr("Close; every change is saved already"));
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top, 1);
    layout->addWidget(m_summary);
    layout->addWidget(buttons);

    connect(m_table, &QTableWidget::itemSelectionChanged, this, &ClassManagerDialog::updateButtons);
    connect(m_table, &QTableWidget::cellDoubleClicked, this, [this](int row, int column) {
        selectClass(classAt(row));
        if (column == ColourColumn) onColour();
        else if (column == NameColumn) onRename();
        else if (column == HotkeyColumn) onHotkey();
    });

    // Every class change, the dialog's own and undo or redo from the main window.
    if (m_doc)
        connect(m_doc, &annotation::Document::classesChanged, this, [this] {
            countUsage();
            refresh();
        });

    countUsage();
    refresh();
    resize(560, 360);
}

ClassManagerDialog::~ClassManagerDialog() = default;

// ---------------------------------------------------------------- reading

void ClassManagerDialog::countUsage()
{
    if (!m_store) return;
    // Counting reads every region's class: off the GUI thread, on a connection of its own.
    // Until the counts land the table shows "…" and Merge and Delete, which quote them, wait.
    const quint64 generation = ++m_countGeneration;
    m_countsCurrent = false;
    const std::string project = m_store->path();
    QtConcurrent::run([project]() -> core::Result<core::ProjectStore::ClassUsage> {
        auto store = core::ProjectStore::open(project);
        if (!store) return store.error();
        return store->classUsage();
    }).then(this, [this, generation](core::Result<core::ProjectStore::ClassUsage> usage) {
        if (generation != m_countGeneration) return; // a newer count is on its way
        m_readError.clear();
        m_regions.clear();
        m_images.clear();
        if (usage) {
            m_regions = std::move(usage->regions);
            m_images = std::move(usage->images);
        } else {
            m_readError = qs(usage.error().toString());
        }
        m_countsCurrent = true;
        refresh();
        Q_EMIT countsUpdated();
    });
}

void ClassManagerDialog::refresh()
{
    const core::Id keep = selectedClass();
    m_classes.clear();
    if (m_store) {
        if (auto classes = m_store->classes()) m_classes = std::move(classes.value());
        else m_readError = qs(classes.error().toString());
    }
    m_table->setRowCount(0);
    m_table->setRowCount(static_cast<int>(m_classes.size()));
    for (int row = 0; row < static_cast<int>(m_classes.size()); ++row) {
        const core::ClassRecord &c = m_classes[static_cast<std::size_t>(row)];
        const QColor colour(qs(c.color));
        auto *colourItem = cell(qs(c.color), c.id);
        colourItem->setIcon(swatch(colour));
        m_table->setItem(row, ColourColumn, colourItem);
        m_table->setItem(row, NameColumn, cell(qs(c.name), c.id));
        auto *key = cell(c.hotkey ? QString(QLatin1Char(c.hotkey)) : QString(), c.id);
        key->setTextAlignment(Qt::AlignCenter);
        key->setToolTip(c.hotkey ? tr("Press %1 to pick this class").arg(QLatin1Char(c.hotkey)) : tr("No hotkey"));
        m_table->setItem(row, HotkeyColumn, key);
        auto *count = cell(m_countsCurrent ? QString::number(regionCount(c.id)) : QStringLiteral("…"), c.id);
        count->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_table->setItem(row, RegionsColumn, count);
    }
    m_table->resizeColumnToContents(ColourColumn);
    m_table->resizeColumnToContents(HotkeyColumn);
    m_table->resizeColumnToContents(RegionsColumn);
    if (rowOf(keep) >= 0) selectClass(keep);
    const int unclassed = m_countsCurrent ? regionCount(0) : 0;
    if (!m_readError.isEmpty()) m_summary->setText(tr("Cannot read the project: %1").arg(m_readError));
    else m_summary->setText(unclassed ? tr("%1 regions have no class.").arg(unclassed) : QString());
    updateButtons();
}

void ClassManagerDialog::updateButtons()
{
    const bool any = selectedClass() != 0;
    for (QPushButton *b : {m_rename, m_colour, m_hotkey})
        b->setEnabled(any);
    // Their questions say how many regions move: they wait for the counts.
    m_delete->setEnabled(any && m_countsCurrent);
    m_merge->setEnabled(any && m_countsCurrent && m_classes.size() >= 2);
}

std::optional<core::ClassRecord> ClassManagerDialog::findClass(core::Id id) const
{
    if (!m_store || id == 0) return std::nullopt;
    for (const core::ClassRecord &c : m_classes)
        if (c.id == id) return c;
    return std::nullopt;
}

int ClassManagerDialog::rowOf(core::Id id) const
{
    for (int row = 0; row < m_table->rowCount(); ++row)
        if (classAt(row) == id) return row;
    return -1;
}

core::Id ClassManagerDialog::classAt(int row) const
{
    const QTableWidgetItem *item = m_table->item(row, NameColumn);
    return item ? item->data(Qt::UserRole).toLongLong() : 0;
}

core::Id ClassManagerDialog::selectedClass() const
{
    const QList<QTableWidgetItem *> items = m_table->selectedItems();
    return items.isEmpty() ? 0 : items.first()->data(Qt::UserRole).toLongLong();
}

void ClassManagerDialog::selectClass(core::Id id)
{
    const int row = rowOf(id);
    if (row >= 0) m_table->selectRow(row);
    else m_table->clearSelection();
}

int ClassManagerDialog::regionCount(core::Id id) const
{
    const auto it = m_regions.find(id);
    return it == m_regions.end() ? 0 : it->second;
}

int ClassManagerDialog::imageCount(core::Id id) const
{
    const auto it = m_images.find(id);
    return it == m_images.end() ? 0 : it->second;
}

// ---------------------------------------------------------------- operations

core::Status ClassManagerDialog::addClass(const QString &name)
{
    if (!m_store) return invalid(tr("No project is open."));
    const QString n = name.trimmed();
    if (n.isEmpty()) return invalid(tr("A class needs a name."));
    for (const core::ClassRecord &c : m_classes)
        if (qs(c.name) == n) return invalid(tr("A class named '%1' exists already.").arg(n));
    core::Id id = 0;
    if (auto s = m_doc->editClasses(tr("Add class %1").arg(n), {}, [&](core::ProjectStore &st) -> core::Status {
            auto r = st.addClass(n.toStdString());
            if (!r) return r.error();
            id = *r;
            return {};
        });
        !s)
        return s;
    selectClass(id);
    Q_EMIT classesChanged();
    return {};
}

core::Status ClassManagerDialog::renameClass(core::Id id, const QString &newName)
{
    const auto cls = findClass(id);
    if (!cls) return invalid(tr("There is no such class."));
    const QString n = newName.trimmed();
    if (n.isEmpty()) return invalid(tr("A class needs a name."));
    if (n == qs(cls->name)) return {};
    for (const core::ClassRecord &c : m_classes)
        if (c.id != id && qs(c.name) == n)
            return invalid(tr("A class named '%1' exists already. To move the regions of '%2' into it, use Merge into….")
                               .arg(n, qs(cls->name)));
    if (auto s = m_doc->editClasses(tr("Rename class %1").arg(qs(cls->name)), {}, [&](core::ProjectStore &st) { return st.renameClass(id, n.toStdString()); }); !s) return s;
    Q_EMIT classesChanged();
    return {};
}

core::Status ClassManagerDialog::recolour(core::Id id, const QColor &colour)
{
    const auto cls = findClass(id);
    if (!cls) return invalid(tr("There is no such class."));
    if (!colour.isValid()) return invalid(tr("That is not a valid colour."));
    const QString hex = colour.name(QColor::HexRgb);
    if (hex == qs(cls->color)) return {};
    if (auto s = m_doc->editClasses(tr("Recolour class %1").arg(qs(cls->name)), {}, [&](core::ProjectStore &st) { return st.setClassColor(id, hex.toStdString()); }); !s) return s;
    Q_EMIT classesChanged();
    return {};
}

core::Status ClassManagerDialog::setHotkey(core::Id id, int digit)
{
    const auto cls = findClass(id);
    if (!cls) return invalid(tr("There is no such class."));
    if (digit < 0 || digit > 9) return invalid(tr("A hotkey is a digit from 1 to 9."));
    const char key = digit ? static_cast<char>('0' + digit) : 0;
    if (key == cls->hotkey) return {};
    if (auto s = m_doc->editClasses(tr("Hotkey of class %1").arg(qs(cls->name)), {}, [&](core::ProjectStore &st) { return st.setClassHotkey(id, key); }); !s) return s;
    Q_EMIT classesChanged();
    return {};
}

core::Status ClassManagerDialog::merge(core::Id from, core::Id into)
{
    const auto source = findClass(from);
    const auto target = findClass(into);
    if (!source || !target) return invalid(tr("There is no such class."));
    if (from == into) return invalid(tr("A class cannot be merged into itself; choose another class."));
    if (auto s = m_doc->editClasses(tr("Merge class %1 into %2").arg(qs(source->name), qs(target->name)), {from, into}, [&](core::ProjectStore &st) { return st.mergeClasses(from, into); }); !s)
        return s;
    selectClass(into);
    Q_EMIT classesChanged();
    return {};
}

core::Status ClassManagerDialog::remove(core::Id id)
{
    const auto cls = findClass(id);
    if (!cls) return invalid(tr("There is no such class."));
    if (auto s = m_doc->editClasses(tr("Delete class %1").arg(qs(cls->name)), {id}, [&](core::ProjectStore &st) { return st.removeClass(id); }); !s) return s;
    Q_EMIT classesChanged();
    return {};
}

// ---------------------------------------------------------------- buttons

void ClassManagerDialog::showError(const QString &title, const core::Status &s)
{
    if (!s) QMessageBox::warning(this, title, qs(s.error().toString()));
}

void ClassManagerDialog::onAdd()
{
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("Add Class"), tr("Name of the new class:"), QLineEdit::Normal, {}, &ok);
    if (ok) showError(tr("Add Class"), addClass(name));
}

void ClassManagerDialog::onRename()
{
    const auto cls = findClass(selectedClass());
    if (!cls) return;
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("Rename Class"), tr("New name for '%1':").arg(qs(cls->name)),
                                               QLineEdit::Normal, qs(cls->name), &ok);
    if (ok) showError(tr("Rename Class"), renameClass(cls->id, name));
}

void ClassManagerDialog::onColour()
{
    const auto cls = findClass(selectedClass());
    if (!cls) return;
    const QColor colour = QColorDialog::getColor(QColor(qs(cls->color)), this, tr("Colour of '%1'").arg(qs(cls->name)));
    if (colour.isValid()) showError(tr("Class Colour"), recolour(cls->id, colour));
}

void ClassManagerDialog::onHotkey()
{
    const auto cls = findClass(selectedClass());
    if (!cls) return;
    QStringList keys{tr("None")};
    for (int k = 1; k <= 9; ++k)
        keys << QString::number(k);
    const int current = cls->hotkey >= '1' && cls->hotkey <= '9' ? cls->hotkey - '0' : 0;
    bool ok = false;
    const QString key = QInputDialog::getItem(this, tr("Class Hotkey"),
                                              tr("Key that picks '%1' (a class that has it loses it):").arg(qs(cls->name)),
                                              keys, current, false, &ok);
    if (ok) showError(tr("Class Hotkey"), setHotkey(cls->id, static_cast<int>(keys.indexOf(key))));
}

void ClassManagerDialog::onMerge()
{
    const auto cls = findClass(selectedClass());
    if (!cls) return;
    QStringList names;
    std::vector<core::Id> ids;
    for (const core::ClassRecord &c : m_classes)
        if (c.id != cls->id) {
            names << qs(c.name);
            ids.push_back(c.id);
        }
    if (names.isEmpty()) return;
    bool ok = false;
    const QString target = QInputDialog::getItem(this, tr("Merge Class"), tr("Merge '%1' into:").arg(qs(cls->name)),
                                                 names, 0, false, &ok);
    const auto index = names.indexOf(target);
    if (!ok || index < 0) return;
    const core::Id into = ids[static_cast<std::size_t>(index)];
    const int n = regionCount(cls->id);
    const QString name = qs(cls->name);
    QString question = n == 1 ? tr("Merge class '%1' into '%2'? Its one region moves to '%2' and '%1' is deleted.").arg(name, target)
                              : tr("Merge class '%1' into '%2'? Its %3 regions move to '%2' and '%1' is deleted.")
                                    .arg(name, target, QString::number(n));
    if (const int images = imageCount(cls->id))
        question += QLatin1Char(' ') + (images == 1 ? tr("The one image with it as its image class moves too.")
                                                    : tr("The %1 images with it as their image class move too.").arg(images));
    if (QMessageBox::question(this, tr("Merge Class"), question) != QMessageBox::Yes) return;
    showError(tr("Merge Class"), merge(cls->id, into));
}

void ClassManagerDialog::onDelete()
{
    const auto cls = findClass(selectedClass());
    if (!cls) return;
    const int n = regionCount(cls->id);
    const QString name = qs(cls->name);
    QString question = n == 0   ? tr("Delete class '%1'? No region uses it.").arg(name)
                       : n == 1 ? tr("Delete class '%1'? Its one region keeps its shape but loses its class.").arg(name)
                                : tr("Delete class '%1'? Its %2 regions keep their shapes but lose their class.").arg(name, QString::number(n));
    if (const int images = imageCount(cls->id))
        question += QLatin1Char(' ') + (images == 1 ? tr("One image loses it as its image class.")
                                                    : tr("%1 images lose it as their image class.").arg(images));
    if (QMessageBox::question(this, tr("Delete Class"), question) != QMessageBox::Yes) return;
    showError(tr("Delete Class"), remove(cls->id));
}

} // namespace ui
