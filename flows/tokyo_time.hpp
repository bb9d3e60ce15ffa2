#pragma once
/// @file
/// @brief Calendar dates and clock times in Asia/Tokyo, computed without tz files: Japan has kept
/// UTC+9 without daylight saving since 1951, so the offset is a constant.

#include <cstdint>
#include <optional>
#include <string>

namespace sapo::flows {

struct CivilDate {
    int year = 1970;
    int month = 1;  ///< 1..12
    int day = 1;    ///< 1..31
    friend bool operator==(const CivilDate&, const CivilDate&) = default;
    friend auto operator<=>(const CivilDate&, const CivilDate&) = default;
};

/// Days since 1970-01-01 (proleptic Gregorian) and back.
std::int64_t days_from_civil(CivilDate d);
CivilDate civil_from_days(std::int64_t days);
bool valid_date(CivilDate d);

/// The Tokyo calendar date and minutes after Tokyo midnight of a Unix time in milliseconds.
CivilDate tokyo_date(std::int64_t unix_ms);
int tokyo_minute_of_day(std::int64_t unix_ms);

/// "2026-11-21"
std::string iso_date(CivilDate d);
/// Parses "2026-11-21" exactly.
std::optional<CivilDate> parse_iso_date(const std::string& s);
/// "11月21日 12:30" (ja) or "Nov 21, 12:30" (en) for a Unix time in milliseconds, Tokyo time.
std::string format_tokyo_time(std::int64_t unix_ms, const std::string& language);

}  // namespace sapo::flows
