#include "ui/trainpanel.h"

#include "core/dataset.h"
#include "core/project_store.h"
#include "ui/confusionview.h"
#include "ui/picturegrid.h"
#include "ui/projectruns.h"
#include "ui/filedialogs.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QFormLayout>
#include <QFuture>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QListWidget>
#include <QPainter>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QThread>
#include <QValueAxis>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <fstream>

namespace ui {

namespace {

QChartView *chartView(QChart *chart)
{
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    auto *v = new QChartView(chart);
    v->setRenderHint(QPainter::Antialiasing);
    v->setMinimumHeight(160);
    return v;
}

QLineSeries *series(QChart *chart, const QString &name, QValueAxis *x, QValueAxis *y, Qt::PenStyle style = Qt::SolidLine)
{
    auto *s = new QLineSeries;
    s->setName(name);
    chart->addSeries(s);
    s->attachAxis(x);
    s->attachAxis(y);
    if (style != Qt::SolidLine) {
        QPen pen = s->pen();
        pen.setStyle(style);
        pen.setWidthF(1.5);
        s->setPen(pen);
    }
    return s;
}

// An axis of whole numbers (epochs, steps) from 0 to at least `max`: ticks only at
// whole numbers, a round step apart (1, 2 or 5 times a power of ten, at most eight
// steps), so every label names the place it stands at ("%d" on QValueAxis's five
// even ticks printed 0 0 1 2 3 for three epochs, with "1" at 1.5).
void setIntegerRange(QValueAxis *a, double max)
{
    const double top = std::max(1.0, std::ceil(max - 1e-9));
    double step = 1;
    for (double decade = 1; top / step > 8; decade *= 10)
        for (double f : {1.0, 2.0, 5.0})
            if (top / (step = f * decade) <= 8) break;
    a->setTickType(QValueAxis::TicksDynamic);
    a->setTickAnchor(0);
    a->setTickInterval(step);
    a->setRange(0, std::ceil(top / step) * step);
}

QValueAxis *axis(QChart *chart, Qt::Alignment where, const QString &title = {}, bool integer = false)
{
    auto *a = new QValueAxis;
    if (!title.isEmpty()) a->setTitleText(title);
    chart->addAxis(a, where);
    if (integer) { // whole-number ticks from the start: an empty chart read "0 0 0 0 1" before
        a->setLabelFormat(QStringLiteral("%d"));
        setIntegerRange(a, 1);
    }
    return a;
}

// Exponential moving average, the "smoothed" curve.
QList<QPointF> smooth(const std::vector<QPointF> &pts)
{
    QList<QPointF> out;
    double s = -1;
    for (const auto &p : pts) {
        s = s < 0 ? p.y() : 0.9 * s + 0.1 * p.y();
        out.append({p.x(), s});
    }
    return out;
}

double maxY(const QLineSeries *s, double floor)
{
    double m = floor;
    for (const auto &p : s->points()) m = std::max(m, p.y());
    return m;
}

double maxX(const QLineSeries *s, double floor)
{
    double m = floor;
    for (const auto &p : s->points()) m = std::max(m, p.x());
    return m;
}

QString metricLabel(const QString &task) { return task == QLatin1String("segmentation") ? QObject::tr("val mIoU") : QObject::tr("val accuracy"); }

} // namespace

RunCurves loadRunCurves(const QString &runDir)
{
    RunCurves c;
    std::ifstream cfgIn(QFileInfo(runDir + QStringLiteral("/config.json")).absoluteFilePath().toStdString());
    const auto cfg = nlohmann::json::parse(cfgIn, nullptr, false);
    const bool seg = !cfg.is_discarded() && cfg.value("task", std::string()) == "segmentation";
    c.metricName = seg ? QObject::tr("val mIoU") : QObject::tr("val accuracy");
    std::ifstream in(QFileInfo(runDir + QStringLiteral("/metrics.jsonl")).absoluteFilePath().toStdString());
    std::string line;
    while (std::getline(in, line)) {
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) continue; // a line cut by a kill: skip it
        const double step = j.value("step", 0.0), epoch = j.value("epoch", 0.0);
        if (j.value("epoch_end", false)) {
            const char *key = seg ? "val_miou" : "val_accuracy";
            if (j.contains(key) && j[key].is_number()) c.valMetric.emplace_back(epoch, j[key].get<double>());
            if (j.contains("val_loss") && j["val_loss"].is_number()) c.valLoss.emplace_back(epoch, j["val_loss"].get<double>());
        } else if (j.contains("loss") && j["loss"].is_number()) {
            c.loss.emplace_back(step, j["loss"].get<double>());
            c.lr.emplace_back(step, j.value("lr", 0.0));
        }
    }
    return c;
}

