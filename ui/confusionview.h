#pragma once
// The confusion matrix as a heat map: rows are the true classes, columns the
// predicted ones, each cell coloured by its share of the row (recall on the
// diagonal) and labelled with its count. Clicking a cell reports it, so the
// Train workspace can list the images behind it.
#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <vector>

namespace ui {

class ConfusionView : public QWidget {
    Q_OBJECT
public:
    explicit ConfusionView(QWidget *parent = nullptr);
    void setMatrix(const QStringList &classes, const std::vector<std::vector<std::int64_t>> &counts);
    int classCount() const { return static_cast<int>(m_classes.size()); }
    std::int64_t count(int truth, int predicted) const { return m_counts[static_cast<std::size_t>(truth)][static_cast<std::size_t>(predicted)]; }
    // Centre of a cell in widget coordinates (for tests and tooltips).
    QPoint cellCenter(int truth, int predicted) const;
    QSize sizeHint() const override { return {420, 360}; }
    QSize minimumSizeHint() const override { return {200, 160}; }

Q_SIGNALS:
    void cellClicked(int truth, int predicted);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    bool event(QEvent *event) override;

private:
    QRect gridRect() const;
    bool cellAt(QPoint pos, int *truth, int *predicted) const;
    QStringList m_classes;
    std::vector<std::vector<std::int64_t>> m_counts;
    int m_selTruth = -1, m_selPred = -1;
};

} // namespace ui
