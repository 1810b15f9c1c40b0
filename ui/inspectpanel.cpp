#include "ui/inspectpanel.h"

#include "annotation/canvas.h"
#include "annotation/overlaylayer.h"
#include "core/dataset.h"
#include "ui/projectruns.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <map>

namespace ui {

InspectPanel::InspectPanel(QWidget *parent) : QWidget(parent)
{
    m_runs = new QComboBox;
    m_runs->setToolTip(tr("The run whose best checkpoint predicts"));
    m_predict = new QPushButton(tr("Predict"));
    m_predict->setToolTip(tr("Run the model on the image open in Annotate"));
    m_follow = new QCheckBox(tr("Follow Annotate"));
    m_follow->setToolTip(tr("Predict again whenever another image is opened"));
    m_follow->setChecked(true);
    m_accept = new QPushButton(tr("Accept as Image Class"));
    m_accept->setToolTip(tr("Give the image the predicted class (classification runs)"));
    m_accept->setEnabled(false);
    auto *top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Run")));
    top->addWidget(m_runs, 1);
    top->addWidget(m_predict);
    top->addWidget(m_follow);
    top->addWidget(m_accept);
    m_canvas = new annotation::Canvas; // no document, no tool: it shows
    m_canvas->setMinimumSize(320, 240);
    connect(m_canvas, &annotation::Canvas::imageReady, m_canvas, &annotation::Canvas::fitToWindow);
    m_scores = new QListWidget;
    m_scores->setMaximumWidth(320);
    m_note = new QLabel(tr("Train a model, then open an image in Annotate."));
    m_note->setWordWrap(true);
    auto *body = new QHBoxLayout;
    body->addWidget(m_canvas, 1);
    body->addWidget(m_scores);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_note);
    layout->addLayout(body, 1);
    connect(m_predict, &QPushButton::clicked, this, &InspectPanel::predict);
    connect(m_runs, &QComboBox::currentIndexChanged, this, [this] {
        if (m_follow->isChecked() && isVisible()) predict();
    });
    connect(m_accept, &QPushButton::clicked, this, [this] {
        if (m_segmentation) {
            if (!m_proposed.empty() && m_imageId) Q_EMIT regionsAccepted(m_imageId);
            return;
        }
        if (m_top.isEmpty() || !m_imageId) return;
        const std::string project = m_project.toStdString(), cls = m_top.toStdString();
        const core::Id image = m_imageId;
        QtConcurrent::run([project, cls, image] {
            auto store = core::ProjectStore::open(project);
            if (!store) return QString::fromStdString(store.error().toString());
            auto classes = store->classes();
            if (!classes) return QString::fromStdString(classes.error().toString());
            core::Id id = 0;
            for (const auto &c : *classes)
                if (c.name == cls) id = c.id;
            if (!id) return QObject::tr("the project has no class '%1' any more").arg(QString::fromStdString(cls));
            auto s = store->setImageClass(image, id);
            return s ? QString() : QString::fromStdString(s.error().toString());
        }).then(this, [this, image](const QString &error) {
            m_note->setText(error.isEmpty() ? tr("The image's class is now %1.").arg(m_top) : tr("Not saved: %1").arg(error));
            if (error.isEmpty()) Q_EMIT labelAccepted(image);
        });
    });
}

QString InspectPanel::noteText() const { return m_note->text(); }

void InspectPanel::setPyramidCache(std::shared_ptr<core::PyramidCache> cache) { m_canvas->setPyramidCache(std::move(cache)); }

void InspectPanel::setProject(const QString &projectPath)
{
    m_project = projectPath;
    refreshRuns();
}

void InspectPanel::setCurrentImage(const QString &absPath, core::Id image)
{
    m_image = absPath;
    m_imageId = image;
    if (m_follow->isChecked() && isVisible()) predict();
}

void InspectPanel::refreshRuns()
{
    if (m_project.isEmpty()) return;
    loadRuns(m_project).then(this, [this](const core::Result<std::vector<core::RunRecord>> &read) {
        if (!read) {
            m_note->setText(tr("Cannot read the project's runs: %1").arg(QString::fromStdString(read.error().toString())));
            Q_EMIT runsLoaded(m_runs->count());
            return;
        }
        const std::vector<core::RunRecord> &runs = *read;
        const QString keep = m_runs->currentData().toString();
        const QSignalBlocker block(m_runs);
        m_runs->clear();
        for (auto it = runs.rbegin(); it != runs.rend(); ++it)
            m_runs->addItem(QStringLiteral("%1 · %2").arg(QString::fromStdString(it->name), QString::fromStdString(it->config.value("model", std::string("?")))),
                            QString::fromStdString(it->dir));
        const int i = m_runs->findData(keep);
        m_runs->setCurrentIndex(i >= 0 ? i : 0);
        Q_EMIT runsLoaded(m_runs->count());
    });
}

