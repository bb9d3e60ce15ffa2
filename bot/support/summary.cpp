#include "bot/support/summary.hpp"

#include <algorithm>

namespace sapo::support {

PublishedTable publish(const std::vector<storage::SummaryCell>& cells, std::int64_t min_count) {
    PublishedTable t;
    int suppressed = 0;
    for (const auto& c : cells) {
        const bool small = c.count < min_count;
        t.cells.push_back({c.keys, c.count, small});
        t.total += c.count;
        suppressed += small ? 1 : 0;
    }
    t.total_suppressed = t.total < min_count;
    // one hidden cell next to a published total is the total minus the rest: hide one more
    if (suppressed == 1 && !t.total_suppressed) {
        auto next = std::min_element(t.cells.begin(), t.cells.end(), [](const PublishedCell& a, const PublishedCell& b) {
            if (a.suppressed != b.suppressed) return !a.suppressed;
            return a.count < b.count;
        });
        if (next != t.cells.end() && !next->suppressed) next->suppressed = true;
    }
    for (auto& c : t.cells) {
        if (c.suppressed) c.count = 0;  // never leaves this function
    }
    if (t.total_suppressed) t.total = 0;
    return t;
}

}  // namespace sapo::support
