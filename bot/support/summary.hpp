#pragma once
/// @file
/// @brief The questionnaire's totals as the prefecture may publish them: counts by day, 3-digit
/// area and outcome, where a cell below the threshold (5) is suppressed, and when a table would
/// have exactly one suppressed cell the next smallest is suppressed too, so it can't be worked out
/// from the total. Pure.

#include <cstdint>
#include <string>
#include <vector>

#include "storage/support_store.hpp"

namespace sapo::support {

inline constexpr std::int64_t kMinPublishedCount = 5;

struct PublishedCell {
    std::vector<std::string> keys;
    std::int64_t count = 0;
    bool suppressed = false;
};

struct PublishedTable {
    std::vector<PublishedCell> cells;
    std::int64_t total = 0;
    bool total_suppressed = false;
};

PublishedTable publish(const std::vector<storage::SummaryCell>& cells, std::int64_t min_count = kMinPublishedCount);

}  // namespace sapo::support
