#pragma once
/// @file
/// @brief Which consultation centre serves a postal code: config/regions/*.csv maps postal-code
/// prefixes (3 to 7 digits; the longest match wins) to a centre with its phone, opening hours and
/// web page; a row with prefix `*` is the prefecture-wide fallback for codes no row covers. Pure:
/// parsing, lookup and "is it open now" are table-tested (test/unit/regions_test.cpp).
///
/// CSV columns, with a header row (lines starting with # are comments):
///   prefix,name_ja,name_en,phone,hours,days,url
///   231,横浜市 中区福祉保健センター,Naka Ward Health Centre (Yokohama),045-…,08:45-17:00,weekdays,https://…
///   *,神奈川県 新型コロナウイルス感染症専用ダイヤル,Kanagawa COVID-19 line,045-…,24h,daily,https://…
/// hours: "HH:MM-HH:MM" (Asia/Tokyo) or "24h"; days: "daily" or "weekdays" (Monday to Friday;
/// public holidays are not known to sapo).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sapo::support {

struct Centre {
    std::string prefix;  ///< digits, or "*" for the fallback
    std::string name_ja;
    std::string name_en;
    std::string phone;
    bool all_day = false;  ///< "24h"
    int open_minute = 0;   ///< minutes after midnight, Asia/Tokyo
    int close_minute = 0;
    bool weekdays_only = false;
    std::string url;

    const std::string& name(std::string_view language) const { return language.rfind("en", 0) == 0 ? name_en : name_ja; }
    /// "8:45〜17:00（平日）", "24時間" / "8:45–17:00 (weekdays)", "24 hours".
    std::string hours_text(std::string_view language) const;
};

struct RegionTable {
    std::vector<Centre> centres;  ///< in file order

    /// The centre for a 7-digit postal code: the longest matching prefix, else the fallback (nullptr
    /// when the table has neither).
    const Centre* find(std::string_view postal_code) const;
    const Centre* fallback() const;
};

/// One problem per bad line ("line 7: phone \"abc\" is not a phone number"); an empty list means the
/// table is good. A prefix given twice, a missing fallback, and a bad header are problems too.
RegionTable parse_regions(std::string_view csv, std::vector<std::string>& problems);

/// Whether the centre answers the phone at this Tokyo time. `weekday`: 0 = Sunday … 6 = Saturday.
bool open_at(const Centre& c, int weekday, int minute_of_day);

/// The Tokyo weekday (0 = Sunday) and minute of a Unix time in milliseconds.
int tokyo_weekday(std::int64_t unix_ms);

}  // namespace sapo::support
