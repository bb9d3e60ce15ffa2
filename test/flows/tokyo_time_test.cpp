#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "flows/tokyo_time.hpp"

using sapo::flows::CivilDate;

namespace {

struct DaysCase {
    CivilDate date;
    std::int64_t days;
};

}  // namespace

TEST_CASE("days_from_civil and civil_from_days agree with known day numbers", "[flows][tokyo_time]") {
    const std::vector<DaysCase> cases{
        {{1970, 1, 1}, 0},           {{1969, 12, 31}, -1},         {{1970, 1, 2}, 1},
        {{2000, 3, 1}, 11017},       {{2026, 11, 21}, 20778},      {{1600, 2, 29}, -135081},
        {{1, 1, 1}, -719162},        {{9999, 12, 31}, 2932896},    {{2000, 2, 29}, 11016},
        {{2026, 12, 31}, 20818},     {{2027, 1, 1}, 20819},
    };
    for (const auto& c : cases) {
        CAPTURE(c.date.year, c.date.month, c.date.day);
        CHECK(sapo::flows::days_from_civil(c.date) == c.days);
        CHECK(sapo::flows::civil_from_days(c.days) == c.date);
    }
}

TEST_CASE("civil_from_days round-trips over a wide range", "[flows][tokyo_time]") {
    for (std::int64_t days = -800'000; days <= 800'000; days += 97) {
        const CivilDate d = sapo::flows::civil_from_days(days);
        const CivilDate next = sapo::flows::civil_from_days(days + 1);
        CAPTURE(days, d.year, d.month, d.day);
        REQUIRE(sapo::flows::valid_date(d));
        REQUIRE(sapo::flows::days_from_civil(d) == days);
        // the next day is the next calendar date
        const bool same_month = next.year == d.year && next.month == d.month && next.day == d.day + 1;
        const bool new_month = next.day == 1 && ((next.year == d.year && next.month == d.month + 1) ||
                                                 (next.year == d.year + 1 && next.month == 1 && d.month == 12));
        REQUIRE((same_month || new_month));
        REQUIRE(next > d);
    }
}

TEST_CASE("valid_date knows month lengths and leap years", "[flows][tokyo_time]") {
    struct Case {
        CivilDate date;
        bool valid;
    };
    const std::vector<Case> cases{
        {{2024, 2, 29}, true},  {{2026, 2, 29}, false}, {{1900, 2, 29}, false}, {{2000, 2, 29}, true},
        {{2026, 2, 28}, true},  {{2026, 4, 30}, true},  {{2026, 4, 31}, false}, {{2026, 12, 31}, true},
        {{2026, 13, 1}, false}, {{2026, 0, 10}, false}, {{2026, 1, 0}, false},  {{2026, 1, 32}, false},
        {{2026, 6, 31}, false}, {{2026, 7, 31}, true},  {{2026, -1, 5}, false}, {{2100, 2, 29}, false},
    };
    for (const auto& c : cases) {
        CAPTURE(c.date.year, c.date.month, c.date.day);
        CHECK(sapo::flows::valid_date(c.date) == c.valid);
    }
}

TEST_CASE("tokyo_date and tokyo_minute_of_day use UTC+9", "[flows][tokyo_time]") {
    struct Case {
        std::int64_t unix_ms;
        CivilDate date;
        int minute;
    };
    const std::vector<Case> cases{
        {0, {1970, 1, 1}, 9 * 60},
        {-1, {1970, 1, 1}, 8 * 60 + 59},
        {-9 * 3'600'000 - 1, {1969, 12, 31}, 23 * 60 + 59},
        {-9 * 3'600'000, {1970, 1, 1}, 0},
        {1795231800000, {2026, 11, 21}, 12 * 60 + 30},    // 2026-11-21T03:30Z
        {1798729199999, {2026, 12, 31}, 23 * 60 + 59},    // 14:59:59.999Z, last ms of the year in Tokyo
        {1798729200000, {2027, 1, 1}, 0},                 // 2026-12-31T15:00Z is New Year in Tokyo
        {1798729500000, {2027, 1, 1}, 5},
        {1709164800000, {2024, 2, 29}, 9 * 60},           // leap day
        {1772662020000, {2026, 3, 5}, 7 * 60 + 7},        // 2026-03-04T22:07Z
    };
    for (const auto& c : cases) {
        CAPTURE(c.unix_ms);
        CHECK(sapo::flows::tokyo_date(c.unix_ms) == c.date);
        CHECK(sapo::flows::tokyo_minute_of_day(c.unix_ms) == c.minute);
    }
}

