#include "ui/mainwindow.h"

#ifdef ANNOTRAIN_WITH_TRAINING
#include "ui/inspectpanel.h"
#include "ui/trainpanel.h"
#endif

#include "annotation/canvas.h"
#include "core/transfer.h"
#include "ui/annotateworkspace.h"
#include "ui/datasetactions.h"
#include "ui/editactions.h"
#include "ui/fileactions.h"
#include "ui/helpactions.h"
#include "ui/viewactions.h"

#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QUrl>

#include <cmath>

namespace ui {

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("Annotrain Studio"));
    m_annotate = new AnnotateWorkspace;
    m_tabs = new QTabWidget;
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(m_annotate, tr("Annotate"));
    setCentralWidget(m_tabs);
    m_coords = new QLabel;
    statusBar()->addPermanentWidget(m_coords);
    connect(m_annotate, &AnnotateWorkspace::imageShown, this, &MainWindow::imageShown);
    connect(m_annotate, &AnnotateWorkspace::message, this, [this](const QString &text, int ms) { statusBar()->showMessage(text, ms); });
    connect(m_annotate->canvas(), &annotation::Canvas::cursorMoved, this,
            [this](const QPointF &p) { m_coords->setText(QStringLiteral("x %1  y %2").arg(std::floor(p.x())).arg(std::floor(p.y()))); });
    // Back on Annotate, the keys go to the canvas, not to the first field of the dataset panel.
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        if (m_tabs->currentWidget() == m_annotate) m_annotate->canvas()->setFocus(Qt::OtherFocusReason);
    });
#ifdef ANNOTRAIN_WITH_TRAINING
    m_train = new TrainPanel;
    m_tabs->addTab(m_train, tr("Train"));
    m_inspect = new InspectPanel;
    m_tabs->addTab(m_inspect, tr("Inspect"));
    connectTraining();
#endif

    m_file = new FileActions(this, menuBar()->addMenu(tr("&File")));
    m_edit = new EditActions(m_annotate, menuBar()->addMenu(tr("&Edit")));
    new ViewActions(m_annotate, menuBar()->addMenu(tr("&View")));
    m_dataset = new DatasetActions(this, menuBar()->addMenu(tr("&Dataset")));
    new HelpActions(this, menuBar()->addMenu(tr("&Help")));
    for (QAction *a : m_file->projectActions() + m_dataset->projectActions()) a->setEnabled(false);

    setAcceptDrops(true);
    resize(1200, 760);
    // The window's size, place and the Annotate docks come back as the user left them.
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_annotate->restoreState(settings.value(QStringLiteral("window/annotateState")).toByteArray());
}

MainWindow::~MainWindow() = default;

void MainWindow::connectTraining()
{
#ifdef ANNOTRAIN_WITH_TRAINING
    // A misclassified image double-clicked in Train opens in Annotate; the image in Annotate is the one whose feature maps Train shows.
    connect(m_train, &TrainPanel::openImageRequested, this, [this](const QString &absPath) {
        const auto &images = m_annotate->images();
        for (std::size_t i = 0; i < images.size(); ++i)
            if (QString::fromStdString(images[i].absPath) == absPath) {
                m_tabs->setCurrentWidget(m_annotate);
                m_annotate->selectRow(static_cast<int>(i));
                return;
            }
        statusBar()->showMessage(tr("%1 is no longer in the project").arg(absPath), 5000);
    });
    connect(m_annotate, &AnnotateWorkspace::imageShown, this, [this](int row) {
        if (row < 0 || row >= m_annotate->imageCount()) return;
        const auto &im = m_annotate->images()[static_cast<std::size_t>(row)];
        m_train->setCurrentImage(QString::fromStdString(im.absPath));
        m_inspect->setCurrentImage(QString::fromStdString(im.absPath), im.id);
    });
    connect(m_train, &TrainPanel::runFinished, m_inspect, &InspectPanel::refreshRuns);
    // Accepted segmentation areas become model regions of the image, one undo step.
    connect(m_inspect, &InspectPanel::regionsAccepted, this, [this](core::Id image) {
        annotation::Document *doc = m_annotate->document();
        if (!doc || image != doc->image()) return;
        std::vector<core::Region> regions;
        for (const auto &p : m_inspect->proposedRegions()) {
            std::vector<core::Point> pts;
            for (const auto &[x, y] : p.polygon) pts.push_back({x, y});
            // A detector's box becomes a rect; a mask's outline (or a segmentation area) a polygon.
            auto shape = pts.size() < 3 && p.hasBox ? core::Shape::rect(p.box[0], p.box[1], p.box[2], p.box[3]) : core::Shape::polygon(pts);
            if (!shape) continue;
            core::Region r;
            r.shape = *shape;
            for (const auto &c : m_annotate->classes())
                if (c.name == p.className) r.classId = c.id;
            r.origin = core::Origin::Model;
            r.score = p.score;
            regions.push_back(std::move(r));
        }
        doc->addRegions(std::move(regions));
        statusBar()->showMessage(tr("Added the predicted regions; Edit › Undo takes them back"), 5000);
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        if (m_tabs->currentWidget() == m_inspect) m_inspect->predict();
    });
#endif
}

core::Status MainWindow::openProject(const QString &path)
{
    auto store = core::ProjectStore::open(path.toStdString());
    if (!store) return store.error();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    m_annotate->setProject(std::make_shared<core::ProjectStore>(std::move(store.value())));
    m_edit->setDocument(m_annotate->document());
    setWindowTitle(QStringLiteral("%1 — Annotrain Studio").arg(QFileInfo(path).fileName()));
    for (QAction *a : m_file->projectActions() + m_dataset->projectActions()) a->setEnabled(true);
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("recentProjects")).toStringList();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    settings.setValue(QStringLiteral("recentProjects"), recent.mid(0, 8));
#ifdef ANNOTRAIN_WITH_TRAINING
    m_train->setProject(absolute);
    m_inspect->setProject(absolute);
    m_inspect->setPyramidCache(m_annotate->pyramidCache());
#endif
    statusBar()->showMessage(tr("%1 images").arg(m_annotate->imageCount()));
    if (m_tabs->currentWidget() == m_annotate) m_annotate->canvas()->setFocus(Qt::OtherFocusReason); // the first D or 1 works
    return {};
}

void MainWindow::openProjectOrSay(const QString &path)
{
    if (auto s = openProject(path); !s) QMessageBox::warning(this, tr("Open Project"), QString::fromStdString(s.error().toString()));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/annotateState"), m_annotate->saveState());
    QMainWindow::closeEvent(event);
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
        } else if (!m_annotate->store()) {
            statusBar()->showMessage(tr("Open or create a project first, then drop images or annotations on it"), 5000);
        } else if (QFileInfo(path).isDir() && !core::detectFormat(path.toStdString())) {
            m_file->addImageFolder(path);
        } else {
            m_file->showTransfer(true, path);
        }
    }
    event->acceptProposedAction();
}

} // namespace ui
