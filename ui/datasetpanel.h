#pragma once
// The dataset panel of the Annotate workspace (a dock): the project's images in a
// virtualised list with thumbnails decoded on demand off the GUI thread, a name
// search and filters by split, image class and state (annotated, not annotated,
// with validation problems), and a count of what the filters let through.
// Rows are those of the image list given to setImages(); the panel says which one
// the user picked (rowActivated) and walks the filtered list (rowAfter).
#include "core/project_store.h"

#include <QWidget>

#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QListView;

namespace ui {

class DatasetFilter;
class DatasetModel;

class DatasetPanel : public QWidget {
    Q_OBJECT
public:
    explicit DatasetPanel(QWidget *parent = nullptr);

    void setImages(std::vector<core::ImageInfo> images, const std::vector<core::ClassRecord> &classes);
    const std::vector<core::ImageInfo> &images() const;
    // Makes `row` current in the list (quietly: no rowActivated); false when the filters hide it.
    bool showRow(int row);
    // The row `step` places after `row` in the list as filtered (clamped), -1 when the list is empty.
    int rowAfter(int row, int step) const;
    void setRegionCount(core::Id image, int n);

    DatasetModel *model() const { return m_model; }
    DatasetFilter *filter() const { return m_filter; }
    QListView *list() const { return m_list; }
    QLineEdit *searchBox() const { return m_search; }

Q_SIGNALS:
    void rowActivated(int row); // the user (or a test) made this row current

private:
    void updateCount();

    bool m_quiet = false; // showRow() moves the current row without announcing it

    DatasetModel *m_model;
    DatasetFilter *m_filter;
    QListView *m_list;
    QLineEdit *m_search;
    QComboBox *m_splitFilter, *m_classFilter, *m_stateFilter;
    QLabel *m_count;
};

} // namespace ui
