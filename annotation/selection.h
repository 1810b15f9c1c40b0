#pragma once
// The selected regions of the image on the canvas, in the order they were
// selected. A small object of the editor (not of the window): tools change it,
// the canvas draws it, the attribute editor follows it. Ids only; the regions
// themselves stay in the Document, and ids the document no longer has are dropped
// by prune() (an undo can take a selected region away).
#include "core/project_store.h"

#include <QObject>

#include <vector>

namespace annotation {

class Document;

class Selection : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    const std::vector<core::Id> &ids() const { return m_ids; }
    bool isEmpty() const { return m_ids.empty(); }
    bool contains(core::Id id) const;
    // The one selected region, 0 when none or several are selected.
    core::Id single() const { return m_ids.size() == 1 ? m_ids.front() : 0; }

    void set(std::vector<core::Id> ids);
    void toggle(core::Id id); // Ctrl+click: in if out, out if in
    void clear() { set({}); }
    // Forgets ids `doc` does not hold (quietly: the caller redraws anyway).
    void prune(const Document &doc);

Q_SIGNALS:
    void changed();

private:
    std::vector<core::Id> m_ids;
};

} // namespace annotation
