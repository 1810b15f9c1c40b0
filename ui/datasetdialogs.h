#pragma once
// The Dataset menu's dialogs. Each reads the project through a connection of its
// own on a worker thread, so the GUI never waits on the store or on image files.
//  - SplitDialog: ratios, seed, stratify, k-fold; writes the splits in one transaction.
//  - StatsDialog: instances per class and split, images per split, shape types, as charts.
//  - ValidationDialog: the problems validation finds; double-click one to jump to it.
#include <QDialog>

#include <cstdint>
#include <string>

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QVBoxLayout;

namespace ui {

class SplitDialog : public QDialog {
    Q_OBJECT
public:
    SplitDialog(const QString &projectPath, QWidget *parent = nullptr);
    void setRatios(double train, double val, double test);
    void setSeed(std::uint64_t seed);
    void setStratify(bool on);
    void setKFold(int k, int fold);
    void apply();
    QString resultText() const;

Q_SIGNALS:
    void applied(bool ok, const QString &message);

private:
    QString m_project;
    QDoubleSpinBox *m_train, *m_val, *m_test;
    QSpinBox *m_seed, *m_k, *m_fold;
    QCheckBox *m_stratify;
    QPushButton *m_apply;
    QLabel *m_result;
};

class StatsDialog : public QDialog {
    Q_OBJECT
public:
    StatsDialog(const QString &projectPath, QWidget *parent = nullptr);
    int chartCount() const { return m_charts; }
    QString summaryText() const;

Q_SIGNALS:
    // Emitted once the counts are in, or once reading them failed (the summary then says why).
    void loaded();

private:
    void load(const std::string &project);

    QVBoxLayout *m_layout;
    QLabel *m_summary;
    int m_charts = 0;
};

class ValidationDialog : public QDialog {
    Q_OBJECT
public:
    ValidationDialog(const QString &projectPath, QWidget *parent = nullptr);
    QTableWidget *table() const { return m_table; }

Q_SIGNALS:
    void finished(int problems);
    void jumpTo(const QString &imagePath, int region); // the image as the project names it; region index or -1

private:
    void load(const std::string &project);

    QTableWidget *m_table;
    QLabel *m_summary;
};

} // namespace ui
