// The dataset panel's model and filter: rows, display text and tooltips of the
// sample project; each filter's count against the ImageInfo list; a thumbnail
// decoded off the GUI thread (96 px long side) and the placeholder of a missing
// image; resets and destruction while decodes are in flight; and 100,000 rows
// filtered by name without a single thumbnail requested.
#include "core/project_store.h"
#include "tests/must.h"
#include "core/sample_project.h"
#include "ui/datasetmodel.h"

#include <QElapsedTimer>
#include <QListView>
#include <QPixmap>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <memory>

class TestDatasetModel : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::vector<core::ImageInfo> m_images;
    std::vector<core::ClassRecord> m_classes;

    template <typename Pred>
    static int countIf(const std::vector<core::ImageInfo> &images, Pred pred)
    {
        return int(std::count_if(images.begin(), images.end(), pred));
    }
    static qint64 pixmapKey(const QVariant &v) { return v.value<QPixmap>().cacheKey(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        auto p = core::createSampleProject(m_dir.path().toStdString());
        QVERIFY(p.ok());
        auto store = core::ProjectStore::open(*p);
        QVERIFY(store.ok());
        m_images = must(store->images());
        m_classes = must(store->classes());
        QCOMPARE(int(m_images.size()), 48);
        QVERIFY(!m_classes.empty());
    }

    void rowsTextAndTooltip()
    {
        ui::DatasetModel model;
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.setImages(m_images, m_classes);
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), int(m_images.size()));
        for (int row = 0; row < model.rowCount(); ++row) {
            const core::ImageInfo &info = m_images[std::size_t(row)];
            const QModelIndex i = model.index(row);
            QCOMPARE(i.data(Qt::DisplayRole).toString(),
                     QString::fromStdString(info.relPath) + QStringLiteral(" (%1)").arg(info.regionCount));
            QCOMPARE(i.data(Qt::ToolTipRole).toString(), QString::fromStdString(info.absPath));
            QCOMPARE(i.data(ui::DatasetModel::IdRole).toLongLong(), info.id);
            QCOMPARE(i.data(ui::DatasetModel::PathRole).toString(), QString::fromStdString(info.absPath));
            QCOMPARE(i.data(ui::DatasetModel::SplitRole).toInt(), int(info.split));
            QCOMPARE(i.data(ui::DatasetModel::RegionCountRole).toInt(), info.regionCount);
            QCOMPARE(model.rowOfImage(info.id), row);
            QCOMPARE(model.imageAt(row).id, info.id);
        }
        QCOMPARE(model.rowOfImage(-12345), -1);
        // Nobody asked for a decoration: nothing was decoded.
        QCOMPARE(model.pendingOrCachedThumbnails(), 0);
    }

    void setRegionCountChangesOneRow()
    {
        ui::DatasetModel model;
        model.setImages(m_images, m_classes);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        const core::Id id = m_images[5].id;
        model.setRegionCount(id, m_images[5].regionCount + 7);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).toModelIndex().row(), 5);
        QCOMPARE(changed.at(0).at(1).toModelIndex().row(), 5);
        QCOMPARE(model.index(5).data(ui::DatasetModel::RegionCountRole).toInt(), m_images[5].regionCount + 7);
        QVERIFY(model.index(5).data().toString().endsWith(QStringLiteral(" (%1)").arg(m_images[5].regionCount + 7)));
        model.setRegionCount(-1, 3); // unknown image: nothing
        QCOMPARE(changed.count(), 1);
    }

    void filters()
    {
        ui::DatasetModel model;
        model.setImages(m_images, m_classes);
        ui::DatasetFilter filter;
        filter.setSourceModel(&model);
        QCOMPARE(filter.rowCount(), int(m_images.size()));

        using SF = ui::DatasetFilter::SplitFilter;
        const std::pair<SF, core::Split> splits[] = {{SF::Train, core::Split::Train}, {SF::Val, core::Split::Val},
                                                     {SF::Test, core::Split::Test}, {SF::Unassigned, core::Split::Unassigned}};
        int splitTotal = 0;
        for (const auto &[f, s] : splits) {
            filter.setSplit(f);
            const int expected = countIf(m_images, [s = s](const core::ImageInfo &i) { return i.split == s; });
            QCOMPARE(filter.rowCount(), expected);
            splitTotal += expected;
            for (int r = 0; r < filter.rowCount(); ++r)
                QCOMPARE(filter.index(r, 0).data(ui::DatasetModel::SplitRole).toInt(), int(s));
        }
        QCOMPARE(splitTotal, int(m_images.size()));
        QVERIFY(countIf(m_images, [](const core::ImageInfo &i) { return i.split == core::Split::Train; }) > 0);
        filter.setSplit(SF::All);
        QCOMPARE(filter.rowCount(), int(m_images.size()));

        // Image-level class.
        int classTotal = 0;
        for (const core::ClassRecord &c : m_classes) {
            filter.setClassId(c.id);
            const int expected = countIf(m_images, [&](const core::ImageInfo &i) { return i.classId == c.id; });
            QCOMPARE(filter.rowCount(), expected);
            classTotal += expected;
        }
        QVERIFY(classTotal > 0);
        filter.setClassId(0);
        QCOMPARE(filter.rowCount(), int(m_images.size()));

        // Annotated / unannotated (make a few images unannotated so both sides are non-trivial).
        model.setRegionCount(m_images[0].id, 0);
        model.setRegionCount(m_images[1].id, 0);
        std::vector<core::ImageInfo> now = model.images();
        using AF = ui::DatasetFilter::AnnotationFilter;
        filter.setAnnotation(AF::Annotated);
        QCOMPARE(filter.rowCount(), countIf(now, [](const core::ImageInfo &i) { return i.regionCount > 0; }));
        filter.setAnnotation(AF::Unannotated);
        const int unannotated = countIf(now, [](const core::ImageInfo &i) { return i.regionCount == 0; });
        QVERIFY(unannotated >= 2);
        QCOMPARE(filter.rowCount(), unannotated);
        // The proxy follows a region count that changes (dynamic filter).
        model.setRegionCount(m_images[0].id, 4);
        QCOMPARE(filter.rowCount(), unannotated - 1);
        filter.setAnnotation(AF::All);
        now = model.images();

        // Name: case-insensitive substring of relPath.
        const QString needle = QStringLiteral("_01");
        const auto nameCount = [&](const QString &n) {
            return countIf(now, [&](const core::ImageInfo &i) { return QString::fromStdString(i.relPath).contains(n, Qt::CaseInsensitive); });
        };
        filter.setNameFilter(needle);
        QCOMPARE(filter.rowCount(), nameCount(needle));
        QVERIFY(filter.rowCount() > 0 && filter.rowCount() < int(now.size()));
        const QString upper = QString::fromStdString(now[7].relPath).toUpper();
        filter.setNameFilter(upper);
        QCOMPARE(filter.rowCount(), nameCount(upper));
        QVERIFY(filter.rowCount() >= 1);
        filter.setNameFilter(QStringLiteral("Ünïcode-nothing"));
        QCOMPARE(filter.rowCount(), 0);
        filter.setNameFilter(QString());
        QCOMPARE(filter.rowCount(), int(now.size()));

        // Problems flagged by validation.
        QSet<core::Id> problems{now[3].id, now[10].id, now[20].id};
        filter.setProblemImages(problems);
        QCOMPARE(filter.rowCount(), int(now.size())); // state "all": the set alone filters nothing
        filter.setProblemFilter(ui::DatasetFilter::ProblemFilter::WithProblems);
        QCOMPARE(filter.rowCount(), 3);
        filter.setProblemFilter(ui::DatasetFilter::ProblemFilter::WithoutProblems);
        QCOMPARE(filter.rowCount(), int(now.size()) - 3);
        filter.setProblemFilter(ui::DatasetFilter::ProblemFilter::WithProblems);
        filter.setProblemImages({now[3].id});
        QCOMPARE(filter.rowCount(), 1);
        filter.setProblemFilter(ui::DatasetFilter::ProblemFilter::All);

        // Filters combine.
        const core::Split s0 = now[0].split;
        const core::Id c0 = now[0].classId;
        filter.setSplit(s0 == core::Split::Train ? SF::Train : s0 == core::Split::Val ? SF::Val : s0 == core::Split::Test ? SF::Test : SF::Unassigned);
        filter.setClassId(c0);
        QCOMPARE(filter.rowCount(), countIf(now, [&](const core::ImageInfo &i) { return i.split == s0 && (c0 == 0 || i.classId == c0); }));
        QVERIFY(filter.rowCount() >= 1);
        // Filtering never asks for thumbnails.
        QCOMPARE(model.pendingOrCachedThumbnails(), 0);
    }

    void thumbnailArrives()
    {
        ui::DatasetModel model;
        model.setImages(m_images, m_classes);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        const qint64 loading = model.loadingPlaceholder().cacheKey();
        const QModelIndex i0 = model.index(0);
        QCOMPARE(pixmapKey(i0.data(Qt::DecorationRole)), loading);
        QCOMPARE(model.pendingOrCachedThumbnails(), 1);
        // Asking again while it decodes does not queue a second request.
        QCOMPARE(pixmapKey(i0.data(Qt::DecorationRole)), loading);
        QCOMPARE(model.pendingOrCachedThumbnails(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(changed.count() >= 1, 5000);
        QCOMPARE(changed.at(0).at(0).toModelIndex().row(), 0);
        QVERIFY(changed.at(0).at(2).value<QList<int>>().contains(Qt::DecorationRole));
        const QPixmap thumb = i0.data(Qt::DecorationRole).value<QPixmap>();
        QVERIFY(!thumb.isNull());
        QVERIFY(thumb.cacheKey() != loading);
        QVERIFY(thumb.cacheKey() != model.brokenPlaceholder().cacheKey());
        QCOMPARE(std::max(thumb.width(), thumb.height()), ui::DatasetModel::kThumbnailSize);
        QCOMPARE(model.pendingThumbnails(), 0);
        QCOMPARE(model.pendingOrCachedThumbnails(), 1);
        QCOMPARE(i0.data(Qt::ToolTipRole).toString(), QString::fromStdString(m_images[0].absPath));
        // Only row 0 was decoded.
        QTest::qWait(50);
        QCOMPARE(model.pendingOrCachedThumbnails(), 1);
    }

    void missingImageGetsPlaceholder()
    {
        std::vector<core::ImageInfo> images = m_images;
        images[2].absPath = m_dir.filePath(QStringLiteral("does/not/exist.png")).toStdString();
        ui::DatasetModel model;
        model.setImages(images, m_classes);
        const QModelIndex i = model.index(2);
        QCOMPARE(pixmapKey(i.data(Qt::DecorationRole)), model.loadingPlaceholder().cacheKey());
        QTRY_COMPARE_WITH_TIMEOUT(pixmapKey(i.data(Qt::DecorationRole)), model.brokenPlaceholder().cacheKey(), 5000);
        const QString tip = i.data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.startsWith(QString::fromStdString(images[2].absPath)), qPrintable(tip));
        QVERIFY2(tip.contains(QStringLiteral("does not exist")), qPrintable(tip));
        // A file that exists but is not an image.
        images[3].absPath = m_dir.filePath(QStringLiteral("not-an-image.png")).toStdString();
        {
            QFile f(QString::fromStdString(images[3].absPath));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("this is not a PNG");
        }
        model.setImages(images, m_classes);
        const QModelIndex j = model.index(3);
        j.data(Qt::DecorationRole);
        QTRY_COMPARE_WITH_TIMEOUT(pixmapKey(j.data(Qt::DecorationRole)), model.brokenPlaceholder().cacheKey(), 5000);
        QVERIFY(j.data(Qt::ToolTipRole).toString().contains(QLatin1Char('\n')));
    }

    void resetAndDestroyWhileDecoding()
    {
        // Reset while every row decodes: results still land in the cache, no crash,
        // and a row asked again after the reset gets its dataChanged.
        {
            ui::DatasetModel model;
            model.setImages(m_images, m_classes);
            for (int r = 0; r < model.rowCount(); ++r) model.index(r).data(Qt::DecorationRole);
            std::vector<core::ImageInfo> fewer(m_images.begin() + 40, m_images.end());
            model.setImages(fewer, m_classes);
            QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
            model.index(0).data(Qt::DecorationRole); // m_images[40], maybe still pending
            QTRY_COMPARE_WITH_TIMEOUT(model.pendingThumbnails(), 0, 10000);
            QCOMPARE(model.pendingOrCachedThumbnails(), int(m_images.size()));
            QVERIFY(model.index(0).data(Qt::DecorationRole).value<QPixmap>().cacheKey() != model.loadingPlaceholder().cacheKey());
            for (const QList<QVariant> &args : changed) QVERIFY(args.at(0).toModelIndex().row() < model.rowCount());
        }
        // Destroyed while decoding: results posted to the dead model are dropped.
        for (int round = 0; round < 5; ++round) {
            auto model = std::make_unique<ui::DatasetModel>();
            model->setImages(m_images, m_classes);
            for (int r = 0; r < model->rowCount(); ++r) model->index(r).data(Qt::DecorationRole);
            if (round % 2) QTest::qWait(1);
            model.reset();
            QCoreApplication::processEvents();
        }
        QTest::qWait(50);
    }

    void hundredThousandRows()
    {
        constexpr int n = 100000;
        std::vector<core::ImageInfo> images(n);
        for (int k = 0; k < n; ++k) {
            core::ImageInfo &i = images[std::size_t(k)];
            i.id = k + 1;
            i.rootId = 1;
            i.relPath = "batch_" + std::to_string(k / 1000) + "/Frame_" + std::to_string(k) + ".jpg";
            i.absPath = "/nonexistent/dataset/" + i.relPath;
            i.width = 1920;
            i.height = 1080;
            i.split = core::Split(k % 4);
            i.classId = k % 3 + 1;
            i.regionCount = k % 5;
        }
        const auto expectedName = [&](const std::string &needleLower) {
            return countIf(images, [&](const core::ImageInfo &i) {
                std::string s = i.relPath;
                std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
                return s.find(needleLower) != std::string::npos;
            });
        };
        const int expected77 = expectedName("frame_77");
        const int expectedBatch = expectedName("batch_42/");

        ui::DatasetModel model;
        ui::DatasetFilter filter;
        filter.setSourceModel(&model);
        QElapsedTimer timer;
        timer.start();
        model.setImages(std::move(images), m_classes);
        const qint64 setMs = timer.elapsed();
        QCOMPARE(filter.rowCount(), n);
        timer.restart();
        filter.setNameFilter(QStringLiteral("FRAME_77"));
        const int got77 = filter.rowCount();
        const qint64 nameMs = timer.elapsed();
        timer.restart();
        filter.setNameFilter(QStringLiteral("Batch_42/"));
        const int gotBatch = filter.rowCount();
        const qint64 name2Ms = timer.elapsed();
        timer.restart();
        filter.setNameFilter(QString());
        QCOMPARE(filter.rowCount(), n);
        const qint64 clearMs = timer.elapsed();
        timer.restart();
        filter.setSplit(ui::DatasetFilter::SplitFilter::Val);
        filter.setAnnotation(ui::DatasetFilter::AnnotationFilter::Annotated);
        const int gotCombined = filter.rowCount();
        const qint64 combinedMs = timer.elapsed();
        qInfo("100,000 rows: setImages %lld ms; name filter %lld ms and %lld ms; name cleared %lld ms; split+annotated %lld ms",
              static_cast<long long>(setMs), static_cast<long long>(nameMs), static_cast<long long>(name2Ms),
              static_cast<long long>(clearMs), static_cast<long long>(combinedMs));
        QCOMPARE(got77, expected77);
        QCOMPARE(gotBatch, expectedBatch);
        QCOMPARE(gotBatch, 1000);
        QCOMPARE(gotCombined, countIf(model.images(), [](const core::ImageInfo &i) { return i.split == core::Split::Val && i.regionCount > 0; }));
        // Nobody asked for a decoration: not one thumbnail requested.
        QCOMPARE(model.pendingOrCachedThumbnails(), 0);
        // A view showing the first rows asks for those only.
        for (int r = 0; r < 12; ++r) filter.index(r, 0).data(Qt::DecorationRole);
        QCOMPARE(model.pendingOrCachedThumbnails(), 12);
        QTRY_COMPARE_WITH_TIMEOUT(model.pendingThumbnails(), 0, 5000);
        QCOMPARE(model.pendingOrCachedThumbnails(), 12);
        QCOMPARE(pixmapKey(filter.index(0, 0).data(Qt::DecorationRole)), model.brokenPlaceholder().cacheKey());

        // A real list view over the 100,000 rows asks only for what it shows, also after a jump to the end.
        filter.setSplit(ui::DatasetFilter::SplitFilter::All);
        filter.setAnnotation(ui::DatasetFilter::AnnotationFilter::All);
        QCOMPARE(filter.rowCount(), n);
        QListView view;
        view.setUniformItemSizes(true);
        view.setIconSize(QSize(ui::DatasetModel::kThumbnailSize, ui::DatasetModel::kThumbnailSize));
        view.setModel(&filter);
        view.resize(400, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QTRY_VERIFY_WITH_TIMEOUT(model.pendingOrCachedThumbnails() > 12, 5000);
        const int afterShow = model.pendingOrCachedThumbnails();
        view.scrollToBottom();
        QTRY_VERIFY_WITH_TIMEOUT(model.pendingOrCachedThumbnails() > afterShow, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(model.pendingThumbnails(), 0, 5000);
        qInfo("list view 400x600 over 100,000 rows: %d thumbnails requested after showing, %d after scrolling to the end",
              afterShow - 12, model.pendingOrCachedThumbnails() - 12);
        QVERIFY(model.pendingOrCachedThumbnails() < 12 + 100);
    }
};

QTEST_MAIN(TestDatasetModel)
#include "tst_dataset_model.moc"
