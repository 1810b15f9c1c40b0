#pragma once
// The Qt adapter around the trainer: a QObject that lives in its own QThread,
// runs training::train there and turns its callbacks into queued signals that
// carry value types. Stop and pause are atomic flags the trainer checks every step.
#include "training/trainer.h"

#include <QColor>
#include <QImage>
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <map>

Q_DECLARE_METATYPE(training::MetricsSample)
Q_DECLARE_METATYPE(training::TrainConfig)

namespace ui {

// The name of the validation metric a task's runs are judged by: "val accuracy",
// "val mIoU", "val box AP" (detection) or "val mask AP" (instance segmentation).
QString metricLabel(const QString &task);

// A validation image (decoded here, at most `side` pixels on its longer side) with the
// prediction drawn over it in the classes' colours (class name -> "#rrggbb"), and its caption.
QImage drawPreview(const training::ValPreview &v, const std::map<std::string, QColor> &colours, int side, QString *caption);

class TrainWorker : public QObject {
    Q_OBJECT
public:
    void requestStop() { m_cancel = true; }
    void setPaused(bool paused) { m_pause = paused; }

public Q_SLOTS:
    void run(const training::TrainConfig &config);
    // K-fold cross-validation: `folds` runs in config.outDir/fold-1..K, then mean ± std.
    void runKFold(const training::TrainConfig &config, int folds);

Q_SIGNALS:
    void logLine(const QString &line);
    // Once a run (each fold) has read its data, with the settings it uses: every auto value chosen.
    void started(const training::TrainConfig &resolved);
    void metrics(const training::MetricsSample &m);
    // At each epoch's end: the model's predictions drawn on the first val images (drawn
    // on the worker thread, which also decodes them), with a caption each.
    void predictions(int epoch, const QList<QImage> &images, const QStringList &captions);
    void finished(bool ok, const QString &message);

private:
    std::atomic<bool> m_cancel{false}, m_pause{false};
};

} // namespace ui
