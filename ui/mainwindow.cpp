#include "ui/mainwindow.h"

#include "annotation/shapeedit.h"

#ifdef ANNOTRAIN_WITH_TRAINING
#include "ui/inspectpanel.h"
#include "ui/trainpanel.h"
#endif

#include "core/transfer.h"
#include "ui/attributeeditor.h"
#include "ui/classmanager.h"
#include "ui/datasetmodel.h"
#include "ui/regionlayer.h"
#include "ui/datasetdialogs.h"
#include "ui/transferdialog.h"
#include "ui/filedialogs.h"

#include <QActionGroup>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QMimeData>
#include <QSettings>
#include <QTimer>
#include <QUrl>
#include <QApplication>
#include <QComboBox>
#include <QKeyEvent>
#include <QToolBar>
#include <QUndoStack>
#include <QGraphicsEllipseItem>
#include <QGraphicsPixmapItem>
#include <QGraphicsScene>
#include <QGraphicsView>
#include <QImageReader>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenuBar>
#include <QMessageBox>
#include <QMouseEvent>
#include <QHBoxLayout>
#include <QScrollArea>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QScrollBar>
#include <QWheelEvent>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace ui {

namespace {
// Thumbnails arrive at 96 px; the list draws them in a fixed box left of the name,
// whatever their aspect, so every row has the same height.
class ThumbnailDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    static constexpr int kW = 48, kH = 36;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        QStyleOptionViewItem opt = option;
        initStyleOption(&opt, index);
        const QPixmap pm = index.data(Qt::DecorationRole).value<QPixmap>();
        opt.features &= ~QStyleOptionViewItem::HasDecoration;
        opt.icon = QIcon();
        QStyle *style = opt.widget ? opt.widget->style() : QApplication::style();
        style->drawPrimitive(QStyle::PE_PanelItemViewItem, &opt, painter, opt.widget);
        opt.rect.adjust(kW + 6, 0, 0, 0);
        style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, opt.widget);
        if (!pm.isNull()) {
            const QSize s = pm.size().scaled(kW, kH, Qt::KeepAspectRatio);
            const QRect box(option.rect.left() + 2 + (kW - s.width()) / 2, option.rect.top() + (option.rect.height() - s.height()) / 2, s.width(), s.height());
            painter->drawPixmap(box, pm);
        }
    }
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        const QString text = index.data(Qt::DisplayRole).toString();
        return {option.fontMetrics.horizontalAdvance(text) + kW + 14, std::max(option.fontMetrics.height() + 6, kH + 4)};
    }
};
} // namespace

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("Annotrain Studio"));
    // The dataset panel: a virtualised list over the project's images (thumbnails decoded
    // on demand off the GUI thread) with filters by name, split, class and state.
    m_model = new DatasetModel(this);
    m_filter = new DatasetFilter(this);
    m_filter->setSourceModel(m_model);
    m_list = new QListView;
    m_list->setModel(m_filter);
    m_list->setUniformItemSizes(true);
    m_list->setItemDelegate(new ThumbnailDelegate(m_list));
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_search = new QLineEdit;
    m_search->setPlaceholderText(tr("Search names…"));
    m_search->setClearButtonEnabled(true);
    m_search->setToolTip(tr("Show the images whose path contains this text (any case)"));
    m_splitFilter = new QComboBox;
    m_splitFilter->addItems({tr("All splits"), tr("train"), tr("val"), tr("test"), tr("unassigned")});
    m_splitFilter->setToolTip(tr("Show one split"));
    m_classFilter = new QComboBox;
    m_classFilter->setToolTip(tr("Show the images of one image class"));
    m_stateFilter = new QComboBox;
    m_stateFilter->addItems({tr("All images"), tr("Annotated"), tr("Not annotated"), tr("With problems")});
    m_stateFilter->setToolTip(tr("Annotated: with at least one region. With problems: flagged by Dataset › Validate"));
    auto *panel = new QWidget;
    auto *panelLayout = new QVBoxLayout(panel);
    panelLayout->setContentsMargins(0, 0, 0, 0);
    panelLayout->setSpacing(2);
    panelLayout->addWidget(m_search);
    auto *filterRow = new QHBoxLayout;
    filterRow->addWidget(m_splitFilter);
    filterRow->addWidget(m_classFilter);
    panelLayout->addLayout(filterRow);
    panelLayout->addWidget(m_stateFilter);
    panelLayout->addWidget(m_list, 1);
    m_listCount = new QLabel;
    panelLayout->addWidget(m_listCount);
    connect(m_search, &QLineEdit::textChanged, m_filter, &DatasetFilter::setNameFilter);
    connect(m_splitFilter, &QComboBox::currentIndexChanged, this, [this](int i) { m_filter->setSplit(static_cast<DatasetFilter::SplitFilter>(i)); });
    connect(m_classFilter, &QComboBox::currentIndexChanged, this, [this] { m_filter->setClassId(m_classFilter->currentData().toLongLong()); });
    connect(m_stateFilter, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_filter->setAnnotation(i == 1 ? DatasetFilter::AnnotationFilter::Annotated : i == 2 ? DatasetFilter::AnnotationFilter::Unannotated
                                                                                               : DatasetFilter::AnnotationFilter::All);
        m_filter->setProblemFilter(i == 3 ? DatasetFilter::ProblemFilter::WithProblems : DatasetFilter::ProblemFilter::All);
    });
    auto updateCount = [this] { m_listCount->setText(tr("%1 of %2 images").arg(m_filter->rowCount()).arg(imageCount())); };
    connect(m_filter, &QAbstractItemModel::layoutChanged, this, updateCount);
    connect(m_filter, &QAbstractItemModel::modelReset, this, updateCount);
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, updateCount);
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, updateCount);
    m_scene = new QGraphicsScene(this);
    m_view = new QGraphicsView(m_scene);
    m_view->setRenderHint(QPainter::Antialiasing);
    m_view->setBackgroundBrush(QColor(40, 40, 44));
    m_view->setMouseTracking(true);
    m_view->viewport()->installEventFilter(this);
    m_view->installEventFilter(this);
    m_view->setFocusPolicy(Qt::StrongFocus);
    m_attrs = new AttributeEditor;
    auto *attrScroll = new QScrollArea;
    attrScroll->setWidget(m_attrs);
    attrScroll->setWidgetResizable(true);
    auto *split = new QSplitter;
    split->addWidget(panel);
    split->addWidget(m_view);
    split->addWidget(attrScroll);
    split->setStretchFactor(1, 4);
    split->setSizes({240, 760, 240});
    m_storeError = new QLabel;
    m_storeError->setWordWrap(true);
    m_storeError->setStyleSheet(QStringLiteral("QLabel { background: #fde2e1; color: #7a1010; padding: 6px; border: 1px solid #e0a0a0; }"));
    m_storeError->setToolTip(tr("Click to dismiss"));
    m_storeError->hide();
    m_storeError->installEventFilter(this);
    auto *annotate = new QWidget;
    auto *annotateLayout = new QVBoxLayout(annotate);
    annotateLayout->setContentsMargins(0, 0, 0, 0);
    annotateLayout->setSpacing(0);
    annotateLayout->addWidget(m_storeError);
    annotateLayout->addWidget(split, 1);
    m_tabs = new QTabWidget;
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(annotate, tr("Annotate"));
#ifdef ANNOTRAIN_WITH_TRAINING
    m_train = new TrainPanel;
    m_tabs->addTab(m_train, tr("Train"));
    // A misclassified image double-clicked in Train opens in Annotate; the image in Annotate is the one whose feature maps Train shows.
    connect(m_train, &TrainPanel::openImageRequested, this, [this](const QString &absPath) {
        for (std::size_t i = 0; i < m_images.size(); ++i)
            if (QString::fromStdString(m_images[i].absPath) == absPath) {
                m_tabs->setCurrentIndex(0);
                selectRow(static_cast<int>(i));
                return;
            }
        statusBar()->showMessage(tr("%1 is no longer in the project").arg(absPath), 5000);
    });
    m_inspect = new InspectPanel;
    m_tabs->addTab(m_inspect, tr("Inspect"));
    connect(this, &MainWindow::imageShown, m_train, [this](int row) {
        if (row < 0 || row >= imageCount()) return;
        const auto &im = m_images[static_cast<std::size_t>(row)];
        m_train->setCurrentImage(QString::fromStdString(im.absPath));
        m_inspect->setCurrentImage(QString::fromStdString(im.absPath), im.id);
    });
    connect(m_train, &TrainPanel::runFinished, m_inspect, &InspectPanel::refreshRuns);
    connect(m_inspect, &InspectPanel::regionsAccepted, this, [this](core::Id image) {
        if (!m_doc || image != m_doc->image()) return;
        std::vector<core::Region> regions;
        for (const auto &p : m_inspect->proposedRegions()) {
            std::vector<core::Point> pts;
            for (const auto &[x, y] : p.polygon) pts.push_back({x, y});
            auto shape = core::Shape::polygon(pts);
            if (!shape) continue;
            core::Id cls = 0;
            for (const auto &c : m_classes)
                if (c.name == p.className) cls = c.id;
            core::Region r;
            r.shape = *shape;
            r.classId = cls;
            r.origin = core::Origin::Model;
            r.score = p.score;
            regions.push_back(std::move(r));
        }
        m_doc->addRegions(std::move(regions));
        statusBar()->showMessage(tr("Added the predicted regions; Edit › Undo takes them back"), 5000);
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int) {
        if (m_tabs->currentWidget() == m_inspect) m_inspect->predict();
    });
