#pragma once
// The picture under the regions, at the bottom of the canvas. Image pixel
// coordinates are scene coordinates: the layer spans (0,0)-(width,height).
//
// An ordinary image (up to kPyramidAbove pixels a side) is decoded whole, off the
// GUI thread, and painted 1:1 from memory. A larger one (whole-slide microscopy,
// aerial and satellite scenes of 20k-50k pixels) is shown from its tiled pyramid
// (core::ImagePyramid, built once off the GUI thread by the PyramidCache and kept
// beside the project): paint() picks the level whose resolution just covers the
// zoom, draws the tiles it has, fills the others from a coarser level it has (the
// top level is always in memory), and asks two worker threads for the missing ones,
// nearest the middle of the view first. The request queue holds only what the last
// paint wanted, so a pan or zoom drops the tiles it no longer needs. Decoded tiles
// live in a bounded cache (kTileCacheBytes).
#include "core/pyramid_cache.h"

#include <QFutureWatcher>
#include <QGraphicsObject>
#include <QCache>
#include <QImage>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <memory>

namespace annotation {

class ImageLayer : public QGraphicsObject {
    Q_OBJECT
public:
    static constexpr int kPyramidAbove = 8192;                       // pixels a side
    static constexpr qint64 kTileCacheBytes = 192ll * 1024 * 1024;   // decoded tiles kept in memory

    explicit ImageLayer(QGraphicsItem *parent = nullptr);
    ~ImageLayer() override;

    // Where pyramids are built and found; without one, a large image is shown from
    // one downscaled decode (its shape coordinates stay full resolution).
    void setPyramidCache(std::shared_ptr<core::PyramidCache> cache);
    // Starts decoding `path` (or finding or building its pyramid); loaded() says when
    // it is ready. The picture shown so far stays until then; a newer load() wins,
    // and cancels a pyramid build still running for the previous one.
    void load(const QString &path);
    void clear();

    QString path() const { return m_path; }
    QSize imageSize() const { return m_size; }   // full resolution; empty when none
    bool isPyramid() const { return m_pyramid != nullptr; }
    std::shared_ptr<const core::ImagePyramid> pyramid() const { return m_pyramid; }
    QString errorText() const { return m_error; }   // why loaded(false)
    QString notice() const { return m_notice; }     // shown, but not as well as it could be (and why)
    // Whether the last paint showed every visible part at the resolution its zoom
    // asks for (always for an ordinary image), and the pyramid level it drew (0: full).
    bool isSharp() const { return m_sharp; }
    int levelShown() const { return m_levelShown; }
    int tilesInMemory() const { return m_tiles.size(); }

    // The pixels of `rect` (image pixels) at no more than `maxSide` pixels on the
    // longer side, as a job to run on any thread (the picture it reads is captured).
    struct Crop {
        QImage image;       // RGB32
        QRect rect;         // image pixels covered
        double scale = 1;   // crop pixels per image pixel
    };
    std::function<Crop()> cropJob(const QRect &rect, int maxSide) const;

    QRectF boundingRect() const override { return QRectF(QPointF(0, 0), QSizeF(m_size)); }
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget) override;

Q_SIGNALS:
    void loaded(bool ok);                 // after load(): the picture, or errorText(), is ready
    void buildProgress(double fraction);  // a pyramid is being built (first open of a large image)
    void sharpened();                     // a paint showed full detail after one that did not

private:
    struct Loaded;
    struct TileQueue;
    void onLoaded();
    void closeQueue();
    void paintPyramid(QPainter *painter, const QRectF &visible);
    void requestTiles(const std::vector<quint64> &keys);
    void tileLoaded(const std::shared_ptr<TileQueue> &queue, quint64 key, const QImage &image);
    const QImage *cachedTile(int level, int x, int y) const;

    std::shared_ptr<core::PyramidCache> m_cache;
    QString m_path, m_error, m_notice;
    QSize m_size;
    QImage m_image;                                    // an ordinary image, RGB32 or ARGB32_Premultiplied
    std::shared_ptr<const core::ImagePyramid> m_pyramid;
    QImage m_top;                                      // the pyramid's coarsest level: one tile
    mutable QCache<quint64, QImage> m_tiles{static_cast<int>(kTileCacheBytes / 1024)}; // cost: KiB
    std::shared_ptr<TileQueue> m_queue;                // of the pyramid shown
    QThreadPool m_pool;
    QFutureWatcher<std::shared_ptr<Loaded>> m_watcher;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    quint64 m_generation = 0;
    bool m_sharp = true;
    int m_levelShown = 0;
};

} // namespace annotation