TrainPanel::TrainPanel(QWidget *parent) : QWidget(parent)
{
    qRegisterMetaType<training::MetricsSample>();
    qRegisterMetaType<training::TrainConfig>();

    // --- the run form
    m_task = new QComboBox;
    m_task->addItems({QStringLiteral("classification"), QStringLiteral("segmentation")});
    m_task->setToolTip(tr("classification: one class per image; segmentation: the regions' classes per pixel (unet)"));
    m_model = new QComboBox;
    m_model->addItems({QStringLiteral("smallcnn"), QStringLiteral("mlp"), QStringLiteral("resnet18"), QStringLiteral("resnet34"), QStringLiteral("resnet50")});
    m_optimizer = new QComboBox;
    m_optimizer->addItems({QStringLiteral("sgd"), QStringLiteral("adam"), QStringLiteral("adamw")});
    m_optimizer->setToolTip(tr("sgd uses momentum 0.9"));
    m_schedule = new QComboBox;
    m_schedule->addItems({QStringLiteral("none"), QStringLiteral("step"), QStringLiteral("cosine")});
    m_device = new QComboBox;
    m_device->addItems({QStringLiteral("auto"), QStringLiteral("cpu"), QStringLiteral("cuda")});
    m_device->setToolTip(tr("auto: CUDA when a GPU is available, else the CPU"));
    m_epochs = new QSpinBox;
    m_epochs->setRange(1, 1000);
    m_epochs->setValue(10);
    m_batch = new QSpinBox;
    m_batch->setRange(1, 4096);
    m_batch->setValue(16);
    m_imageSize = new QSpinBox;
    m_imageSize->setRange(0, 1024);
    m_imageSize->setValue(32);
    m_imageSize->setSpecialValueText(tr("images' own"));
    m_seed = new QSpinBox;
    m_seed->setRange(0, 1000000);
    m_threads = new QSpinBox;
    m_threads->setRange(0, 256);
    m_threads->setSpecialValueText(tr("all cores"));
    m_kfold = new QSpinBox;
    m_kfold->setRange(0, 20);
    m_kfold->setSpecialValueText(tr("off"));
    m_kfold->setToolTip(tr("K-fold cross-validation: train and val pooled and dealt into K folds by the seed; K runs, each validating on "
                           "one fold, then the mean and spread of the best validation metric. 1 counts as off"));
    m_lr = new QDoubleSpinBox;
    m_lr->setDecimals(5);
    m_lr->setRange(1e-6, 10);
    m_lr->setSingleStep(0.001);
    m_lr->setValue(0.01);
    m_augment = new QLineEdit(QStringLiteral("hflip,crop:2"));
    m_augment->setToolTip(tr("none, or a comma list of hflip, vflip, crop[:PAD], shift[:PX], rotate[:DEG], scale[:F], brightness, contrast, "
                             "gamma, noise, impulse, blur, erase"));
    m_preview = new QPushButton(tr("Preview…"));
    m_preview->setToolTip(tr("Show training samples as the augmentations change them"));
    auto *augRow = new QHBoxLayout;
    augRow->addWidget(m_augment, 1);
    augRow->addWidget(m_preview);
    m_weights = new QLineEdit;
    m_weights->setPlaceholderText(tr("none (random initial weights)"));
    m_weights->setToolTip(tr("A torchvision .pth state dict to start from; the classifier head is replaced to fit the project's classes"));
    auto *browse = new QPushButton(tr("…"));
    browse->setToolTip(tr("Choose a .pth file"));
    browse->setMaximumWidth(32);
    auto *weightsRow = new QHBoxLayout;
    weightsRow->addWidget(m_weights, 1);
    weightsRow->addWidget(browse);
    m_freeze = new QCheckBox(tr("Freeze backbone (train the head only)"));
    m_outDir = new QLineEdit;
    m_outDir->setPlaceholderText(tr("runs/<time> beside the project"));

    auto *form = new QFormLayout;
    form->addRow(tr("Task"), m_task);
    form->addRow(tr("Model"), m_model);
    form->addRow(tr("Epochs"), m_epochs);
    form->addRow(tr("Batch"), m_batch);
    form->addRow(tr("Learning rate"), m_lr);
    form->addRow(tr("Optimizer"), m_optimizer);
    form->addRow(tr("Schedule"), m_schedule);
    form->addRow(tr("Image size"), m_imageSize);
    form->addRow(tr("Augment"), augRow);
    form->addRow(tr("Weights"), weightsRow);
    form->addRow(QString(), m_freeze);
    form->addRow(tr("Device"), m_device);
    form->addRow(tr("Threads"), m_threads);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("K-fold"), m_kfold);
    form->addRow(tr("Run folder"), m_outDir);

    m_start = new QPushButton(tr("Start"));
    m_start->setToolTip(tr("Train on the train split, validate on val after every epoch"));
    m_pause = new QPushButton(tr("Pause"));
    m_pause->setCheckable(true);
    m_pause->setToolTip(tr("Hold the run after the current step; click again to go on"));
    m_stop = new QPushButton(tr("Stop"));
    m_stop->setToolTip(tr("Stop after the current step; the last checkpoint is kept"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_pause);
    buttons->addWidget(m_stop);
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_rate = new QLabel;
    m_log = new QPlainTextEdit;
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(5000);
    m_runs = new QListWidget;
    m_runs->setToolTip(tr("Runs of this project: select one to see its curves, evaluate it or look at its filters"));
    m_compare = new QComboBox;
    m_compare->setToolTip(tr("Overlay another run's smoothed loss and validation metric (dashed)"));

    auto *left = new QVBoxLayout;
    left->addLayout(form);
    left->addLayout(buttons);
    left->addWidget(m_progress);
    left->addWidget(m_rate);
    left->addWidget(m_log, 2);
    left->addWidget(new QLabel(tr("Run history")));
    left->addWidget(m_runs, 2);
    auto *cmpRow = new QHBoxLayout;
    cmpRow->addWidget(new QLabel(tr("Compare with")));
    cmpRow->addWidget(m_compare, 1);
    left->addLayout(cmpRow);

    // --- curves
    auto *lossChart = new QChart;
    lossChart->setTitle(tr("Training loss"));
    m_stepAxis = axis(lossChart, Qt::AlignBottom, tr("step"), true);
    m_lossAxis = axis(lossChart, Qt::AlignLeft);
    m_loss = series(lossChart, tr("per step"), m_stepAxis, m_lossAxis);
    m_lossSmooth = series(lossChart, tr("smoothed"), m_stepAxis, m_lossAxis);
    m_cmpLoss = series(lossChart, tr("compared run (smoothed)"), m_stepAxis, m_lossAxis, Qt::DashLine);
    auto *valChart = new QChart;
    valChart->setTitle(tr("Validation"));
    m_epochAxis = axis(valChart, Qt::AlignBottom, tr("epoch"), true);
    m_accAxis = axis(valChart, Qt::AlignLeft);
    m_accAxis->setRange(0, 1);
    m_valLossAxis = axis(valChart, Qt::AlignRight, tr("val loss"));
    m_valMetric = series(valChart, tr("val accuracy"), m_epochAxis, m_accAxis);
    m_valMetric->setPointsVisible(true);
    m_valLoss = series(valChart, tr("val loss"), m_epochAxis, m_valLossAxis);
    m_cmpMetric = series(valChart, tr("compared run"), m_epochAxis, m_accAxis, Qt::DashLine);
    auto *lrChart = new QChart;
    lrChart->setTitle(tr("Learning rate"));
    m_lrStepAxis = axis(lrChart, Qt::AlignBottom, tr("step"), true);
    m_lrAxis = axis(lrChart, Qt::AlignLeft);
    m_lrAxis->setLabelFormat(QStringLiteral("%.2g"));
    m_lrSeries = series(lrChart, tr("learning rate"), m_lrStepAxis, m_lrAxis);
    lrChart->legend()->hide();
    auto *curves = new QWidget;
    auto *curvesLayout = new QVBoxLayout(curves);
    curvesLayout->setContentsMargins(0, 0, 0, 0);
    curvesLayout->addWidget(chartView(lossChart), 5);
    curvesLayout->addWidget(chartView(valChart), 4);
    curvesLayout->addWidget(chartView(lrChart), 3);

    // --- confusion matrix
    m_evaluate = new QPushButton(tr("Evaluate on val"));
    m_evaluate->setToolTip(tr("Run the selected run's best checkpoint over the val split"));
    m_evalSummary = new QLabel;
    m_evalSummary->setWordWrap(true);
    m_confusion = new ConfusionView;
    m_wrong = new QListWidget;
    m_wrong->setToolTip(tr("Images of the clicked cell; double-click to open one in Annotate"));
    auto *evalTab = new QWidget;
    auto *evalLayout = new QVBoxLayout(evalTab);
    auto *evalTop = new QHBoxLayout;
    evalTop->addWidget(m_evaluate);
    evalTop->addWidget(m_evalSummary, 1);
    evalLayout->addLayout(evalTop);
    auto *evalSplit = new QSplitter;
    evalSplit->addWidget(m_confusion);
    evalSplit->addWidget(m_wrong);
    evalSplit->setStretchFactor(0, 3);
    evalSplit->setStretchFactor(1, 2);
    evalLayout->addWidget(evalSplit, 1);

    // --- filters and feature maps
    m_showFilters = new QPushButton(tr("Show filters and feature maps"));
    m_showFilters->setToolTip(tr("The selected run's first convolution: its learned filters, and their responses to the image open in Annotate"));
    m_filterNote = new QLabel;
    m_filterNote->setWordWrap(true);
    m_filterGrid = new PictureGrid;
    m_featureGrid = new PictureGrid;
    auto *pictures = new QWidget;
    auto *picLayout = new QVBoxLayout(pictures);
    picLayout->addWidget(new QLabel(tr("<b>First-layer filters</b>")));
    picLayout->addWidget(m_filterGrid);
    picLayout->addWidget(new QLabel(tr("<b>Feature maps</b> (ReLU of the first convolution)")));
    picLayout->addWidget(m_featureGrid);
    picLayout->addStretch(1);
    auto *scroll = new QScrollArea;
    scroll->setWidget(pictures);
    scroll->setWidgetResizable(true);
    auto *filterTab = new QWidget;
    auto *filterLayout = new QVBoxLayout(filterTab);
    auto *filterTop = new QHBoxLayout;
    filterTop->addWidget(m_showFilters);
    filterTop->addWidget(m_filterNote, 1);
    filterLayout->addLayout(filterTop);
    filterLayout->addWidget(scroll, 1);

    m_views = new QTabWidget;
    m_views->addTab(curves, tr("Curves"));
    m_views->addTab(evalTab, tr("Confusion matrix"));
    m_views->addTab(filterTab, tr("Filters"));

    auto *layout = new QHBoxLayout(this);
    auto *leftBox = new QWidget;
    leftBox->setLayout(left);
    leftBox->setMaximumWidth(380);
    layout->addWidget(leftBox);
    layout->addWidget(m_views, 1);

    m_worker = new TrainWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(this, &TrainPanel::startRequested, m_worker, &TrainWorker::run, Qt::QueuedConnection);
    connect(this, &TrainPanel::kfoldRequested, m_worker, &TrainWorker::runKFold, Qt::QueuedConnection);
    connect(m_worker, &TrainWorker::logLine, m_log, &QPlainTextEdit::appendPlainText, Qt::QueuedConnection);
    connect(m_worker, &TrainWorker::metrics, this, &TrainPanel::onMetrics, Qt::QueuedConnection);
    connect(m_worker, &TrainWorker::finished, this, &TrainPanel::onFinished, Qt::QueuedConnection);
    m_thread.start();

    connect(m_start, &QPushButton::clicked, this, &TrainPanel::start);
    connect(m_stop, &QPushButton::clicked, this, [this] { m_worker->requestStop(); });
    connect(m_pause, &QPushButton::toggled, this, [this](bool on) {
        m_worker->setPaused(on);
        m_pause->setText(on ? tr("Resume") : tr("Pause"));
        // A held run has no time of arrival; the time it is held does not count towards the next one.
        if (on) m_pausedSince = m_clock.elapsed();
        else if (m_pausedSince >= 0) m_pausedMs += m_clock.elapsed() - m_pausedSince;
        if (!on) m_pausedSince = -1;
        showProgressText();
    });
    connect(m_task, &QComboBox::currentTextChanged, this, [this](const QString &task) {
        const bool seg = task == QLatin1String("segmentation");
        m_model->clear();
        if (seg) m_model->addItem(QStringLiteral("unet"));
        else m_model->addItems({QStringLiteral("smallcnn"), QStringLiteral("mlp"), QStringLiteral("resnet18"), QStringLiteral("resnet34"), QStringLiteral("resnet50")});
        if (seg && m_imageSize->value() % 8) m_imageSize->setValue(64);
        m_valMetric->setName(metricLabel(task));
    });
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString f = openFileName(this, tr("Weights"), tr("PyTorch state dicts (*.pth *.pt);;All files (*)"));
        if (!f.isEmpty()) m_weights->setText(f);
    });
    connect(m_preview, &QPushButton::clicked, this, &TrainPanel::previewAugmentation);
    connect(m_runs, &QListWidget::currentRowChanged, this, [this] {
        if (!m_running) showRun(selectedRunDir());
    });
    connect(m_compare, &QComboBox::currentIndexChanged, this, [this] { showCompare(m_compare->currentData().toString()); });
    connect(m_evaluate, &QPushButton::clicked, this, &TrainPanel::evaluateSelected);
    connect(m_confusion, &ConfusionView::cellClicked, this, &TrainPanel::listMisclassified);
    connect(m_wrong, &QListWidget::itemDoubleClicked, this, [this](QListWidgetItem *item) {
        Q_EMIT openImageRequested(item->data(Qt::UserRole).toString());
    });
    connect(m_showFilters, &QPushButton::clicked, this, &TrainPanel::showFilters);
    setRunning(false);
}

