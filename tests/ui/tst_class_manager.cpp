// The class manager as a person would notice it: the sample's classes listed with
// their region counts; add, rename (a taken name refused, nothing changed),
// recolour, hotkeys, merge (counts add up, the merged class gone) and delete (its
// regions stay, unclassed), each in the table and in the store and each signalled
// with classesChanged; and through the buttons, the confirmations naming the
// class and its regions, No changing nothing, and a store error shown as a warning.
// Every change is an undo step: undoing a merge or a delete brings the class back
// with the very regions and images it had, and the open dialog follows.
#include "annotation/document.h"
#include "tests/must.h"
#include "core/project_store.h"
#include "core/sample_project.h"
#include "ui/classmanager.h"
#include "ui/datasetmodel.h"
#include "annotation/canvas.h"
#include "ui/annotateworkspace.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QInputDialog>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QUndoStack>
#include <QtTest>

#include <deque>
#include <functional>
#include <memory>

namespace {

// Answers the modal dialogs a button opens, in order, from a polling timer.
class ModalAnswerer {
public:
    using Answer = std::function<void(QWidget *)>;
    explicit ModalAnswerer(std::deque<Answer> answers) : m_answers(std::move(answers))
    {
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            QWidget *w = QApplication::activeModalWidget();
            if (!w || (m_last && m_last.data() == w) || m_answers.empty()) return;
            m_last = w;
            Answer a = std::move(m_answers.front());
            m_answers.pop_front();
            a(w);
        });
        m_timer.start(20);
    }
    bool allAnswered() const { return m_answers.empty(); }

private:
    std::deque<Answer> m_answers;
    QPointer<QWidget> m_last;
    QTimer m_timer;
};

ModalAnswerer::Answer clickBox(QMessageBox::StandardButton button, QString *text = nullptr)
{
    return [button, text](QWidget *w) {
        auto *box = qobject_cast<QMessageBox *>(w);
        QVERIFY(box);
        if (text) *text = box->text();
        box->button(button)->click();
    };
}

ModalAnswerer::Answer typeText(const QString &value)
{
    return [value](QWidget *w) {
        auto *d = qobject_cast<QInputDialog *>(w);
        QVERIFY(d);
        d->setTextValue(value);
        d->accept();
    };
}

} // namespace

class TestClassManager : public QObject {
    Q_OBJECT
    std::unique_ptr<QTemporaryDir> m_dir;
    std::shared_ptr<core::ProjectStore> m_store;
    std::unique_ptr<annotation::Document> m_doc;

