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
#include <iterator>
#include <tuple>
#include <utility>

namespace ui {

namespace {

QString idlePredictionNote()
{
    return TrainPanel::tr("While a run trains, its model's predictions on the first validation images appear here after each epoch.");
}

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

// One step of the exponential moving average of the "smoothed" curves; s < 0: none yet.
double ema(double s, double v) { return s < 0 ? v : 0.9 * s + 0.1 * v; }

QList<QPointF> smooth(const std::vector<QPointF> &pts)
{
    QList<QPointF> out;
    double s = -1;
    for (const auto &p : pts) out.append({p.x(), s = ema(s, p.y())});
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

bool isDetector(const QString &task) { return task == QLatin1String("detection") || task == QLatin1String("instance"); }

// The models a task trains (training/config.cpp checks the pair), "auto" first: the recipe's pick.
QStringList modelsFor(const QString &task)
{
    QStringList out{QStringLiteral("auto")};
    for (const auto &m : training::modelsForTask(task.toStdString())) out << QString::fromStdString(m);
    return out;
}

// The validation numbers a task's runs are charted by, as MetricsSample::val names them
// (metrics.jsonl: "val_" + name): the run's score (metricLabel), and for instance
// segmentation the box AP beside the mask AP.
std::pair<std::string, std::string> metricKeys(const QString &task)
{
    if (task == QLatin1String("segmentation")) return {"miou", {}};
    if (task == QLatin1String("detection")) return {"bbox_AP", {}};
    if (task == QLatin1String("instance")) return {"segm_AP", "bbox_AP"};
    return {"accuracy", {}};
}

QString boxApLabel() { return metricLabel(QStringLiteral("detection")); }

// A combo box whose items carry their values: item 0's text may change ("auto (sgd)"), its value stays.
QComboBox *choiceBox(const QStringList &values)
{
    auto *b = new QComboBox;
    for (const QString &v : values) b->addItem(v, v);
    return b;
}

} // namespace

RunCurves loadRunCurves(const QString &runDir)
{
    RunCurves c;
    std::ifstream cfgIn(QFileInfo(runDir + QStringLiteral("/config.json")).absoluteFilePath().toStdString());
    const auto cfg = nlohmann::json::parse(cfgIn, nullptr, false);
    const auto task = cfg.is_object() ? cfg.find("task") : cfg.end();
    c.task = task != cfg.end() && task->is_string() ? QString::fromStdString(task->get<std::string>()) : QStringLiteral("classification");
    const auto [key, key2] = metricKeys(c.task);
    c.metricName = metricLabel(c.task);
    if (!key2.empty()) c.metricName2 = boxApLabel();
    std::ifstream in(QFileInfo(runDir + QStringLiteral("/metrics.jsonl")).absoluteFilePath().toStdString());
    std::string line;
    while (std::getline(in, line)) {
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) continue; // a line cut by a kill: skip it
        // A field that is missing or not a number is left out (or 0), not thrown over.
        auto number = [](const nlohmann::json &o, const std::string &name, double *v) {
            const auto it = o.find(name);
            if (it == o.end() || !it->is_number()) return false;
            *v = it->get<double>();
            return true;
        };
        double step = 0, epoch = 0, v = 0;
        number(j, "step", &step);
        number(j, "epoch", &epoch);
        const auto end = j.find("epoch_end");
        if (end != j.end() && *end == true) {
            if (number(j, "val_" + key, &v) && v >= 0) c.valMetric.emplace_back(epoch, v); // COCO's -1: no objects to score
            if (!key2.empty() && number(j, "val_" + key2, &v) && v >= 0) c.valMetric2.emplace_back(epoch, v);
            if (number(j, "val_loss", &v)) c.valLoss.emplace_back(epoch, v);
        } else if (number(j, "loss", &v)) {
            c.loss.emplace_back(step, v);
            double lr = 0;
            number(j, "lr", &lr);
            c.lr.emplace_back(step, lr);
            const auto terms = j.find("losses");
            if (terms != j.end() && terms->is_object() && terms->size() > 1)
                for (const auto &t : terms->items())
                    if (number(*terms, t.key(), &v)) c.terms[t.key()].emplace_back(step, v);
        }
    }
    return c;
}

TrainPanel::TrainPanel(QWidget *parent) : QWidget(parent)
{
    qRegisterMetaType<training::MetricsSample>();
    qRegisterMetaType<training::TrainConfig>();
    qRegisterMetaType<QList<QImage>>();

    // --- the run form
    // A field at "auto" (0, or the first item) is chosen from the data when the run starts; the
    // log says why, and the field names the value while that run's settings are the form's.
    m_task = new QComboBox;
    m_task->addItems({QStringLiteral("classification"), QStringLiteral("segmentation"), QStringLiteral("detection"), QStringLiteral("instance")});
    m_task->setToolTip(tr("classification: one class per image; segmentation: the regions' classes per pixel (unet); detection: the regions' "
                          "boxes (Faster R-CNN); instance: the regions' boxes and masks (Mask R-CNN)"));
    m_model = choiceBox(modelsFor(m_task->currentText()));
    m_model->setToolTip(tr("auto: convnet for classification (smallcnn for images of at most 32 px), unet for segmentation, the ResNet-18 "
                           "detectors for detection and instance"));
    m_optimizer = choiceBox({QStringLiteral("auto"), QStringLiteral("sgd"), QStringLiteral("adam"), QStringLiteral("adamw")});
    m_optimizer->setToolTip(tr("auto: adam; sgd with weight decay 1e-4 for a detector, as torchvision trains them. sgd uses momentum 0.9"));
    m_schedule = choiceBox({QStringLiteral("auto"), QStringLiteral("none"), QStringLiteral("step"), QStringLiteral("cosine")});
    m_schedule->setToolTip(tr("auto: cosine decay; step (tenfold down twice) for a detector"));
    m_device = new QComboBox;
    m_device->addItems({QStringLiteral("auto"), QStringLiteral("cpu"), QStringLiteral("cuda")});
    m_device->setToolTip(tr("auto: CUDA when a GPU is available, else the CPU"));
    m_epochs = new QSpinBox;
    m_epochs->setRange(0, 1000);
    m_epochs->setToolTip(tr("auto: about 1000 steps, 5 to 100 epochs"));
    m_batch = new QSpinBox;
    m_batch->setRange(0, 4096);
    m_batch->setToolTip(tr("auto: from the train split's size, so that an epoch has at least 8 steps (a detector: 1 to 4 images)"));
    m_imageSize = new QSpinBox;
    m_imageSize->setRange(0, 1024);
    m_imageSize->setToolTip(tr("auto: from the images' sides (segmentation and detection: so that the median region spans enough pixels)"));
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
    m_lr->setRange(0, 10);
    m_lr->setSingleStep(0.001);
    m_lr->setToolTip(tr("auto: by the optimizer and the task (a detector: torchvision's 0.02)"));
    m_augment = new QLineEdit(QStringLiteral("auto"));
    m_augment->setToolTip(tr("auto (flips and shifts chosen for the task), none, or a comma list of hflip, vflip, crop[:PAD], shift[:PX], rotate[:DEG], scale[:F], brightness, contrast, "
                             "gamma, noise, impulse, blur, erase"));
    showChosen(nullptr);
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
    auto *lossChart = m_lossChart = new QChart;
    lossChart->setTitle(tr("Training loss"));
    m_stepAxis = axis(lossChart, Qt::AlignBottom, tr("step"), true);
    m_lossAxis = axis(lossChart, Qt::AlignLeft);
    m_lossAxis->setLabelFormat(QStringLiteral("%.3g")); // a diverging run's 1e12 reads as such, not as thirteen digits
    m_loss = series(lossChart, tr("per step"), m_stepAxis, m_lossAxis);
    m_lossSmooth = series(lossChart, tr("smoothed"), m_stepAxis, m_lossAxis);
    m_cmpLoss = series(lossChart, tr("compared run (smoothed)"), m_stepAxis, m_lossAxis, Qt::DashLine);
    auto *valChart = m_valChart = new QChart;
    valChart->setTitle(tr("Validation"));
    m_epochAxis = axis(valChart, Qt::AlignBottom, tr("epoch"), true);
    m_accAxis = axis(valChart, Qt::AlignLeft);
    m_accAxis->setRange(0, 1);
    m_valLossAxis = axis(valChart, Qt::AlignRight, tr("val loss"));
    m_valMetric = series(valChart, metricLabel(m_task->currentText()), m_epochAxis, m_accAxis);
    m_valMetric->setPointsVisible(true);
    m_valMetric2 = series(valChart, boxApLabel(), m_epochAxis, m_accAxis);
    m_valMetric2->setPointsVisible(true);
    m_valMetric2->setVisible(false);
    // A short run has one or two epochs: their points sit on the chart's edges (a first AP of 0 in its corner) and must still show;
    // a long run's points are no wider than an epoch's room on the axis, so that they do not hide the line (Qt draws a
    // point twice the marker size across).
    const auto fitMarkers = [this] {
        const double room = m_valChart->plotArea().width() / std::max(1.0, m_epochAxis->max() - m_epochAxis->min());
        for (QLineSeries *s : {m_valMetric, m_valMetric2}) s->setMarkerSize(std::clamp(room / 2, 3.0, 10.0));
    };
    fitMarkers();
    connect(m_epochAxis, &QValueAxis::rangeChanged, this, fitMarkers);
    connect(m_valChart, &QChart::plotAreaChanged, this, fitMarkers);
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

    // --- the running model on the first val images, at each epoch's end
    m_predictionNote = new QLabel(idlePredictionNote());
    m_predictionNote->setWordWrap(true);
    m_predictionGrid = new PictureGrid;
    auto *predScroll = new QScrollArea;
    predScroll->setWidget(m_predictionGrid);
    predScroll->setWidgetResizable(true);
    auto *predTab = new QWidget;
    auto *predLayout = new QVBoxLayout(predTab);
    predLayout->addWidget(m_predictionNote);
    predLayout->addWidget(predScroll, 1);

    m_views = new QTabWidget;
    m_views->addTab(curves, tr("Curves"));
    m_views->addTab(predTab, tr("Val predictions"));
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
    connect(m_worker, &TrainWorker::started, this, &TrainPanel::onStarted, Qt::QueuedConnection);
    connect(m_worker, &TrainWorker::metrics, this, &TrainPanel::onMetrics, Qt::QueuedConnection);
    connect(m_worker, &TrainWorker::finished, this, &TrainPanel::onFinished, Qt::QueuedConnection);
    connect(m_worker, &TrainWorker::predictions, this, &TrainPanel::onPredictions, Qt::QueuedConnection);
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
        m_model->clear();
        for (const QString &m : modelsFor(task)) m_model->addItem(m, m);
        if (task == QLatin1String("segmentation") && m_imageSize->value() % 8) m_imageSize->setValue(64);
        // Empty charts name what a run of this task will draw; a run's curves keep their own names.
        if (!m_running && !m_runs->currentItem()) setTask(task);
    });
    // A change to the form ends what "auto (…)" says of the last run's choices.
    const auto forget = [this] {
        if (!m_running) showChosen(nullptr);
    };
    for (QSpinBox *b : {m_epochs, m_batch, m_imageSize}) connect(b, &QSpinBox::valueChanged, this, forget);
    connect(m_lr, &QDoubleSpinBox::valueChanged, this, forget);
    for (QComboBox *b : {m_task, m_model, m_optimizer, m_schedule}) connect(b, &QComboBox::currentIndexChanged, this, forget);
    connect(m_weights, &QLineEdit::textChanged, this, forget);
    connect(m_augment, &QLineEdit::textEdited, this, forget);
    connect(m_freeze, &QCheckBox::toggled, this, forget);
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
        if (!m_running) showChosen(nullptr);
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
    c.model = m_model->currentData().toString().toStdString();
    c.epochs = m_epochs->value();
    c.batch = m_batch->value();
    c.lr = m_lr->value();
    c.optimizer = m_optimizer->currentData().toString().toStdString();
    c.schedule = m_schedule->currentData().toString().toStdString();
    c.imageSize = m_imageSize->value();
    // "auto" (shown as "auto (hflip,shift:8)" once a run chose) leaves the list to the recipe.
    const QString augment = m_augment->text().trimmed();
    c.augment = augment.isEmpty() ? std::string("none") : augment.startsWith(QLatin1String("auto")) ? std::string("auto") : augment.toStdString();
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
    for (auto *s : {m_loss, m_lossSmooth, m_valMetric, m_valMetric2, m_valLoss, m_lrSeries}) s->clear();
    m_smoothed = -1;
    for (const auto &[name, s] : m_terms) {
        m_lossChart->removeSeries(s);
        delete s;
    }
    m_terms.clear();
    m_termSmoothed.clear();
    m_lossChart->setTitle(tr("Training loss"));
    m_predictionGrid->setPictures({});
    m_predictionNote->setText(idlePredictionNote());
}