#endif
    setCentralWidget(m_tabs);
    m_coords = new QLabel;
    statusBar()->addPermanentWidget(m_coords);

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New Project…"), QKeySequence::New, this, &MainWindow::newProject);
    file->addAction(tr("&Open Project…"), QKeySequence::Open, this, [this] {
        const QString p = openFileName(this, tr("Open Project"), tr("Annotrain projects (*.atproj)"));
        if (!p.isEmpty()) openProjectOrSay(p);
    });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, [this] {
        m_recentMenu->clear();
        const QStringList recent = QSettings().value(QStringLiteral("recentProjects")).toStringList();
        for (const QString &p : recent) m_recentMenu->addAction(p, this, [this, p] { openProjectOrSay(p); });
        if (recent.isEmpty()) m_recentMenu->addAction(tr("(none yet)"))->setEnabled(false);
    });
    file->addSeparator();
    m_projectActions << file->addAction(tr("Add Image &Folder…"), this, [this] {
        const QString dir = existingDirectory(this, tr("Add Images"));
        if (!dir.isEmpty()) addImageFolder(dir);
    });
    m_projectActions << file->addAction(tr("&Import Annotations…"), QKeySequence(QStringLiteral("Ctrl+I")), this, [this] { showTransfer(true, {}); });
    m_projectActions << file->addAction(tr("&Export Annotations…"), QKeySequence(QStringLiteral("Ctrl+E")), this, [this] { showTransfer(false, {}); });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);
    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    m_undoMenu = edit;
    QToolBar *tools = addToolBar(tr("Tools"));
    tools->setObjectName(QStringLiteral("tools"));
    m_tools = new QActionGroup(this);
    const struct { Tool tool; QString name, key, tip; } kTools[] = {
        {Tool::Select, tr("Select"), QStringLiteral("V"),
         tr("Click a region to select it, Ctrl+click to add or remove one, Ctrl+A for all; drag to move the selection; Delete removes it. "
            "On one selected polygon or polyline: drag a vertex, double-click an edge to insert one, Shift+click a vertex to delete it (V)")},
        {Tool::Rectangle, tr("Rectangle"), QStringLiteral("R"), tr("Drag to draw a box (R)")},
        {Tool::Polygon, tr("Polygon"), QStringLiteral("P"),
         tr("Click vertices; click the first vertex or press Enter to close; Backspace removes the last; Esc cancels (P)")},
        {Tool::Polyline, tr("Polyline"), QStringLiteral("L"), tr("Click vertices; Enter or a double-click ends the line; Backspace removes the last; Esc cancels (L)")},
        {Tool::Point, tr("Point"), QStringLiteral("T"), tr("Click to place a point (T)")},
        {Tool::Circle, tr("Circle"), QStringLiteral("C"), tr("Press at the centre and drag out the radius (C)")},
        {Tool::Ellipse, tr("Ellipse"), QStringLiteral("E"), tr("Drag the box the ellipse fits in (E)")},
    };
    for (const auto &t : kTools) {
        static const char *const kIcons[] = {"select", "rectangle", "polygon", "polyline", "point", "circle", "ellipse"};
        QAction *a = tools->addAction(QIcon(QStringLiteral(":/icons/%1.svg").arg(QLatin1String(kIcons[static_cast<int>(t.tool)]))), t.name);
        a->setCheckable(true);
        a->setShortcut(QKeySequence(t.key));
        a->setToolTip(QStringLiteral("<b>%1</b> (%2)<br>%3").arg(t.name, t.key, t.tip));
        a->setData(static_cast<int>(t.tool));
        a->setChecked(t.tool == Tool::Select);
        m_tools->addAction(a);
        connect(a, &QAction::triggered, this, [this, tool = t.tool] { setTool(tool); });
    }
    tools->addSeparator();
    m_classBox = new QComboBox;
    m_classBox->setToolTip(tr("Class of new regions (keys 1-9)"));
    tools->addWidget(m_classBox);
    auto *copy = new QAction(tr("&Copy Regions"), this);
    copy->setShortcut(QKeySequence::Copy);
    copy->setToolTip(tr("Copy the selected regions, to paste them onto this or another image"));
    connect(copy, &QAction::triggered, this, &MainWindow::copySelection);
    auto *pasteAction = new QAction(tr("&Paste Regions"), this);
    pasteAction->setShortcut(QKeySequence::Paste);
    connect(pasteAction, &QAction::triggered, this, &MainWindow::paste);
    auto *selectAll = new QAction(tr("Select &All Regions"), this);
    selectAll->setShortcut(QKeySequence::SelectAll);
    connect(selectAll, &QAction::triggered, this, [this] {
        if (!m_doc) return;
        std::vector<core::Id> all;
        for (const auto &r : m_doc->regions()) all.push_back(r.id);
        setSelection(all);
    });
    auto *remove = new QAction(tr("&Delete Regions"), this);
    remove->setShortcut(QKeySequence::Delete);
    connect(remove, &QAction::triggered, this, [this] {
        if (m_doc && !m_selection.empty()) m_doc->removeRegions(m_selection);
    });
    m_editActions = {copy, pasteAction, selectAll, remove};
    for (QAction *a : m_editActions) a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_view->addActions(m_editActions);
    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("&Fit to Window"), QKeySequence(QStringLiteral("F")), this,
                    [this] { m_view->fitInView(m_scene->sceneRect(), Qt::KeepAspectRatio); });
    view->addAction(tr("&Actual Size (100 %)"), QKeySequence(QStringLiteral("Ctrl+0")), this, [this] { m_view->setTransform(QTransform()); });
    view->addAction(tr("Zoom &In"), QKeySequence::ZoomIn, this, [this] { m_view->scale(1.25, 1.25); });
    view->addAction(tr("Zoom &Out"), QKeySequence::ZoomOut, this, [this] { m_view->scale(0.8, 0.8); });
    view->addSeparator();
    QAction *labels = view->addAction(tr("Show &Labels"), QKeySequence(QStringLiteral("Ctrl+L")), this, [this](bool on) {
        m_showLabels = on;
        redrawRegions();
    });
    labels->setCheckable(true);
    QAction *fill = view->addAction(tr("&Fill Regions"), QKeySequence(QStringLiteral("Shift+F")), this, [this](bool on) {
        m_fill = on;
        redrawRegions();
    });
    fill->setCheckable(true);
    fill->setChecked(true);
    QMenu *dataset = menuBar()->addMenu(tr("&Dataset"));
    m_projectActions << dataset->addAction(tr("&Classes…"), QKeySequence(QStringLiteral("Ctrl+K")), this, [this] {
        auto *d = new ClassManagerDialog(m_doc.get(), this);
        d->setAttribute(Qt::WA_DeleteOnClose);
        d->show();
    });
    m_projectActions << dataset->addAction(tr("&Split…"), this, [this] {
        auto *d = new SplitDialog(QString::fromStdString(m_store->path()), this);
        d->setAttribute(Qt::WA_DeleteOnClose);
        connect(d, &SplitDialog::applied, this, [this](bool ok) {
            if (ok) reloadImages();
        });
        d->show();
    });
    m_projectActions << dataset->addAction(tr("S&tatistics…"), this, [this] {
        auto *d = new StatsDialog(QString::fromStdString(m_store->path()), this);
        d->setAttribute(Qt::WA_DeleteOnClose);
        d->show();
    });
    m_projectActions << dataset->addAction(tr("&Validate…"), QKeySequence(QStringLiteral("Ctrl+Shift+V")), this, [this] {
        auto *d = new ValidationDialog(QString::fromStdString(m_store->path()), this);
        d->setAttribute(Qt::WA_DeleteOnClose);
        connect(d, &ValidationDialog::jumpTo, this, &MainWindow::showProblem);
        connect(d, &ValidationDialog::finished, this, [this, d] { // "With problems" in the list filter
            QSet<QString> paths;
            for (int r = 0; r < d->table()->rowCount(); ++r) paths.insert(d->table()->item(r, 2)->text());
            QSet<core::Id> ids;
            for (const auto &im : m_images)
                if (paths.contains(QString::fromStdString(im.relPath))) ids.insert(im.id);
            m_filter->setProblemImages(ids);
        });
        d->show();
    });
    for (QAction *a : m_projectActions) a->setEnabled(false);
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard Shortcuts"), QKeySequence(QStringLiteral("F1")), this, &MainWindow::showShortcuts);
    help->addAction(tr("&About"), this, [this] {
        QMessageBox::about(this, tr("About Annotrain Studio"),
                           tr("Annotrain Studio %1: label images, train, inspect, export.").arg(QStringLiteral("0.1")));
    });

    connect(m_list->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex &current) {
        if (current.isValid()) showImage(m_filter->mapToSource(current).row());
    });
    connect(&m_decode, &QFutureWatcher<QImage>::finished, this, &MainWindow::onImageDecoded);
    m_detailTimer = new QTimer(this);
    m_detailTimer->setInterval(200); // runs only while a big image is on the canvas
    connect(m_detailTimer, &QTimer::timeout, this, &MainWindow::updateDetail);
    connect(&m_detailDecode, &QFutureWatcher<Detail>::finished, this, &MainWindow::onDetailDecoded);
    setAcceptDrops(true);
    resize(1200, 760);
    // The window's size, place, toolbars and splitter come back as the user left them.
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    split->setObjectName(QStringLiteral("annotateSplit"));
    if (settings.contains(QStringLiteral("window/annotateSplitter"))) split->restoreState(settings.value(QStringLiteral("window/annotateSplitter")).toByteArray());
    m_split = split;
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/annotateSplitter"), m_split->saveState());
    QMainWindow::closeEvent(event);
}

