#include "ui/annotateworkspace.h"

#include "annotation/imagelayer.h"
#include "annotation/selection.h"
#include "annotation/tools/circletool.h"
#include "annotation/tools/ellipsetool.h"
#include "annotation/tools/pointtool.h"
#include "annotation/tools/polygontool.h"
#include "annotation/tools/polylinetool.h"
#include "annotation/tools/rectangletool.h"
#include "annotation/tools/selecttool.h"
#include "annotation/tools/smartregiontool.h"
#include "annotation/tools/vertextool.h"
#include "core/pyramid_cache.h"
#include "ui/attributeeditor.h"
#include "ui/datasetmodel.h"
#include "ui/datasetpanel.h"

#include <QActionGroup>
#include <QComboBox>
#include <QDockWidget>
#include <QFileInfo>
#include <QKeyEvent>
#include <QLabel>
#include <QListView>
#include <QScrollArea>
#include <QToolBar>
#include <QUndoStack>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace ui {

namespace {

struct Lists {
    QString error;
    std::vector<core::ImageInfo> images;
    std::vector<core::ClassRecord> classes;
};

// The image list and the classes, read on a connection of this thread's own.
Lists readLists(const std::string &project)
{
    Lists out;
    auto store = core::ProjectStore::open(project);
    if (!store) {
        out.error = QString::fromStdString(store.error().toString());
        return out;
    }
    auto images = store->images();
    auto classes = store->classes();
    if (!images || !classes) {
        out.error = QString::fromStdString((!images ? images.error() : classes.error()).toString());
        return out;
    }
    out.images = std::move(images.value());
    out.classes = std::move(classes.value());
    return out;
}

} // namespace

AnnotateWorkspace::AnnotateWorkspace(QWidget *parent) : QMainWindow(parent)
{
    setWindowFlags(Qt::Widget); // a page of the main window's tabs, with docks of its own
    setDockOptions(QMainWindow::AnimatedDocks);
    m_canvas = new annotation::Canvas;
    m_storeError = new QLabel;
    m_storeError->setWordWrap(true);
    m_storeError->setStyleSheet(QStringLiteral("QLabel { background: #fde2e1; color: #7a1010; padding: 6px; border: 1px solid #e0a0a0; }"));
    m_storeError->setToolTip(tr("Click to dismiss"));
    m_storeError->hide();
    m_storeError->installEventFilter(this);
    auto *centre = new QWidget;
    auto *centreLayout = new QVBoxLayout(centre);
    centreLayout->setContentsMargins(0, 0, 0, 0);
    centreLayout->setSpacing(0);
    centreLayout->addWidget(m_storeError);
    centreLayout->addWidget(m_canvas, 1);
    setCentralWidget(centre);

    m_panel = new DatasetPanel;
    auto *imagesDock = new QDockWidget(tr("Images"));
    imagesDock->setObjectName(QStringLiteral("imagesDock"));
    imagesDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    imagesDock->setWidget(m_panel);
    addDockWidget(Qt::LeftDockWidgetArea, imagesDock);
    m_attrs = new AttributeEditor;
    auto *attrScroll = new QScrollArea;
    attrScroll->setWidget(m_attrs);
    attrScroll->setWidgetResizable(true);
    auto *attrDock = new QDockWidget(tr("Attributes"));
    attrDock->setObjectName(QStringLiteral("attributesDock"));
    attrDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    attrDock->setWidget(attrScroll);
    addDockWidget(Qt::RightDockWidgetArea, attrDock);
    resizeDocks({imagesDock, attrDock}, {240, 250}, Qt::Horizontal);

    createTools();
    connect(m_panel, &DatasetPanel::rowActivated, this, &AnnotateWorkspace::showImage);
    connect(m_canvas, &annotation::Canvas::imageReady, this, &AnnotateWorkspace::onImageReady);
    connect(m_canvas, &annotation::Canvas::message, this, &AnnotateWorkspace::message);
    connect(m_canvas->selection(), &annotation::Selection::changed, this, [this] { m_attrs->setRegion(m_canvas->selection()->single()); });
    connect(m_attrs, &AttributeEditor::classPicked, this, [this](core::Id cls) {
        if (m_doc && m_canvas->selection()->single()) m_doc->setClass({m_canvas->selection()->single()}, cls);
    });
}

