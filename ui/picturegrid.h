#pragma once
// A grid of small images with captions, each scaled up with nearest-neighbour
// sampling so a 3x3 filter stays a readable 3x3 block: first-layer filters,
// feature maps and augmentation previews; photographs larger than a cell shrink
// smoothly (the validation images of a run, with its predictions drawn on).
#include <QImage>
#include <QStringList>
#include <QWidget>

namespace training {
struct Picture;
}

namespace ui {

// Grey (1 channel) or RGB (3 channels) planes in [0, 1] to an image.
QImage pictureToImage(const training::Picture &p);

class PictureGrid : public QWidget {
    Q_OBJECT
public:
    explicit PictureGrid(QWidget *parent = nullptr);
    void setPictures(const QList<QImage> &images, const QStringList &captions = {}, int cellSize = 64);
    int count() const { return static_cast<int>(m_images.size()); }
    const QList<QImage> &images() const { return m_images; }
    const QStringList &captions() const { return m_captions; }
    QSize sizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    int columns(int width) const;
    QList<QImage> m_images;
    QStringList m_captions;
    int m_cell = 64;
};

} // namespace ui
