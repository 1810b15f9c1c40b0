#include "ui/trainpanel.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>

namespace ui {

namespace {
QChartView *chartView(QChart *chart)
{
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    auto *v = new QChartView(chart);
    v->setRenderHint(QPainter::Antialiasing);
    v->setMinimumHeight(220);
    return v;
}
} // namespace

TrainPanel::TrainPanel(QWidget *parent) : QWidget(parent)
{
    qRegisterMetaType<training::MetricsSample>();
    qRegisterMetaType<training::TrainConfig>();

    m_model = new QComboBox;
    m_model->addItems({QStringLiteral("smallcnn"), QStringLiteral("mlp"), QStringLiteral("resnet18"), QStringLiteral("resnet34"), QStringLiteral("resnet50")});
    m_optimizer = new QComboBox;
    m_optimizer->addItems({QStringLiteral("sgd"), QStringLiteral("adam"), QStringLiteral("adamw")});
    m_schedule = new QComboBox;
    m_schedule->addItems({QStringLiteral("none"), QStringLiteral("step"), QStringLiteral("cosine")});
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
    m_lr = new QDoubleSpinBox;
    m_lr->setDecimals(5);
    m_lr->setRange(1e-6, 10);
    m_lr->setSingleStep(0.001);
    m_lr->setValue(0.01);
    m_augment = new QLineEdit(QStringLiteral("hflip,crop:2"));
    m_augment->setToolTip(tr("none, or a comma list of hflip, vflip, crop[:PAD], shift[:PX], brightness, contrast, noise, erase"));
    m_outDir = new QLineEdit;
    m_outDir->setPlaceholderText(tr("runs/<time> beside the project"));

    auto *form = new QFormLayout;
    form->addRow(tr("Model"), m_model);
    form->addRow(tr("Epochs"), m_epochs);
    form->addRow(tr("Batch"), m_batch);
    form->addRow(tr("Learning rate"), m_lr);
    form->addRow(tr("Optimizer"), m_optimizer);
    form->addRow(tr("Schedule"), m_schedule);
    form->addRow(tr("Image size"), m_imageSize);
    form->addRow(tr("Augment"), m_augment);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Run folder"), m_outDir);

    m_start = new QPushButton(tr("Start"));
    m_start->setToolTip(tr("Train on the train split, validate on val after every epoch"));
    m_pause = new QPushButton(tr("Pause"));
    m_pause->setCheckable(true);
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

    auto *left = new QVBoxLayout;
    left->addLayout(form);
    left->addLayout(buttons);
    left->addWidget(m_progress);
    left->addWidget(m_rate);
    left->addWidget(m_log, 1);

    auto *lossChart = new QChart;
    lossChart->setTitle(tr("Training loss"));
    m_loss = new QLineSeries;
    m_loss->setName(tr("per step"));
    m_lossSmooth = new QLineSeries;
    m_lossSmooth->setName(tr("smoothed"));
    lossChart->addSeries(m_loss);
    lossChart->addSeries(m_lossSmooth);
    m_stepAxis = new QValueAxis;
    m_stepAxis->setTitleText(tr("step"));
    m_stepAxis->setLabelFormat(QStringLiteral("%d"));
    m_lossAxis = new QValueAxis;
    lossChart->addAxis(m_stepAxis, Qt::AlignBottom);
    lossChart->addAxis(m_lossAxis, Qt::AlignLeft);
    for (auto *s : {m_loss, m_lossSmooth}) {
        s->attachAxis(m_stepAxis);
        s->attachAxis(m_lossAxis);
    }
    auto *accChart = new QChart;
    accChart->setTitle(tr("Validation accuracy"));
    m_valAcc = new QLineSeries;
    m_valAcc->setName(tr("val accuracy"));
    m_valAcc->setPointsVisible(true);
    accChart->addSeries(m_valAcc);
    m_epochAxis = new QValueAxis;
    m_epochAxis->setTitleText(tr("epoch"));
    m_epochAxis->setLabelFormat(QStringLiteral("%d"));
    m_accAxis = new QValueAxis;
    m_accAxis->setRange(0, 1);
    accChart->addAxis(m_epochAxis, Qt::AlignBottom);
    accChart->addAxis(m_accAxis, Qt::AlignLeft);
    m_valAcc->attachAxis(m_epochAxis);
    m_valAcc->attachAxis(m_accAxis);
    auto *charts = new QVBoxLayout;
    charts->addWidget(chartView(lossChart), 3);
    charts->addWidget(chartView(accChart), 2);

    auto *layout = new QHBoxLayout(this);
    auto *leftBox = new QWidget;
    leftBox->setLayout(left);
    leftBox->setMaximumWidth(360);
    layout->addWidget(leftBox);
    layout->addLayout(charts, 1);

    m_worker = new TrainWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(this, &TrainPanel::startRequested, m_worker, &TrainWorker::run, Qt::QueuedConnection);
    connect(m_worker, &TrainWorker::logLine, m_log, &QPlainTextEdit::appendPlainText, Qt::QueuedConnection);
    connect(m_worker, &TrainWorker::metrics, this, &TrainPanel::onMetrics, Qt::QueuedConnection);
    connect(m_worker, &TrainWorker::finished, this, &TrainPanel::onFinished, Qt::QueuedConnection);
    m_thread.start();

    connect(m_start, &QPushButton::clicked, this, &TrainPanel::start);
    connect(m_stop, &QPushButton::clicked, this, [this] { m_worker->requestStop(); });
    connect(m_pause, &QPushButton::toggled, this, [this](bool on) {
        m_worker->setPaused(on);
        m_pause->setText(on ? tr("Resume") : tr("Pause"));
    });
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
    m_project = projectPath;
    m_start->setEnabled(!m_running && !m_project.isEmpty());
}

training::TrainConfig TrainPanel::config() const
{
    training::TrainConfig c;
    c.project = m_project.toStdString();
    c.model = m_model->currentText().toStdString();
    c.epochs = m_epochs->value();
    c.batch = m_batch->value();
    c.lr = m_lr->value();
    c.optimizer = m_optimizer->currentText().toStdString();
    c.schedule = m_schedule->currentText().toStdString();
    c.imageSize = m_imageSize->value();
    c.augment = m_augment->text().trimmed().isEmpty() ? std::string("none") : m_augment->text().trimmed().toStdString();
    c.seed = static_cast<std::uint64_t>(m_seed->value());
    c.logEvery = 1;
    QString out = m_outDir->text().trimmed();
    if (out.isEmpty())
        out = QFileInfo(m_project).absolutePath() + QStringLiteral("/runs/") + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    c.outDir = out.toStdString();
    return c;
}

int TrainPanel::lossPointCount() const { return m_loss->count(); }

void TrainPanel::start()
{
    if (m_running || m_project.isEmpty()) return;
    m_loss->clear();
    m_lossSmooth->clear();
    m_valAcc->clear();
    m_smoothed = -1;
    m_log->clear();
    m_progress->setValue(0);
    m_pause->setChecked(false);
    const training::TrainConfig c = config();
    m_stepAxis->setRange(0, 10);
    m_epochAxis->setRange(0, c.epochs);
    m_lossAxis->setRange(0, 1);
    m_clock.start();
    setRunning(true);
    Q_EMIT startRequested(c);
}

void TrainPanel::onMetrics(const training::MetricsSample &m)
{
    if (m.epochEnd) {
        if (m.valAccuracy >= 0) m_valAcc->append(m.epoch, m.valAccuracy);
    } else {
        m_loss->append(static_cast<double>(m.step), m.loss);
        m_smoothed = m_smoothed < 0 ? m.loss : 0.9 * m_smoothed + 0.1 * m.loss;
        m_lossSmooth->append(static_cast<double>(m.step), m_smoothed);
        m_stepAxis->setRange(0, std::max<double>(10, static_cast<double>(m.step)));
        m_lossAxis->setRange(0, std::max(m_lossAxis->max(), m.loss * 1.1));
    }
    m_progress->setValue(static_cast<int>(m.progress * 1000));
    const double elapsed = m_clock.elapsed() / 1000.0;
    const double eta = m.progress > 0 ? elapsed * (1 - m.progress) / m.progress : 0;
    m_rate->setText(tr("epoch %1 · step %2 · %3 images/s · ETA %4 s").arg(m.epoch).arg(m.step).arg(m.imagesPerS, 0, 'f', 0).arg(eta, 0, 'f', 0));
}

void TrainPanel::onFinished(bool ok, const QString &message)
{
    m_log->appendPlainText(ok ? message : tr("error: %1").arg(message));
    setRunning(false);
    Q_EMIT runFinished(ok, message);
}

void TrainPanel::setRunning(bool running)
{
    m_running = running;
    m_start->setEnabled(!running && !m_project.isEmpty());
    m_pause->setEnabled(running);
    m_stop->setEnabled(running);
}

} // namespace ui