void MainWindow::openProjectOrSay(const QString &path)
{
    if (auto s = openProject(path); !s) QMessageBox::warning(this, tr("Open Project"), QString::fromStdString(s.error().toString()));
}

void MainWindow::newProject()
{
    const QString path = saveFileName(this, tr("New Project"), tr("Annotrain projects (*.atproj)"));
    if (path.isEmpty()) return;
    const QString file = path.endsWith(QStringLiteral(".atproj")) ? path : path + QStringLiteral(".atproj");
    auto store = core::ProjectStore::create(file.toStdString());
    if (!store) {
        QMessageBox::warning(this, tr("New Project"), QString::fromStdString(store.error().toString()));
        return;
    }
    openProjectOrSay(file);
}

void MainWindow::addImageFolder(const QString &dir)
{
    if (!m_store) return;
    const std::string project = m_store->path(), folder = dir.toStdString();
    statusBar()->showMessage(tr("Adding the images below %1…").arg(dir));
    QtConcurrent::run([project, folder] {
        auto store = core::ProjectStore::open(project); // this thread's own connection
        if (!store) return QString::fromStdString(store.error().toString());
        auto n = store->addImagesFromDir(folder);
        return n ? QString() : QString::fromStdString(n.error().toString());
    }).then(this, [this, dir](const QString &error) {
        if (!error.isEmpty()) {
            QMessageBox::warning(this, tr("Add Images"), error);
            return;
        }
        reloadImages();
        statusBar()->showMessage(tr("Added the images below %1; %2 images in the project").arg(dir).arg(imageCount()), 5000);
    });
}

void MainWindow::showTransfer(bool import, const QString &path)
{
    if (!m_store) return;
    auto *d = new TransferDialog(import ? TransferDialog::Mode::Import : TransferDialog::Mode::Export, QString::fromStdString(m_store->path()), this);
    d->setAttribute(Qt::WA_DeleteOnClose);
    if (!path.isEmpty()) d->setSource(path);
    connect(d, &TransferDialog::projectChanged, this, [this] {
        refreshClasses();
        reloadImages();
    });
    d->show();
}

