#pragma once
// must(): the value of a core::Result in a test, or a fatal failure that prints the error.
#include "core/result.h"

#include <QtGlobal>

#include <utility>

template <typename T>
T must(core::Result<T> r)
{
    if (!r) qFatal("unexpected error: %s", r.error().toString().c_str());
    return std::move(r.value());
}