AnnotateWorkspace::~AnnotateWorkspace()
{
    m_canvas->setTool(nullptr);
    m_canvas->setDocument(nullptr);
}

void AnnotateWorkspace::createTools()
{
    QToolBar *bar = addToolBar(tr("Tools"));
    bar->setObjectName(QStringLiteral("tools"));
    bar->setMovable(false);
    m_tools.resize(static_cast<std::size_t>(Tool::Smart) + 1);
    m_tools[static_cast<std::size_t>(Tool::Select)] = new annotation::SelectTool(this);
    m_tools[static_cast<std::size_t>(Tool::Vertex)] = new annotation::VertexTool(this);
    m_tools[static_cast<std::size_t>(Tool::Rectangle)] = new annotation::RectangleTool(this);
    m_tools[static_cast<std::size_t>(Tool::Polygon)] = new annotation::PolygonTool(this);
    m_tools[static_cast<std::size_t>(Tool::Polyline)] = new annotation::PolylineTool(this);
    m_tools[static_cast<std::size_t>(Tool::Point)] = new annotation::PointTool(this);
    m_tools[static_cast<std::size_t>(Tool::Circle)] = new annotation::CircleTool(this);
    m_tools[static_cast<std::size_t>(Tool::Ellipse)] = new annotation::EllipseTool(this);
    m_tools[static_cast<std::size_t>(Tool::Smart)] = new annotation::SmartRegionTool(this);
    m_toolActions = new QActionGroup(this);
    for (std::size_t i = 0; i < m_tools.size(); ++i) {
        annotation::AbstractTool *t = m_tools[i];
        QAction *a = bar->addAction(t->icon(), t->name());
        a->setCheckable(true);
        a->setShortcut(t->shortcut());
        a->setToolTip(QStringLiteral("<b>%1</b> (%2)<br>%3").arg(t->name(), t->shortcut().toString(QKeySequence::NativeText), t->toolTip()));
        a->setData(static_cast<int>(i));
        m_toolActions->addAction(a);
        connect(a, &QAction::triggered, this, [this, i] { setTool(static_cast<Tool>(i)); });
        connect(t, &annotation::AbstractTool::statusTextChanged, this, [this, t](const QString &text) {
            if (m_canvas->tool() == t) Q_EMIT message(text, 0);
        });
    }
    bar->addSeparator();
    m_classBox = new QComboBox;
    m_classBox->setToolTip(tr("Class of new regions (keys 1-9); with regions selected, picking one sets their class"));
    m_classBox->setMinimumContentsLength(10);
    bar->addWidget(m_classBox);
    connect(m_classBox, &QComboBox::currentIndexChanged, this, [this] { m_canvas->setNewRegionClass(currentClass()); });
    connect(m_classBox, &QComboBox::activated, this, [this](int index) { pickClass(index, true); }); // the user's pick, not ours
    setTool(Tool::Select);
}

annotation::AbstractTool *AnnotateWorkspace::tool(Tool tool) const { return m_tools[static_cast<std::size_t>(tool)]; }

void AnnotateWorkspace::setTool(Tool which)
{
    annotation::AbstractTool *t = tool(which);
    m_canvas->setTool(t);
    for (QAction *a : m_toolActions->actions()) a->setChecked(a->data().toInt() == static_cast<int>(which));
    Q_EMIT message(t->statusText(), 0);
}

// ---------------------------------------------------------------- the project

