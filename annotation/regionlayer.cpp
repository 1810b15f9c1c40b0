#include "annotation/regionlayer.h"

#include <QElapsedTimer>
#include <QtConcurrent/QtConcurrentRun>
#include <QGraphicsView>
#include <QPainter>
#include <QStyleOptionGraphicsItem>

#include <cmath>

namespace annotation {

namespace {

double segmentDistance(QPointF p, QPointF a, QPointF b)
{
    const QPointF d = b - a;
    const double len2 = d.x() * d.x() + d.y() * d.y();
    const double t = len2 > 0 ? std::clamp(((p.x() - a.x()) * d.x() + (p.y() - a.y()) * d.y()) / len2, 0.0, 1.0) : 0.0;
    const QPointF q = a + t * d - p;
    return std::hypot(q.x(), q.y());
}

bool sameEntries(const std::vector<RegionLayer::Entry> &a, const std::vector<RegionLayer::Entry> &b)
{
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].id != b[i].id || a[i].color != b[i].color || a[i].kind != b[i].kind || a[i].outline != b[i].outline) return false;
    return true;
}

} // namespace

RegionLayer::RegionLayer(QGraphicsItem *parent) : QGraphicsObject(parent)
{
    setFlag(QGraphicsItem::ItemUsesExtendedStyleOption);
    setAcceptedMouseButtons(Qt::NoButton); // the tools hit-test with regionAt()
    m_refine.setSingleShot(true);
    m_refine.setInterval(120);
    connect(&m_refine, &QTimer::timeout, this, [this] {
        m_wantSharp = true;
        update();
    });
    connect(&m_watcher, &QFutureWatcher<Rendered>::finished, this, &RegionLayer::renderDone);
}

RegionLayer::~RegionLayer() { m_watcher.waitForFinished(); }

void RegionLayer::setEntries(std::vector<Entry> entries, bool fill)
{
    for (auto &e : entries) e.bounds = e.outline.boundingRect();
    if (fill == m_fill && sameEntries(entries, *m_entries)) return;
    QRectF b;
    for (const auto &e : entries) b = b.united(e.bounds.adjusted(-4, -4, 4, 4));
    m_entries = std::make_shared<const std::vector<Entry>>(std::move(entries));
    m_fill = fill;
    ++m_generation;
    prepareGeometryChange();
    m_bounds = b;
    update();
}

core::Id RegionLayer::regionAt(QPointF p, double tolerance) const
{
    for (auto it = m_entries->rbegin(); it != m_entries->rend(); ++it) {
        if (!it->bounds.adjusted(-tolerance, -tolerance, tolerance, tolerance).contains(p)) continue;
        if (it->kind == Entry::Closed && it->outline.containsPoint(p, Qt::OddEvenFill)) return it->id;
        if (it->kind == Entry::Dot && QLineF(p, it->outline.first()).length() <= tolerance) return it->id;
        if (it->kind == Entry::Open)
            for (int k = 1; k < it->outline.size(); ++k)
                if (segmentDistance(p, it->outline[k - 1], it->outline[k]) <= tolerance) return it->id;
    }
    return 0;
}

