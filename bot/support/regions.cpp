#include "bot/support/regions.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bot/phone_number.hpp"
#include "flows/tokyo_time.hpp"

namespace sapo::support {
namespace {

constexpr std::string_view kHeader = "prefix,name_ja,name_en,phone,hours,days,url";
constexpr std::size_t kColumns = 7;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) {
    for (char c : s) {
        if (!is_digit(c)) return false;
    }
    return !s.empty();
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string at_line(std::size_t line, const std::string& what) { return "line " + std::to_string(line) + ": " + what; }

/// Splits one CSV line: fields separated by commas; a field may be enclosed in double quotes, in
/// which case it may contain commas and a doubled quote ("") stands for one quote. Unquoted fields
/// are trimmed of surrounding blanks. Returns the problem text (without the line number) on error.
std::optional<std::string> split_csv_line(std::string_view line, std::vector<std::string>& fields) {
    fields.clear();
    std::size_t i = 0;
    while (true) {
        // Leading blanks before a field (also before an opening quote).
        std::size_t start = i;
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i < line.size() && line[i] == '"') {
            std::string value;
            ++i;
            bool closed = false;
            while (i < line.size()) {
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') {
                        value += '"';
                        i += 2;
                        continue;
                    }
                    closed = true;
                    ++i;
                    break;
                }
                value += line[i++];
            }
            if (!closed) return std::string("unterminated quoted field");
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
            if (i < line.size() && line[i] != ',') return std::string("text after a closing quote");
            fields.push_back(std::move(value));
        } else {
            i = start;
            const std::size_t comma = line.find(',', i);
            const std::size_t end = comma == std::string_view::npos ? line.size() : comma;
            fields.emplace_back(trim(line.substr(i, end - i)));
            i = end;
        }
        if (i >= line.size()) break;
        ++i;  // the comma
    }
    return std::nullopt;
}

/// "HH:MM" with 00 <= HH <= 23 (or exactly "24:00" when `allow_24` is set) -> minutes after midnight.
std::optional<int> parse_clock(std::string_view s, bool allow_24) {
    if (s.size() != 5 || s[2] != ':' || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[3]) ||
        !is_digit(s[4])) {
        return std::nullopt;
    }
    const int hours = (s[0] - '0') * 10 + (s[1] - '0');
    const int minutes = (s[3] - '0') * 10 + (s[4] - '0');
    if (minutes > 59) return std::nullopt;
    if (hours == 24 && minutes == 0 && allow_24) return 24 * 60;
    if (hours > 23) return std::nullopt;
    return hours * 60 + minutes;
}

/// Fills the hours of `c` from "24h" or "HH:MM-HH:MM"; returns the problem text on error.
std::optional<std::string> parse_hours(std::string_view s, Centre& c) {
    if (s == "24h") {
        c.all_day = true;
        c.open_minute = 0;
        c.close_minute = 24 * 60;
        return std::nullopt;
    }
    const std::string bad = "hours " + quoted(s) + " must be HH:MM-HH:MM or 24h";
    if (s.size() != 11 || s[5] != '-') return bad;
    const auto open = parse_clock(s.substr(0, 5), false);
    const auto close = parse_clock(s.substr(6, 5), true);
    if (!open || !close) return bad;
    if (*open >= *close) return "hours " + quoted(s) + " must open before they close";
    c.all_day = false;
    c.open_minute = *open;
    c.close_minute = *close;
    return std::nullopt;
}

/// "8:45", "17:00", "24:00": the hour without a leading zero.
std::string clock_text(int minute_of_day) {
    const int hours = minute_of_day / 60;
    const int minutes = minute_of_day % 60;
    std::string out = std::to_string(hours) + ":";
    if (minutes < 10) out += '0';
    out += std::to_string(minutes);
    return out;
}

/// Checks one data row and builds its centre; returns the problem text (without the line number).
std::optional<std::string> parse_row(const std::vector<std::string>& f, Centre& c) {
    const std::string& prefix = f[0];
    if (prefix != "*" && (prefix.size() < 3 || prefix.size() > 7 || !all_digits(prefix))) {
        return "prefix " + quoted(prefix) + " must be 3 to 7 digits or *";
    }
    c.prefix = prefix;
    c.name_ja = f[1];
    c.name_en = f[2];
    c.phone = f[3];
    c.url = f[6];
    if (c.name_ja.empty()) return std::string("name_ja is empty");
    if (c.name_en.empty()) return std::string("name_en is empty");
    if (!is_phone_number(c.phone)) return "phone " + quoted(c.phone) + " is not a phone number";
    if (auto problem = parse_hours(f[4], c)) return problem;
    if (f[5] == "daily") {
        c.weekdays_only = false;
    } else if (f[5] == "weekdays") {
        c.weekdays_only = true;
    } else {
        return "days " + quoted(f[5]) + " must be daily or weekdays";
    }
    constexpr std::string_view kScheme = "https://";
    if (c.url.size() <= kScheme.size() || c.url.compare(0, kScheme.size(), kScheme) != 0) {
        return "url " + quoted(c.url) + " must start with https://";
    }
    return std::nullopt;
}

}  // namespace

