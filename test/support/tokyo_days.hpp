#pragma once
/// @file
/// @brief Days in Asia/Tokyo for tests and benchmarks that place check-ins relative to today,
/// computed with the C library rather than sapo's own code (so a bug there can't hide itself).

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace sapo::test {

inline constexpr long long kDayMs = 86'400'000;
inline constexpr long long kTokyoOffsetMs = 9 * 3'600'000;

inline long long now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// The instant (Unix ms) of midnight in Asia/Tokyo `days_back` days before today there.
inline long long tokyo_midnight(int days_back) {
    const long long today = (now_ms() + kTokyoOffsetMs) / kDayMs;
    return (today - days_back) * kDayMs - kTokyoOffsetMs;
}

/// "YYYY-MM-DD" (or with `japanese`, "M月D日") of the Tokyo day an instant falls on.
inline std::string tokyo_date(long long ms, bool japanese = false) {
    std::time_t t = static_cast<std::time_t>((ms + kTokyoOffsetMs) / 1000);
    std::tm g{};
    gmtime_r(&t, &g);
    char buf[48];
    if (japanese) std::snprintf(buf, sizeof buf, "%d月%d日", g.tm_mon + 1, g.tm_mday);
    else std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", g.tm_year + 1900, g.tm_mon + 1, g.tm_mday);
    return buf;
}

/// A timestamptz SQL expression for a Unix time in ms, exact to the millisecond.
inline std::string sql_instant(long long ms) {
    return "('epoch'::timestamptz + " + std::to_string(ms) + " * interval '1 millisecond')";
}

}  // namespace sapo::test
