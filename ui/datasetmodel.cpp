#include "ui/datasetmodel.h"

#include <QFileInfo>
#include <QImage>
#include <QImageReader>
#include <QPainter>
#include <QPen>
#include <QThread>

#include <algorithm>
#include <utility>

namespace ui {

namespace {

QPixmap makePlaceholder(bool broken)
{
    const int s = DatasetModel::kThumbnailSize;
    QPixmap pm(s, s);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(QColor(150, 150, 150), 1));
    p.setBrush(broken ? QColor(110, 110, 110) : QColor(200, 200, 200, 90));
    p.drawRect(QRectF(0.5, 0.5, s - 1.0, s - 1.0));
    if (broken) {
        p.setPen(QPen(QColor(220, 40, 40), 5, Qt::SolidLine, Qt::RoundCap));
        const double m = s * 0.28;
        p.drawLine(QPointF(m, m), QPointF(s - m, s - m));
        p.drawLine(QPointF(s - m, m), QPointF(m, s - m));
    }
    return pm;
}

} // namespace

// ---------------------------------------------------------------- DatasetModel

DatasetModel::DatasetModel(QObject *parent)
    : QAbstractListModel(parent), m_loading(makePlaceholder(false)), m_broken(makePlaceholder(true))
{
    // Leave a core to the GUI thread; decoding a 96 px thumbnail is short anyway.
    m_pool.setMaxThreadCount(std::max(1, QThread::idealThreadCount() - 1));
    m_pool.setObjectName(QStringLiteral("DatasetModel thumbnails"));
}

DatasetModel::~DatasetModel()
{
    // Drop the decodes not yet started and wait for the running ones, so no worker
    // outlives the model; results already posted to it die with it (Qt removes the
    // posted events of a destroyed receiver).
    m_pool.clear();
    m_pool.waitForDone();
}

void DatasetModel::setImages(std::vector<core::ImageInfo> images, std::vector<core::ClassRecord> classes)
{
    beginResetModel();
    m_images = std::move(images);
    m_classes = std::move(classes);
    m_rowOf.clear();
    m_rowOf.reserve(m_images.size());
    for (std::size_t i = 0; i < m_images.size(); ++i) m_rowOf.emplace(m_images[i].id, int(i));
    // Requests still in flight keep their cache slot but no longer name a row,
    // unless a view asks for the same image again in this generation.
    ++m_generation;
    endResetModel();
}

void DatasetModel::clearThumbnails()
{
    m_cache.clear();
    if (!m_images.empty())
        Q_EMIT dataChanged(index(0), index(int(m_images.size()) - 1), {Qt::DecorationRole, Qt::ToolTipRole});
}

int DatasetModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_images.size());
}

QVariant DatasetModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.column() != 0 || index.row() < 0 || index.row() >= int(m_images.size())) return {};
    const core::ImageInfo &info = m_images[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return QStringLiteral("%1 (%2)").arg(QString::fromStdString(info.relPath), QString::number(info.regionCount));
    case Qt::ToolTipRole: {
        const QString path = QString::fromStdString(info.absPath);
        if (const Thumbnail *t = m_cache.object(path); t && !t->error.isEmpty())
            return path + QLatin1Char('\n') + tr("Cannot read this image: %1").arg(t->error);
        return path;
    }
    case Qt::DecorationRole: {
        const QString path = QString::fromStdString(info.absPath);
        if (const Thumbnail *t = m_cache.object(path)) return t->pixmap;
        requestThumbnail(info, path);
        return m_loading;
    }
    case IdRole:
        return QVariant::fromValue<qint64>(info.id);
    case PathRole:
        return QString::fromStdString(info.absPath);
    case SplitRole:
        return int(info.split);
    case RegionCountRole:
        return info.regionCount;
    case ClassIdRole:
        return QVariant::fromValue<qint64>(info.classId);
    default:
        return {};
    }
}

int DatasetModel::rowOfImage(core::Id image) const
{
    const auto it = m_rowOf.find(image);
    return it == m_rowOf.end() ? -1 : it->second;
}

const core::ImageInfo &DatasetModel::imageAt(int row) const
{
    Q_ASSERT(row >= 0 && row < int(m_images.size()));
    return m_images[std::size_t(row)];
}

void DatasetModel::setRegionCount(core::Id image, int n)
{
    const int row = rowOfImage(image);
    if (row < 0 || m_images[std::size_t(row)].regionCount == n) return;
    m_images[std::size_t(row)].regionCount = n;
    const QModelIndex i = index(row);
    Q_EMIT dataChanged(i, i, {Qt::DisplayRole, RegionCountRole});
}

void DatasetModel::requestThumbnail(const core::ImageInfo &info, const QString &path) const
{
    const auto it = m_pending.find(path);
    if (it != m_pending.end()) {
        // Already decoding: just make the result name this row when it lands.
        it->image = info.id;
        it->generation = m_generation;
        return;
    }
    m_pending.insert(path, Pending{info.id, m_generation});
    // data() is const for the views; the request only touches the mutable thumbnail state.
    auto *self = const_cast<DatasetModel *>(this);
    m_pool.start([self, path] {
        QString error;
        const QImage image = decodeThumbnail(path, &error);
        // Queued to the GUI thread with the model as context: the event dies with the
        // model, and the model waits for this worker before it goes.
        QMetaObject::invokeMethod(
            self, [self, path, image, error] { self->thumbnailDecoded(path, image, error); }, Qt::QueuedConnection);
    });
}

