#pragma once
/// @file
/// @brief The starter FAQ built into the binary (config/faq/*.json, in file order).

#include <vector>

#include "flows/faq_entries.hpp"

namespace sapo::faq {

/// Every entry of the shipped files; throws std::runtime_error naming the file and the problem
/// when one is invalid (a build must not ship a broken FAQ).
std::vector<flows::faq::Entry> shipped_entries();

}  // namespace sapo::faq