TrainPanel::~TrainPanel()
{
    m_worker->requestStop();
    m_thread.quit();
    m_thread.wait();
}

void TrainPanel::setProject(const QString &projectPath)
{
    const bool another = projectPath != m_project;
    m_project = projectPath;
    if (another) {
        // Nothing of the project open before stays on screen: curves, log, history, evaluation, filters.
        clearLive();
        m_cmpLoss->clear();
        m_cmpMetric->clear();
        m_log->clear();
        {
            const QSignalBlocker b1(m_runs), b2(m_compare);
            m_runs->clear();
            m_compare->clear();
        }
        m_progress->setValue(0);
        m_progressText.clear();
        m_rate->clear();
        m_evaluation = nlohmann::json();
        m_evalSummary->clear();
        m_confusion->setMatrix({}, {});
        m_wrong->clear();
        m_filterGrid->setPictures({});
        m_featureGrid->setPictures({});
        m_filterNote->clear();
        for (QValueAxis *a : {m_stepAxis, m_epochAxis, m_lrStepAxis}) setIntegerRange(a, 1);
        if (m_running) m_log->appendPlainText(tr("A run of %1 is still going; Stop ends it.").arg(QFileInfo(m_runProject).fileName()));
    }
    setRunning(m_running);
    refreshHistory();
}

