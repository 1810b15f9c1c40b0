#pragma once
// The Inspect workspace: a run's best checkpoint applied to the image open in
// Annotate, shown on a canvas of its own (annotation::Canvas: the same zoom, pan and
// image pyramid as Annotate, no tools). Classification shows every class's
// probability, most likely first, and can accept the top class as the image's
// class; segmentation draws the predicted areas on the canvas's overlay layer
// (outlined, filled translucent in the class's colour, labelled with class and
// score) and can accept them as regions; detection and instance segmentation do the
// same with the detections scoring 0.5 or more (boxes, or the masks' outlines).
// Inference runs on a worker thread.
#include "core/project_store.h"
#include "training/trainer.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;

namespace annotation {
class Canvas;
}
namespace core {
class PyramidCache;
}

namespace ui {

class InspectPanel : public QWidget {
    Q_OBJECT
public:
    explicit InspectPanel(QWidget *parent = nullptr);
    void setProject(const QString &projectPath);
    void setCurrentImage(const QString &absPath, core::Id image);
    void refreshRuns();
    void predict();
    void setPyramidCache(std::shared_ptr<core::PyramidCache> cache);
    annotation::Canvas *canvas() const { return m_canvas; }
    QComboBox *runBox() const { return m_runs; }
    QListWidget *scores() const { return m_scores; }
    QPushButton *acceptButton() const { return m_accept; }
    QString noteText() const;
    // Segmentation and detectors: the predicted areas (boxes) as regions of the image shown (classes by name).
    const std::vector<training::Prediction::Region> &proposedRegions() const { return m_proposed; }

Q_SIGNALS:
    void predicted(bool ok);
    void runsLoaded(int count);
    void labelAccepted(core::Id image); // the image's class changed in the project
    void regionsAccepted(core::Id image); // take proposedRegions() into the image (the window does, as one undo step)

private:
    QString m_project, m_image;
    core::Id m_imageId = 0;
    QString m_top;
    bool m_segmentation = false;
    std::vector<training::Prediction::Region> m_proposed;
    QComboBox *m_runs;
    QCheckBox *m_follow;
    QPushButton *m_predict, *m_accept;
    annotation::Canvas *m_canvas;
    QString m_canvasImage; // the picture on the canvas
    QLabel *m_note;
    QListWidget *m_scores;
};

} // namespace ui
