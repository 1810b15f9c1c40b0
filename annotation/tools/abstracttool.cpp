#include "annotation/tools/abstracttool.h"

#include "annotation/canvas.h"

namespace annotation {

AbstractTool::AbstractTool(QString name, QIcon icon, QKeySequence shortcut, QString toolTip, QObject *parent)
    : QObject(parent), m_name(std::move(name)), m_icon(std::move(icon)), m_shortcut(std::move(shortcut)), m_toolTip(std::move(toolTip))
{
}

void AbstractTool::activate(Canvas *canvas) { m_canvas = canvas; }

void AbstractTool::deactivate()
{
    reset();
    m_canvas = nullptr;
}

Document *AbstractTool::document() const { return m_canvas ? m_canvas->document() : nullptr; }

void AbstractTool::setStatusText(const QString &text)
{
    if (text == m_status) return;
    m_status = text;
    Q_EMIT statusTextChanged(text);
}

} // namespace annotation
