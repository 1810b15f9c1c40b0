#include "ui/datasetdialogs.h"

#include "core/dataset_ops.h"
#include "core/project_store.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTableWidget>
#include <QValueAxis>
#include <QVBoxLayout>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <map>

namespace ui {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

QDialogButtonBox *closeButtons(QDialog *d)
{
    auto *b = new QDialogButtonBox(QDialogButtonBox::Close);
    QObject::connect(b, &QDialogButtonBox::rejected, d, &QDialog::reject);
    return b;
}

} // namespace

// ---------------------------------------------------------------- split

SplitDialog::SplitDialog(const QString &projectPath, QWidget *parent) : QDialog(parent), m_project(projectPath)
{
    setWindowTitle(tr("Split the Dataset"));
    auto ratio = [](double v) {
        auto *s = new QDoubleSpinBox;
        s->setRange(0, 1);
        s->setDecimals(2);
        s->setSingleStep(0.05);
        s->setValue(v);
        return s;
    };
    m_train = ratio(0.8);
    m_val = ratio(0.1);
    m_test = ratio(0.1);
    m_seed = new QSpinBox;
    m_seed->setRange(0, 1000000000);
    m_stratify = new QCheckBox(tr("Keep each class's share in every split"));
    m_stratify->setToolTip(tr("An image's class is its image class, else the most frequent class of its regions"));
    m_k = new QSpinBox;
    m_k->setRange(0, 100);
    m_k->setSpecialValueText(tr("off"));
    m_k->setToolTip(tr("k-fold: fold I of K becomes val, the others train; test keeps its ratio"));
    m_fold = new QSpinBox;
    m_fold->setRange(0, 99);
    auto *form = new QFormLayout;
    form->addRow(tr("Train"), m_train);
    form->addRow(tr("Val"), m_val);
    form->addRow(tr("Test"), m_test);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(QString(), m_stratify);
    form->addRow(tr("k-fold K"), m_k);
    form->addRow(tr("Fold I"), m_fold);
    m_result = new QLabel;
    m_result->setWordWrap(true);
    auto *buttons = closeButtons(this);
    m_apply = buttons->addButton(tr("Split"), QDialogButtonBox::ApplyRole);
    m_apply->setToolTip(tr("Assign every image a split; one transaction, undone by splitting again"));
    connect(m_apply, &QPushButton::clicked, this, &SplitDialog::apply);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_result);
    layout->addWidget(buttons);
}

void SplitDialog::setRatios(double train, double val, double test)
{
    m_train->setValue(train);
    m_val->setValue(val);
    m_test->setValue(test);
}
void SplitDialog::setSeed(std::uint64_t seed) { m_seed->setValue(static_cast<int>(seed)); }
void SplitDialog::setStratify(bool on) { m_stratify->setChecked(on); }
void SplitDialog::setKFold(int k, int fold)
{
    m_k->setValue(k);
    m_fold->setValue(fold);
}
QString SplitDialog::resultText() const { return m_result->text(); }

void SplitDialog::apply()
{
    core::SplitOptions so;
    const std::string ratios = QStringLiteral("%1,%2,%3").arg(m_train->value()).arg(m_val->value()).arg(m_test->value()).toStdString();
    if (auto s = core::parseRatios(ratios, &so); !s) {
        m_result->setText(qs(s.error().message));
        Q_EMIT applied(false, m_result->text());
        return;
    }
    so.seed = static_cast<std::uint64_t>(m_seed->value());
    so.stratify = m_stratify->isChecked();
    so.kfold = m_k->value() >= 2 ? m_k->value() : 0;
    so.fold = m_fold->value();
    if (m_k->value() == 1 || (so.kfold && so.fold >= so.kfold)) {
        m_result->setText(tr("k-fold needs K ≥ 2 and a fold below K."));
        Q_EMIT applied(false, m_result->text());
        return;
    }
    m_apply->setEnabled(false);
    m_result->setText(tr("Splitting…"));
    const std::string project = m_project.toStdString();
    QtConcurrent::run([project, so]() -> std::pair<bool, QString> {
        auto store = core::ProjectStore::open(project);
        if (!store) return {false, qs(store.error().toString())};
        if (auto s = core::splitProject(*store, so); !s) return {false, qs(s.error().toString())};
        const auto ds = store->exportDataset();
        if (!ds) return {false, qs(ds.error().toString())};
        const auto st = core::datasetStats(*ds);
        return {true, QObject::tr("train %1 · val %2 · test %3 · unassigned %4")
                          .arg(st["splits"]["train"].get<int>())
                          .arg(st["splits"]["val"].get<int>())
                          .arg(st["splits"]["test"].get<int>())
                          .arg(st["splits"]["unassigned"].get<int>())};
    }).then(this, [this](const std::pair<bool, QString> &r) {
        m_apply->setEnabled(true);
        m_result->setText(r.second);
        Q_EMIT applied(r.first, r.second);
    });
}