TEST_CASE("tokyo_date handles the extremes of int64 milliseconds", "[flows][tokyo_time]") {
    // No overflow (UBSan build checks this); the year of INT64_MAX ms is about 292 million.
    const auto max = std::numeric_limits<std::int64_t>::max();
    const auto min = std::numeric_limits<std::int64_t>::min();
    CHECK(sapo::flows::valid_date(sapo::flows::tokyo_date(max)));
    CHECK(sapo::flows::valid_date(sapo::flows::tokyo_date(min)));
    CHECK(sapo::flows::tokyo_date(max).year > 292'000'000);
    CHECK(sapo::flows::tokyo_date(min).year < -292'000'000);
    CHECK(sapo::flows::tokyo_minute_of_day(max) >= 0);
    CHECK(sapo::flows::tokyo_minute_of_day(max) < 1440);
    CHECK(sapo::flows::tokyo_minute_of_day(min) >= 0);
    CHECK(sapo::flows::tokyo_minute_of_day(min) < 1440);
}

TEST_CASE("iso_date formats with zero padding", "[flows][tokyo_time]") {
    CHECK(sapo::flows::iso_date({2026, 11, 21}) == "2026-11-21");
    CHECK(sapo::flows::iso_date({2026, 1, 5}) == "2026-01-05");
    CHECK(sapo::flows::iso_date({987, 3, 9}) == "0987-03-09");
}

TEST_CASE("parse_iso_date accepts exactly YYYY-MM-DD of a real date", "[flows][tokyo_time]") {
    struct Case {
        std::string text;
        std::optional<CivilDate> expected;
    };
    const std::vector<Case> cases{
        {"2026-11-21", CivilDate{2026, 11, 21}},
        {"2026-01-05", CivilDate{2026, 1, 5}},
        {"2024-02-29", CivilDate{2024, 2, 29}},
        {"2026-02-29", std::nullopt},
        {"2026-02-30", std::nullopt},
        {"2026-13-01", std::nullopt},
        {"2026-00-01", std::nullopt},
        {"2026-1-05", std::nullopt},
        {"2026-11-5", std::nullopt},
        {"2026/11/21", std::nullopt},
        {"20261121", std::nullopt},
        {"2026-11-21 ", std::nullopt},
        {" 2026-11-21", std::nullopt},
        {"2026-11-2x", std::nullopt},
        {"abcd-ef-gh", std::nullopt},
        {"", std::nullopt},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        CHECK(sapo::flows::parse_iso_date(c.text) == c.expected);
    }
    // round trip
    for (const CivilDate d : {CivilDate{2026, 12, 31}, CivilDate{2027, 1, 1}, CivilDate{1999, 9, 9}}) {
        CHECK(sapo::flows::parse_iso_date(sapo::flows::iso_date(d)) == d);
    }
}

TEST_CASE("format_tokyo_time in Japanese and English", "[flows][tokyo_time]") {
    struct Case {
        std::int64_t unix_ms;
        std::string language;
        std::string expected;
    };
    const std::vector<Case> cases{
        {1795231800000, "ja", "11\u670821\u65e5 12:30"},
        {1795231800000, "en", "Nov 21, 12:30"},
        {1798729500000, "ja", "1\u67081\u65e5 00:05"},
        {1798729500000, "en", "Jan 1, 00:05"},
        {1772662020000, "ja", "3\u67085\u65e5 07:07"},
        {1772662020000, "en", "Mar 5, 07:07"},
        {1798729199999, "en", "Dec 31, 23:59"},
        {1795231800000, "en-US", "Nov 21, 12:30"},
        {1795231800000, "ja-JP", "11\u670821\u65e5 12:30"},
        {1795231800000, "", "11\u670821\u65e5 12:30"},        // unknown: Japanese, the default
        {1795231800000, "zh-TW", "11\u670821\u65e5 12:30"},
        {1795231800000, "eng", "11\u670821\u65e5 12:30"},     // not an "en" tag
    };
    for (const auto& c : cases) {
        CAPTURE(c.unix_ms, c.language);
        CHECK(sapo::flows::format_tokyo_time(c.unix_ms, c.language) == c.expected);
    }
}
