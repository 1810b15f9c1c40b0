#pragma once
// File › Import Annotations… and File › Export…: pick a file and a format (the
// registry's readers or writers; import detects the format), then the work runs
// on a thread of its own with its own connection to the project, a progress bar
// and Cancel. A cancelled or failed import changes nothing (one transaction);
// an export writes its file atomically.
#include <QDialog>
#include <QFutureWatcher>

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace ui {

class TransferDialog : public QDialog {
    Q_OBJECT
public:
    enum class Mode { Import, Export };
    TransferDialog(Mode mode, const QString &projectPath, QWidget *parent = nullptr);
    ~TransferDialog() override;

    // For tests and drag and drop: fill the form as a person would.
    void setSource(const QString &path);   // import: the annotation file or folder; export: the output file
    void setFormat(const QString &name);
    void setSplit(const QString &split);   // export: "", train, val, test, unassigned
    void start();
    bool isRunning() const { return m_running; }
    QString resultText() const;
    QPushButton *startButton() const { return m_startButton; }
    QPushButton *cancelButton() const { return m_cancelButton; }

Q_SIGNALS:
    void finished(bool ok, const QString &message); // after a run; ok false for errors and cancels
    void projectChanged();                           // an import landed

private:
    struct Outcome {
        bool ok = false;
        QString message;
    };
    void browse();
    void onDone();
    void setRunning(bool running);

    Mode m_mode;
    QString m_project;
    QLineEdit *m_path, *m_images = nullptr, *m_defaultClass = nullptr;
    QComboBox *m_format, *m_split = nullptr;
    QCheckBox *m_replace = nullptr;
    QProgressBar *m_progress;
    QLabel *m_result;
    QPushButton *m_startButton, *m_cancelButton;
    QDialogButtonBox *m_buttons;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    std::shared_ptr<std::atomic<int>> m_permille;
    QFutureWatcher<Outcome> m_watcher;
    bool m_running = false;
    int m_timer = 0;

protected:
    void timerEvent(QTimerEvent *event) override;
    void reject() override;
};

} // namespace ui