    core::Id idOf(const std::string &name) const
    {
        for (const auto &c : must(m_store->classes()))
            if (c.name == name) return c.id;
        return 0;
    }
    std::optional<core::ClassRecord> record(core::Id id) const
    {
        for (const auto &c : must(m_store->classes()))
            if (c.id == id) return c;
        return std::nullopt;
    }
    int storedRegions(core::Id classId) const
    {
        int n = 0;
        for (const auto &r : must(m_store->allRegions()))
            n += r.classId == classId;
        return n;
    }
    std::vector<core::Id> imagesOf(core::Id classId) const
    {
        std::vector<core::Id> ids;
        for (const auto &im : must(m_store->images()))
            if (im.classId == classId) ids.push_back(im.id);
        return ids;
    }
    std::vector<std::string> classNames() const
    {
        std::vector<std::string> names;
        for (const auto &c : must(m_store->classes())) names.push_back(c.name);
        return names;
    }
    static int rowNamed(const ui::ClassManagerDialog &d, const QString &name)
    {
        for (int row = 0; row < d.table()->rowCount(); ++row)
            if (d.table()->item(row, ui::ClassManagerDialog::NameColumn)->text() == name) return row;
        return -1;
    }
    static QString text(const ui::ClassManagerDialog &d, int row, int column) { return d.table()->item(row, column)->text(); }
    static int shownCount(const ui::ClassManagerDialog &d, const QString &name)
    {
        const int row = rowNamed(d, name);
        return row < 0 ? -1 : text(d, row, ui::ClassManagerDialog::RegionsColumn).toInt();
    }
    static QPushButton *button(const ui::ClassManagerDialog &d, const QString &label)
    {
        for (QPushButton *b : d.findChildren<QPushButton *>())
            if (b->text() == label) return b;
        return nullptr;
    }

private Q_SLOTS:
    // A fresh sample project for every test.
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        auto p = core::createSampleProject(m_dir->path().toStdString(), 12);
        QVERIFY(p.ok());
        auto s = core::ProjectStore::open(*p);
        QVERIFY(s.ok());
        m_store = std::make_shared<core::ProjectStore>(std::move(*s));
        m_doc = std::make_unique<annotation::Document>(m_store);
        QVERIFY(m_doc->setImage(must(m_store->images()).front().id).ok());
    }
    void cleanup()
    {
        m_doc.reset();
        m_store.reset();
        m_dir.reset();
    }

    void listsClassesWithCounts()
    {
        ui::ClassManagerDialog d(m_doc.get());
        QCOMPARE(d.table()->rowCount(), 3);
        int total = 0;
        for (const char *name : {"circle", "square", "triangle"}) {
            const int row = rowNamed(d, QString::fromLatin1(name));
            QVERIFY2(row >= 0, name);
            const core::Id id = idOf(name);
            QCOMPARE(d.classAt(row), id);
            QTRY_COMPARE(shownCount(d, QString::fromLatin1(name)), storedRegions(id));
            QCOMPARE(text(d, row, ui::ClassManagerDialog::ColourColumn), QString::fromStdString(record(id)->color));
            QVERIFY(!d.table()->item(row, ui::ClassManagerDialog::ColourColumn)->icon().isNull());
            total += storedRegions(id);
        }
        QVERIFY(total > 0);
        // Every button explains itself.
        const auto buttons = d.findChildren<QPushButton *>();
        QVERIFY(buttons.size() >= 6);
        for (QPushButton *b : buttons)
            QVERIFY2(!b->toolTip().isEmpty(), qPrintable(b->text()));
        // Nothing selected: only Add works.
        QVERIFY(button(d, QStringLiteral("Add…"))->isEnabled());
        QVERIFY(!button(d, QStringLiteral("Delete…"))->isEnabled());
        d.selectClass(idOf("square"));
        QVERIFY(button(d, QStringLiteral("Delete…"))->isEnabled());
        QVERIFY(button(d, QStringLiteral("Merge into…"))->isEnabled());
    }

    void addClass()
    {
        ui::ClassManagerDialog d(m_doc.get());
        QSignalSpy changed(&d, &ui::ClassManagerDialog::classesChanged);
        QVERIFY(d.addClass(QStringLiteral("  hexagon ")).ok());
        QCOMPARE(changed.count(), 1);
        QCOMPARE(d.table()->rowCount(), 4);
        const int row = rowNamed(d, QStringLiteral("hexagon"));
        QVERIFY(row >= 0);
        QTRY_COMPARE(shownCount(d, QStringLiteral("hexagon")), 0);
        const core::Id id = idOf("hexagon");
        QVERIFY(id != 0);
        QCOMPARE(d.selectedClass(), id);
        QCOMPARE(must(m_store->classes()).size(), std::size_t(4));
        // An empty or taken name is refused and changes nothing.
        QVERIFY(!d.addClass(QStringLiteral("   ")).ok());
        const auto taken = d.addClass(QStringLiteral("circle"));
        QVERIFY(!taken.ok());
        QVERIFY(QString::fromStdString(taken.error().toString()).contains(QStringLiteral("circle")));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(d.table()->rowCount(), 4);
        QCOMPARE(must(m_store->classes()).size(), std::size_t(4));
    }

    void renameAndDuplicateRefused()
    {
        ui::ClassManagerDialog d(m_doc.get());
        QSignalSpy changed(&d, &ui::ClassManagerDialog::classesChanged);
        const core::Id circle = idOf("circle");
        const int regions = storedRegions(circle);
        QVERIFY(d.renameClass(circle, QStringLiteral("disc")).ok());
        QCOMPARE(changed.count(), 1);
        QVERIFY(rowNamed(d, QStringLiteral("disc")) >= 0);
        QCOMPARE(rowNamed(d, QStringLiteral("circle")), -1);
        QCOMPARE(record(circle)->name, std::string("disc"));
        QTRY_COMPARE(shownCount(d, QStringLiteral("disc")), regions);
        QCOMPARE(storedRegions(circle), regions);
        // Renaming square to the taken "disc" is refused with a message that says why.
        const core::Id square = idOf("square");
        const auto s = d.renameClass(square, QStringLiteral("disc"));
        QVERIFY(!s.ok());
        const QString message = QString::fromStdString(s.error().toString());
        QVERIFY2(message.contains(QStringLiteral("exists already")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("Merge")), qPrintable(message));
        QCOMPARE(record(square)->name, std::string("square"));
        QVERIFY(rowNamed(d, QStringLiteral("square")) >= 0);
        QCOMPARE(d.table()->rowCount(), 3);
        QCOMPARE(changed.count(), 1);
        // Empty names are refused too; the same name is no change.
        QVERIFY(!d.renameClass(square, QStringLiteral(" ")).ok());
        QVERIFY(d.renameClass(square, QStringLiteral("square")).ok());
        QCOMPARE(changed.count(), 1);
    }

    void recolourAndHotkey()
    {
        ui::ClassManagerDialog d(m_doc.get());
        QSignalSpy changed(&d, &ui::ClassManagerDialog::classesChanged);
        const core::Id triangle = idOf("triangle"), square = idOf("square");
        QVERIFY(d.recolour(triangle, QColor(0x12, 0x34, 0x56)).ok());
        QCOMPARE(changed.count(), 1);
        QCOMPARE(record(triangle)->color, std::string("#123456"));
        QCOMPARE(text(d, rowNamed(d, QStringLiteral("triangle")), ui::ClassManagerDialog::ColourColumn), QStringLiteral("#123456"));
        QVERIFY(!d.recolour(triangle, QColor()).ok());
        QCOMPARE(record(triangle)->color, std::string("#123456"));

        QVERIFY(d.setHotkey(square, 7).ok());
        QCOMPARE(changed.count(), 2);
        QCOMPARE(record(square)->hotkey, '7');
        QCOMPARE(text(d, rowNamed(d, QStringLiteral("square")), ui::ClassManagerDialog::HotkeyColumn), QStringLiteral("7"));
        // A key belongs to one class: giving 7 to triangle takes it from square.
        QVERIFY(d.setHotkey(triangle, 7).ok());
        QCOMPARE(record(triangle)->hotkey, '7');
        QCOMPARE(record(square)->hotkey, '\0');
        QCOMPARE(text(d, rowNamed(d, QStringLiteral("square")), ui::ClassManagerDialog::HotkeyColumn), QString());
        QVERIFY(!d.setHotkey(triangle, 12).ok());
        QVERIFY(d.setHotkey(triangle, 0).ok());
        QCOMPARE(record(triangle)->hotkey, '\0');
        QCOMPARE(changed.count(), 4);
    }

    void mergeAddsUpCounts()
    {
        ui::ClassManagerDialog d(m_doc.get());
        QSignalSpy changed(&d, &ui::ClassManagerDialog::classesChanged);
        const core::Id circle = idOf("circle"), square = idOf("square");
        const int a = storedRegions(circle), b = storedRegions(square);
        const int total = static_cast<int>(must(m_store->allRegions()).size());
        const std::vector<core::Id> circleImages = imagesOf(circle);
        const std::vector<std::string> order = classNames();
        QVERIFY(a > 0 && b > 0 && !circleImages.empty());
        QVERIFY(!d.merge(square, square).ok());
        QCOMPARE(changed.count(), 0);
        QVERIFY(d.merge(circle, square).ok());
        QCOMPARE(changed.count(), 1);
        QCOMPARE(d.table()->rowCount(), 2);
        QCOMPARE(rowNamed(d, QStringLiteral("circle")), -1);
        QTRY_COMPARE(shownCount(d, QStringLiteral("square")), a + b);
        QVERIFY(!record(circle));
        QCOMPARE(storedRegions(square), a + b);
        QCOMPARE(storedRegions(circle), 0);
        QCOMPARE(static_cast<int>(must(m_store->allRegions()).size()), total);
        for (const auto &im : must(m_store->images()))
            QVERIFY(im.classId != circle);
        // A dialog opened afresh counts the same.
        ui::ClassManagerDialog again(m_doc.get());
        QTRY_COMPARE(shownCount(again, QStringLiteral("square")), a + b);
        // Merging a class that is gone is an error, not a crash.
        QVERIFY(!d.merge(circle, square).ok());
        QCOMPARE(changed.count(), 1);

        // Undo: circle is back with its own regions and images, in the store and in the open dialog.
        QCOMPARE(m_doc->undoStack()->count(), 1);
        QSignalSpy docClasses(m_doc.get(), &annotation::Document::classesChanged);
        QPushButton *undo = button(d, QStringLiteral("Undo"));
        QVERIFY(undo && undo->isEnabled());
        QVERIFY2(undo->toolTip().contains(QStringLiteral("Merge class circle into square")), qPrintable(undo->toolTip()));
        undo->click();
        QCOMPARE(docClasses.count(), 1);
        QCOMPARE(record(circle)->name, std::string("circle"));
        QCOMPARE(storedRegions(circle), a);
        QCOMPARE(storedRegions(square), b);
        QCOMPARE(imagesOf(circle), circleImages);
        QTRY_COMPARE(shownCount(d, QStringLiteral("circle")), a);
        QTRY_COMPARE(shownCount(d, QStringLiteral("square")), b);
        QCOMPARE(d.table()->rowCount(), 3);
        QCOMPARE(classNames(), order); // and in its place
        if (qEnvironmentVariableIsSet("ANNOTRAIN_SCREENSHOT_DIR")) {
            d.show();
            QTest::qWait(300);
            d.grab().save(qEnvironmentVariable("ANNOTRAIN_SCREENSHOT_DIR") + QStringLiteral("/class-manager.png"));
        }
        // Redo merges again.
        QPushButton *redo = button(d, QStringLiteral("Redo"));
        QVERIFY(redo && redo->isEnabled() && !undo->isEnabled());
        redo->click();
        QVERIFY(!record(circle));
        QCOMPARE(storedRegions(square), a + b);
        QTRY_COMPARE(shownCount(d, QStringLiteral("square")), a + b);
    }

    void deleteLeavesRegionsUnclassed()
    {
        ui::ClassManagerDialog d(m_doc.get());
        QSignalSpy changed(&d, &ui::ClassManagerDialog::classesChanged);
        const core::Id triangle = idOf("triangle");
        const core::ClassRecord before = *record(triangle);
        const int n = storedRegions(triangle), unclassed = storedRegions(0);
        const int total = static_cast<int>(must(m_store->allRegions()).size());
        QVERIFY(n > 0);
        QVERIFY(d.remove(triangle).ok());
        QCOMPARE(changed.count(), 1);
        QCOMPARE(d.table()->rowCount(), 2);
        QCOMPARE(rowNamed(d, QStringLiteral("triangle")), -1);
        QVERIFY(!record(triangle));
        QCOMPARE(static_cast<int>(must(m_store->allRegions()).size()), total);
        QCOMPARE(storedRegions(0), unclassed + n);
        QTRY_COMPARE(d.regionCount(0), unclassed + n);
        QVERIFY(!d.remove(triangle).ok());
        QCOMPARE(changed.count(), 1);

        // Undo brings the class back with its colour, hotkey and regions; the document reloads its image.
        m_doc->undoStack()->undo();
        QCOMPARE(record(triangle)->color, before.color);
        QCOMPARE(record(triangle)->hotkey, before.hotkey);
        QCOMPARE(storedRegions(triangle), n);
        QCOMPARE(storedRegions(0), unclassed);
        QTRY_COMPARE(shownCount(d, QStringLiteral("triangle")), n);
        std::vector<core::Id> shown, stored;
        for (const core::Region &r : m_doc->regions()) shown.push_back(r.classId);
        for (const core::Region &r : must(m_store->regions(m_doc->image()))) stored.push_back(r.classId);
        QCOMPARE(shown, stored);
        // A rename and its undo, twice over, land where they started.
        QVERIFY(d.renameClass(triangle, QStringLiteral("wedge")).ok());
        m_doc->undoStack()->undo();
        QCOMPARE(record(triangle)->name, std::string("triangle"));
        m_doc->undoStack()->redo();
        QCOMPARE(record(triangle)->name, std::string("wedge"));
        QVERIFY(rowNamed(d, QStringLiteral("wedge")) >= 0);
    }

    // In the main window, a merge and its undo move the images of the dataset list
    // between the classes (the class filter follows), and the canvas keeps its image.
    void mainWindowListFollowsMergeAndUndo()
    {
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(w.openProject(QString::fromStdString(m_store->path())).ok());
        QVERIFY(shown.wait(5000));
        const QString before = w.annotate()->currentImagePath();
        const core::Id circle = idOf("circle"), square = idOf("square");
        const int circles = static_cast<int>(imagesOf(circle).size()), squares = static_cast<int>(imagesOf(square).size());
        QVERIFY(circles > 0 && squares > 0);
        auto listed = [&](core::Id cls) {
            w.annotate()->datasetFilter()->setClassId(cls);
            return w.annotate()->datasetFilter()->rowCount();
        };
        QCOMPARE(listed(square), squares);
        ui::ClassManagerDialog d(w.annotate()->document());
        QVERIFY(d.merge(circle, square).ok());
        QTRY_COMPARE(listed(square), circles + squares); // the list is read again off the GUI thread
        w.annotate()->document()->undoStack()->undo();
        QTRY_COMPARE(listed(square), squares);
        QTRY_COMPARE(listed(circle), circles);
        w.annotate()->datasetFilter()->setClassId(0);
        QCOMPARE(w.annotate()->currentImagePath(), before);
        QCOMPARE(shown.count(), 1); // the image was not decoded again
    }

    // Through the buttons: Delete asks, naming the class and its regions; No keeps it, Yes deletes.
    void deleteButtonAsksFirst()
    {
        ui::ClassManagerDialog d(m_doc.get());
        d.show();
        QVERIFY(QTest::qWaitForWindowExposed(&d));
        QSignalSpy changed(&d, &ui::ClassManagerDialog::classesChanged);
        const core::Id triangle = idOf("triangle");
        const int n = storedRegions(triangle);
        d.selectClass(triangle);
        QString question;
        {
            ModalAnswerer answer({clickBox(QMessageBox::No, &question)});
            QTRY_VERIFY(button(d, QStringLiteral("Delete…"))->isEnabled()); // once the counts it quotes are in
            button(d, QStringLiteral("Delete…"))->click();
            QVERIFY(answer.allAnswered());
        }
        QVERIFY2(question.startsWith(QStringLiteral("Delete class 'triangle'? Its %1 regions keep their shapes but lose their class.").arg(n)),
                 qPrintable(question));
        QVERIFY(record(triangle));
        QCOMPARE(changed.count(), 0);
        {
            ModalAnswerer answer({clickBox(QMessageBox::Yes)});
            QTRY_VERIFY(button(d, QStringLiteral("Delete…"))->isEnabled()); // once the counts it quotes are in
            button(d, QStringLiteral("Delete…"))->click();
            QVERIFY(answer.allAnswered());
        }
        QVERIFY(!record(triangle));
        QCOMPARE(changed.count(), 1);
    }

    // Merge into… picks the target, then asks with the count; Rename… to a taken name shows a warning.
    void mergeAndRenameButtons()
    {
        ui::ClassManagerDialog d(m_doc.get());
        d.show();
        QVERIFY(QTest::qWaitForWindowExposed(&d));
        QSignalSpy changed(&d, &ui::ClassManagerDialog::classesChanged);
        const core::Id circle = idOf("circle"), triangle = idOf("triangle");
        const int a = storedRegions(circle), b = storedRegions(triangle);
        d.selectClass(circle);
        QString question;
        {
            ModalAnswerer answer({[](QWidget *w) {
                                      auto *in = qobject_cast<QInputDialog *>(w);
                                      QVERIFY(in);
                                      in->setTextValue(QStringLiteral("triangle"));
                                      in->accept();
                                  },
                                  clickBox(QMessageBox::Yes, &question)});
            QTRY_VERIFY(button(d, QStringLiteral("Merge into…"))->isEnabled()); // once the counts it quotes are in
            button(d, QStringLiteral("Merge into…"))->click();
            QVERIFY(answer.allAnswered());
        }
        QVERIFY2(question.startsWith(QStringLiteral("Merge class 'circle' into 'triangle'? Its %1 regions move to 'triangle'").arg(a)),
                 qPrintable(question));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(storedRegions(triangle), a + b);
        QTRY_COMPARE(shownCount(d, QStringLiteral("triangle")), a + b);

        const core::Id square = idOf("square");
        d.selectClass(square);
        QString warning;
        {
            ModalAnswerer answer({typeText(QStringLiteral("triangle")), clickBox(QMessageBox::Ok, &warning)});
            button(d, QStringLiteral("Rename…"))->click();
            QVERIFY(answer.allAnswered());
        }
        QVERIFY2(warning.contains(QStringLiteral("'triangle' exists already")), qPrintable(warning));
        QCOMPARE(record(square)->name, std::string("square"));
        QCOMPARE(changed.count(), 1);
    }
};

QTEST_MAIN(TestClassManager)
#include "tst_class_manager.moc"
