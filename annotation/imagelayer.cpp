#include "annotation/imagelayer.h"

#include <QGraphicsView>
#include <QImageReader>
#include <QPainter>
#include <QStyleOptionGraphicsItem>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>
#include <deque>
#include <mutex>
#include <set>

namespace annotation {

namespace {

constexpr int kTile = core::ImagePyramid::kTileSize;

quint64 tileKey(int level, int x, int y) { return (quint64(level) << 48) | (quint64(y) << 24) | quint64(x); }
int keyLevel(quint64 k) { return static_cast<int>(k >> 48); }
int keyY(quint64 k) { return static_cast<int>((k >> 24) & 0xffffff); }
int keyX(quint64 k) { return static_cast<int>(k & 0xffffff); }

QImage toImage(const core::TilePixels &t)
{
    QImage rgb(t.rgb.data(), t.width, t.height, t.width * 3, QImage::Format_RGB888);
    return rgb.convertToFormat(QImage::Format_RGB32); // the raster engine blits RGB32 without converting
}

} // namespace

// What a load job hands back to the GUI thread.
struct ImageLayer::Loaded {
    quint64 generation = 0;
    QString path, error, notice;
    bool cancelled = false;
    QSize size;
    QImage image;
    std::shared_ptr<const core::ImagePyramid> pyramid;
    QImage top;
};

// The tiles the last paint wanted and are not in memory, nearest the view's middle
// first; workers take from the front. Shared by the GUI thread and the workers.
struct ImageLayer::TileQueue {
    std::shared_ptr<const core::ImagePyramid> pyramid;
    std::mutex mutex;
    std::deque<quint64> wanted;
    std::set<quint64> inFlight;
    int workers = 0;
    bool closed = false;
};

ImageLayer::ImageLayer(QGraphicsItem *parent) : QGraphicsObject(parent)
{
    setFlag(QGraphicsItem::ItemUsesExtendedStyleOption);
    setAcceptedMouseButtons(Qt::NoButton);
    m_pool.setMaxThreadCount(2);
    connect(&m_watcher, &QFutureWatcher<std::shared_ptr<Loaded>>::finished, this, &ImageLayer::onLoaded);
}

ImageLayer::~ImageLayer()
{
    if (m_cancel) m_cancel->store(true);
    closeQueue();
    m_pool.waitForDone(); // workers post to this object: they must be gone before it is
    m_watcher.waitForFinished();
}

void ImageLayer::closeQueue()
{
    if (!m_queue) return;
    {
        const std::lock_guard<std::mutex> lock(m_queue->mutex);
        m_queue->closed = true; // its workers stop after the tile in hand; what they post is dropped
        m_queue->wanted.clear();
    }
    m_queue.reset();
}

void ImageLayer::setPyramidCache(std::shared_ptr<core::PyramidCache> cache) { m_cache = std::move(cache); }

void ImageLayer::load(const QString &path)
{
    if (m_cancel) m_cancel->store(true); // a pyramid still building for the previous image stops
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    const quint64 generation = ++m_generation;
    auto cache = m_cache;
    auto cancel = m_cancel;
    ImageLayer *self = this; // the destructor cancels and waits for this job
    m_watcher.setFuture(QtConcurrent::run([path, cache, cancel, generation, self] {
        auto out = std::make_shared<Loaded>();
        out->generation = generation;
        out->path = path;
        QImageReader reader(path);
        reader.setAutoTransform(true);
        reader.setAllocationLimit(4096); // MB: large microscope and satellite images are normal here
        const QSize full = reader.size();
        if (full.isValid() && std::max(full.width(), full.height()) > kPyramidAbove && cache) {
            core::PyramidBuildOptions options;
            options.cancel = cancel.get();
            options.progress = [self, generation](double f) {
                QMetaObject::invokeMethod(
                    self, [self, generation, f] {
                        if (self->m_generation == generation) Q_EMIT self->buildProgress(f);
                    },
                    Qt::QueuedConnection);
            };
            auto pyramid = cache->pyramidFor(path.toStdString(), options);
            if (pyramid) {
                const int top = (*pyramid)->levels() - 1;
                auto tile = (*pyramid)->tile(top, 0, 0);
                if (tile) {
                    out->pyramid = *pyramid;
                    out->top = toImage(*tile);
                    out->size = QSize((*pyramid)->width(), (*pyramid)->height());
                    return out;
                }
                out->notice = QString::fromStdString(tile.error().toString());
            } else if (pyramid.error().code == core::ErrorCode::Cancelled) {
                out->cancelled = true;
                return out;
            } else {
                out->notice = QString::fromStdString(pyramid.error().toString());
            }
            // No pyramid (the cache folder cannot be written, a format it cannot stream): the downscaled decode below.
        }
        // Beyond kPyramidAbove without a pyramid: one downscaled decode stretched over
        // the full pixel grid, so shapes keep full-resolution coordinates.
        if (full.isValid() && std::max(full.width(), full.height()) > kPyramidAbove) reader.setScaledSize(full.scaled(kPyramidAbove, kPyramidAbove, Qt::KeepAspectRatio));
        QImage img = reader.read();
        if (img.isNull()) {
            out->error = QObject::tr("Cannot show %1: missing or unreadable image (%2)").arg(path, reader.errorString());
            return out;
        }
        out->size = full.isValid() ? full : img.size();
        out->image = img.hasAlphaChannel() ? img.convertToFormat(QImage::Format_ARGB32_Premultiplied) : img.convertToFormat(QImage::Format_RGB32);
        return out;
    }));
}

void ImageLayer::onLoaded()
{
    const std::shared_ptr<Loaded> r = m_watcher.result();
    if (!r || r->generation != m_generation) return; // a newer load() is on its way
    if (r->cancelled) return;
    if (r->image.isNull() && !r->pyramid) {
        clear();
        m_path = r->path;
        m_error = r->error;
        Q_EMIT loaded(false);
        return;
    }
    prepareGeometryChange();
    closeQueue();
    m_tiles.clear();
    m_path = r->path;
    m_error.clear();
    m_notice = r->notice.isEmpty() ? QString() : tr("Shown from a downscaled decode; no tile pyramid: %1").arg(r->notice);
    m_size = r->size;
    m_image = r->image;
    m_pyramid = r->pyramid;
    m_top = r->top;
    m_sharp = true;
    m_levelShown = 0;
    if (m_pyramid) {
        m_queue = std::make_shared<TileQueue>();
        m_queue->pyramid = m_pyramid;
    }
    update();
    Q_EMIT loaded(true);
}

void ImageLayer::clear()
{
    prepareGeometryChange();
    closeQueue();
    m_tiles.clear();
    m_pyramid.reset();
    m_image = m_top = QImage();
    m_size = QSize();
    m_path.clear();
    m_error.clear();
    m_notice.clear();
    m_sharp = true;
    update();
}

void ImageLayer::paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget)
{
    if (m_pyramid) {
        // The whole view, not only the exposed part: the tiles asked for are those the view needs.
        QRectF visible = option->exposedRect;
        if (auto *view = widget ? qobject_cast<QGraphicsView *>(widget->parentWidget()) : nullptr)
            visible = view->mapToScene(view->viewport()->rect()).boundingRect();
        visible = visible.intersected(boundingRect());
        if (!visible.isEmpty()) paintPyramid(painter, visible);
        return;
    }
    const QRectF visible = option->exposedRect.intersected(boundingRect());
    if (m_image.isNull() || visible.isEmpty()) return;
    if (m_image.size() == m_size) {
        const QRect r = visible.toAlignedRect().intersected(m_image.rect());
        painter->drawImage(r.topLeft(), m_image, r);
    } else { // a downscaled decode stretched over the full grid
        painter->setRenderHint(QPainter::SmoothPixmapTransform);
        painter->drawImage(boundingRect(), m_image);
    }
}