QImage DatasetModel::decodeThumbnail(const QString &path, QString *error)
{
    QImageReader reader(path);
    reader.setAutoTransform(true);
    const QSize full = reader.size();
    const QSize box(kThumbnailSize, kThumbnailSize);
    // Scale while reading (JPEG decodes at reduced size; other formats are scaled
    // line by line by the reader); never enlarge a small image.
    if (full.isValid() && !full.isEmpty() && (full.width() > kThumbnailSize || full.height() > kThumbnailSize))
        reader.setScaledSize(full.scaled(box, Qt::KeepAspectRatio).expandedTo(QSize(1, 1)));
    QImage image = reader.read();
    if (image.isNull()) {
        if (!QFileInfo::exists(path))
            *error = tr("the file does not exist");
        else
            *error = reader.errorString();
        return {};
    }
    // A format that reports no size before decoding comes back full size.
    if (image.width() > kThumbnailSize || image.height() > kThumbnailSize)
        image = image.scaled(box, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    return image;
}

void DatasetModel::thumbnailDecoded(const QString &path, const QImage &image, const QString &error)
{
    Pending pending;
    bool wanted = false;
    if (const auto it = m_pending.find(path); it != m_pending.end()) {
        pending = *it;
        wanted = true;
        m_pending.erase(it);
    }
    auto *thumb = new Thumbnail;
    if (!image.isNull()) {
        thumb->pixmap = QPixmap::fromImage(image);
    } else {
        thumb->pixmap = m_broken;
        thumb->error = error.isEmpty() ? tr("unknown error") : error;
    }
    m_cache.insert(path, thumb); // cached even when no row shows it any more

    if (!wanted || pending.generation != m_generation) return;
    const int row = rowOfImage(pending.image);
    if (row < 0 || QString::fromStdString(m_images[std::size_t(row)].absPath) != path) return;
    const QModelIndex i = index(row);
    Q_EMIT dataChanged(i, i, {Qt::DecorationRole, Qt::ToolTipRole});
}

// --------------------------------------------------------------- DatasetFilter

DatasetFilter::DatasetFilter(QObject *parent) : QSortFilterProxyModel(parent) {}

void DatasetFilter::refilter()
{
    // invalidate() drops the mapping and rebuilds it in one pass (layoutChanged;
    // current and selected rows that stay visible are kept). invalidateFilter()
    // would remove or insert every run of rows separately: with 100,000 rows and a
    // split filter that keeps every 4th row that is 75,000 removals, ~100x slower.
    invalidate();
}

void DatasetFilter::setSourceModel(QAbstractItemModel *model)
{
    m_model = qobject_cast<const DatasetModel *>(model);
    QSortFilterProxyModel::setSourceModel(model);
}

void DatasetFilter::setSplit(SplitFilter split)
{
    if (split == m_split) return;
    m_split = split;
    refilter();
}

void DatasetFilter::setClassId(core::Id classId)
{
    if (classId == m_classId) return;
    m_classId = classId;
    refilter();
}

void DatasetFilter::setAnnotation(AnnotationFilter state)
{
    if (state == m_annotation) return;
    m_annotation = state;
    refilter();
}

void DatasetFilter::setNameFilter(const QString &text)
{
    if (text == m_name) return;
    m_name = text;
    m_nameAscii = std::all_of(text.cbegin(), text.cend(), [](QChar c) { return c.unicode() < 0x80; });
    m_nameLowerAscii = m_nameAscii ? text.toLower().toStdString() : std::string();
    refilter();
}

void DatasetFilter::setProblemImages(QSet<core::Id> images)
{
    m_problems = std::move(images);
    if (m_problemFilter != ProblemFilter::All) refilter();
}

void DatasetFilter::setProblemFilter(ProblemFilter state)
{
    if (state == m_problemFilter) return;
    m_problemFilter = state;
    refilter();
}

bool DatasetFilter::nameMatches(const std::string &relPath) const
{
    if (m_nameAscii) {
        // ASCII search: fold ASCII letters only, compare bytes; UTF-8 bytes >= 0x80
        // never equal an ASCII byte, so multi-byte characters cannot match halfway.
        const auto it = std::search(relPath.begin(), relPath.end(), m_nameLowerAscii.begin(), m_nameLowerAscii.end(),
                                    [](char a, char b) { return (a >= 'A' && a <= 'Z' ? char(a - 'A' + 'a') : a) == b; });
        return it != relPath.end();
    }
    return QString::fromStdString(relPath).contains(m_name, Qt::CaseInsensitive);
}

bool DatasetFilter::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (!m_model || sourceModel() != m_model) return QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent);
    if (sourceParent.isValid() || sourceRow < 0 || sourceRow >= m_model->rowCount()) return false;
    const core::ImageInfo &info = m_model->imageAt(sourceRow);
    switch (m_split) {
    case SplitFilter::All: break;
    case SplitFilter::Train: if (info.split != core::Split::Train) return false; break;
    case SplitFilter::Val: if (info.split != core::Split::Val) return false; break;
    case SplitFilter::Test: if (info.split != core::Split::Test) return false; break;
    case SplitFilter::Unassigned: if (info.split != core::Split::Unassigned) return false; break;
    }
    if (m_classId != 0 && info.classId != m_classId) return false;
    if (m_annotation == AnnotationFilter::Annotated && info.regionCount <= 0) return false;
    if (m_annotation == AnnotationFilter::Unannotated && info.regionCount > 0) return false;
    if (m_problemFilter != ProblemFilter::All
        && m_problems.contains(info.id) != (m_problemFilter == ProblemFilter::WithProblems))
        return false;
    return m_name.isEmpty() || nameMatches(info.relPath);
}

} // namespace ui
