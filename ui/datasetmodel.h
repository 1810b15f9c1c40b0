#pragma once
// The data side of the virtualised dataset panel: a list model over the images of
// a project (one row per core::ImageInfo) and a filter proxy on top of it.
//
// DatasetModel decodes thumbnails lazily: only a row whose DecorationRole a view
// asks for is decoded, on the model's own QThreadPool, with QImageReader scaled
// decoding (the full image is never decoded when the format can scale while
// reading). Thumbnails are kept in a bounded LRU cache keyed by the absolute path,
// so a result that lands after a reset (or for a row that scrolled away) is still
// cached and reused. At most one request per image is in flight; results come back
// to the GUI thread through a queued invocation on the model, and the model waits
// for its running decodes when destroyed, so nothing lands on a dead model.
//
// DatasetFilter filters by split, image class, annotation state, validation
// problems and a case-insensitive name search; filterAcceptsRow reads the model's
// ImageInfo directly and allocates nothing for ASCII searches.
#include "core/project_store.h"

#include <QAbstractListModel>
#include <QCache>
#include <QHash>
#include <QPixmap>
#include <QSet>
#include <QSortFilterProxyModel>
#include <QThreadPool>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

class QImage;

namespace ui {

class DatasetModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        IdRole = Qt::UserRole + 1, // core::Id as qint64
        PathRole,                  // absolute path, QString
        SplitRole,                 // int(core::Split)
        RegionCountRole,           // int
        ClassIdRole,               // image-level class, core::Id as qint64 (0: none)
    };
    static constexpr int kThumbnailSize = 96;     // long side, pixels
    static constexpr int kThumbnailCacheSize = 2000;

    explicit DatasetModel(QObject *parent = nullptr);
    ~DatasetModel() override;

    // Replaces every row (a model reset). Cached thumbnails are kept (keyed by path).
    void setImages(std::vector<core::ImageInfo> images, std::vector<core::ClassRecord> classes);
    // Forgets the cached thumbnails (e.g. after image files changed on disk); views re-ask.
    void clearThumbnails();
    const std::vector<core::ImageInfo> &images() const { return m_images; }
    const std::vector<core::ClassRecord> &classes() const { return m_classes; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    int rowOfImage(core::Id image) const;           // -1 if not a row
    const core::ImageInfo &imageAt(int row) const;  // row must be valid
    // Updates the region count of one image; emits dataChanged for its row only.
    void setRegionCount(core::Id image, int n);

    // Thumbnails requested and not yet back, plus those in the cache.
    int pendingOrCachedThumbnails() const { return int(m_pending.size()) + m_cache.size(); }
    int pendingThumbnails() const { return int(m_pending.size()); }
    // Shown while a thumbnail is being decoded, and for an image that cannot be read.
    QPixmap loadingPlaceholder() const { return m_loading; }
    QPixmap brokenPlaceholder() const { return m_broken; }

private:
    struct Thumbnail {
        QPixmap pixmap;
        QString error; // empty when the image was read
    };
    struct Pending {
        core::Id image = 0;        // the row that asked last, as of `generation`
        quint64 generation = 0;
    };

    void requestThumbnail(const core::ImageInfo &info, const QString &path) const;
    void thumbnailDecoded(const QString &path, const QImage &image, const QString &error);
    static QImage decodeThumbnail(const QString &path, QString *error);

    std::vector<core::ImageInfo> m_images;
    std::vector<core::ClassRecord> m_classes;
    std::unordered_map<core::Id, int> m_rowOf;
    quint64 m_generation = 0; // bumped on every reset
    mutable QCache<QString, Thumbnail> m_cache{kThumbnailCacheSize};
    mutable QHash<QString, Pending> m_pending;
    mutable QThreadPool m_pool;
    QPixmap m_loading, m_broken;
};

class DatasetFilter : public QSortFilterProxyModel {
    Q_OBJECT
public:
    enum class SplitFilter { All, Train, Val, Test, Unassigned };
    enum class AnnotationFilter { All, Annotated, Unannotated };
    enum class ProblemFilter { All, WithProblems, WithoutProblems };

    explicit DatasetFilter(QObject *parent = nullptr);

    // Filters a DatasetModel; any other source model gets QSortFilterProxyModel's own filtering.
    void setSourceModel(QAbstractItemModel *model) override;

    void setSplit(SplitFilter split);
    void setClassId(core::Id classId);          // 0: any class
    void setAnnotation(AnnotationFilter state);
    void setNameFilter(const QString &text);    // case-insensitive substring of relPath; empty: any
    void setProblemImages(QSet<core::Id> images);
    void setProblemFilter(ProblemFilter state);

    SplitFilter split() const { return m_split; }
    core::Id classId() const { return m_classId; }
    AnnotationFilter annotation() const { return m_annotation; }
    QString nameFilter() const { return m_name; }
    const QSet<core::Id> &problemImages() const { return m_problems; }
    ProblemFilter problemFilter() const { return m_problemFilter; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    void refilter();
    bool nameMatches(const std::string &relPath) const;

    const DatasetModel *m_model = nullptr;
    SplitFilter m_split = SplitFilter::All;
    core::Id m_classId = 0;
    AnnotationFilter m_annotation = AnnotationFilter::All;
    QString m_name;
    bool m_nameAscii = true;
    std::string m_nameLowerAscii; // the search lower-cased, when it is ASCII
    QSet<core::Id> m_problems;
    ProblemFilter m_problemFilter = ProblemFilter::All;
};

} // namespace ui
