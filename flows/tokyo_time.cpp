#include "flows/tokyo_time.hpp"

#include <array>
#include <cstdio>
#include <utility>

namespace sapo::flows {
namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;
constexpr std::int64_t kMsPerMinute = 60'000;
constexpr std::int64_t kTokyoOffsetMs = 9 * 3'600'000;  // UTC+9, no DST since 1951

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
    const std::int64_t r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(std::int64_t y, int m) {
    static constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && is_leap(y)) return 29;
    return kDays[static_cast<std::size_t>(m - 1)];
}

}  // namespace

// Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms" (public domain).
std::int64_t days_from_civil(CivilDate d) {
    std::int64_t y = d.year;
    const std::int64_t m = d.month;
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;                                  // [0, 399]
    const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d.day - 1;  // [0, 365]
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;         // [0, 146096]
    return era * 146097 + doe - 719468;
}

CivilDate civil_from_days(std::int64_t days) {
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const std::int64_t doe = days - era * 146097;                                // [0, 146096]
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
    const std::int64_t y = yoe + era * 400;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);  // [0, 365]
    const std::int64_t mp = (5 * doy + 2) / 153;                        // [0, 11]
    const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;                // [1, 31]
    const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;                   // [1, 12]
    return CivilDate{static_cast<int>(y + (m <= 2 ? 1 : 0)), static_cast<int>(m), static_cast<int>(d)};
}

bool valid_date(CivilDate d) {
    if (d.month < 1 || d.month > 12) return false;
    return d.day >= 1 && d.day <= days_in_month(d.year, d.month);
}

namespace {

/// Tokyo day number and milliseconds into that day, without overflowing near the int64 limits.
std::pair<std::int64_t, std::int64_t> tokyo_day_and_ms(std::int64_t unix_ms) {
    std::int64_t day = floor_div(unix_ms, kMsPerDay);
    std::int64_t ms = floor_mod(unix_ms, kMsPerDay) + kTokyoOffsetMs;
    if (ms >= kMsPerDay) {
        ms -= kMsPerDay;
        ++day;
    }
    return {day, ms};
}

}  // namespace

CivilDate tokyo_date(std::int64_t unix_ms) { return civil_from_days(tokyo_day_and_ms(unix_ms).first); }

int tokyo_minute_of_day(std::int64_t unix_ms) {
    return static_cast<int>(tokyo_day_and_ms(unix_ms).second / kMsPerMinute);
}

std::string iso_date(CivilDate d) {
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02d", d.year, d.month, d.day);
    return buf.data();
}

std::optional<CivilDate> parse_iso_date(const std::string& s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    auto digits = [&](std::size_t from, std::size_t count) -> std::optional<int> {
        int v = 0;
        for (std::size_t i = from; i < from + count; ++i) {
            if (s[i] < '0' || s[i] > '9') return std::nullopt;
            v = v * 10 + (s[i] - '0');
        }
        return v;
    };
    const auto y = digits(0, 4);
    const auto m = digits(5, 2);
    const auto d = digits(8, 2);
    if (!y || !m || !d) return std::nullopt;
    const CivilDate date{*y, *m, *d};
    if (!valid_date(date)) return std::nullopt;
    return date;
}

std::string format_tokyo_time(std::int64_t unix_ms, const std::string& language) {
    static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const CivilDate d = tokyo_date(unix_ms);
    const int minute = tokyo_minute_of_day(unix_ms);
    std::array<char, 64> buf{};
    // English only for "en" and its regional variants ("en-US"); Japanese otherwise, the
    // service's default language (responder.hpp).
    const bool english = language.size() >= 2 && (language[0] == 'e' || language[0] == 'E') &&
                         (language[1] == 'n' || language[1] == 'N') &&
                         (language.size() == 2 || language[2] == '-' || language[2] == '_');
    if (english) {
        std::snprintf(buf.data(), buf.size(), "%s %d, %02d:%02d", kMonths[static_cast<std::size_t>(d.month - 1)],
                      d.day, minute / 60, minute % 60);
    } else {
        std::snprintf(buf.data(), buf.size(), "%d\u6708%d\u65e5 %02d:%02d", d.month, d.day, minute / 60,
                      minute % 60);
    }
    return buf.data();
}

}  // namespace sapo::flows