void MainWindow::reloadImages()
{
    if (!m_store) return;
    const QString current = currentImagePath();
    if (!readImages()) return;
    int keep = 0;
    for (std::size_t i = 0; i < m_images.size(); ++i)
        if (QString::fromStdString(m_images[i].absPath) == current) keep = static_cast<int>(i);
    if (!m_images.empty()) {
        selectRow(keep);
        showImage(keep);
    }
}

void MainWindow::showProblem(const QString &imagePath, int region)
{
    for (std::size_t i = 0; i < m_images.size(); ++i) {
        if (QString::fromStdString(m_images[i].relPath) != imagePath) continue;
        m_tabs->setCurrentIndex(0);
        m_selectRegionIndex = region;
        if (m_shownRow == static_cast<int>(i)) showImage(static_cast<int>(i));
        else selectRow(static_cast<int>(i));
        return;
    }
    statusBar()->showMessage(tr("%1 is not in the project's image list").arg(imagePath), 5000);
}

void MainWindow::showShortcuts()
{
    QString html = QStringLiteral("<table cellspacing=4>");
    auto row = [&html](const QString &keys, const QString &what) {
        html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(keys.toHtmlEscaped(), what.toHtmlEscaped());
    };
    std::function<void(const QList<QAction *> &, const QString &)> walk = [&](const QList<QAction *> &actions, const QString &prefix) {
        for (QAction *a : actions) {
            if (a->menu()) walk(a->menu()->actions(), prefix + a->text().remove(QLatin1Char('&')) + QStringLiteral(" › "));
            else if (!a->shortcut().isEmpty()) row(a->shortcut().toString(QKeySequence::NativeText), prefix + a->text().remove(QLatin1Char('&')));
        }
    };
    walk(menuBar()->actions(), QString());
    walk(m_tools->actions(), tr("Tool: "));
    row(tr("1 – 9"), tr("Class of new regions; with a selection, set its class"));
    row(tr("D / PgDn, A / PgUp"), tr("Next / previous image (the zoom stays)"));
    row(tr("Enter"), tr("Close the polygon / end the polyline being drawn"));
    row(tr("Backspace"), tr("Remove the last vertex while drawing"));
    row(tr("Esc"), tr("Abandon the shape being drawn; clear the selection"));
    row(tr("Ctrl+click"), tr("Add a region to the selection or take it out"));
    row(tr("Shift+click a vertex"), tr("Delete that vertex of the selected polygon"));
    row(tr("Double-click an edge"), tr("Insert a vertex there"));
    row(tr("Wheel"), tr("Zoom around the cursor"));
    row(tr("Middle-drag, Space+drag"), tr("Pan"));
    html += QStringLiteral("</table>");
    QMessageBox box(this);
    box.setWindowTitle(tr("Keyboard Shortcuts"));
    box.setTextFormat(Qt::RichText);
    box.setText(html);
    box.exec();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    // A project opens; with a project open, a folder adds its images and an annotation file is imported.
    for (const QUrl &url : event->mimeData()->urls()) {
        const QString path = url.toLocalFile();
        if (path.isEmpty()) continue;
        if (path.endsWith(QStringLiteral(".atproj"))) {
            openProjectOrSay(path);
        } else if (!m_store) {
            statusBar()->showMessage(tr("Open or create a project first, then drop images or annotations on it"), 5000);
        } else if (QFileInfo(path).isDir() && !core::detectFormat(path.toStdString())) {
            addImageFolder(path);
        } else {
            showTransfer(true, path);
        }
    }
    event->acceptProposedAction();
}

MainWindow::~MainWindow()
{
    m_decode.waitForFinished();
    m_detailDecode.waitForFinished();
}

core::Status MainWindow::openProject(const QString &path)
{
    auto store = core::ProjectStore::open(path.toStdString());
    if (!store) return store.error();
    m_store = std::make_shared<core::ProjectStore>(std::move(store.value()));
    m_doc = std::make_unique<annotation::Document>(m_store);
    // A class edit or its undo: the palette follows (the document reloaded the regions).
    connect(m_doc.get(), &annotation::Document::classesChanged, this, [this] {
        const core::Id keep = currentClass();
        refreshClasses();
        const int i = m_classBox->findData(QVariant::fromValue<qlonglong>(keep));
        if (i >= 0) m_classBox->setCurrentIndex(i);
        // The list shows image classes by name, and a merge or delete moves images.
        const int shownRow = m_shownRow;
        if (readImages() && shownRow >= 0) {
            const QSignalBlocker block(m_list->selectionModel());
            m_list->setCurrentIndex(m_filter->mapFromSource(m_model->index(shownRow)));
        }
    });
    connect(m_doc.get(), &annotation::Document::changed, this, [this](const annotation::ChangeEvent &e) {
        if (m_selectAdded && e.kind == annotation::ChangeEvent::Added) m_selection = e.regions; // a paste selects what it added
        m_selectAdded = false;
        redrawRegions();
        if (e.kind == annotation::ChangeEvent::Added || e.kind == annotation::ChangeEvent::Removed) { // the list shows region counts
            const int n = static_cast<int>(m_doc->regions().size());
            m_model->setRegionCount(m_doc->image(), n);
            if (m_shownRow >= 0 && m_images[static_cast<std::size_t>(m_shownRow)].id == m_doc->image()) m_images[static_cast<std::size_t>(m_shownRow)].regionCount = n;
        }
        if (e.kind == annotation::ChangeEvent::Reset || e.kind == annotation::ChangeEvent::AttributesChanged ||
            e.kind == annotation::ChangeEvent::ImageAttributesChanged || e.kind == annotation::ChangeEvent::SchemaChanged)
            m_attrs->requestRefresh();
    });
    m_attrs->setDocument(m_doc.get());
    connect(m_doc.get(), &annotation::Document::storeFailed, this, [this](const QString &message) {
        // Not modal: the user keeps working; the banner stays until the next edit succeeds or is dismissed.
        m_storeError->setText(tr("<b>Not saved:</b> %1 — the edit was not applied; everything saved before is intact.").arg(message.toHtmlEscaped()));
        m_storeError->show();
        if (auto s = m_doc->setImage(m_doc->image()); !s) storeReadFailed(s.error()); // show what the project really holds
    });
    connect(m_doc->undoStack(), &QUndoStack::indexChanged, this, [this] {
        if (m_doc->lastError().isEmpty()) m_storeError->hide();
    });
    m_undoMenu->clear();
    QAction *undo = m_doc->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction *redo = m_doc->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    m_undoMenu->addAction(undo);
    m_undoMenu->addAction(redo);
    m_undoMenu->addSeparator();
    m_undoMenu->addActions(m_editActions);
    refreshClasses();
    m_fitNext = true;
    readImages();
    setWindowTitle(QStringLiteral("%1 — Annotrain Studio").arg(QFileInfo(path).fileName()));
    for (QAction *a : m_projectActions) a->setEnabled(true);
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("recentProjects")).toStringList();
    recent.removeAll(QFileInfo(path).absoluteFilePath());
    recent.prepend(QFileInfo(path).absoluteFilePath());
    settings.setValue(QStringLiteral("recentProjects"), recent.mid(0, 8));
#ifdef ANNOTRAIN_WITH_TRAINING
    m_train->setProject(QFileInfo(path).absoluteFilePath());
    m_inspect->setProject(QFileInfo(path).absoluteFilePath());
