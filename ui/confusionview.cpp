#include "ui/confusionview.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace ui {

namespace {
constexpr int kLabel = 90, kTitle = 18;
}

ConfusionView::ConfusionView(QWidget *parent) : QWidget(parent)
{
    setMouseTracking(true);
}

void ConfusionView::setMatrix(const QStringList &classes, const std::vector<std::vector<std::int64_t>> &counts)
{
    m_classes = classes;
    m_counts = counts;
    m_selTruth = m_selPred = -1;
    update();
}

QRect ConfusionView::gridRect() const
{
    const int side = std::max(1, std::min(width() - kLabel - 8, height() - kLabel - kTitle - 8));
    return {kLabel, kTitle + 4, side, side};
}

QPoint ConfusionView::cellCenter(int truth, int predicted) const
{
    const QRect g = gridRect();
    const double cell = static_cast<double>(g.width()) / std::max(1, classCount());
    return {g.left() + static_cast<int>((predicted + 0.5) * cell), g.top() + static_cast<int>((truth + 0.5) * cell)};
}

bool ConfusionView::cellAt(QPoint pos, int *truth, int *predicted) const
{
    const QRect g = gridRect();
    if (!classCount() || !g.contains(pos)) return false;
    const double cell = static_cast<double>(g.width()) / classCount();
    *predicted = std::min(classCount() - 1, static_cast<int>((pos.x() - g.left()) / cell));
    *truth = std::min(classCount() - 1, static_cast<int>((pos.y() - g.top()) / cell));
    return true;
}

void ConfusionView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    if (!classCount()) {
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, tr("Evaluate a run to see its confusion matrix"));
        return;
    }
    const QRect g = gridRect();
    const int n = classCount();
    const double cell = static_cast<double>(g.width()) / n;
    p.drawText(QRect(g.left(), 0, g.width(), kTitle), Qt::AlignCenter, tr("predicted"));
    for (int t = 0; t < n; ++t) {
        std::int64_t rowSum = 0;
        for (int q = 0; q < n; ++q) rowSum += count(t, q);
        for (int q = 0; q < n; ++q) {
            const QRectF r(g.left() + q * cell, g.top() + t * cell, cell, cell);
            const double share = rowSum ? static_cast<double>(count(t, q)) / static_cast<double>(rowSum) : 0.0;
            // Diagonal in blue, errors in red, the stronger the larger their share of the row.
            const QColor base = t == q ? QColor(33, 102, 172) : QColor(203, 24, 29);
            QColor c = base;
            c.setAlphaF(0.08 + 0.92 * share);
            p.fillRect(r, Qt::white);
            p.fillRect(r, c);
            p.setPen(QColor(200, 200, 200));
            p.drawRect(r);
            p.setPen(share > 0.5 ? Qt::white : Qt::black);
            if (cell >= 18) p.drawText(r, Qt::AlignCenter, QString::number(count(t, q)));
        }
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(QRectF(0, g.top() + t * cell, kLabel - 4, cell), Qt::AlignRight | Qt::AlignVCenter,
                   p.fontMetrics().elidedText(m_classes[t], Qt::ElideRight, kLabel - 6));
    }
    p.save();
    for (int q = 0; q < n; ++q) {
        p.resetTransform();
        p.translate(g.left() + (q + 0.5) * cell, g.bottom() + 4);
        p.rotate(45);
        p.drawText(QRectF(0, -8, kLabel, 16), Qt::AlignLeft | Qt::AlignVCenter, p.fontMetrics().elidedText(m_classes[q], Qt::ElideRight, kLabel - 6));
    }
    p.restore();
    p.save();
    p.translate(10, g.center().y());
    p.rotate(-90);
    p.drawText(QRect(-60, -8, 120, 16), Qt::AlignCenter, tr("true class"));
    p.restore();
    if (m_selTruth >= 0) {
        p.setPen(QPen(Qt::black, 2));
        p.drawRect(QRectF(g.left() + m_selPred * cell, g.top() + m_selTruth * cell, cell, cell).adjusted(1, 1, -1, -1));
    }
}

void ConfusionView::mousePressEvent(QMouseEvent *event)
{
    int t, q;
    if (event->button() != Qt::LeftButton || !cellAt(event->position().toPoint(), &t, &q)) return;
    m_selTruth = t;
    m_selPred = q;
    update();
    Q_EMIT cellClicked(t, q);
}

bool ConfusionView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        int t, q;
        if (cellAt(help->pos(), &t, &q))
            QToolTip::showText(help->globalPos(), tr("true %1, predicted %2: %3 — click to list them").arg(m_classes[t], m_classes[q]).arg(count(t, q)), this);
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

} // namespace ui