training::TrainConfig TrainPanel::config() const
{
    training::TrainConfig c;
    c.project = m_project.toStdString();
    c.task = m_task->currentText().toStdString();
    c.model = m_model->currentText().toStdString();
    c.epochs = m_epochs->value();
    c.batch = m_batch->value();
    c.lr = m_lr->value();
    c.optimizer = m_optimizer->currentText().toStdString();
    c.schedule = m_schedule->currentText().toStdString();
    c.imageSize = m_imageSize->value();
    c.augment = m_augment->text().trimmed().isEmpty() ? std::string("none") : m_augment->text().trimmed().toStdString();
    c.weights = m_weights->text().trimmed().toStdString();
    c.freezeBackbone = m_freeze->isChecked();
    c.device = m_device->currentText().toStdString();
    c.threads = m_threads->value();
    c.seed = static_cast<std::uint64_t>(m_seed->value());
    c.logEvery = 1;
    QString out = m_outDir->text().trimmed();
    if (out.isEmpty())
        out = QFileInfo(m_project).absolutePath() + QStringLiteral("/runs/") + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    c.outDir = out.toStdString();
    return c;
}

int TrainPanel::lossPointCount() const { return m_loss->count(); }
int TrainPanel::compareLossPointCount() const { return m_cmpLoss->count(); }