void AnnotateWorkspace::setProject(std::shared_ptr<core::ProjectStore> store)
{
    ++m_listGeneration; // a reload of the previous project still running is dropped
    m_canvas->setDocument(nullptr);
    m_attrs->setDocument(nullptr);
    m_store = std::move(store);
    m_doc = std::make_unique<annotation::Document>(m_store);
    // Pyramids of large images live beside the project: PROJECT.cache/pyramids.
    const QFileInfo file(QString::fromStdString(m_store->path()));
    m_pyramids = std::make_shared<core::PyramidCache>((file.absolutePath() + QLatin1Char('/') + file.completeBaseName() + QStringLiteral(".cache/pyramids")).toStdString());
    m_canvas->setPyramidCache(m_pyramids);
    m_canvas->setDocument(m_doc.get());
    m_attrs->setDocument(m_doc.get());
    m_storeError->hide();
    connect(m_doc.get(), &annotation::Document::classesChanged, this, [this] { reloadImages(Reload::ListsOnly); }); // merges and deletes move images; the document reloaded its regions
    connect(m_doc.get(), &annotation::Document::changed, this, &AnnotateWorkspace::onDocumentChanged);
    connect(m_doc.get(), &annotation::Document::storeFailed, this, [this](const QString &message) {
        // Not modal: the user keeps working; the banner stays until the next edit succeeds or is dismissed.
        m_storeError->setText(tr("<b>Not saved:</b> %1 — the edit was not applied; everything saved before is intact.").arg(message.toHtmlEscaped()));
        m_storeError->show();
        if (auto s = m_doc->setImage(m_doc->image()); !s) storeReadFailed(s.error()); // show what the project really holds
    });
    connect(m_doc->undoStack(), &QUndoStack::indexChanged, this, [this] {
        if (m_doc->lastError().isEmpty()) m_storeError->hide();
    });
    m_shownRow = m_pendingRow = -1;
    m_fitNext = true;
    // The open itself: the list is read here, once (10,000 images in tens of milliseconds).
    auto images = m_store->images();
    auto classes = m_store->classes();
    if (!images || !classes) storeReadFailed(!images ? images.error() : classes.error());
    applyLists(images ? std::move(images.value()) : std::vector<core::ImageInfo>{}, classes ? std::move(classes.value()) : std::vector<core::ClassRecord>{});
    if (!m_images.empty()) selectRow(0);
}

void AnnotateWorkspace::reloadImages(Reload what)
{
    if (!m_store) return;
    const std::string project = m_store->path();
    const quint64 generation = ++m_listGeneration;
    QtConcurrent::run([project] { return readLists(project); }).then(this, [this, generation, what](Lists lists) {
        if (generation != m_listGeneration) return;
        if (!lists.error.isEmpty()) {
            storeReadFailed(core::makeError(core::ErrorCode::Io, {}, {}, lists.error.toStdString()));
            return;
        }
        applyLists(std::move(lists.images), std::move(lists.classes));
        // An import may have added regions to the image on the canvas (on another connection).
        if (what == Reload::ListsAndRegions && m_doc && m_doc->image())
            if (auto s = m_doc->setImage(m_doc->image()); !s) storeReadFailed(s.error());
        Q_EMIT listsReloaded();
    });
}

void AnnotateWorkspace::storeReadFailed(const core::Error &e)
{
    m_storeError->setText(tr("<b>Cannot read the project:</b> %1 — what is shown may be out of date; nothing was changed.")
                              .arg(QString::fromStdString(e.toString()).toHtmlEscaped()));
    m_storeError->show();
}

void AnnotateWorkspace::applyLists(std::vector<core::ImageInfo> images, std::vector<core::ClassRecord> classes)
{
    const QString current = currentImagePath();
    const bool hadImage = !current.isEmpty();
    m_images = std::move(images);
    m_panel->setImages(m_images, classes);
    applyClasses(std::move(classes));
    if (!hadImage) { // the first images of an empty project (Add Image Folder): the first goes on the canvas
        if (!m_images.empty()) selectRow(0);
        return;
    }
    // The image on the canvas stays; only its row may have moved.
    int keep = -1;
    for (std::size_t i = 0; i < m_images.size(); ++i)
        if (QString::fromStdString(m_images[i].absPath) == current) keep = static_cast<int>(i);
    if (keep >= 0) {
        if (m_shownRow >= 0) m_shownRow = keep;
        if (m_pendingRow >= 0) m_pendingRow = keep;
        m_panel->showRow(keep);
    } else {
        m_shownRow = m_pendingRow = -1;
        if (!m_images.empty()) selectRow(0);
    }
}

