#pragma once
// A canvas with a document, and nothing else: no main window, no workspace. The
// tool tests drive it with QTest mouse and key events as a person would, in image
// pixels converted to the viewport.
#include "annotation/canvas.h"
#include "annotation/document.h"
#include "annotation/selection.h"
#include "annotation/tools/abstracttool.h"
#include "core/project_store.h"
#include "core/sample_project.h"
#include "tests/must.h"

#include <QDir>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

#include <memory>

namespace testutil {

class CanvasFixture {
public:
    QTemporaryDir dir;
    std::string project;
    std::shared_ptr<core::ProjectStore> store;
    std::unique_ptr<annotation::Document> doc;
    std::unique_ptr<annotation::Canvas> canvas;
    std::vector<core::ImageInfo> images;

    // The sample project (48 images of 128 x 128), or a project of the one `picture` given.
    bool open(const QImage &picture = QImage())
    {
        if (picture.isNull()) {
            auto p = core::createSampleProject(dir.path().toStdString());
            if (!p) return false;
            project = *p;
        } else {
            QDir(dir.path()).mkpath(QStringLiteral("img"));
            if (!picture.save(dir.filePath(QStringLiteral("img/picture.png")))) return false;
            project = dir.filePath(QStringLiteral("picture.atproj")).toStdString();
            auto s = core::ProjectStore::create(project);
            if (!s || !s->addImagesFromDir(dir.filePath(QStringLiteral("img")).toStdString())) return false;
        }
        auto s = core::ProjectStore::open(project);
        if (!s) return false;
        store = std::make_shared<core::ProjectStore>(std::move(*s));
        images = must(store->images());
        doc = std::make_unique<annotation::Document>(store);
        canvas = std::make_unique<annotation::Canvas>();
        canvas->setDocument(doc.get());
        canvas->resize(640, 640);
        canvas->show();
        return QTest::qWaitForWindowExposed(canvas.get());
    }

    // Image `row` on the canvas, the whole image in view; `empty`: its sample regions removed first.
    bool show(int row, bool empty = true)
    {
        if (empty) {
            std::vector<core::Id> ids;
            for (const auto &r : must(store->regions(images[static_cast<std::size_t>(row)].id))) ids.push_back(r.id);
            if (!store->removeRegions(ids)) return false;
        }
        QSignalSpy ready(canvas.get(), &annotation::Canvas::imageReady);
        canvas->showImage(QString::fromStdString(images[static_cast<std::size_t>(row)].absPath));
        if (!ready.wait(10000) || !ready.first().at(0).toBool()) return false;
        if (!doc->setImage(images[static_cast<std::size_t>(row)].id)) return false;
        canvas->fitToWindow();
        return true;
    }

    std::size_t stored() const { return must(core::ProjectStore::open(project)->regions(doc->image())).size(); }
    QWidget *viewport() const { return canvas->viewport(); }
    QPoint at(double x, double y) const { return canvas->mapFromScene(QPointF(x, y)); }
    void click(double x, double y, Qt::KeyboardModifiers m = {}) { QTest::mouseClick(viewport(), Qt::LeftButton, m, at(x, y)); }
    void press(double x, double y, Qt::KeyboardModifiers m = {}) { QTest::mousePress(viewport(), Qt::LeftButton, m, at(x, y)); }
    void move(double x, double y) { QTest::mouseMove(viewport(), at(x, y)); }
    void release(double x, double y, Qt::KeyboardModifiers m = {}) { QTest::mouseRelease(viewport(), Qt::LeftButton, m, at(x, y)); }
    void doubleClick(double x, double y) { QTest::mouseDClick(viewport(), Qt::LeftButton, {}, at(x, y)); }
    // A drag in `steps` moves, as a hand makes it.
    void drag(double x0, double y0, double x1, double y1, int steps = 5)
    {
        press(x0, y0);
        for (int k = 1; k <= steps; ++k) move(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps);
        release(x1, y1);
    }
    void key(Qt::Key k, Qt::KeyboardModifiers m = {}) { QTest::keyClick(canvas.get(), k, m); }
    int undoIndex() const { return doc->undoStack()->index(); }
    const core::Region &last() const { return doc->regions().back(); }
    core::Id addRegion(const core::Shape &shape)
    {
        core::Region r;
        r.shape = shape;
        doc->addRegion(r);
        return doc->regions().back().id;
    }
};

} // namespace testutil
