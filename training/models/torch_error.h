#pragma once
// What an exception from LibTorch (or anything below it) says, fit for a user: the
// first line only, because c10::Error appends a C++ backtrace that means nothing
// to someone training a model, and at most 200 characters.
#include <exception>
#include <string>

namespace training {

std::string exceptionText(const std::exception &e);

} // namespace training
