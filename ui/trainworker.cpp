#include "ui/trainworker.h"

namespace ui {

namespace {
class Forward : public training::TrainCallbacks {
public:
    explicit Forward(TrainWorker *w) : m_w(w) {}
    void log(const std::string &line) override { Q_EMIT m_w->logLine(QString::fromStdString(line)); }
    void metrics(const training::MetricsSample &m) override { Q_EMIT m_w->metrics(m); }
    void started(const training::TrainConfig &resolved) override { Q_EMIT m_w->started(resolved); }

private:
    TrainWorker *m_w;
};
} // namespace

QString metricLabel(const QString &task)
{
    if (task == QLatin1String("segmentation")) return TrainWorker::tr("val mIoU");
    if (task == QLatin1String("detection")) return TrainWorker::tr("val box AP");
    if (task == QLatin1String("instance")) return TrainWorker::tr("val mask AP");
    return TrainWorker::tr("val accuracy");
}

void TrainWorker::run(const training::TrainConfig &config)
{
    m_cancel = false;
    m_pause = false;
    Forward cb(this);
    auto r = training::train(config, &cb, &m_cancel, &m_pause);
    if (!r) {
        Q_EMIT finished(false, QString::fromStdString(r.error().toString()));
        return;
    }
    QString msg = r->cancelled ? tr("Stopped after %1 epochs").arg(r->epochs) : tr("Finished %1 epochs").arg(r->epochs);
    if (r->bestValAccuracy >= 0)
        msg += tr(", best %1 %2").arg(metricLabel(QString::fromStdString(config.task))).arg(r->bestValAccuracy, 0, 'f', 3);
    Q_EMIT finished(true, msg);
}

void TrainWorker::runKFold(const training::TrainConfig &config, int folds)
{
    m_cancel = false;
    m_pause = false;
    Forward cb(this);
    auto r = training::trainKFold(config, folds, &cb, &m_cancel, &m_pause);
    if (!r) {
        Q_EMIT finished(false, QString::fromStdString(r.error().toString()));
        return;
    }
    QStringList each;
    for (const auto &v : (*r)["values"]) each << QString::number(v.get<double>(), 'f', 3);
    const QString metric = metricLabel(QString::fromStdString(config.task));
    Q_EMIT finished(true, tr("%1-fold cross-validation: %2 %3 ± %4 (folds: %5)")
                              .arg(folds)
                              .arg(metric)
                              .arg((*r)["mean"].get<double>(), 0, 'f', 3)
                              .arg((*r)["std"].get<double>(), 0, 'f', 3)
                              .arg(each.join(QStringLiteral(", "))));
}

} // namespace ui
