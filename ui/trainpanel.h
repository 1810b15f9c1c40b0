#pragma once
// The Train workspace: a run form, Start / Pause / Stop, live charts of the
// training loss per step (raw and smoothed) and the validation accuracy per
// epoch, a progress bar with ETA and images/s, and a log pane. Training runs in
// a TrainWorker on its own thread; this widget only reacts to its signals.
#include "ui/trainworker.h"

#include <QElapsedTimer>
#include <QThread>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QLineSeries;
class QValueAxis;
class QChart;

namespace ui {

class TrainPanel : public QWidget {
    Q_OBJECT
public:
    explicit TrainPanel(QWidget *parent = nullptr);
    ~TrainPanel() override;

    void setProject(const QString &projectPath);
    training::TrainConfig config() const;
    bool isRunning() const { return m_running; }
    int lossPointCount() const;
    QPushButton *startButton() const { return m_start; }
    QPushButton *pauseButton() const { return m_pause; }
    QPushButton *stopButton() const { return m_stop; }

Q_SIGNALS:
    void startRequested(const training::TrainConfig &config);
    void runFinished(bool ok, const QString &message);

private:
    void start();
    void onMetrics(const training::MetricsSample &m);
    void onFinished(bool ok, const QString &message);
    void setRunning(bool running);

    QString m_project;
    QThread m_thread;
    TrainWorker *m_worker = nullptr;
    bool m_running = false;
    QElapsedTimer m_clock;
    double m_smoothed = -1;

    QComboBox *m_model, *m_optimizer, *m_schedule;
    QSpinBox *m_epochs, *m_batch, *m_imageSize, *m_seed;
    QDoubleSpinBox *m_lr;
    QLineEdit *m_augment, *m_outDir;
    QPushButton *m_start, *m_pause, *m_stop;
    QProgressBar *m_progress;
    QLabel *m_rate;
    QPlainTextEdit *m_log;
    QLineSeries *m_loss, *m_lossSmooth, *m_valAcc;
    QValueAxis *m_stepAxis, *m_lossAxis, *m_epochAxis, *m_accAxis;
};

} // namespace ui