void TrainPanel::clearLive()
{
    for (auto *s : {m_loss, m_lossSmooth, m_valMetric, m_valLoss, m_lrSeries}) s->clear();
    m_smoothed = -1;
}

void TrainPanel::start()
{
    if (m_running || m_project.isEmpty()) return;
    clearLive();
    m_log->clear();
    m_progress->setValue(0);
    m_pause->setChecked(false);
    const training::TrainConfig c = config();
    m_valMetric->setName(metricLabel(QString::fromStdString(c.task)));
    setIntegerRange(m_stepAxis, std::max(10.0, maxX(m_cmpLoss, 0)));
    setIntegerRange(m_lrStepAxis, 10);
    setIntegerRange(m_epochAxis, std::max(c.epochs, static_cast<int>(maxX(m_cmpMetric, 0))));
    m_lossAxis->setRange(0, std::max(1.0, maxY(m_cmpLoss, 0)));
    m_valLossAxis->setRange(0, 1);
    m_lrAxis->setRange(0, c.lr * 1.1);
    m_clock.start();
    m_pausedMs = 0;
    m_pausedSince = -1;
    m_progressText.clear();
    m_eta = -1;
    m_fold = 0;
    m_runProject = m_project;
    setRunning(true);
    if (m_kfold->value() >= 2) Q_EMIT kfoldRequested(c, m_kfold->value());
    else Q_EMIT startRequested(c);
}

void TrainPanel::onMetrics(const training::MetricsSample &m)
{
    if (m_runProject != m_project) { // a run of the project open before: its curves are not this project's
        m_rate->setText(tr("A run of %1 is still going (epoch %2); Stop ends it").arg(QFileInfo(m_runProject).fileName()).arg(m.epoch));
        return;
    }
    if (m.fold != m_fold) { // k-fold: each fold's curves start afresh
        clearLive();
        m_fold = m.fold;
    }
    if (m.epochEnd) {
        const double metric = m.valMiou >= 0 ? m.valMiou : m.valAccuracy;
        if (metric >= 0) m_valMetric->append(m.epoch, metric);
        if (m.valLoss >= 0) {
            m_valLoss->append(m.epoch, m.valLoss);
            m_valLossAxis->setRange(0, std::max(m_valLossAxis->max(), m.valLoss * 1.1));
        }
    } else {
        m_loss->append(static_cast<double>(m.step), m.loss);
        m_smoothed = m_smoothed < 0 ? m.loss : 0.9 * m_smoothed + 0.1 * m.loss;
        m_lossSmooth->append(static_cast<double>(m.step), m_smoothed);
        m_lrSeries->append(static_cast<double>(m.step), m.lr);
        setIntegerRange(m_stepAxis, std::max({10.0, static_cast<double>(m.step), maxX(m_cmpLoss, 0)}));
        setIntegerRange(m_lrStepAxis, std::max<double>(10, static_cast<double>(m.step)));
        if (std::isfinite(m.loss)) m_lossAxis->setRange(0, std::max(m_lossAxis->max(), m.loss * 1.1));
        m_lrAxis->setRange(0, std::max(m_lrAxis->max(), m.lr * 1.1));
    }
    const double progress = m.folds > 0 ? (m.fold - 1 + m.progress) / m.folds : m.progress; // of everything this Start began
    m_progress->setValue(static_cast<int>(progress * 1000));
    const double elapsed = (m_clock.elapsed() - m_pausedMs) / 1000.0;
    m_eta = progress > 0 ? elapsed * (1 - progress) / progress : -1;
    const QString fold = m.folds > 0 ? tr("fold %1 of %2 · ").arg(m.fold).arg(m.folds) : QString();
    m_progressText = fold + tr("epoch %1 · step %2 · %3 images/s").arg(m.epoch).arg(m.step).arg(m.imagesPerS, 0, 'f', 0);
    showProgressText();
}

