#pragma once
/// @file
/// @brief The one exception storage lets out: libpqxx's exceptions are translated at the boundary
/// so callers don't depend on libpqxx.

#include <stdexcept>
#include <string>

namespace sapo::storage {

class StorageError : public std::runtime_error {
public:
    /// `transient`: the database was unreachable or the connection broke; trying again later
    /// may succeed. Otherwise the statement itself failed.
    StorageError(const std::string& what, bool transient)
        : std::runtime_error(what), transient_(transient) {}

    bool transient() const { return transient_; }

private:
    bool transient_;
};

}  // namespace sapo::storage
