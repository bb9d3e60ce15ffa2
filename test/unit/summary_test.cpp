// The questionnaire's published totals (bot/support/summary.cpp): cells below 5 are suppressed,
// a single suppressed cell takes the next smallest with it, a total below 5 is suppressed, and a
// suppressed count never leaves publish().

#include "bot/support/summary.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using sapo::storage::SummaryCell;
using sapo::support::kMinPublishedCount;
using sapo::support::publish;
using sapo::support::PublishedTable;

namespace {

/// Cells keyed by outcome and area, from (outcome, count) pairs, in the given order.
std::vector<SummaryCell> cells(const std::vector<std::pair<std::string, std::int64_t>>& counts) {
    std::vector<SummaryCell> out;
    for (const auto& [key, count] : counts) out.push_back({{key, "231"}, count});
    return out;
}

/// One line per cell ("A/231=7", "B/231=0 suppressed"), then the total ("total=12" or
/// "total=0 suppressed").
std::string describe(const PublishedTable& t) {
    std::string out;
    for (const auto& c : t.cells) {
        std::string keys;
        for (const auto& k : c.keys) keys += (keys.empty() ? "" : "/") + k;
        out += keys + "=" + std::to_string(c.count) + (c.suppressed ? " suppressed" : "") + "\n";
    }
    return out + "total=" + std::to_string(t.total) + (t.total_suppressed ? " suppressed" : "");
}

}  // namespace

TEST_CASE("summary: the threshold is 5", "[unit][support]") { CHECK(kMinPublishedCount == 5); }

TEST_CASE("summary: what publish makes of each table", "[unit][support]") {
    struct Case {
        const char* name;
        std::vector<std::pair<std::string, std::int64_t>> in;
        std::string out;
    };
    const std::vector<Case> cases{
        {"no cells", {}, "total=0 suppressed"},
        {"every cell 5 or more", {{"A", 5}, {"B", 12}, {"C", 7}}, "A/231=5\nB/231=12\nC/231=7\ntotal=24"},
        {"one cell of 5", {{"A", 5}}, "A/231=5\ntotal=5"},
        {"one small cell among several: it and the next smallest",
         {{"A", 10}, {"B", 3}, {"C", 7}, {"D", 8}},
         "A/231=10\nB/231=0 suppressed\nC/231=0 suppressed\nD/231=8\ntotal=28"},
        {"the next smallest before the small one", {{"A", 6}, {"B", 20}, {"C", 4}},
         "A/231=0 suppressed\nB/231=20\nC/231=0 suppressed\ntotal=30"},
        {"a tie for the next smallest: the first of them", {{"A", 3}, {"B", 6}, {"C", 9}, {"D", 6}},
         "A/231=0 suppressed\nB/231=0 suppressed\nC/231=9\nD/231=6\ntotal=24"},
        {"the next smallest exactly at the threshold", {{"A", 4}, {"B", 5}, {"C", 5}},
         "A/231=0 suppressed\nB/231=0 suppressed\nC/231=5\ntotal=14"},
        {"a small cell of 0", {{"A", 0}, {"B", 12}, {"C", 9}},
         "A/231=0 suppressed\nB/231=12\nC/231=0 suppressed\ntotal=21"},
        {"one small cell and one other", {{"A", 2}, {"B", 40}}, "A/231=0 suppressed\nB/231=0 suppressed\ntotal=42"},
        {"two small cells: only those", {{"A", 2}, {"B", 4}, {"C", 10}, {"D", 20}},
         "A/231=0 suppressed\nB/231=0 suppressed\nC/231=10\nD/231=20\ntotal=36"},
        {"three small cells: only those", {{"A", 1}, {"B", 30}, {"C", 4}, {"D", 4}},
         "A/231=0 suppressed\nB/231=30\nC/231=0 suppressed\nD/231=0 suppressed\ntotal=39"},
        {"a single cell below 5: the total too", {{"A", 3}}, "A/231=0 suppressed\ntotal=0 suppressed"},
        {"small cells adding up to exactly 5: the total is shown", {{"A", 2}, {"B", 3}},
         "A/231=0 suppressed\nB/231=0 suppressed\ntotal=5"},
        {"small cells adding up to 4: the total is suppressed", {{"A", 1}, {"B", 3}},
         "A/231=0 suppressed\nB/231=0 suppressed\ntotal=0 suppressed"},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        CHECK(describe(publish(cells(c.in))) == c.out);
    }
}

TEST_CASE("summary: suppressed cells keep their keys and place, their counts are 0", "[unit][support]") {
    const std::vector<SummaryCell> in{{{"2026-11-20", "231", "A"}, 9},
                                      {{"2026-11-20", "231", "B"}, 2},
                                      {{"2026-11-20", "232", "C"}, 14},
                                      {{"2026-11-21", "231", "A"}, 6}};
    auto t = publish(in);
    REQUIRE(t.cells.size() == 4);
    for (std::size_t i = 0; i < in.size(); ++i) {
        INFO(i);
        CHECK(t.cells[i].keys == in[i].keys);
    }
    CHECK(t.cells[0].count == 9);
    CHECK_FALSE(t.cells[0].suppressed);
    CHECK(t.cells[1].count == 0);
    CHECK(t.cells[1].suppressed);
    CHECK(t.cells[2].count == 14);
    CHECK_FALSE(t.cells[2].suppressed);
    CHECK(t.cells[3].count == 0);  // 6, the next smallest
    CHECK(t.cells[3].suppressed);
    CHECK(t.total == 31);
    CHECK_FALSE(t.total_suppressed);
}

TEST_CASE("summary: another threshold", "[unit][support]") {
    CHECK(describe(publish(cells({{"A", 9}, {"B", 10}, {"C", 15}}), 10)) ==
          "A/231=0 suppressed\nB/231=0 suppressed\nC/231=15\ntotal=34");
    CHECK(describe(publish(cells({{"A", 10}}), 10)) == "A/231=10\ntotal=10");
    CHECK(describe(publish(cells({{"A", 4}, {"B", 5}}), 3)) == "A/231=4\nB/231=5\ntotal=9");
}
