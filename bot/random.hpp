#pragma once
/// @file
/// @brief Unpredictable identifiers (tokens, secrets, ids) from OpenSSL's CSPRNG.

#include <cstddef>
#include <string>

namespace sapo {

/// `bytes` random bytes as lower-case hex (2 * bytes characters). Thread-safe; throws
/// std::runtime_error if the system cannot supply randomness.
std::string random_hex(std::size_t bytes);

}  // namespace sapo