#endif
    statusBar()->showMessage(tr("%1 images").arg(m_images.size()));
    if (!m_images.empty()) selectRow(0);
    return {};
}

bool MainWindow::readImages()
{
    auto images = m_store->images();
    if (!images) {
        storeReadFailed(images.error());
        return false;
    }
    setImages(std::move(images.value()));
    return true;
}

void MainWindow::storeReadFailed(const core::Error &e)
{
    m_storeError->setText(tr("<b>Cannot read the project:</b> %1 — what is shown may be out of date; nothing was changed.")
                              .arg(QString::fromStdString(e.toString()).toHtmlEscaped()));
    m_storeError->show();
}

void MainWindow::setImages(std::vector<core::ImageInfo> images)
{
    m_images = std::move(images);
    const auto &classes = m_classes;
    {
        const QSignalBlocker block(m_list->selectionModel());
        m_model->setImages(m_images, classes);
    }
    const core::Id keepClass = m_classFilter->currentData().toLongLong();
    const QSignalBlocker block(m_classFilter);
    m_classFilter->clear();
    m_classFilter->addItem(tr("All classes"), QVariant::fromValue<qlonglong>(0));
    for (const auto &c : classes) m_classFilter->addItem(QString::fromStdString(c.name), QVariant::fromValue<qlonglong>(c.id));
    m_classFilter->setCurrentIndex(std::max(0, m_classFilter->findData(QVariant::fromValue<qlonglong>(keepClass))));
    m_listCount->setText(tr("%1 of %2 images").arg(m_filter->rowCount()).arg(imageCount()));
}

void MainWindow::selectRow(int row)
{
    const QModelIndex index = m_filter->mapFromSource(m_model->index(row));
    if (index.isValid()) {
        m_list->setCurrentIndex(index);
        m_list->scrollTo(index);
        if (m_shownRow != row && m_pendingRow != row) showImage(row); // already current: currentChanged stays silent
    } else {
        showImage(row); // filtered out of the list: show it all the same
    }
}

int MainWindow::imageCount() const { return static_cast<int>(m_images.size()); }

QString MainWindow::currentImagePath() const
{
    const int row = m_shownRow >= 0 ? m_shownRow : m_pendingRow;
    return row >= 0 && row < imageCount() ? QString::fromStdString(m_images[static_cast<std::size_t>(row)].absPath) : QString();
}

void MainWindow::showImage(int row)
{
    if (row < 0 || row >= imageCount()) return;
    m_pendingRow = row;
    const QString path = QString::fromStdString(m_images[static_cast<std::size_t>(row)].absPath);
    // Decoding happens off the GUI thread; a newer request supersedes an older one when it lands.
    m_decode.setFuture(QtConcurrent::run([path] {
        QImageReader reader(path);
        reader.setAutoTransform(true);
        reader.setAllocationLimit(4096); // MB: big microscope and satellite images are normal here
        // Beyond 8k pixels a side the canvas shows a downscaled decode, stretched over the
        // full pixel grid, so shapes keep full-resolution coordinates.
        const QSize full = reader.size();
        constexpr int kMaxSide = 8192;
        if (full.isValid() && std::max(full.width(), full.height()) > kMaxSide) reader.setScaledSize(full.scaled(kMaxSide, kMaxSide, Qt::KeepAspectRatio));
        QImage img = reader.read();
        if (img.isNull()) return QImage(); // the canvas shows the reason instead
        if (full.isValid() && full != img.size()) {
            img.setText(QStringLiteral("annotrain.fullWidth"), QString::number(full.width()));
            img.setText(QStringLiteral("annotrain.fullHeight"), QString::number(full.height()));
        }
        return img;
    }));
}

void MainWindow::onImageDecoded()
{
    const int row = m_pendingRow;
    if (row < 0 || row >= imageCount() || !m_store) return;
    const core::ImageInfo &info = m_images[static_cast<std::size_t>(row)];
    const QImage img = m_decode.result();
    m_scene->clear(); // deletes the region layer and the detail too
    m_layer = nullptr;
    m_detailItem = nullptr;
    m_detailRect = m_detailWanted = QRect();
    m_detailPath.clear();
    ++m_detailGeneration;
    m_detailTimer->stop();
    if (img.isNull()) {
        auto *t = m_scene->addText(tr("Cannot show %1: missing or unreadable image").arg(QString::fromStdString(info.absPath)));
        t->setDefaultTextColor(Qt::white);
    } else {
        auto *pixmap = m_scene->addPixmap(QPixmap::fromImage(img));
        pixmap->setZValue(-1);
        const int fullWidth = img.text(QStringLiteral("annotrain.fullWidth")).toInt(), fullHeight = img.text(QStringLiteral("annotrain.fullHeight")).toInt();
        const QSizeF full = fullWidth > 0 && fullHeight > 0 ? QSizeF(fullWidth, fullHeight) : QSizeF(img.size());
        if (full != QSizeF(img.size())) {
            pixmap->setTransform(QTransform::fromScale(full.width() / img.width(), full.height() / img.height()));
            pixmap->setTransformationMode(Qt::SmoothTransformation);
            m_detailPath = QString::fromStdString(info.absPath);
            m_fullSize = full.toSize();
            m_overviewScale = img.width() / full.width();
            m_detailTimer->start();
        }
        m_scene->setSceneRect(QRectF(QPointF(0, 0), full));
    }
    m_draftItem = nullptr;
    m_draft.clear();
    m_selection.clear();
    if (auto s = m_doc->setImage(info.id); !s) storeReadFailed(s.error()); // emits changed(): the regions are drawn by redrawRegions()
    if (m_fitNext) { // the first image of a project is fitted; the next ones keep the zoom
        m_view->fitInView(m_scene->sceneRect(), Qt::KeepAspectRatio);
        m_fitNext = false;
    }
    const int regionCount = static_cast<int>(m_doc->regions().size());
    const QString name = QString::fromStdString(info.relPath);
    statusBar()->showMessage(regionCount == 1 ? tr("%1 — 1 region").arg(name) : tr("%1 — %2 regions").arg(name).arg(regionCount));
    if (m_selectRegionIndex >= 0 && m_selectRegionIndex < static_cast<int>(m_doc->regions().size())) { // from the validation report
        const core::Region &r = m_doc->regions()[static_cast<std::size_t>(m_selectRegionIndex)];
        setSelection({r.id});
        const core::Box b = r.shape.boundingBox();
        m_view->centerOn(b.x + b.w / 2, b.y + b.h / 2);
    }
    m_selectRegionIndex = -1;
    m_shownRow = row;
    Q_EMIT imageShown(row);
}

QRect MainWindow::detailRect() const { return m_detailItem && m_detailItem->isVisible() ? m_detailRect : QRect(); }

