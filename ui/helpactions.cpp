#include "ui/helpactions.h"

#include "ui/annotateworkspace.h"
#include "ui/mainwindow.h"

#include <QActionGroup>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>

#include <functional>

namespace ui {

HelpActions::HelpActions(MainWindow *window, QMenu *menu) : QObject(window), m_window(window)
{
    menu->addAction(tr("&Keyboard Shortcuts"), QKeySequence(QStringLiteral("F1")), this, &HelpActions::showShortcuts);
    menu->addAction(tr("&About"), this, [this] {
        QMessageBox::about(m_window, tr("About Annotrain Studio"), tr("Annotrain Studio %1: label images, train, inspect, export.").arg(QStringLiteral("0.1")));
    });
}

void HelpActions::showShortcuts()
{
    QString html = QStringLiteral("<table cellspacing=4>");
    auto row = [&html](const QString &keys, const QString &what) {
        html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(keys.toHtmlEscaped(), what.toHtmlEscaped());
    };
    std::function<void(const QList<QAction *> &, const QString &)> walk = [&](const QList<QAction *> &actions, const QString &prefix) {
        for (QAction *a : actions) {
            if (a->menu()) walk(a->menu()->actions(), prefix + a->text().remove(QLatin1Char('&')) + QStringLiteral(" › "));
            else if (!a->shortcut().isEmpty()) {
                QStringList keys;
                for (const QKeySequence &k : a->shortcuts()) keys << k.toString(QKeySequence::NativeText);
                row(keys.join(QStringLiteral(", ")), prefix + a->text().remove(QLatin1Char('&')));
            }
        }
    };
    walk(m_window->menuBar()->actions(), QString());
    walk(m_window->annotate()->toolActions()->actions(), tr("Tool: "));
    row(tr("1 – 9"), tr("Class of new regions; with a selection, set its class"));
    row(tr("D / PgDn, A / PgUp"), tr("Next / previous image (the zoom stays)"));
    row(tr("Enter"), tr("Close the polygon / end the polyline being drawn"));
    row(tr("Backspace"), tr("Remove the last vertex while drawing"));
    row(tr("Esc"), tr("Abandon the shape being drawn; clear the selection"));
    row(tr("Ctrl+click"), tr("Add a region to the selection or take it out"));
    row(tr("Drag a handle"), tr("Move a vertex, a corner, a circle's radius of the region selected alone"));
    row(tr("Shift+click a vertex"), tr("Delete that vertex of the selected polygon"));
    row(tr("Double-click an edge"), tr("Insert a vertex there"));
    row(tr("Wheel"), tr("Zoom around the cursor"));
    row(tr("Middle-drag, Space+drag"), tr("Pan"));
    html += QStringLiteral("</table>");
    QMessageBox box(m_window);
    box.setWindowTitle(tr("Keyboard Shortcuts"));
    box.setTextFormat(Qt::RichText);
    box.setText(html);
    box.exec();
}

} // namespace ui
