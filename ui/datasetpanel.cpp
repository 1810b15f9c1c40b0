#include "ui/datasetpanel.h"

#include "ui/datasetmodel.h"

#include <QApplication>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QVBoxLayout>

#include <algorithm>

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

DatasetPanel::DatasetPanel(QWidget *parent) : QWidget(parent)
{
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
    m_search->setFocusPolicy(Qt::ClickFocus); // never the first stop of the focus chain: D and A belong to the canvas
    m_splitFilter = new QComboBox;
    m_splitFilter->addItems({tr("All splits"), tr("train"), tr("val"), tr("test"), tr("unassigned")});
    m_splitFilter->setToolTip(tr("Show one split"));
    m_classFilter = new QComboBox;
    m_classFilter->setToolTip(tr("Show the images of one image class"));
    m_stateFilter = new QComboBox;
    m_stateFilter->addItems({tr("All images"), tr("Annotated"), tr("Not annotated"), tr("With problems")});
    m_stateFilter->setToolTip(tr("Annotated: with at least one region. With problems: flagged by Dataset › Validate"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->setSpacing(2);
    layout->addWidget(m_search);
    auto *filterRow = new QHBoxLayout;
    filterRow->addWidget(m_splitFilter);
    filterRow->addWidget(m_classFilter);
    layout->addLayout(filterRow);
    layout->addWidget(m_stateFilter);
    layout->addWidget(m_list, 1);
    m_count = new QLabel;
    layout->addWidget(m_count);
    connect(m_search, &QLineEdit::textChanged, m_filter, &DatasetFilter::setNameFilter);
    connect(m_splitFilter, &QComboBox::currentIndexChanged, this, [this](int i) { m_filter->setSplit(static_cast<DatasetFilter::SplitFilter>(i)); });
    connect(m_classFilter, &QComboBox::currentIndexChanged, this, [this] { m_filter->setClassId(m_classFilter->currentData().toLongLong()); });
    connect(m_stateFilter, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_filter->setAnnotation(i == 1 ? DatasetFilter::AnnotationFilter::Annotated : i == 2 ? DatasetFilter::AnnotationFilter::Unannotated
                                                                                               : DatasetFilter::AnnotationFilter::All);
        m_filter->setProblemFilter(i == 3 ? DatasetFilter::ProblemFilter::WithProblems : DatasetFilter::ProblemFilter::All);
    });
    connect(m_filter, &QAbstractItemModel::layoutChanged, this, &DatasetPanel::updateCount);
    connect(m_filter, &QAbstractItemModel::modelReset, this, &DatasetPanel::updateCount);
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, &DatasetPanel::updateCount);
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, &DatasetPanel::updateCount);
    connect(m_list->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex &current) {
        if (current.isValid() && !m_quiet) Q_EMIT rowActivated(m_filter->mapToSource(current).row());
    });
}

const std::vector<core::ImageInfo> &DatasetPanel::images() const { return m_model->images(); }

void DatasetPanel::setImages(std::vector<core::ImageInfo> images, const std::vector<core::ClassRecord> &classes)
{
    {
        const QSignalBlocker block(m_list->selectionModel());
        m_model->setImages(std::move(images), classes);
    }
    const core::Id keepClass = m_classFilter->currentData().toLongLong();
    const QSignalBlocker block(m_classFilter);
    m_classFilter->clear();
    m_classFilter->addItem(tr("All classes"), QVariant::fromValue<qlonglong>(0));
    for (const auto &c : classes) m_classFilter->addItem(QString::fromStdString(c.name), QVariant::fromValue<qlonglong>(c.id));
    m_classFilter->setCurrentIndex(std::max(0, m_classFilter->findData(QVariant::fromValue<qlonglong>(keepClass))));
    updateCount();
}

bool DatasetPanel::showRow(int row)
{
    const QModelIndex index = m_filter->mapFromSource(m_model->index(row));
    if (!index.isValid()) return false;
    // Quiet towards the workspace only: blocking the selection model's signals would keep the
    // view from repainting the row it leaves, and two rows would look selected.
    m_quiet = true;
    m_list->setCurrentIndex(index);
    m_quiet = false;
    m_list->scrollTo(index);
    return true;
}

int DatasetPanel::rowAfter(int row, int step) const
{
    if (m_filter->rowCount() == 0) return -1;
    const QModelIndex at = m_filter->mapFromSource(m_model->index(row));
    const int proxyRow = std::clamp((at.isValid() ? at.row() : -1) + step, 0, m_filter->rowCount() - 1);
    return m_filter->mapToSource(m_filter->index(proxyRow, 0)).row();
}

void DatasetPanel::setRegionCount(core::Id image, int n) { m_model->setRegionCount(image, n); }

void DatasetPanel::updateCount() { m_count->setText(tr("%1 of %2 images").arg(m_filter->rowCount()).arg(m_model->rowCount())); }

} // namespace ui
