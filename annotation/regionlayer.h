#pragma once
// All regions of an image but the selected ones, painted by one QGraphicsItem.
// Thousands of polygon items are too slow to pan and zoom (5,000 polygons of 50
// points took ~100 ms a frame as items). The layer renders what is visible, with a
// margin, into an image at the view's scale, on a worker thread, and reuses it:
// panning inside the margin is a blit; while zooming, or until a new render lands,
// the last image is drawn scaled. The GUI thread never renders. Shapes below two
// pixels are drawn as dots, vertices closer than a pixel are skipped.
#include "core/project_store.h"

#include <QColor>
#include <QFutureWatcher>
#include <QGraphicsObject>
#include <QImage>
#include <QPolygonF>
#include <QTimer>

#include <memory>
#include <vector>

namespace annotation {

class RegionLayer : public QGraphicsObject {
    Q_OBJECT
public:
    struct Entry {
        core::Id id = 0;
        QPolygonF outline;   // closed outline, polyline, or the single point
        QColor color;
        enum Kind { Closed, Open, Dot } kind = Closed;
        QRectF bounds;
    };

    explicit RegionLayer(QGraphicsItem *parent = nullptr);
    ~RegionLayer() override;
    // Replaces the regions; keeps the rendered image when nothing changed (a drag of a
    // selected region redraws only the selection, not the other 5,000).
    void setEntries(std::vector<Entry> entries, bool fill);
    int count() const { return static_cast<int>(m_entries->size()); }
    // The topmost region at `p` (inside a closed shape, or within `tolerance` of a line or dot), 0 for none.
    core::Id regionAt(QPointF p, double tolerance) const;
    // How many full renders happened (for the benchmark and tests).
    int renders() const { return m_renders; }
    double lastRenderMs() const { return m_lastRenderMs; }
    bool rendering() const { return m_watcher.isRunning(); }

    QRectF boundingRect() const override { return m_bounds; }
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget) override;

private:
    struct Rendered {
        QImage image;
        QRectF rect;
        double scale = 0, ms = 0;
        quint64 generation = 0;
    };
    static Rendered render(const std::vector<Entry> &entries, bool fill, const QRectF &sceneRect, double scale);
    void startRender(const QRectF &sceneRect, double scale);
    void renderDone();

    std::shared_ptr<const std::vector<Entry>> m_entries = std::make_shared<const std::vector<Entry>>();
    quint64 m_generation = 0;   // bumped when the entries change
    bool m_fill = true;
    QRectF m_bounds;
    QImage m_cache;             // m_cacheRect rendered at m_cacheScale (device pixels per scene unit)
    QRectF m_cacheRect;
    double m_cacheScale = 0;
    quint64 m_cacheGeneration = 0;
    bool m_wantSharp = false;   // the zoom rested: render at the current scale
    QTimer m_refine;
    QFutureWatcher<Rendered> m_watcher;
    int m_renders = 0;
    double m_lastRenderMs = 0;
};

} // namespace annotation
