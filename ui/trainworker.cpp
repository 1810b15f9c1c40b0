#include "ui/trainworker.h"

#include "core/dataset.h"
#include "core/project_store.h"

#include <QFileInfo>
#include <QImageReader>
#include <QPainter>
#include <QPainterPath>

namespace ui {

namespace {

constexpr int kPreviewSide = 320; // pixels on the longer side of a drawn val image

class Forward : public training::TrainCallbacks {
public:
    Forward(TrainWorker *w, const std::string &project) : m_w(w), m_project(project) {}
    void log(const std::string &line) override { Q_EMIT m_w->logLine(QString::fromStdString(line)); }
    void metrics(const training::MetricsSample &m) override { Q_EMIT m_w->metrics(m); }
    void started(const training::TrainConfig &resolved) override { Q_EMIT m_w->started(resolved); }
    bool wantsPredictions() const override { return true; }
    void predictions(int epoch, const std::vector<training::ValPreview> &previews) override
    {
        if (!m_coloursRead) { // once a run: the project's own class colours, so the pictures agree with Annotate
            m_coloursRead = true;
            if (auto store = core::ProjectStore::open(m_project))
                if (auto classes = store->classes())
                    for (const auto &c : *classes) m_colours[c.name] = QColor(QString::fromStdString(c.color));
        }
        QList<QImage> images;
        QStringList captions;
        for (const auto &v : previews) {
            QString caption;
            images << drawPreview(v, m_colours, kPreviewSide, &caption);
            captions << caption;
        }
        Q_EMIT m_w->predictions(epoch, images, captions);
    }

private:
    TrainWorker *m_w;
    std::string m_project;
    bool m_coloursRead = false;
    std::map<std::string, QColor> m_colours;
};

QColor classColour(const std::map<std::string, QColor> &colours, const training::Prediction &p, const std::string &name)
{
    auto it = colours.find(name);
    if (it != colours.end() && it->second.isValid()) return it->second;
    const auto k = static_cast<std::size_t>(std::find(p.classes.begin(), p.classes.end(), name) - p.classes.begin());
    return QColor(QString::fromStdString(core::defaultClassColor(k)));
}

} // namespace

QImage drawPreview(const training::ValPreview &v, const std::map<std::string, QColor> &colours, int side, QString *caption)
{
    const training::Prediction &p = v.prediction;
    const QString name = QFileInfo(QString::fromStdString(v.image)).fileName();
    QImageReader reader(QString::fromStdString(v.image));
    const QSize full = reader.size();
    double scale = 1;
    if (full.isValid() && std::max(full.width(), full.height()) > side) {
        scale = static_cast<double>(side) / std::max(full.width(), full.height());
        reader.setScaledSize((QSizeF(full) * scale).toSize()); // JPEG decodes straight at the smaller size
    }
    QImage image = reader.read();
    if (image.isNull()) { // a placeholder that says why, rather than a hole in the grid
        image = QImage(side, side * 3 / 4, QImage::Format_RGB32);
        image.fill(Qt::darkGray);
        *caption = TrainWorker::tr("%1: cannot read (%2)").arg(name, reader.errorString());
        return image;
    }
    image = image.convertToFormat(QImage::Format_RGB32);
    if (full.isValid() && full.width() > 0) scale = static_cast<double>(image.width()) / full.width();
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    if (p.task == "classification") {
        const bool right = !p.scores.empty() && p.scores.front().first == v.truth;
        painter.setPen(QPen(right ? QColor(0x2e, 0xa0, 0x43) : QColor(0xd0, 0x30, 0x30), std::max(3, image.width() / 40)));
        painter.drawRect(image.rect().adjusted(1, 1, -2, -2));
        const QString guess = p.scores.empty() ? QStringLiteral("?") : QString::fromStdString(p.scores.front().first);
        *caption = TrainWorker::tr("%1: %2 %3 % (truth %4)")
                       .arg(name, guess)
                       .arg(p.scores.empty() ? 0.0 : p.scores.front().second * 100, 0, 'f', 0)
                       .arg(QString::fromStdString(v.truth));
        return image;
    }
    for (const auto &r : p.regions) {
        QColor c = classColour(colours, p, r.className);
        QPen pen(c, 2);
        painter.setPen(pen);
        QColor fill = c;
        fill.setAlpha(70);
        if (r.polygon.size() >= 3) {
            QPolygonF poly;
            for (const auto &[x, y] : r.polygon) poly << QPointF(x * scale, y * scale);
            QPainterPath path;
            path.addPolygon(poly);
            path.closeSubpath();
            painter.fillPath(path, fill);
            painter.drawPath(path);
        } else if (r.hasBox) {
            const QRectF box(r.box[0] * scale, r.box[1] * scale, r.box[2] * scale, r.box[3] * scale);
            painter.fillRect(box, fill);
            painter.drawRect(box);
        }
    }
    *caption = p.task == "segmentation"
                   ? TrainWorker::tr("%1: %n area(s), %2 labelled", nullptr, static_cast<int>(p.regions.size())).arg(name).arg(v.truthRegions)
                   : TrainWorker::tr("%1: %n found, %2 labelled", nullptr, static_cast<int>(p.regions.size())).arg(name).arg(v.truthRegions);
    return image;
}

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
    Forward cb(this, config.project);
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
    Forward cb(this, config.project);
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