void TrainPanel::showProgressText()
{
    if (m_progressText.isEmpty()) {
        m_rate->clear();
        return;
    }
    // The time of arrival only while the run goes: not held, not over.
    if (m_running && m_pause->isChecked()) m_rate->setText(m_progressText + tr(" · paused"));
    else if (m_running && m_eta >= 0) m_rate->setText(m_progressText + tr(" · ETA %1 s").arg(m_eta, 0, 'f', 0));
    else m_rate->setText(m_progressText);
}

void TrainPanel::onFinished(bool ok, const QString &message)
{
    const bool thisProject = m_runProject == m_project;
    const QString text = ok ? message : tr("error: %1").arg(message);
    m_log->appendPlainText(thisProject ? text : tr("The run of %1 ended: %2").arg(QFileInfo(m_runProject).fileName(), text));
    setRunning(false);
    if (thisProject) showProgressText(); // without the time of arrival
    else m_rate->clear();
    refreshHistory();
    Q_EMIT runFinished(ok, message);
}

void TrainPanel::setRunning(bool running)
{
    m_running = running;
    m_start->setEnabled(!running && !m_project.isEmpty());
    m_pause->setEnabled(running);
    m_stop->setEnabled(running);
}

QString TrainPanel::selectedRunDir() const
{
    const auto *item = m_runs->currentItem();
    return item ? item->data(Qt::UserRole).toString() : QString();
}

void TrainPanel::refreshHistory()
{
    if (m_project.isEmpty()) return;
    loadRuns(m_project).then(this, [this](const core::Result<std::vector<core::RunRecord>> &read) {
        if (!read) {
            m_log->appendPlainText(tr("Cannot read the project's run history: %1").arg(QString::fromStdString(read.error().toString())));
            Q_EMIT historyLoaded(0);
            return;
        }
        const std::vector<core::RunRecord> &runs = *read;
        const QString keep = selectedRunDir(), keepCmp = m_compare->currentData().toString();
        const QSignalBlocker b1(m_runs), b2(m_compare);
        m_runs->clear();
        m_compare->clear();
        m_compare->addItem(tr("none"), QString());
        for (auto it = runs.rbegin(); it != runs.rend(); ++it) { // newest first
            const auto &r = *it;
            QString status = QString::fromStdString(r.summary.value("status", std::string("?")));
            if (status == QLatin1String("running") && !m_running) status = tr("interrupted");
            QString text = QStringLiteral("%1 · %2 · %3").arg(QString::fromStdString(r.name), QString::fromStdString(r.config.value("model", std::string("?"))), status);
            if (r.summary.contains("best") && r.summary["best"].is_number())
                text += tr(" · best %1").arg(r.summary["best"].get<double>(), 0, 'f', 3);
            const QString dir = QString::fromStdString(r.dir);
            auto *item = new QListWidgetItem(text, m_runs);
            item->setData(Qt::UserRole, dir);
            item->setToolTip(dir);
            m_compare->addItem(QString::fromStdString(r.name), dir);
            if (dir == keep) m_runs->setCurrentItem(item);
        }
        const int cmp = m_compare->findData(keepCmp);
        m_compare->setCurrentIndex(cmp >= 0 ? cmp : 0);
        if (!m_runs->currentItem() && m_runs->count() && !m_running) {
            m_runs->setCurrentRow(0);
            showRun(selectedRunDir());
        }
        Q_EMIT historyLoaded(static_cast<int>(runs.size()));
    });
}

void TrainPanel::showRun(const QString &dir)
{
    if (dir.isEmpty()) return;
    QtConcurrent::run([dir] { return loadRunCurves(dir); }).then(this, [this, dir](const RunCurves &c) {
        if (m_running || dir != selectedRunDir()) return; // a live run owns the charts
        clearLive();
        m_loss->replace(QList<QPointF>(c.loss.begin(), c.loss.end()));
        m_lossSmooth->replace(smooth(c.loss));
        m_lrSeries->replace(QList<QPointF>(c.lr.begin(), c.lr.end()));
        m_valMetric->replace(QList<QPointF>(c.valMetric.begin(), c.valMetric.end()));
        m_valMetric->setName(c.metricName);
        m_valLoss->replace(QList<QPointF>(c.valLoss.begin(), c.valLoss.end()));
        setIntegerRange(m_stepAxis, std::max({10.0, maxX(m_loss, 0), maxX(m_cmpLoss, 0)}));
        m_lossAxis->setRange(0, std::max({0.1, maxY(m_loss, 0) * 1.05, maxY(m_cmpLoss, 0) * 1.05}));
        setIntegerRange(m_epochAxis, std::max({1.0, maxX(m_valMetric, 0), maxX(m_cmpMetric, 0)}));
        m_valLossAxis->setRange(0, std::max(0.1, maxY(m_valLoss, 0) * 1.1));
        setIntegerRange(m_lrStepAxis, std::max(10.0, maxX(m_lrSeries, 0)));
        m_lrAxis->setRange(0, std::max(1e-6, maxY(m_lrSeries, 0) * 1.1));
    });
}