void MainWindow::updateDetail()
{
    if (m_detailPath.isEmpty()) return;
    // Screen pixels per image pixel: while the overview has enough, it is all we show.
    if (m_view->transform().m11() <= m_overviewScale * 1.05) {
        if (m_detailItem) m_detailItem->hide();
        return;
    }
    const QRect full(QPoint(0, 0), m_fullSize);
    const QRect visible = m_view->mapToScene(m_view->viewport()->rect()).boundingRect().toAlignedRect() & full;
    if (visible.isEmpty()) return;
    if (m_detailItem && m_detailRect.contains(visible)) {
        m_detailItem->show();
        return;
    }
    if (m_detailDecode.isRunning()) return; // asked again on the next tick, for where the view is then
    if (m_detailWanted.contains(visible)) return;
    // A margin of half the view on every side: small pans stay inside it.
    const QRect want = visible.adjusted(-visible.width() / 2, -visible.height() / 2, visible.width() / 2, visible.height() / 2) & full;
    m_detailWanted = want;
    const QString path = m_detailPath;
    const quint64 generation = m_detailGeneration;
    m_detailDecode.setFuture(QtConcurrent::run([path, want, generation] {
        QImageReader reader(path);
        reader.setAllocationLimit(4096);
        reader.setClipRect(want);
        return Detail{reader.read(), want, generation};
    }));
}

void MainWindow::onDetailDecoded()
{
    const Detail d = m_detailDecode.result();
    if (d.generation != m_detailGeneration) return; // another image is on the canvas by now
    m_detailWanted = QRect();
    if (d.image.isNull()) { // the overview stays; say why once
        statusBar()->showMessage(tr("Cannot decode %1 at full resolution; showing the downscaled image").arg(m_detailPath), 8000);
        m_detailPath.clear();
        m_detailTimer->stop();
        return;
    }
    if (!m_detailItem) {
        m_detailItem = m_scene->addPixmap(QPixmap());
        m_detailItem->setZValue(-0.5); // over the overview, under the regions
    }
    m_detailItem->setPixmap(QPixmap::fromImage(d.image));
    m_detailItem->setPos(d.rect.topLeft());
    m_detailItem->show();
    m_detailRect = d.rect;
    Q_EMIT detailShown(d.rect);
    updateDetail(); // the view may have moved on while this decoded
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_storeError && event->type() == QEvent::MouseButtonPress) {
        m_storeError->hide();
        return true;
    }
    if (watched == m_view->viewport()) {
        if (event->type() == QEvent::Wheel) { // zoom around the cursor
            const auto *we = static_cast<QWheelEvent *>(event);
            const double factor = std::pow(1.0015, we->angleDelta().y());
            m_view->setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
            m_view->scale(factor, factor);
            return true;
        }
        auto *me = static_cast<QMouseEvent *>(event);
        // Pan with the middle button (or space held with the left button).
        if (event->type() == QEvent::MouseButtonPress && (me->button() == Qt::MiddleButton || (me->button() == Qt::LeftButton && m_spaceHeld))) {
            m_panFrom = me->position().toPoint();
            m_panning = true;
            return true;
        }
        if (m_panning && event->type() == QEvent::MouseMove) {
            const QPoint d = me->position().toPoint() - m_panFrom;
            m_panFrom = me->position().toPoint();
            m_view->horizontalScrollBar()->setValue(m_view->horizontalScrollBar()->value() - d.x());
            m_view->verticalScrollBar()->setValue(m_view->verticalScrollBar()->value() - d.y());
            return true;
        }
        if (m_panning && event->type() == QEvent::MouseButtonRelease) {
            m_panning = false;
            return true;
        }
        if (event->type() == QEvent::MouseMove) {
            const QPointF p = m_view->mapToScene(static_cast<QMouseEvent *>(event)->position().toPoint());
            m_coords->setText(QStringLiteral("x %1  y %2").arg(std::floor(p.x())).arg(std::floor(p.y())));
        }
        if (m_doc && (event->type() == QEvent::MouseButtonPress || event->type() == QEvent::MouseMove || event->type() == QEvent::MouseButtonRelease
                      || event->type() == QEvent::MouseButtonDblClick))
            if (canvasMouse(event)) return true;
    }
    if (watched == m_view && (event->type() == QEvent::KeyPress || event->type() == QEvent::KeyRelease)) {
        auto *ke = static_cast<QKeyEvent *>(event);
        if (ke->key() == Qt::Key_Space && !ke->isAutoRepeat()) {
            m_spaceHeld = event->type() == QEvent::KeyPress;
            return true;
        }
    }
    if (watched == m_view && m_doc && event->type() == QEvent::KeyPress)
        if (canvasKey(static_cast<QKeyEvent *>(event))) return true;
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::setTool(Tool tool)
{
    cancelDraft();
    m_tool = tool;
    for (QAction *a : m_tools->actions())
        a->setChecked(a->data().toInt() == static_cast<int>(tool));
    m_view->setCursor(tool == Tool::Select ? Qt::ArrowCursor : Qt::CrossCursor);
}

void MainWindow::refreshClasses()
{
    m_classBox->clear();
    m_classBox->addItem(tr("(no class)"), QVariant::fromValue<qlonglong>(0));
    if (auto classes = m_store->classes()) m_classes = std::move(classes.value());
    else storeReadFailed(classes.error());
    for (const auto &c : m_classes) {
        m_classBox->addItem(c.hotkey ? QStringLiteral("%1  [%2]").arg(QString::fromStdString(c.name), QChar::fromLatin1(c.hotkey)) : QString::fromStdString(c.name),
                            QVariant::fromValue<qlonglong>(c.id));
        if (c.hotkey >= '1' && c.hotkey <= '9') m_classBox->setItemData(m_classBox->count() - 1, c.hotkey - '0', Qt::UserRole + 1);
    }
    if (m_classBox->count() > 1) m_classBox->setCurrentIndex(1);
}

core::Id MainWindow::currentClass() const { return m_classBox->currentData().toLongLong(); }