RegionLayer::Rendered RegionLayer::render(const std::vector<Entry> &entries, bool fill, const QRectF &sceneRect, double scale)
{
    QElapsedTimer clock;
    clock.start();
    Rendered out;
    out.rect = sceneRect;
    out.scale = scale;
    const QSize size(std::max(1, static_cast<int>(std::ceil(sceneRect.width() * scale))), std::max(1, static_cast<int>(std::ceil(sceneRect.height() * scale))));
    out.image = QImage(size, QImage::Format_ARGB32_Premultiplied);
    out.image.fill(Qt::transparent);
    QPainter p(&out.image);
    p.scale(scale, scale);
    p.translate(-sceneRect.topLeft());
    int visible = 0;
    for (const auto &e : entries) visible += e.bounds.intersects(sceneRect);
    p.setRenderHint(QPainter::Antialiasing, visible < 2000); // thousands of shapes: crisp is as good and much faster
    const double pixel = 1.0 / scale; // one device pixel in scene units
    QPolygonF reduced;
    for (const auto &e : entries) {
        if (!e.bounds.intersects(sceneRect)) continue;
        if (e.kind == Entry::Dot || std::max(e.bounds.width(), e.bounds.height()) < 2 * pixel) { // a dot at this zoom
            p.setPen(Qt::NoPen);
            p.setBrush(e.color);
            const QPointF c = e.kind == Entry::Dot ? e.outline.first() : e.bounds.center();
            const double r = (e.kind == Entry::Dot ? 3 : 1) * pixel;
            p.drawEllipse(c, r, r);
            continue;
        }
        // Skip vertices closer than a pixel to the last one kept.
        reduced.clear();
        reduced.reserve(e.outline.size());
        for (const QPointF &v : e.outline)
            if (reduced.isEmpty() || std::abs(v.x() - reduced.back().x()) + std::abs(v.y() - reduced.back().y()) >= pixel) reduced << v;
        QPen pen(e.color, 2);
        pen.setCosmetic(true);
        p.setPen(pen);
        if (e.kind == Entry::Closed) {
            QColor f = e.color;
            f.setAlpha(50);
            p.setBrush(fill ? QBrush(f) : QBrush(Qt::NoBrush));
            p.drawPolygon(reduced);
        } else {
            p.setBrush(Qt::NoBrush);
            p.drawPolyline(reduced);
        }
    }
    p.end();
    out.ms = clock.nsecsElapsed() / 1e6;
    return out;
}

void RegionLayer::startRender(const QRectF &sceneRect, double scale)
{
    if (m_watcher.isRunning()) return; // renderDone() looks again
    m_wantSharp = false;
    const auto entries = m_entries;
    const bool fill = m_fill;
    const quint64 generation = m_generation;
    m_watcher.setFuture(QtConcurrent::run([entries, fill, sceneRect, scale, generation] {
        Rendered r = render(*entries, fill, sceneRect, scale);
        r.generation = generation;
        return r;
    }));
}

void RegionLayer::renderDone()
{
    Rendered r = m_watcher.result();
    ++m_renders;
    m_lastRenderMs = r.ms;
    m_cache = std::move(r.image);
    m_cacheRect = r.rect;
    m_cacheScale = r.scale;
    m_cacheGeneration = r.generation;
    update(); // paint() renders again if the view moved on meanwhile
}

void RegionLayer::paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget)
{
    if (m_entries->empty()) return;
    const QTransform t = painter->worldTransform();
    const double scale = std::sqrt(std::abs(t.determinant()));
    const bool sameScale = m_cacheScale > 0 && std::abs(scale / m_cacheScale - 1) < 1e-9;
    // The visible part of the scene, from the view when there is one.
    QRectF visible = option->exposedRect;
    if (auto *view = widget ? qobject_cast<QGraphicsView *>(widget->parentWidget()) : nullptr)
        visible = view->mapToScene(view->viewport()->rect()).boundingRect();
    visible = visible.intersected(m_bounds);
    if (!m_cache.isNull()) painter->drawImage(m_cacheRect, m_cache); // current, or the last one scaled until a new one lands
    if (visible.isEmpty()) return;
    const bool current = m_cacheGeneration == m_generation && m_cacheRect.contains(visible);
    if (current && sameScale) return;
    if (current && !m_wantSharp) { // zooming: sharpen once the zoom rests
        m_refine.start();
        return;
    }
    // Render the visible part with a margin of a quarter view on each side, so small pans blit.
    const QRectF wanted = visible.adjusted(-visible.width() / 4, -visible.height() / 4, visible.width() / 4, visible.height() / 4).intersected(m_bounds);
    startRender(wanted, scale);
}

} // namespace annotation