void TrainPanel::showCompare(const QString &dir)
{
    m_cmpLoss->clear();
    m_cmpMetric->clear();
    if (dir.isEmpty()) return;
    QtConcurrent::run([dir] { return loadRunCurves(dir); }).then(this, [this, dir](const RunCurves &c) {
        if (dir != m_compare->currentData().toString()) return;
        m_cmpLoss->replace(smooth(c.loss));
        m_cmpMetric->replace(QList<QPointF>(c.valMetric.begin(), c.valMetric.end()));
        m_cmpLoss->setName(tr("%1 (smoothed)").arg(QFileInfo(dir).fileName()));
        m_cmpMetric->setName(tr("%1 %2").arg(QFileInfo(dir).fileName(), c.metricName));
        setIntegerRange(m_stepAxis, std::max({m_stepAxis->max(), maxX(m_cmpLoss, 0)}));
        m_lossAxis->setRange(0, std::max(m_lossAxis->max(), maxY(m_cmpLoss, 0) * 1.05));
        setIntegerRange(m_epochAxis, std::max(m_epochAxis->max(), maxX(m_cmpMetric, 0)));
    });
}

void TrainPanel::evaluateSelected()
{
    const QString dir = selectedRunDir();
    if (dir.isEmpty() || m_project.isEmpty()) {
        m_evalSummary->setText(tr("Select a run in the history first."));
        return;
    }
    QString ckpt = dir + QStringLiteral("/checkpoint-best.pt");
    if (!QFile::exists(ckpt)) ckpt = dir + QStringLiteral("/checkpoint-last.pt");
    m_evaluate->setEnabled(false);
    m_evalSummary->setText(tr("Evaluating %1 …").arg(QFileInfo(dir).fileName()));
    const std::string project = m_project.toStdString(), checkpoint = ckpt.toStdString();
    QtConcurrent::run([project, checkpoint] { return training::evaluate(project, checkpoint, "val"); })
        .then(this, [this](const core::Result<nlohmann::json> &r) {
            m_evaluate->setEnabled(true);
            m_wrong->clear();
            if (!r) {
                m_evalSummary->setText(tr("error: %1").arg(QString::fromStdString(r.error().toString())));
                m_confusion->setMatrix({}, {});
                Q_EMIT evaluated(false);
                return;
            }
            m_evaluation = *r;
            QStringList classes;
            for (const auto &c : (*r)["classes"]) classes << QString::fromStdString(c.get<std::string>());
            m_confusion->setMatrix(classes, (*r)["confusion"].get<std::vector<std::vector<std::int64_t>>>());
            if ((*r)["task"] == "segmentation")
                m_evalSummary->setText(tr("mIoU %1 · pixel accuracy %2 on %3 images (pixel counts)")
                                           .arg((*r)["miou"].get<double>(), 0, 'f', 3)
                                           .arg((*r)["pixel_accuracy"].get<double>(), 0, 'f', 3)
                                           .arg((*r)["images"].get<int>()));
            else
                m_evalSummary->setText(tr("accuracy %1 · top-5 %2 on %3 images — click a cell to list its images")
                                           .arg((*r)["accuracy"].get<double>(), 0, 'f', 3)
                                           .arg((*r)["top5_accuracy"].get<double>(), 0, 'f', 3)
                                           .arg((*r)["images"].get<int>()));
            Q_EMIT evaluated(true);
        });
}

void TrainPanel::listMisclassified(int truth, int predicted)
{
    m_wrong->clear();
    if (!m_evaluation.contains("misclassified")) return;
    const auto &classes = m_evaluation["classes"];
    const std::string t = classes[static_cast<std::size_t>(truth)], p = classes[static_cast<std::size_t>(predicted)];
    if (truth == predicted) {
        m_wrong->addItem(tr("%1 correctly classified images").arg(m_confusion->count(truth, predicted)));
        return;
    }
    for (const auto &w : m_evaluation["misclassified"]) {
        if (w["truth"] != t || w["predicted"] != p) continue;
        const QString path = QString::fromStdString(w["path"].get<std::string>());
        auto *item = new QListWidgetItem(tr("%1  (%2 %3)").arg(QFileInfo(path).fileName(), QString::fromStdString(p)).arg(w["score"].get<double>(), 0, 'f', 2), m_wrong);
        item->setData(Qt::UserRole, path);
        item->setToolTip(path);
    }
}

