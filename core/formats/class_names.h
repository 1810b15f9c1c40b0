#pragma once
// Adds region classes to a Dataset while a reader walks its file. Dataset::ensureClass
// scans the class list, so a file with many classes and many regions made a read
// quadratic; this keeps a hash of the names already there.
#include "core/dataset.h"

#include <string>
#include <unordered_set>

namespace core {

class ClassNames {
public:
    explicit ClassNames(Dataset &ds);
    // Adds `name` (not empty) to the dataset's classes unless it is there.
    void ensure(const std::string &name);

private:
    Dataset &m_ds;
    std::unordered_set<std::string> m_known;
    std::string m_last; // runs of regions of one class skip the hash
};

} // namespace core