// ---------------------------------------------------------------- statistics

namespace {
struct Counts {
    std::vector<std::string> classes;                              // in the project's order, plus "(no class)" when used
    std::map<std::string, std::map<std::string, int>> perClassSplit; // class -> split -> instances
    std::map<std::string, int> imagesPerSplit, shapes;
    int images = 0, regions = 0, annotated = 0;
    QString error;
};

QChartView *barChart(const QString &title, const QStringList &categories, const std::vector<std::pair<QString, std::vector<int>>> &sets)
{
    auto *series = new QBarSeries;
    int top = 1;
    for (const auto &[name, values] : sets) {
        auto *set = new QBarSet(name);
        for (int v : values) {
            *set << v;
            top = std::max(top, v);
        }
        series->append(set);
    }
    auto *chart = new QChart;
    chart->setTitle(title);
    chart->addSeries(series);
    auto *x = new QBarCategoryAxis;
    x->append(categories);
    auto *y = new QValueAxis;
    y->setRange(0, top * 1.1);
    y->setLabelFormat(QStringLiteral("%d"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    chart->legend()->setVisible(sets.size() > 1);
    chart->legend()->setAlignment(Qt::AlignBottom);
    auto *view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(240);
    return view;
}
} // namespace

StatsDialog::StatsDialog(const QString &projectPath, QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Dataset Statistics"));
    m_summary = new QLabel(tr("Counting…"));
    auto *content = new QWidget;
    m_layout = new QVBoxLayout(content);
    m_layout->addWidget(m_summary);
    auto *scroll = new QScrollArea;
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(scroll);
    layout->addWidget(closeButtons(this));
    resize(720, 760);
    // Started from the event loop: a continuation attached to an already
    // finished future runs at once, and inside the constructor nobody has
    // connected to loaded() yet.
    const std::string project = projectPath.toStdString();
    QTimer::singleShot(0, this, [this, project] { load(project); });
}

void StatsDialog::load(const std::string &project)
{
    QtConcurrent::run([project] {
        Counts c;
        auto store = core::ProjectStore::open(project);
        if (!store) {
            c.error = qs(store.error().toString());
            return c;
        }
        const auto read = store->exportDataset();
        if (!read) {
            c.error = qs(read.error().toString());
            return c;
        }
        const core::Dataset &ds = *read;
        for (const auto &cls : ds.classes) c.classes.push_back(cls.name);
        bool unclassed = false;
        for (const auto &im : ds.images) {
            const std::string split = core::splitName(im.split);
            ++c.imagesPerSplit[split];
            ++c.images;
            c.annotated += !im.regions.empty();
            for (const auto &r : im.regions) {
                ++c.regions;
                ++c.shapes[core::shapeTypeName(r.shape.type())];
                const std::string cls = r.className.empty() ? "(no class)" : r.className;
                unclassed |= r.className.empty();
                ++c.perClassSplit[cls][split];
            }
        }
        if (unclassed) c.classes.push_back("(no class)");
        return c;
    }).then(this, [this](const Counts &c) {
        if (!c.error.isEmpty()) {
            m_summary->setText(c.error);
            Q_EMIT loaded();
            return;
        }
        m_summary->setText(tr("%1 images (%2 annotated), %3 regions, %4 classes").arg(c.images).arg(c.annotated).arg(c.regions).arg(c.classes.size()));
        const std::vector<std::string> splits{"train", "val", "test", "unassigned"};
        QStringList classNames, splitNames, shapeNames;
        for (const auto &n : c.classes) classNames << qs(n);
        for (const auto &s : splits) splitNames << qs(s);
        std::vector<std::pair<QString, std::vector<int>>> perSplit;
        for (const auto &s : splits) {
            std::vector<int> v;
            for (const auto &cls : c.classes) {
                auto it = c.perClassSplit.find(cls);
                v.push_back(it == c.perClassSplit.end() || !it->second.count(s) ? 0 : it->second.at(s));
            }
            perSplit.emplace_back(qs(s), v);
        }
        m_layout->addWidget(barChart(tr("Instances per class and split"), classNames, perSplit));
        std::vector<int> images;
        for (const auto &s : splits) images.push_back(c.imagesPerSplit.count(s) ? c.imagesPerSplit.at(s) : 0);
        m_layout->addWidget(barChart(tr("Images per split"), splitNames, {{tr("images"), images}}));
        std::vector<int> shapes;
        for (const auto &[name, n] : c.shapes) {
            shapeNames << qs(name);
            shapes.push_back(n);
        }
        m_layout->addWidget(barChart(tr("Shape types"), shapeNames, {{tr("regions"), shapes}}));
        m_charts = 3;
        Q_EMIT loaded();
    });
}

QString StatsDialog::summaryText() const
{
    return m_summary->text();
}

// ---------------------------------------------------------------- validation

ValidationDialog::ValidationDialog(const QString &projectPath, QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Validation Report"));
    m_summary = new QLabel(tr("Checking images and shapes…"));
    m_table = new QTableWidget(0, 5);
    m_table->setHorizontalHeaderLabels({tr("Severity"), tr("Kind"), tr("Image"), tr("Region"), tr("Problem")});
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSortingEnabled(true);
    m_table->setToolTip(tr("Double-click a problem to show its image and region"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(m_table, 1);
    layout->addWidget(closeButtons(this));
    resize(860, 520);
    connect(m_table, &QTableWidget::cellDoubleClicked, this, [this](int row) {
        Q_EMIT jumpTo(m_table->item(row, 2)->text(), m_table->item(row, 3)->data(Qt::UserRole).toInt());
    });
    const std::string project = projectPath.toStdString();
    QTimer::singleShot(0, this, [this, project] { load(project); }); // see StatsDialog
}

void ValidationDialog::load(const std::string &project)
{
    QtConcurrent::run([project]() -> std::pair<QString, std::vector<core::Problem>> {
        auto store = core::ProjectStore::open(project);
        if (!store) return {qs(store.error().toString()), {}};
        std::vector<std::string> roots;
        const auto ds = store->exportDataset(std::nullopt, &roots);
        if (!ds) return {qs(ds.error().toString()), {}};
        return {QString(), core::validateDataset(*ds, roots)};
    }).then(this, [this](const std::pair<QString, std::vector<core::Problem>> &r) {
        if (!r.first.isEmpty()) {
            m_summary->setText(r.first);
            Q_EMIT finished(-1);
            return;
        }
        m_table->setSortingEnabled(false);
        m_table->setRowCount(static_cast<int>(r.second.size()));
        int errors = 0;
        for (int i = 0; i < static_cast<int>(r.second.size()); ++i) {
            const core::Problem &p = r.second[static_cast<std::size_t>(i)];
            errors += p.severity == "error";
            auto *sev = new QTableWidgetItem(qs(p.severity));
            sev->setForeground(p.severity == "error" ? QColor(200, 30, 30) : QColor(180, 120, 0));
            m_table->setItem(i, 0, sev);
            m_table->setItem(i, 1, new QTableWidgetItem(qs(p.kind)));
            m_table->setItem(i, 2, new QTableWidgetItem(qs(p.image)));
            auto *region = new QTableWidgetItem(p.region >= 0 ? QString::number(p.region) : QString());
            region->setData(Qt::UserRole, p.region);
            m_table->setItem(i, 3, region);
            m_table->setItem(i, 4, new QTableWidgetItem(qs(p.message)));
        }
        m_table->setSortingEnabled(true);
        m_table->resizeColumnsToContents();
        m_summary->setText(r.second.empty() ? tr("No problems found.")
                                            : tr("%1 problems: %2 errors, %3 warnings. Double-click one to go there.")
                                                  .arg(r.second.size())
                                                  .arg(errors)
                                                  .arg(static_cast<int>(r.second.size()) - errors));
        Q_EMIT finished(static_cast<int>(r.second.size()));
    });
}

} // namespace ui