std::string Centre::hours_text(std::string_view language) const {
    const bool en = language.rfind("en", 0) == 0;  // "en-US" reads English too
    std::string out;
    if (all_day) {
        out = en ? "24 hours" : "24時間";
        if (weekdays_only) out += en ? " (weekdays)" : "（平日）";
        return out;
    }
    out = clock_text(open_minute) + (en ? "\u2013" : "〜") + clock_text(close_minute);
    if (en) {
        out += weekdays_only ? " (weekdays)" : " (every day)";
    } else {
        out += weekdays_only ? "（平日）" : "（毎日）";
    }
    return out;
}

const Centre* RegionTable::find(std::string_view postal_code) const {
    const Centre* best = nullptr;
    for (const Centre& c : centres) {
        if (c.prefix == "*") continue;
        if (postal_code.size() < c.prefix.size()) continue;
        if (postal_code.compare(0, c.prefix.size(), c.prefix) != 0) continue;
        if (best == nullptr || c.prefix.size() > best->prefix.size()) best = &c;
    }
    return best != nullptr ? best : fallback();
}

const Centre* RegionTable::fallback() const {
    for (const Centre& c : centres) {
        if (c.prefix == "*") return &c;
    }
    return nullptr;
}

RegionTable parse_regions(std::string_view csv, std::vector<std::string>& problems) {
    RegionTable table;
    bool header_seen = false;
    std::map<std::string, std::size_t> first_line;  // prefix -> line it was first given on
    std::vector<std::string> fields;

    std::size_t line_no = 0;
    std::size_t pos = 0;
    constexpr std::string_view kBom = "\xEF\xBB\xBF";
    if (csv.substr(0, kBom.size()) == kBom) pos = kBom.size();
    while (pos <= csv.size()) {
        const std::size_t nl = csv.find('\n', pos);
        const std::size_t end = nl == std::string_view::npos ? csv.size() : nl;
        std::string_view line = csv.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        ++line_no;
        pos = end + 1;

        if (trim(line).empty() || line.front() == '#') {
            if (nl == std::string_view::npos) break;
            continue;
        }
        if (!header_seen) {
            if (trim(line) != kHeader) {
                problems.push_back(at_line(line_no, "header must be " + quoted(kHeader)));
                return table;  // the columns cannot be trusted
            }
            header_seen = true;
        } else if (auto problem = split_csv_line(line, fields)) {
            problems.push_back(at_line(line_no, *problem));
        } else if (fields.size() != kColumns) {
            problems.push_back(at_line(line_no, "expected " + std::to_string(kColumns) + " columns, got " +
                                                    std::to_string(fields.size())));
        } else {
            Centre c;
            auto row_problem = parse_row(fields, c);
            if (!row_problem && first_line.count(c.prefix) != 0) {
                row_problem = "prefix " + quoted(c.prefix) + " is given twice (first on line " +
                              std::to_string(first_line[c.prefix]) + ")";
            }
            if (row_problem) {
                problems.push_back(at_line(line_no, *row_problem));
            } else {
                first_line.emplace(c.prefix, line_no);
                table.centres.push_back(std::move(c));
            }
        }
        if (nl == std::string_view::npos) break;
    }

    if (!header_seen) {
        problems.push_back("no header row (expected " + quoted(kHeader) + ")");
        return table;
    }
    if (table.fallback() == nullptr) {
        problems.push_back("no * row (the prefecture-wide fallback)");
    }
    return table;
}

bool open_at(const Centre& c, int weekday, int minute_of_day) {
    if (c.weekdays_only && (weekday == 0 || weekday == 6)) return false;
    if (c.all_day) return true;
    return minute_of_day >= c.open_minute && minute_of_day < c.close_minute;
}

int tokyo_weekday(std::int64_t unix_ms) {
    const std::int64_t days = flows::days_from_civil(flows::tokyo_date(unix_ms));
    // 1970-01-01 (day 0) was a Thursday.
    const std::int64_t w = (days + 4) % 7;
    return static_cast<int>(w < 0 ? w + 7 : w);
}

}  // namespace sapo::support