const QImage *ImageLayer::cachedTile(int level, int x, int y) const
{
    if (level == m_pyramid->levels() - 1) return &m_top;
    return m_tiles.object(tileKey(level, x, y));
}

void ImageLayer::paintPyramid(QPainter *painter, const QRectF &visible)
{
    const QTransform t = painter->worldTransform();
    const double scale = std::sqrt(std::abs(t.determinant())); // screen pixels per image pixel
    const int top = m_pyramid->levels() - 1;
    // The finest level not finer than the screen: level k has 2^-k of the full resolution.
    const int level = std::clamp(static_cast<int>(std::floor(std::log2(1.0 / scale) + 1e-9)), 0, top);
    const double span = static_cast<double>(kTile) * (1 << level); // image pixels per tile
    const int tx0 = std::max(0, static_cast<int>(visible.left() / span)), ty0 = std::max(0, static_cast<int>(visible.top() / span));
    const int tx1 = std::min(m_pyramid->tilesX(level) - 1, static_cast<int>(visible.right() / span));
    const int ty1 = std::min(m_pyramid->tilesY(level) - 1, static_cast<int>(visible.bottom() / span));
    // Downscaled tiles are filtered; magnified ones (past 100 %) stay crisp pixels.
    painter->setRenderHint(QPainter::SmoothPixmapTransform, scale * (1 << level) < 0.999);
    const QPointF middle = visible.center();
    std::vector<std::pair<double, quint64>> missing;
    for (int ty = ty0; ty <= ty1; ++ty)
        for (int tx = tx0; tx <= tx1; ++tx) {
            const QRectF target(tx * span, ty * span, std::min<double>(kTile, m_pyramid->levelWidth(level) - tx * kTile) * (1 << level),
                                std::min<double>(kTile, m_pyramid->levelHeight(level) - ty * kTile) * (1 << level));
            const QRectF clipped = target.intersected(boundingRect());
            if (const QImage *img = cachedTile(level, tx, ty)) {
                painter->drawImage(clipped, *img, QRectF(0, 0, clipped.width() / (1 << level), clipped.height() / (1 << level)));
                continue;
            }
            missing.emplace_back(QLineF(target.center(), middle).length(), tileKey(level, tx, ty));
            // Meanwhile the same place from the nearest coarser level in memory.
            for (int c = level + 1; c <= top; ++c) {
                const double cspan = static_cast<double>(kTile) * (1 << c);
                const int cx = static_cast<int>(clipped.left() / cspan), cy = static_cast<int>(clipped.top() / cspan);
                if (const QImage *img = cachedTile(c, cx, cy)) {
                    const QRectF source((clipped.left() - cx * cspan) / (1 << c), (clipped.top() - cy * cspan) / (1 << c), clipped.width() / (1 << c),
                                        clipped.height() / (1 << c));
                    painter->setRenderHint(QPainter::SmoothPixmapTransform);
                    painter->drawImage(clipped, *img, source.intersected(QRectF(img->rect())));
                    painter->setRenderHint(QPainter::SmoothPixmapTransform, scale * (1 << level) < 0.999);
                    break;
                }
            }
        }
    std::sort(missing.begin(), missing.end());
    std::vector<quint64> wanted;
    for (const auto &m : missing) wanted.push_back(m.second);
    // Then a ring of tiles around the view, so a short pan finds them ready.
    for (int ty = ty0 - 1; ty <= ty1 + 1; ++ty)
        for (int tx = tx0 - 1; tx <= tx1 + 1; ++tx)
            if ((ty < ty0 || ty > ty1 || tx < tx0 || tx > tx1) && tx >= 0 && ty >= 0 && tx < m_pyramid->tilesX(level) && ty < m_pyramid->tilesY(level) &&
                !cachedTile(level, tx, ty))
                wanted.push_back(tileKey(level, tx, ty));
    requestTiles(wanted);
    const bool wasSharp = m_sharp;
    m_sharp = missing.empty();
    m_levelShown = level;
    if (m_sharp && !wasSharp) QMetaObject::invokeMethod(this, &ImageLayer::sharpened, Qt::QueuedConnection);
}