void AnnotateWorkspace::applyClasses(std::vector<core::ClassRecord> classes)
{
    const core::Id keep = currentClass();
    m_classes = std::move(classes);
    {
        const QSignalBlocker block(m_classBox);
        m_classBox->clear();
        m_classBox->addItem(tr("(no class)"), QVariant::fromValue<qlonglong>(0));
        for (const auto &c : m_classes) {
            m_classBox->addItem(c.hotkey ? QStringLiteral("%1  [%2]").arg(QString::fromStdString(c.name), QChar::fromLatin1(c.hotkey)) : QString::fromStdString(c.name),
                                QVariant::fromValue<qlonglong>(c.id));
            if (c.hotkey >= '1' && c.hotkey <= '9') m_classBox->setItemData(m_classBox->count() - 1, c.hotkey - '0', Qt::UserRole + 1);
        }
        const int i = m_classBox->findData(QVariant::fromValue<qlonglong>(keep));
        m_classBox->setCurrentIndex(keep && i >= 0 ? i : m_classBox->count() > 1 ? 1 : 0);
    }
    m_canvas->setNewRegionClass(currentClass());
    std::unordered_map<core::Id, annotation::Canvas::ClassStyle> styles;
    for (const auto &c : m_classes) styles[c.id] = {QColor(QString::fromStdString(c.color)), QString::fromStdString(c.name)};
    m_canvas->setClassStyles(std::move(styles));
    m_attrs->setClasses(m_classes);
}

core::Id AnnotateWorkspace::currentClass() const { return m_classBox->currentData().toLongLong(); }

void AnnotateWorkspace::pickClass(int index, bool applyToSelection)
{
    if (index < 0 || index >= m_classBox->count()) return;
    m_classBox->setCurrentIndex(index);
    if (applyToSelection && m_doc && !m_canvas->selection()->isEmpty()) m_doc->setClass(m_canvas->selection()->ids(), currentClass());
}

// ---------------------------------------------------------------- images

int AnnotateWorkspace::imageCount() const { return static_cast<int>(m_images.size()); }

const std::vector<core::ImageInfo> &AnnotateWorkspace::images() const { return m_images; }

DatasetFilter *AnnotateWorkspace::datasetFilter() const { return m_panel->filter(); }

QListView *AnnotateWorkspace::imageList() const { return m_panel->list(); }

const std::vector<core::Id> &AnnotateWorkspace::selection() const { return m_canvas->selection()->ids(); }

void AnnotateWorkspace::setSelection(std::vector<core::Id> ids) { m_canvas->selection()->set(std::move(ids)); }

QString AnnotateWorkspace::currentImagePath() const
{
    const int row = m_pendingRow >= 0 ? m_pendingRow : m_shownRow;
    return row >= 0 && row < imageCount() ? QString::fromStdString(m_images[static_cast<std::size_t>(row)].absPath) : QString();
}

void AnnotateWorkspace::selectRow(int row)
{
    if (row < 0 || row >= imageCount()) return;
    m_panel->showRow(row); // quietly; filtered out of the list, it is shown all the same
    if (m_pendingRow == row || (m_shownRow == row && m_pendingRow < 0)) return; // on its way, or there
    showImage(row);
}

void AnnotateWorkspace::showImage(int row)
{
    if (row < 0 || row >= imageCount()) return;
    m_pendingRow = row;
    m_canvas->showImage(QString::fromStdString(m_images[static_cast<std::size_t>(row)].absPath));
}