void MainWindow::redrawRegions()
{
    for (QGraphicsItem *item : m_scene->items())
        if (item->data(0).isValid() || item->data(1).toBool()) delete item; // selected regions and labels
    if (!m_layer) {
        m_layer = new RegionLayer;
        m_layer->setZValue(1);
        m_scene->addItem(m_layer);
    }
    std::vector<RegionLayer::Entry> layer;
    layer.reserve(m_doc->regions().size());
    std::unordered_map<core::Id, QColor> colors;
    for (const auto &c : m_classes)
        colors[c.id] = QColor(QString::fromStdString(c.color));
    std::unordered_map<core::Id, QString> names;
    for (const auto &c : m_classes) names[c.id] = QString::fromStdString(c.name);
    // Undo can take away selected regions: keep only those still here.
    m_selection.erase(std::remove_if(m_selection.begin(), m_selection.end(), [this](core::Id id) { return !m_doc->region(id); }), m_selection.end());
    selectionShown();
    for (const core::Region &r : m_doc->regions()) {
        const bool selected = isSelected(r.id);
        const QColor color = r.classId && colors.count(r.classId) ? colors[r.classId] : QColor(Qt::yellow);
        if (m_showLabels) {
            const core::Box b = r.shape.boundingBox();
            auto *label = m_scene->addSimpleText(r.classId && names.count(r.classId) ? names[r.classId] : tr("(no class)"));
            label->setBrush(color);
            label->setFlag(QGraphicsItem::ItemIgnoresTransformations);
            label->setPos(b.x, b.y);
            label->setZValue(5);
            label->setData(1, true);
            label->setAcceptedMouseButtons(Qt::NoButton);
        }
        if (!selected) { // everything else is painted by one layer
            RegionLayer::Entry e;
            e.id = r.id;
            e.color = color;
            if (r.shape.type() == core::ShapeType::Point) {
                e.kind = RegionLayer::Entry::Dot;
                e.outline << QPointF(r.shape.params()[0], r.shape.params()[1]);
            } else {
                e.kind = r.shape.isClosed() ? RegionLayer::Entry::Closed : RegionLayer::Entry::Open;
                for (const core::Point &p : r.shape.toPolygon(48)) e.outline << QPointF(p.x, p.y);
            }
            layer.push_back(std::move(e));
            continue;
        }
        QPen pen(QColor(Qt::white), 3);
        pen.setCosmetic(true);
        QColor fill = color;
        fill.setAlpha(m_fill ? 90 : 0);
        QGraphicsItem *item = nullptr;
        if (r.shape.type() == core::ShapeType::Point) {
            const auto &p = r.shape.params();
            item = m_scene->addEllipse(p[0] - 3, p[1] - 3, 6, 6, pen, color);
        } else {
            QPolygonF poly;
            for (const core::Point &p : r.shape.toPolygon(48))
                poly << QPointF(p.x, p.y);
            if (r.shape.isClosed()) {
                item = m_scene->addPolygon(poly, pen, fill);
            } else {
                QPainterPath path;
                path.addPolygon(poly);
                item = m_scene->addPath(path, pen);
            }
        }
        item->setData(0, QVariant::fromValue<qlonglong>(r.id));
        item->setZValue(2);
    }
    m_layer->setEntries(std::move(layer), m_fill);
}

int MainWindow::drawnRegionCount() const
{
    int n = m_layer ? m_layer->count() : 0;
    for (QGraphicsItem *item : m_scene->items()) n += item->data(0).isValid();
    return n;
}

core::Id MainWindow::regionAt(QPointF p, double tolerance) const
{
    for (QGraphicsItem *item : m_scene->items(p)) // the selected regions lie on top
        if (item->data(0).isValid()) return item->data(0).toLongLong();
    return m_layer ? m_layer->regionAt(p, tolerance) : 0;
}

void MainWindow::selectionShown()
{
    m_attrs->setRegion(m_selection.size() == 1 ? m_selection.front() : 0);
}

bool MainWindow::isSelected(core::Id id) const { return std::find(m_selection.begin(), m_selection.end(), id) != m_selection.end(); }

void MainWindow::setSelection(std::vector<core::Id> ids)
{
    m_selection = std::move(ids);
    if (m_doc) redrawRegions();
}

void MainWindow::copySelection()
{
    if (!m_doc || m_selection.empty()) return;
    m_clipboard.clear();
    for (core::Id id : m_selection)
        if (const core::Region *r = m_doc->region(id)) m_clipboard.push_back(*r);
    statusBar()->showMessage(tr("Copied %n region(s)", nullptr, static_cast<int>(m_clipboard.size())), 3000);
}

void MainWindow::paste()
{
    if (!m_doc || m_clipboard.empty() || !m_doc->image()) return;
    std::vector<core::Region> regions = m_clipboard;
    // Pasted onto the image they came from, they land a little offset so they can be told apart.
    const bool sameImage = regions.front().imageId == m_doc->image();
    for (auto &r : regions) {
        if (sameImage) r.shape = r.shape.translated(10, 10);
        r.origin = core::Origin::Manual;
    }
    m_selectAdded = true;
    m_doc->addRegions(std::move(regions));
    if (sameImage) // the next paste steps on by another 10 px
        for (auto &r : m_clipboard) r.shape = r.shape.translated(10, 10);
}

void MainWindow::updateDraft(const QPointF &cursor)
{
    if (!m_draftItem) {
        m_draftItem = m_scene->addPath(QPainterPath(), QPen(QColor(Qt::cyan), 0));
        m_draftItem->setZValue(10);
    }
    QPainterPath path;
    if (m_tool == Tool::Rectangle && m_dragging) {
        path.addRect(QRectF(m_dragStart, cursor).normalized());
    } else if (m_tool == Tool::Ellipse && m_dragging) {
        path.addEllipse(QRectF(m_dragStart, cursor).normalized());
    } else if (m_tool == Tool::Circle && m_dragging) {
        const double r = QLineF(m_dragStart, cursor).length();
        path.addEllipse(m_dragStart, r, r);
    } else if (!m_draft.empty()) {
        path.moveTo(m_draft[0]);
        for (std::size_t i = 1; i < m_draft.size(); ++i) path.lineTo(m_draft[i]);
        path.lineTo(cursor);
    }
    m_draftItem->setPath(path);
}

void MainWindow::cancelDraft()
{
    m_draft.clear();
    m_dragging = false;
    delete m_draftItem;
    m_draftItem = nullptr;
}

void MainWindow::commitPolygon() { commitDraft(true); }

void MainWindow::commitDraft(bool closed)
{
    std::vector<core::Point> pts;
    for (const QPointF &p : m_draft) pts.push_back({p.x(), p.y()});
    cancelDraft();
    if (core::distinctPointCount(pts) < (closed ? 3 : 2)) return;
    if (auto shape = closed ? core::Shape::polygon(pts) : core::Shape::polyline(pts)) addShape(*shape);
}

void MainWindow::addShape(const core::Shape &shape)
{
    core::Region r;
    r.shape = shape;
    r.classId = currentClass();
    m_doc->addRegion(r);
}

