#pragma once
// The Train workspace. Left: the run form, Start / Pause / Stop, progress with ETA
// and images/s, the log, and the project's run history. Right, in tabs: live
// charts (training loss per step raw and smoothed, validation metric and loss per
// epoch, learning rate) with a second run's curves overlaid for comparison; the
// confusion matrix of a run as a heat map whose cells list the misclassified
// images; the running model's predictions on a few validation images, redrawn at
// each epoch's end; the first-layer filters and feature maps of the lectures.
// Training runs in a TrainWorker on its own thread; evaluation, history and
// pictures are computed with QtConcurrent; this widget only reacts.
#include "ui/trainworker.h"

#include <QElapsedTimer>
#include <QThread>
#include <QWidget>

#include <map>
#include <string>
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
class QChart;
class QLineSeries;
class QValueAxis;

namespace ui {

class ConfusionView;
class PictureGrid;

// One run's curves as metrics.jsonl holds them.
struct RunCurves {
    QString task;                              // config.json's
    std::vector<QPointF> loss, lr;             // per logged step
    std::map<std::string, std::vector<QPointF>> terms; // per logged step, the loss's named terms when it has more than one (a detector's)
    std::vector<QPointF> valMetric, valMetric2, valLoss; // per epoch; valMetric2: instance segmentation's box AP beside its mask AP
    QString metricName, metricName2;           // metricLabel(task), and "val box AP" or empty
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
    // The form as a run's settings; a field left at "auto" is 0 or "auto", for the recipe to choose from the data.
    training::TrainConfig config() const;
    bool isRunning() const { return m_running; }
    // One sample of the run going, as the worker reports it (queued): the charts take it.
    void onMetrics(const training::MetricsSample &m);
    int lossPointCount() const;
    QComboBox *taskBox() const { return m_task; }
    QComboBox *modelBox() const { return m_model; }
    QComboBox *optimizerBox() const { return m_optimizer; }
    QComboBox *scheduleBox() const { return m_schedule; }
    QSpinBox *epochsBox() const { return m_epochs; }
    QSpinBox *batchBox() const { return m_batch; }
    QSpinBox *imageSizeBox() const { return m_imageSize; }
    QDoubleSpinBox *lrBox() const { return m_lr; }
    QLineEdit *augmentEdit() const { return m_augment; }
    QChart *lossChart() const { return m_lossChart; }       // total loss, smoothed, a detector's terms, the compared run
    QChart *validationChart() const { return m_valChart; }  // the val metric(s) and val loss per epoch
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
    PictureGrid *predictionGrid() const { return m_predictionGrid; } // the latest model on the first val images
    QLabel *predictionNote() const { return m_predictionNote; }
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
    void onStarted(const training::TrainConfig &resolved);
    void showChosen(const training::TrainConfig *resolved);
    void setTask(const QString &task);
    QLineSeries *termSeries(const std::string &name);
    void onFinished(bool ok, const QString &message);
    void onPredictions(int epoch, const QList<QImage> &images, const QStringList &captions);
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
    // The charts' task: which val numbers they draw (MetricsSample::val's names; metrics.jsonl adds "val_").
    std::string m_metricKey = "accuracy", m_metricKey2;
    std::map<std::string, QLineSeries *> m_terms;   // the loss's terms (smoothed), when it has more than one
    std::map<std::string, double> m_termSmoothed;
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
    QChart *m_lossChart, *m_valChart;
    QLineSeries *m_loss, *m_lossSmooth, *m_cmpLoss, *m_valMetric, *m_valMetric2, *m_valLoss, *m_cmpMetric, *m_lrSeries;
    QValueAxis *m_stepAxis, *m_lossAxis, *m_epochAxis, *m_accAxis, *m_valLossAxis, *m_lrStepAxis, *m_lrAxis;

    QPushButton *m_evaluate;
    QLabel *m_evalSummary;
    ConfusionView *m_confusion;
    QListWidget *m_wrong;

    QPushButton *m_showFilters;
    QLabel *m_filterNote;
    PictureGrid *m_filterGrid, *m_featureGrid;
    QLabel *m_predictionNote;
    PictureGrid *m_predictionGrid;
};

} // namespace ui
