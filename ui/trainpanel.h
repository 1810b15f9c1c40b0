#pragma once
// The Train workspace. Left: the run form, Start / Pause / Stop, progress with ETA
// and images/s, the log, and the project's run history. Right, in tabs: live
// charts (training loss per step raw and smoothed, validation metric and loss per
// epoch, learning rate) with a second run's curves overlaid for comparison; the
// confusion matrix of a run as a heat map whose cells list the misclassified
// images; the first-layer filters and feature maps of the lectures.
// Training runs in a TrainWorker on its own thread; evaluation, history and
// pictures are computed with QtConcurrent; this widget only reacts.
#include "ui/trainworker.h"

#include <QElapsedTimer>
#include <QThread>
#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QLineSeries;
class QValueAxis;

namespace ui {

class ConfusionView;
class PictureGrid;

// One run's curves as metrics.jsonl holds them.
struct RunCurves {
    std::vector<QPointF> loss, lr;             // per logged step
    std::vector<QPointF> valMetric, valLoss;   // per epoch
    QString metricName;                        // "val accuracy" or "val mIoU"
};
RunCurves loadRunCurves(const QString &runDir);

class TrainPanel : public QWidget {
    Q_OBJECT
public:
    explicit TrainPanel(QWidget *parent = nullptr);
    ~TrainPanel() override;

    void setProject(const QString &projectPath);
    // The image the Annotate workspace shows: the default for feature maps.
    void setCurrentImage(const QString &absPath) { m_currentImage = absPath; }
    training::TrainConfig config() const;
    bool isRunning() const { return m_running; }
    int lossPointCount() const;
    QPushButton *startButton() const { return m_start; }
    QSpinBox *kfoldBox() const { return m_kfold; } // 0: one run; K >= 2: K-fold cross-validation
    QPushButton *pauseButton() const { return m_pause; }
    QPushButton *stopButton() const { return m_stop; }
    QListWidget *runList() const { return m_runs; }
    QComboBox *compareBox() const { return m_compare; }
    int compareLossPointCount() const;
    QPushButton *evaluateButton() const { return m_evaluate; }
    ConfusionView *confusionView() const { return m_confusion; }
    QListWidget *misclassifiedList() const { return m_wrong; }
    QPushButton *filtersButton() const { return m_showFilters; }
    PictureGrid *filterGrid() const { return m_filterGrid; }
    PictureGrid *featureGrid() const { return m_featureGrid; }
    QTabWidget *views() const { return m_views; }
    QLabel *progressText() const { return m_rate; }   // epoch, step, images/s and, while running, the ETA
    QPlainTextEdit *log() const { return m_log; }
    QValueAxis *epochAxis() const { return m_epochAxis; }

Q_SIGNALS:
    void startRequested(const training::TrainConfig &config);
    void kfoldRequested(const training::TrainConfig &config, int folds);
    void runFinished(bool ok, const QString &message);
    void historyLoaded(int runs);
    void evaluated(bool ok);
    void picturesShown(bool ok);
    void openImageRequested(const QString &absPath);

private:
    void start();
    void onMetrics(const training::MetricsSample &m);
    void onFinished(bool ok, const QString &message);
    void setRunning(bool running);
    void refreshHistory();
    void showRun(const QString &dir);
    void showCompare(const QString &dir);
    void evaluateSelected();
    void showFilters();
    void previewAugmentation();
    void listMisclassified(int truth, int predicted);
    QString selectedRunDir() const;
    void clearLive();
    void showProgressText();

    QString m_project, m_currentImage;
    QThread m_thread;
    TrainWorker *m_worker = nullptr;
    bool m_running = false;
    QElapsedTimer m_clock;
    qint64 m_pausedMs = 0, m_pausedSince = -1; // time held by Pause, not counted in the ETA
    QString m_progressText;                    // epoch, step, images/s of the last sample
    double m_eta = -1;                         // seconds, -1 unknown
    QString m_runProject;                      // the project of the run going (or last gone)
    double m_smoothed = -1;
    int m_fold = 0; // the fold whose curves the live charts show (k-fold), 0 otherwise
    nlohmann::json m_evaluation;

    QComboBox *m_task, *m_model, *m_optimizer, *m_schedule, *m_device;
    QSpinBox *m_epochs, *m_batch, *m_imageSize, *m_seed, *m_threads, *m_kfold;
    QDoubleSpinBox *m_lr;
    QLineEdit *m_augment, *m_outDir, *m_weights;
    QCheckBox *m_freeze;
    QPushButton *m_start, *m_pause, *m_stop, *m_preview;
    QProgressBar *m_progress;
    QLabel *m_rate;
    QPlainTextEdit *m_log;
    QListWidget *m_runs;
    QComboBox *m_compare;

    QTabWidget *m_views;
    QLineSeries *m_loss, *m_lossSmooth, *m_cmpLoss, *m_valMetric, *m_valLoss, *m_cmpMetric, *m_lrSeries;
    QValueAxis *m_stepAxis, *m_lossAxis, *m_epochAxis, *m_accAxis, *m_valLossAxis, *m_lrStepAxis, *m_lrAxis;

    QPushButton *m_evaluate;
    QLabel *m_evalSummary;
    ConfusionView *m_confusion;
    QListWidget *m_wrong;

    QPushButton *m_showFilters;
    QLabel *m_filterNote;
    PictureGrid *m_filterGrid, *m_featureGrid;
};

} // namespace ui
