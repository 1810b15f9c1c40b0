#pragma once
// Errors as values at the core boundary. An Error names the file, the place in
// it (line/column or a JSON path) and the reason; a Result<T> holds a value or an Error.
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace core {

enum class ErrorCode {
    Io,            // cannot read or write a file
    Parse,         // syntax error in the input
    Invalid,       // well-formed input with wrong content
    OutsideRoots,  // an image path resolves outside every image root
    Unsupported,   // a feature or version this build does not handle
    Schema,        // project file from a newer or unknown schema
    Cancelled,
    NotFound,      // no such image, class, region or run in the project
    Busy,          // another program holds a lock on the file
    TooLarge,      // beyond a limit this program sets (image pixels, ...)
    Internal,
};

struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string file;     // may be empty when no file is involved
    std::string where;    // "12:5" (line:col), a JSON path "$['img.jpg'].regions[3]", or empty
    std::string message;  // the reason, without the file or the place

    // "file:where: message" with empty parts left out: the form the CLI prints after "error: ".
    std::string toString() const
    {
        std::string s = file;
        if (!where.empty())
            s += (s.empty() ? "" : ":") + where;
        if (!s.empty())
            s += ": ";
        return s + message;
    }
};

inline Error makeError(ErrorCode code, std::string file, std::string where, std::string message)
{
    return Error{code, std::move(file), std::move(where), std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_v(std::move(value)) {}
    Result(Error error) : m_v(std::move(error)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    T &value() & { return std::get<0>(m_v); }
    const T &value() const & { return std::get<0>(m_v); }
    T &&value() && { return std::get<0>(std::move(m_v)); }
    T *operator->() { return &std::get<0>(m_v); }
    const T *operator->() const { return &std::get<0>(m_v); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }
    const Error &error() const { return std::get<1>(m_v); }

private:
    std::variant<T, Error> m_v;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_e(std::move(error)) {}
    bool ok() const { return !m_e.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error &error() const { return *m_e; }

private:
    std::optional<Error> m_e;
};

using Status = Result<void>;

} // namespace core