bool MainWindow::canvasMouse(QEvent *event)
{
    auto *me = static_cast<QMouseEvent *>(event);
    const QPointF p = m_view->mapToScene(me->position().toPoint());
    const double tolerance = 6.0 / std::max(1e-6, m_view->transform().m11()); // 6 screen pixels in image pixels
    switch (m_tool) {
    case Tool::Polyline:
        if (event->type() == QEvent::MouseButtonDblClick && me->button() == Qt::LeftButton) {
            commitDraft(false); // the double-click's first press already placed the last vertex
            return true;
        }
        if (event->type() == QEvent::MouseButtonPress && me->button() == Qt::LeftButton) {
            m_draft.push_back(p);
            updateDraft(p);
            return true;
        }
        if (event->type() == QEvent::MouseMove && !m_draft.empty()) updateDraft(p);
        return false;
    case Tool::Point:
        if (event->type() == QEvent::MouseButtonPress && me->button() == Qt::LeftButton) {
            addShape(*core::Shape::point(p.x(), p.y()));
            return true;
        }
        return false;
    case Tool::Circle:
    case Tool::Ellipse:
        if (event->type() == QEvent::MouseButtonPress && me->button() == Qt::LeftButton) {
            m_dragStart = p;
            m_dragging = true;
            return true;
        }
        if (event->type() == QEvent::MouseMove && m_dragging) {
            updateDraft(p);
            return true;
        }
        if (event->type() == QEvent::MouseButtonRelease && m_dragging) {
            const QPointF start = m_dragStart;
            cancelDraft();
            if (m_tool == Tool::Circle) {
                const double r = QLineF(start, p).length();
                if (r >= 1) addShape(*core::Shape::circle(start.x(), start.y(), r));
            } else {
                const QRectF box = QRectF(start, p).normalized();
                if (box.width() >= 1 && box.height() >= 1)
                    addShape(*core::Shape::ellipse(box.center().x(), box.center().y(), box.width() / 2, box.height() / 2));
            }
            return true;
        }
        return false;
    case Tool::Polygon:
        if (event->type() == QEvent::MouseButtonPress && me->button() == Qt::LeftButton) {
            if (m_draft.size() >= 3 && QLineF(p, m_draft[0]).length() <= tolerance) {
                commitPolygon(); // closed on the first vertex
            } else {
                m_draft.push_back(p);
                updateDraft(p);
            }
            return true;
        }
        if (event->type() == QEvent::MouseMove && !m_draft.empty()) updateDraft(p);
        return false;
    case Tool::Rectangle:
        if (event->type() == QEvent::MouseButtonPress && me->button() == Qt::LeftButton) {
            m_dragStart = p;
            m_dragging = true;
            return true;
        }
        if (event->type() == QEvent::MouseMove && m_dragging) {
            updateDraft(p);
            return true;
        }
        if (event->type() == QEvent::MouseButtonRelease && m_dragging) {
            const QRectF box = QRectF(m_dragStart, p).normalized();
            cancelDraft();
            if (box.width() >= 1 && box.height() >= 1) addShape(*core::Shape::rect(box.x(), box.y(), box.width(), box.height()));
            return true;
        }
        return false;
    case Tool::Select: {
        const core::Id single = m_selection.size() == 1 ? m_selection.front() : 0;
        const bool vertexShape = single && !m_doc->region(single)->shape.vertices().empty() &&
                                 (m_doc->region(single)->shape.type() == core::ShapeType::Polygon || m_doc->region(single)->shape.type() == core::ShapeType::Polyline);
        if (vertexShape && (event->type() == QEvent::MouseButtonPress || event->type() == QEvent::MouseButtonDblClick)
            && me->button() == Qt::LeftButton && !(me->modifiers() & Qt::ControlModifier)) {
            // Vertex editing on the selected polygon: drag a vertex, Shift+click deletes it, double-click an edge inserts one.
            const core::Shape shape = m_doc->region(single)->shape;
            const core::Point q{p.x(), p.y()};
            const int v = annotation::hitVertex(shape, q, tolerance);
            if (v >= 0 && (me->modifiers() & Qt::ShiftModifier)) {
                if (auto s2 = annotation::removeVertex(shape, v)) m_doc->changeShape(single, *s2);
                return true;
            }
            if (v >= 0) {
                m_vertex = v;
                m_dragging = true;
                ++m_dragId;
                return true;
            }
            core::Point onEdge;
            const int e = annotation::hitEdge(shape, q, tolerance, &onEdge);
            if (e >= 0 && event->type() == QEvent::MouseButtonDblClick) {
                if (auto s2 = annotation::insertVertex(shape, e, onEdge)) m_doc->changeShape(single, *s2);
                return true;
            }
        }
        if (event->type() == QEvent::MouseMove && m_dragging && m_vertex >= 0 && single) {
            if (auto s2 = annotation::moveVertex(m_doc->region(single)->shape, m_vertex, {p.x(), p.y()}))
                m_doc->changeShape(single, *s2, m_dragId);
            return true;
        }
        if (event->type() == QEvent::MouseButtonRelease && m_vertex >= 0) {
            m_vertex = -1;
            m_dragging = false;
            return true;
        }
        if (event->type() == QEvent::MouseButtonPress && me->button() == Qt::LeftButton) {
            const core::Id hit = regionAt(p, tolerance);
            if (me->modifiers() & Qt::ControlModifier) { // Ctrl+click adds or removes one region
                if (hit && isSelected(hit)) m_selection.erase(std::find(m_selection.begin(), m_selection.end(), hit));
                else if (hit) m_selection.push_back(hit);
                redrawRegions();
                return true;
            }
            if (!hit || !isSelected(hit)) m_selection = hit ? std::vector<core::Id>{hit} : std::vector<core::Id>{};
            if (hit) { // drag moves the whole selection
                m_dragStart = p;
                m_dragging = true;
                m_dragOrigin.clear();
                for (core::Id id : m_selection) m_dragOrigin.push_back(m_doc->region(id)->shape);
                ++m_dragId;
            }
            redrawRegions();
            return hit != 0;
        }
        if (event->type() == QEvent::MouseMove && m_dragging && !m_selection.empty() && m_dragOrigin.size() == m_selection.size()) {
            // Every step of one drag carries the same id: the move is one undo step.
            std::vector<core::Shape> moved;
            for (const auto &shape : m_dragOrigin) moved.push_back(shape.translated(p.x() - m_dragStart.x(), p.y() - m_dragStart.y()));
            m_doc->changeShapes(m_selection, moved, m_dragId);
            return true;
        }
        if (event->type() == QEvent::MouseButtonRelease && m_dragging) {
            m_dragging = false;
            return true;
        }
        return false;
    }
    }
    return false;
}

bool MainWindow::canvasKey(QKeyEvent *event)
{
    const int key = event->key();
    if (m_draft.empty() && (key == Qt::Key_D || key == Qt::Key_PageDown || key == Qt::Key_A || key == Qt::Key_PageUp)) {
        const int step = key == Qt::Key_D || key == Qt::Key_PageDown ? 1 : -1;
        // Next/previous in the list as filtered.
        const QModelIndex at = m_filter->mapFromSource(m_model->index(m_shownRow));
        const int proxyRow = std::clamp((at.isValid() ? at.row() : -1) + step, 0, m_filter->rowCount() - 1);
        if (m_filter->rowCount() > 0) selectRow(m_filter->mapToSource(m_filter->index(proxyRow, 0)).row());
        return true;
    }
    if (key >= Qt::Key_1 && key <= Qt::Key_9) {
        // The class whose hotkey this is (Dataset › Classes), else the n-th class.
        const int digit = key - Qt::Key_0;
        int index = m_classBox->findData(digit, Qt::UserRole + 1);
        if (index < 0 && digit < m_classBox->count()) index = digit;
        if (index < 0) return false;
        m_classBox->setCurrentIndex(index);
        if (!m_selection.empty()) m_doc->setClass(m_selection, currentClass());
        return true;
    }
    if ((m_tool == Tool::Polygon || m_tool == Tool::Polyline) && !m_draft.empty()) {
        if (key == Qt::Key_Return || key == Qt::Key_Enter) {
            commitDraft(m_tool == Tool::Polygon);
            return true;
        }
        if (key == Qt::Key_Escape) {
            cancelDraft();
            return true;
        }
        if (key == Qt::Key_Backspace) {
            m_draft.pop_back();
            if (m_draft.empty()) cancelDraft();
            else updateDraft(m_draft.back());
            return true;
        }
    }
    if ((key == Qt::Key_Delete || key == Qt::Key_Backspace) && !m_selection.empty()) {
        m_doc->removeRegions(m_selection);
        return true;
    }
    if (key == Qt::Key_Escape && !m_selection.empty()) {
        setSelection({});
        return true;
    }
    return false;
}

} // namespace ui