void ImageLayer::requestTiles(const std::vector<quint64> &keys)
{
    if (!m_queue) return;
    auto queue = m_queue;
    int start = 0;
    {
        const std::lock_guard<std::mutex> lock(queue->mutex);
        queue->wanted.clear();
        for (quint64 k : keys)
            if (!queue->inFlight.count(k)) queue->wanted.push_back(k);
        start = std::min<int>(static_cast<int>(queue->wanted.size()), m_pool.maxThreadCount()) - queue->workers;
        queue->workers += std::max(0, start);
    }
    for (int i = 0; i < start; ++i)
        m_pool.start([this, queue] {
            for (;;) {
                quint64 key = 0;
                {
                    const std::lock_guard<std::mutex> lock(queue->mutex);
                    if (queue->closed || queue->wanted.empty()) {
                        --queue->workers;
                        return;
                    }
                    key = queue->wanted.front();
                    queue->wanted.pop_front();
                    queue->inFlight.insert(key);
                }
                auto tile = queue->pyramid->tile(keyLevel(key), keyX(key), keyY(key));
                QImage image = tile ? toImage(*tile) : QImage();
                // The layer outlives its workers (its destructor waits for the pool).
                QMetaObject::invokeMethod(this, [this, queue, key, image] { tileLoaded(queue, key, image); }, Qt::QueuedConnection);
            }
        });
}