void InspectPanel::predict()
{
    const QString dir = m_runs->currentData().toString();
    if (dir.isEmpty() || m_image.isEmpty()) {
        m_note->setText(dir.isEmpty() ? tr("No runs yet: train a model in the Train workspace.") : tr("Open an image in Annotate."));
        Q_EMIT predicted(false);
        return;
    }
    QString ckpt = dir + QStringLiteral("/checkpoint-best.pt");
    if (!QFile::exists(ckpt)) ckpt = dir + QStringLiteral("/checkpoint-last.pt");
    const std::string checkpoint = ckpt.toStdString();
    const std::string project = m_project.toStdString();
    const QString image = m_image;
    m_predict->setEnabled(false);
    struct Out {
        core::Result<training::Prediction> prediction;
        std::vector<QColor> colours; // segmentation: per predicted class, as Annotate draws it
    };
    if (m_canvasImage != image) { // the canvas decodes (or opens the pyramid of) the picture itself
        m_canvas->overlay()->clear();
        m_canvas->showImage(image);
        m_canvasImage = image;
    }
    QtConcurrent::run([checkpoint, project, image] {
        Out o{training::predictImage(checkpoint, image.toStdString()), {}};
        if (o.prediction && o.prediction->task != "classification") {
            // The project's own class colours where the names match, so the overlay agrees with Annotate.
            std::map<std::string, std::string> projectColours;
            // Without the project's classes the overlay falls back to the default palette.
            if (auto store = core::ProjectStore::open(project))
                if (auto classes = store->classes())
                    for (const auto &c : *classes) projectColours[c.name] = c.color;
            for (std::size_t k = 0; k < o.prediction->classes.size(); ++k) {
                auto it = projectColours.find(o.prediction->classes[k]);
                o.colours.emplace_back(QString::fromStdString(it != projectColours.end() ? it->second : core::defaultClassColor(k)));
            }
        }
        return o;
    }).then(this, [this, image](const Out &o) {
        m_predict->setEnabled(true);
        if (image != m_image) return; // another image was opened meanwhile
        m_scores->clear();
        m_top.clear();
        m_proposed.clear();
        m_accept->setEnabled(false);
        if (!o.prediction) {
            m_note->setText(tr("error: %1").arg(QString::fromStdString(o.prediction.error().toString())));
            Q_EMIT predicted(false);
            return;
        }
        const auto &p = *o.prediction;
        std::vector<annotation::OverlayItem> overlay;
        if (p.task != "classification") {
            for (const auto &region : p.regions) { // what Accept as Regions would add
                annotation::OverlayItem item;
                if (region.polygon.size() >= 3) {
                    item.kind = annotation::OverlayItem::Polygon;
                    for (const auto &[x, y] : region.polygon) item.polygon << QPointF(x, y);
                } else { // a detector's box (or a mask too small to outline)
                    item.kind = annotation::OverlayItem::Box;
                    item.rect = QRectF(region.box[0], region.box[1], region.box[2], region.box[3]);
                }
                const auto k = std::find(p.classes.begin(), p.classes.end(), region.className) - p.classes.begin();
                item.color = static_cast<std::size_t>(k) < o.colours.size() ? o.colours[static_cast<std::size_t>(k)] : QColor(Qt::yellow);
                item.label = QStringLiteral("%1 %2 %").arg(QString::fromStdString(region.className)).arg(region.score * 100, 0, 'f', 0);
                overlay.push_back(std::move(item));
            }
            for (std::size_t k = 0; k < p.classes.size(); ++k) {
                auto *item = new QListWidgetItem(QString::fromStdString(p.classes[k]), m_scores);
                if (k < o.colours.size()) {
                    item->setBackground(o.colours[k]);
                    item->setForeground(o.colours[k].lightnessF() < 0.5 ? Qt::white : Qt::black); // readable on any class colour
                }
            }
            m_segmentation = true;
            m_proposed = p.regions;
            m_accept->setText(tr("Accept as Regions"));
            m_accept->setToolTip(tr("Add the %n predicted area(s) to the image as regions (one undo step)", nullptr, static_cast<int>(m_proposed.size())));
            m_accept->setEnabled(!m_proposed.empty());
            m_note->setText(p.task == "segmentation"
                                ? tr("Predicted classes per pixel on %1: %n area(s)", nullptr, static_cast<int>(m_proposed.size())).arg(QFileInfo(image).fileName())
                                : tr("%n detection(s) scoring 0.5 or more on %1", nullptr, static_cast<int>(m_proposed.size())).arg(QFileInfo(image).fileName()));
        } else {
            for (const auto &[name, score] : p.scores)
                new QListWidgetItem(QStringLiteral("%1   %2 %").arg(QString::fromStdString(name)).arg(score * 100, 0, 'f', 1), m_scores);
            m_top = QString::fromStdString(p.scores.front().first);
            m_segmentation = false;
            m_accept->setText(tr("Accept as Image Class"));
            m_accept->setToolTip(tr("Give the image the predicted class"));
            m_accept->setEnabled(true);
            m_note->setText(tr("%1 is most likely %2 (%3 %)").arg(QFileInfo(image).fileName(), m_top).arg(p.scores.front().second * 100, 0, 'f', 1));
        }
        m_canvas->overlay()->setItems(std::move(overlay));
        Q_EMIT predicted(true);
    });
}

} // namespace ui