void AnnotateWorkspace::onImageReady(bool)
{
    const int row = m_pendingRow;
    if (row < 0 || row >= imageCount() || !m_doc) return;
    m_pendingRow = -1;
    const core::ImageInfo &info = m_images[static_cast<std::size_t>(row)];
    if (auto s = m_doc->setImage(info.id); !s) storeReadFailed(s.error()); // the regions are drawn from its changed() event
    if (m_fitNext) {
        m_canvas->fitToWindow();
        m_fitNext = false;
    }
    const int regionCount = static_cast<int>(m_doc->regions().size());
    const QString name = QString::fromStdString(info.relPath);
    Q_EMIT message(regionCount == 1 ? tr("%1 — 1 region").arg(name) : tr("%1 — %2 regions").arg(name).arg(regionCount), 0);
    if (m_selectRegionIndex >= 0 && m_selectRegionIndex < regionCount) { // from the validation report
        const core::Region &r = m_doc->regions()[static_cast<std::size_t>(m_selectRegionIndex)];
        setSelection({r.id});
        const core::Box b = r.shape.boundingBox();
        m_canvas->centerOn(b.x + b.w / 2, b.y + b.h / 2);
    }
    m_selectRegionIndex = -1;
    m_shownRow = row;
    Q_EMIT imageShown(row);
}

void AnnotateWorkspace::onDocumentChanged(const annotation::ChangeEvent &e)
{
    using annotation::ChangeEvent;
    if (e.kind == ChangeEvent::Added || e.kind == ChangeEvent::Removed) { // the list shows region counts
        const int n = static_cast<int>(m_doc->regions().size());
        m_panel->setRegionCount(m_doc->image(), n);
        for (auto &im : m_images)
            if (im.id == m_doc->image()) im.regionCount = n;
    }
    if (e.kind == ChangeEvent::Reset || e.kind == ChangeEvent::AttributesChanged || e.kind == ChangeEvent::ImageAttributesChanged ||
        e.kind == ChangeEvent::SchemaChanged || e.kind == ChangeEvent::ClassChanged)
        m_attrs->requestRefresh();
}

void AnnotateWorkspace::showProblem(const QString &imagePath, int region)
{
    for (std::size_t i = 0; i < m_images.size(); ++i) {
        if (QString::fromStdString(m_images[i].relPath) != imagePath) continue;
        m_selectRegionIndex = region;
        m_panel->showRow(static_cast<int>(i));
        showImage(static_cast<int>(i));
        return;
    }
    Q_EMIT message(tr("%1 is not in the project's image list").arg(imagePath), 5000);
}

void AnnotateWorkspace::setProblemImages(const QStringList &relPaths)
{
    const QSet<QString> paths(relPaths.begin(), relPaths.end());
    QSet<core::Id> ids;
    for (const auto &im : m_images)
        if (paths.contains(QString::fromStdString(im.relPath))) ids.insert(im.id);
    m_panel->filter()->setProblemImages(ids);
}

// ---------------------------------------------------------------- keys

void AnnotateWorkspace::keyPressEvent(QKeyEvent *event)
{
    const int key = event->key();
    const bool busy = m_canvas->tool() && m_canvas->tool()->isBusy();
    const bool plain = !(event->modifiers() & (Qt::ControlModifier | Qt::AltModifier | Qt::ShiftModifier));
    if (!busy && plain && (key == Qt::Key_D || key == Qt::Key_PageDown || key == Qt::Key_A || key == Qt::Key_PageUp)) {
        const int step = key == Qt::Key_D || key == Qt::Key_PageDown ? 1 : -1;
        const int row = m_panel->rowAfter(m_pendingRow >= 0 ? m_pendingRow : m_shownRow, step); // next/previous in the list as filtered
        if (row >= 0) selectRow(row);
        event->accept();
        return;
    }
    if (key >= Qt::Key_1 && key <= Qt::Key_9 && !(event->modifiers() & (Qt::ControlModifier | Qt::AltModifier))) {
        // The class whose hotkey this is (Dataset › Classes), else the n-th class.
        const int digit = key - Qt::Key_0;
        int index = m_classBox->findData(digit, Qt::UserRole + 1);
        if (index < 0 && digit < m_classBox->count()) index = digit;
        if (index >= 0) {
            pickClass(index, true);
            event->accept();
            return;
        }
    }
    QMainWindow::keyPressEvent(event);
}

bool AnnotateWorkspace::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_storeError && event->type() == QEvent::MouseButtonPress) {
        m_storeError->hide();
        return true;
    }
    return QMainWindow::eventFilter(watched, event);
}

} // namespace ui