void ImageLayer::tileLoaded(const std::shared_ptr<TileQueue> &queue, quint64 key, const QImage &image)
{
    {
        const std::lock_guard<std::mutex> lock(queue->mutex);
        queue->inFlight.erase(key);
    }
    if (queue != m_queue) return; // another picture by now
    if (image.isNull()) return;  // a damaged tile: the coarser level stays in its place
    m_tiles.insert(key, new QImage(image), static_cast<int>(image.sizeInBytes() / 1024));
    update();
}

std::function<ImageLayer::Crop()> ImageLayer::cropJob(const QRect &wanted, int maxSide) const
{
    const QRect rect = wanted.intersected(QRect(QPoint(0, 0), m_size));
    if (m_pyramid) {
        auto pyramid = m_pyramid;
        return [pyramid, rect, maxSide] {
            Crop c;
            c.rect = rect;
            if (rect.isEmpty()) return c;
            int level = 0;
            while (level + 1 < pyramid->levels() && std::max(rect.width(), rect.height()) / (1 << level) > maxSide) ++level;
            c.scale = 1.0 / (1 << level);
            const QRect at(rect.x() >> level, rect.y() >> level, std::max(1, rect.width() >> level), std::max(1, rect.height() >> level));
            c.image = QImage(at.size(), QImage::Format_RGB32);
            c.image.fill(Qt::black);
            QPainter p(&c.image);
            for (int ty = at.top() / kTile; ty <= at.bottom() / kTile && ty < pyramid->tilesY(level); ++ty)
                for (int tx = at.left() / kTile; tx <= at.right() / kTile && tx < pyramid->tilesX(level); ++tx)
                    if (auto tile = pyramid->tile(level, tx, ty)) p.drawImage(QPoint(tx * kTile - at.x(), ty * kTile - at.y()), toImage(*tile));
            return c;
        };
    }
    const QImage image = m_image;
    const QSize full = m_size;
    return [image, full, rect, maxSide] {
        Crop c;
        c.rect = rect;
        if (rect.isEmpty() || image.isNull()) return c;
        const double toDecoded = static_cast<double>(image.width()) / full.width(); // 1 unless a downscaled decode
        const QRect source = QRectF(rect.x() * toDecoded, rect.y() * toDecoded, rect.width() * toDecoded, rect.height() * toDecoded).toAlignedRect();
        c.image = image.copy(source).convertToFormat(QImage::Format_RGB32);
        c.scale = toDecoded;
        if (std::max(c.image.width(), c.image.height()) > maxSide) {
            c.image = c.image.scaled(maxSide, maxSide, Qt::KeepAspectRatio, Qt::SmoothTransformation);
            c.scale = static_cast<double>(c.image.width()) / rect.width();
        }
        return c;
    };
}

} // namespace annotation