QLineSeries *TrainPanel::termSeries(const std::string &name)
{
    QLineSeries *&s = m_terms[name];
    if (!s) {
        m_lossChart->setTitle(tr("Training loss and its terms (smoothed)"));
        s = series(m_lossChart, QString::fromStdString(name), m_stepAxis, m_lossAxis);
        // Colours of their own: the theme's five repeat from the sixth series on, and the
        // total, its smoothed curve and the compared run take three of them.
        static const QRgb colours[] = {0x8e44ad, 0xc0392b, 0x16a085, 0x7f5539, 0xd63384, 0x6c757d};
        QPen pen(QColor::fromRgb(colours[(m_terms.size() - 1) % std::size(colours)]));
        pen.setWidthF(1.5);
        s->setPen(pen);
    }
    return s;
}

void TrainPanel::setTask(const QString &task)
{
    std::tie(m_metricKey, m_metricKey2) = metricKeys(task);
    m_valMetric->setName(metricLabel(task));
    m_valMetric2->setVisible(!m_metricKey2.empty());
    // The detectors' evaluators score boxes and masks; they have no val loss to draw.
    m_valLoss->setVisible(!isDetector(task));
    m_valLossAxis->setVisible(!isDetector(task));
}

void TrainPanel::showChosen(const training::TrainConfig *resolved)
{
    auto text = [resolved](const QString &chosen) { return resolved ? tr("auto (%1)").arg(chosen) : tr("auto"); };
    const training::TrainConfig none;
    const training::TrainConfig &r = resolved ? *resolved : none;
    m_epochs->setSpecialValueText(text(QString::number(r.epochs)));
    m_batch->setSpecialValueText(text(QString::number(r.batch)));
    m_imageSize->setSpecialValueText(text(QString::number(r.imageSize)));
    m_lr->setSpecialValueText(text(QString::number(r.lr, 'g', 3)));
    m_optimizer->setItemText(0, text(QString::fromStdString(r.optimizer)));
    m_schedule->setItemText(0, text(QString::fromStdString(r.schedule)));
    m_model->setItemText(0, text(QString::fromStdString(r.model)));
    if (m_augment->text().trimmed().startsWith(QLatin1String("auto"))) m_augment->setText(text(QString::fromStdString(r.augment)));
}

