#include "ui/mainwindow.h"

#ifdef ANNOTRAIN_WITH_TRAINING
#include "ui/trainpanel.h"
#endif

#include <QApplication>
#include <QFileDialog>
#include <QGraphicsEllipseItem>
#include <QGraphicsPixmapItem>
#include <QGraphicsScene>
#include <QGraphicsView>
#include <QImageReader>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QMouseEvent>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>
#include <unordered_map>

namespace ui {

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("Annotrain Studio"));
    m_list = new QListWidget;
    m_list->setUniformItemSizes(true);
    m_scene = new QGraphicsScene(this);
    m_view = new QGraphicsView(m_scene);
    m_view->setRenderHint(QPainter::Antialiasing);
    m_view->setBackgroundBrush(QColor(40, 40, 44));
    m_view->setMouseTracking(true);
    m_view->viewport()->installEventFilter(this);
    auto *split = new QSplitter;
    split->addWidget(m_list);
    split->addWidget(m_view);
    split->setStretchFactor(1, 4);
    split->setSizes({240, 960});
    m_tabs = new QTabWidget;
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(split, tr("Annotate"));
#ifdef ANNOTRAIN_WITH_TRAINING
    m_train = new TrainPanel;
    m_tabs->addTab(m_train, tr("Train"));
#endif
    setCentralWidget(m_tabs);
    m_coords = new QLabel;
    statusBar()->addPermanentWidget(m_coords);

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open Project…"), QKeySequence::Open, this, [this] {
        const QString p = QFileDialog::getOpenFileName(this, tr("Open Project"), {}, tr("Annotrain projects (*.atproj)"));
        if (p.isEmpty()) return;
        if (auto s = openProject(p); !s) QMessageBox::warning(this, tr("Open Project"), QString::fromStdString(s.error().toString()));
    });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About"), this, [this] {
        QMessageBox::about(this, tr("About Annotrain Studio"),
                           tr("Annotrain Studio %1: label images, train, inspect, export.").arg(QStringLiteral("0.1")));
    });

    connect(m_list, &QListWidget::currentRowChanged, this, &MainWindow::showImage);
    connect(&m_decode, &QFutureWatcher<QImage>::finished, this, &MainWindow::onImageDecoded);
    resize(1200, 760);
}

MainWindow::~MainWindow() { m_decode.waitForFinished(); }

core::Status MainWindow::openProject(const QString &path)
{
    auto store = core::ProjectStore::open(path.toStdString());
    if (!store) return store.error();
    m_store.emplace(std::move(store.value()));
    m_images = m_store->images();
    m_list->clear();
    for (const auto &im : m_images) {
        auto *item = new QListWidgetItem(QString::fromStdString(im.relPath) + QStringLiteral("  (%1)").arg(im.regionCount));
        item->setToolTip(QString::fromStdString(im.absPath));
        m_list->addItem(item);
    }
    setWindowTitle(QStringLiteral("%1 — Annotrain Studio").arg(QFileInfo(path).fileName()));
#ifdef ANNOTRAIN_WITH_TRAINING
    m_train->setProject(QFileInfo(path).absoluteFilePath());
#endif
    statusBar()->showMessage(tr("%1 images").arg(m_images.size()));
    if (!m_images.empty()) m_list->setCurrentRow(0);
    return {};
}

int MainWindow::imageCount() const { return static_cast<int>(m_images.size()); }

void MainWindow::showImage(int row)
{
    if (row < 0 || row >= imageCount()) return;
    m_pendingRow = row;
    const QString path = QString::fromStdString(m_images[static_cast<std::size_t>(row)].absPath);
    // Decoding happens off the GUI thread; a newer request supersedes an older one when it lands.
    m_decode.setFuture(QtConcurrent::run([path] {
        QImageReader reader(path);
        reader.setAutoTransform(true);
        QImage img = reader.read();
        if (img.isNull()) img = QImage(); // the canvas shows the reason instead
        return img;
    }));
}

void MainWindow::onImageDecoded()
{
    const int row = m_pendingRow;
    if (row < 0 || row >= imageCount() || !m_store) return;
    const core::ImageInfo &info = m_images[static_cast<std::size_t>(row)];
    const QImage img = m_decode.result();
    m_scene->clear();
    if (img.isNull()) {
        auto *t = m_scene->addText(tr("Cannot show %1: missing or unreadable image").arg(QString::fromStdString(info.absPath)));
        t->setDefaultTextColor(Qt::white);
    } else {
        m_scene->addPixmap(QPixmap::fromImage(img))->setZValue(-1);
        m_scene->setSceneRect(0, 0, img.width(), img.height());
    }
    std::unordered_map<core::Id, QColor> colors;
    for (const auto &c : m_store->classes())
        colors[c.id] = QColor(QString::fromStdString(c.color));
    for (const core::Region &r : m_store->regions(info.id)) {
        const QColor color = r.classId && colors.count(r.classId) ? colors[r.classId] : QColor(Qt::yellow);
        QPen pen(color, 2);
        pen.setCosmetic(true);
        QColor fill = color;
        fill.setAlpha(50);
        if (r.shape.type() == core::ShapeType::Point) {
            const auto &p = r.shape.params();
            m_scene->addEllipse(p[0] - 3, p[1] - 3, 6, 6, pen, color);
            continue;
        }
        QPolygonF poly;
        for (const core::Point &p : r.shape.toPolygon(48))
            poly << QPointF(p.x, p.y);
        if (r.shape.isClosed()) {
            m_scene->addPolygon(poly, pen, fill);
        } else {
            QPainterPath path;
            path.addPolygon(poly);
            m_scene->addPath(path, pen);
        }
    }
    m_view->fitInView(m_scene->sceneRect(), Qt::KeepAspectRatio);
    statusBar()->showMessage(tr("%1 — %2 regions").arg(QString::fromStdString(info.relPath)).arg(info.regionCount));
    Q_EMIT imageShown(row);
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view->viewport() && event->type() == QEvent::MouseMove) {
        const QPointF p = m_view->mapToScene(static_cast<QMouseEvent *>(event)->position().toPoint());
        m_coords->setText(QStringLiteral("x %1  y %2").arg(std::floor(p.x())).arg(std::floor(p.y())));
    }
    return QMainWindow::eventFilter(watched, event);
}

} // namespace ui
