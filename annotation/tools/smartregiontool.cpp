#include "annotation/tools/smartregiontool.h"

#include "annotation/canvas.h"
#include "annotation/imagelayer.h"

#include <QKeyEvent>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>

namespace annotation {

namespace {
constexpr double kToleranceScreenPx = 1.5; // Douglas-Peucker: what the eye cannot tell apart at this zoom
constexpr int kCropMaxSide = 1024;         // pixels handed to the worker at most (the segmentation downscales further)
} // namespace

SmartRegionTool::SmartRegionTool(QObject *parent)
    : CreationTool(tr("Smart Region"), QIcon(QStringLiteral(":/icons/smart.svg")), QKeySequence(QStringLiteral("S")),
                   tr("Drag a box around an object, or click inside it: it is outlined for you (grabCut, on this computer) as one polygon to "
                      "correct with the handles. Esc abandons it"),
                   parent)
{
    setStatusText(tr("Smart region: drag a box around an object, or click inside it"));
    connect(&m_watcher, &QFutureWatcher<Job>::finished, this, &SmartRegionTool::onFinished);
}

SmartRegionTool::~SmartRegionTool() { m_watcher.waitForFinished(); }

void SmartRegionTool::mousePressed(const ToolEvent &event)
{
    if (event.button != Qt::LeftButton || isBusy()) return;
    m_start = event.pos;
    m_dragging = true;
}

void SmartRegionTool::mouseMoved(const ToolEvent &event)
{
    if (!m_dragging) return;
    QPainterPath path;
    path.addRect(QRectF(m_start, event.pos).normalized());
    showDraft(path);
}

void SmartRegionTool::mouseReleased(const ToolEvent &event)
{
    if (!m_dragging || event.button != Qt::LeftButton) return;
    m_dragging = false;
    const QRectF box = QRectF(m_start, event.pos).normalized();
    const bool click = box.width() * event.zoom < 4 && box.height() * event.zoom < 4;
    start(box, click, event.pos, event.zoom);
}

bool SmartRegionTool::keyPressed(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Escape && isBusy()) {
        reset();
        setStatusText(tr("Smart region: abandoned"));
        return true;
    }
    return false;
}

void SmartRegionTool::reset()
{
    m_dragging = false;
    ++m_generation; // a segmentation still running lands nowhere
    CreationTool::reset();
}

void SmartRegionTool::start(const QRectF &box, bool atPoint, QPointF point, double zoom)
{
    ImageLayer *image = canvas() ? canvas()->imageLayer() : nullptr;
    if (!image || image->imageSize().isEmpty()) {
        clearDraft();
        return;
    }
    // The pixels around the object: the box with room for the background model, or a wide square around a click.
    const QRectF around = atPoint ? QRectF(point - QPointF(512, 512), QSizeF(1024, 1024))
                                  : box.adjusted(-box.width() * 0.3 - 16, -box.height() * 0.3 - 16, box.width() * 0.3 + 16, box.height() * 0.3 + 16);
    auto crop = image->cropJob(around.toAlignedRect(), kCropMaxSide);
    const quint64 generation = ++m_generation;
    m_running = generation;
    const double tolerance = kToleranceScreenPx / std::max(1e-6, zoom); // image pixels
    setStatusText(tr("Smart region: outlining…"));
    if (atPoint) {
        QPainterPath mark;
        mark.addEllipse(point, 3 / zoom, 3 / zoom);
        showDraft(mark);
    }
    m_watcher.setFuture(QtConcurrent::run([crop, box, atPoint, point, tolerance, generation] {
        Job job;
        job.generation = generation;
        const ImageLayer::Crop c = crop();
        if (c.image.isNull()) return job;
        core::PixelView view{c.image.constBits(), c.image.width(), c.image.height(), static_cast<int>(c.image.bytesPerLine()), core::PixelView::Layout::Bgrx};
        core::SmartOptions options;
        options.tolerance = tolerance * c.scale; // in crop pixels
        auto toCrop = [&c](QPointF p) { return core::Point{(p.x() - c.rect.x()) * c.scale, (p.y() - c.rect.y()) * c.scale}; };
        if (atPoint) {
            job.result = core::segmentAtPoint(view, toCrop(point), options);
        } else {
            const core::Point tl = toCrop(box.topLeft());
            job.result = core::segmentInBox(view, {tl.x, tl.y, box.width() * c.scale, box.height() * c.scale}, options);
        }
        if (job.result) { // back to image pixels
            auto back = [&c](std::vector<core::Point> &poly) {
                for (core::Point &p : poly) p = {p.x / c.scale + c.rect.x(), p.y / c.scale + c.rect.y()};
            };
            back(job.result->polygon);
            for (auto &a : job.result->alternatives) back(a.polygon);
        }
        return job;
    }));
}

void SmartRegionTool::onFinished()
{
    const Job job = m_watcher.result();
    if (job.generation != m_generation || !canvas()) return; // abandoned, or another image by now
    clearDraft();
    if (!job.result) {
        setStatusText(tr("Smart region: %1").arg(QString::fromStdString(job.result.error().message)));
        Q_EMIT finished(false);
        return;
    }
    m_last = *job.result;
    auto shape = core::Shape::polygon(m_last.polygon);
    if (!shape) {
        setStatusText(tr("Smart region: %1").arg(QString::fromStdString(shape.error().message)));
        Q_EMIT finished(false);
        return;
    }
    canvas()->addRegion(*shape, true);
    setStatusText(m_last.recovered ? tr("Smart region: added (grabCut alone missed it; kept the %1 outline). Correct it with the handles").arg(QString::fromStdString(m_last.method))
                                   : tr("Smart region: added; correct it with the handles, or undo"));
    Q_EMIT finished(true);
}

} // namespace annotation