void TrainPanel::onPredictions(int epoch, const QList<QImage> &images, const QStringList &captions)
{
    if (m_runProject != m_project) return; // a run of the project closed meanwhile
    m_predictionGrid->setPictures(images, captions, 240);
    const QString fold = m_fold > 0 ? tr(" of fold %1").arg(m_fold) : QString();
    m_predictionNote->setText(tr("The model after epoch %1%2 on the first %n validation image(s); regions in the classes' colours, detections scoring 0.5 or more.", nullptr,
                                 static_cast<int>(images.size()))
                                  .arg(epoch)
                                  .arg(fold));
}

void TrainPanel::onStarted(const training::TrainConfig &resolved)
{
    if (m_runProject != m_project) return;
    showChosen(&resolved);
    // With epochs and learning rate left to the data they are known only now.
    setIntegerRange(m_epochAxis, std::max<double>(resolved.epochs, maxX(m_cmpMetric, 0)));
    m_lrAxis->setRange(0, std::max(m_lrAxis->max(), resolved.lr * 1.1));
}

void TrainPanel::start()
{
    if (m_running || m_project.isEmpty()) return;
    clearLive();
    m_log->clear();
    m_progress->setValue(0);
    m_pause->setChecked(false);
    const training::TrainConfig c = config();
    showChosen(nullptr);
    setTask(QString::fromStdString(c.task));
    setIntegerRange(m_stepAxis, std::max(10.0, maxX(m_cmpLoss, 0)));
    setIntegerRange(m_lrStepAxis, 10);
    setIntegerRange(m_epochAxis, std::max(c.epochs, static_cast<int>(maxX(m_cmpMetric, 0))));
    m_lossAxis->setRange(0, std::max(1.0, maxY(m_cmpLoss, 0)));
    m_valLossAxis->setRange(0, 1);
    m_lrAxis->setRange(0, std::max(1e-6, c.lr * 1.1));
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
        auto val = [&m](const std::string &key, double otherwise) {
            const auto it = m.val.find(key);
            return it != m.val.end() ? it->second : otherwise;
        };
        const double metric = val(m_metricKey, m.valMiou >= 0 ? m.valMiou : m.valAccuracy);
        if (metric >= 0) m_valMetric->append(m.epoch, metric); // COCO's -1: no objects to score
        if (const double box = m_metricKey2.empty() ? -1 : val(m_metricKey2, -1); box >= 0) m_valMetric2->append(m.epoch, box);
        if (m.epoch > m_epochAxis->max()) setIntegerRange(m_epochAxis, m.epoch);
        if (m.valLoss >= 0) {
            m_valLoss->append(m.epoch, m.valLoss);
            m_valLossAxis->setRange(0, std::max(m_valLossAxis->max(), m.valLoss * 1.1));
        }
    } else {
        m_loss->append(static_cast<double>(m.step), m.loss);
        m_smoothed = ema(m_smoothed, m.loss);
        m_lossSmooth->append(static_cast<double>(m.step), m_smoothed);
        if (m.losses.size() > 1) // a detector's terms beside their sum; a loss of one term is the total already
            for (const auto &[name, v] : m.losses) {
                double &s = m_termSmoothed.try_emplace(name, -1.0).first->second;
                termSeries(name)->append(static_cast<double>(m.step), s = ema(s, v));
            }
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
    m_progressText = fold + tr("epoch %1 · step %2 · %3 images/s").arg(m.epoch).arg(m.step).arg(m.imagesPerS, 0, 'f', m.imagesPerS < 10 ? 1 : 0); // a detector on a CPU: 0.3 images/s
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
        setTask(c.task);
        m_loss->replace(QList<QPointF>(c.loss.begin(), c.loss.end()));
        m_lossSmooth->replace(smooth(c.loss));
        for (const auto &[name, points] : c.terms) termSeries(name)->replace(smooth(points));
        m_lrSeries->replace(QList<QPointF>(c.lr.begin(), c.lr.end()));
        m_valMetric->replace(QList<QPointF>(c.valMetric.begin(), c.valMetric.end()));
        m_valMetric2->replace(QList<QPointF>(c.valMetric2.begin(), c.valMetric2.end()));
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
            if (r->contains("bbox")) { // detection, instance segmentation: COCO's summary, no confusion matrix
                m_confusion->setMatrix({}, {});
                QStringList parts;
                for (const auto &[type, name] : {std::pair{"segm", tr("mask")}, std::pair{"bbox", tr("box")}}) {
                    const auto it = r->find(type);
                    if (it != r->end() && it->is_object())
                        parts << tr("%1 AP %2 · AP50 %3").arg(name).arg(it->value("AP", -1.0), 0, 'f', 3).arg(it->value("AP50", -1.0), 0, 'f', 3);
                }
                m_evalSummary->setText(tr("%1 on %2 images").arg(parts.join(QStringLiteral(" · "))).arg(r->value("images", 0)));
                Q_EMIT evaluated(true);
                return;
            }
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