void TrainPanel::showFilters()
{
    const QString dir = selectedRunDir();
    if (dir.isEmpty()) {
        m_filterNote->setText(tr("Select a run in the history first."));
        return;
    }
    QString ckpt = dir + QStringLiteral("/checkpoint-best.pt");
    if (!QFile::exists(ckpt)) ckpt = dir + QStringLiteral("/checkpoint-last.pt");
    const std::string checkpoint = ckpt.toStdString(), image = m_currentImage.toStdString();
    m_showFilters->setEnabled(false);
    struct Out {
        core::Result<std::vector<training::Picture>> filters, maps;
    };
    QtConcurrent::run([checkpoint, image] {
        Out o{training::firstLayerFilters(checkpoint), std::vector<training::Picture>{}};
        if (!image.empty()) o.maps = training::featureMaps(checkpoint, image);
        return o;
    }).then(this, [this](const Out &o) {
        m_showFilters->setEnabled(true);
        if (!o.filters) {
            m_filterNote->setText(tr("error: %1").arg(QString::fromStdString(o.filters.error().toString())));
            m_filterGrid->setPictures({});
            m_featureGrid->setPictures({});
            Q_EMIT picturesShown(false);
            return;
        }
        QList<QImage> filters, maps;
        QStringList captions;
        for (const auto &p : *o.filters) filters << pictureToImage(p);
        m_filterGrid->setPictures(filters, {}, 40);
        if (o.maps)
            for (std::size_t i = 0; i < o.maps->size(); ++i) {
                maps << pictureToImage((*o.maps)[i]);
                captions << QString::number(i);
            }
        m_featureGrid->setPictures(maps, captions, 96);
        m_filterNote->setText(m_currentImage.isEmpty() ? tr("%1 filters; open an image in Annotate to see its feature maps").arg(filters.size())
                              : o.maps ? tr("%1 filters; feature maps of %2").arg(filters.size()).arg(QFileInfo(m_currentImage).fileName())
                                       : tr("feature maps: %1").arg(QString::fromStdString(o.maps.error().toString())));
        Q_EMIT picturesShown(true);
    });
}

void TrainPanel::previewAugmentation()
{
    if (m_project.isEmpty()) return;
    training::TrainConfig c = config();
    c.seed = static_cast<std::uint64_t>(QDateTime::currentMSecsSinceEpoch()); // a new draw every time
    auto *dialog = new QDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Augmentation preview: %1").arg(QString::fromStdString(c.augment)));
    auto *grid = new PictureGrid;
    auto *note = new QLabel(tr("Decoding and augmenting…"));
    auto *again = new QPushButton(tr("Draw again"));
    auto *box = new QDialogButtonBox(QDialogButtonBox::Close);
    box->addButton(again, QDialogButtonBox::ActionRole);
    auto *layout = new QVBoxLayout(dialog);
    layout->addWidget(note);
    layout->addWidget(grid, 1);
    layout->addWidget(box);
    connect(box, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    auto draw = [this, dialog, grid, note, c]() mutable {
        c.seed += 7919;
        QtConcurrent::run([c] { return training::previewAugment(c, 12); }).then(dialog, [grid, note](const core::Result<training::AugmentPreview> &p) {
            if (!p) {
                note->setText(QObject::tr("error: %1").arg(QString::fromStdString(p.error().toString())));
                return;
            }
            QList<QImage> images;
            for (std::size_t i = 0; i < p->images.size(); ++i) {
                QImage img = pictureToImage(p->images[i]);
                if (i < p->masks.size()) { // segmentation: the classes' colours over the image, ignored pixels hatched grey
                    const auto &m = p->masks[i];
                    for (int y = 0; y < img.height(); ++y) {
                        auto *row = reinterpret_cast<QRgb *>(img.scanLine(y));
                        for (int x = 0; x < img.width(); ++x) {
                            const std::uint8_t v = m[static_cast<std::size_t>(y * img.width() + x)];
                            if (v == 0) continue;
                            const QColor c = v == 255 ? QColor(128, 128, 128) : QColor(QString::fromStdString(core::defaultClassColor(v - 1u)));
                            row[x] = qRgb((qRed(row[x]) + c.red()) / 2, (qGreen(row[x]) + c.green()) / 2, (qBlue(row[x]) + c.blue()) / 2);
                        }
                    }
                }
                images << img;
            }
            grid->setPictures(images, {}, 128);
            note->setText(p->masks.empty() ? QObject::tr("12 training samples as the trainer sees them")
                                           : QObject::tr("12 training samples; the masks follow the geometric changes (class colours, grey: ignored)"));
        });
    };
    connect(again, &QPushButton::clicked, dialog, draw);
    draw();
    dialog->resize(620, 520);
    dialog->show();
}

} // namespace ui
