#include "bot/support/regions.hpp"

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "flows/tokyo_time.hpp"

using sapo::support::Centre;
using sapo::support::open_at;
using sapo::support::parse_regions;
using sapo::support::RegionTable;
using sapo::support::tokyo_weekday;

namespace {

const std::string kHeader = "prefix,name_ja,name_en,phone,hours,days,url\n";
const std::string kFallbackRow = "*,神奈川県 専用ダイヤル,Kanagawa line,045-285-0536,24h,daily,https://example.jp/\n";
const std::string kNakaRow =
    "231,横浜市 中福祉保健センター,Naka Ward (Yokohama),045-224-8332,08:45-17:00,weekdays,https://example.jp/naka\n";

RegionTable parse_ok(const std::string& csv) {
    std::vector<std::string> problems;
    RegionTable table = parse_regions(csv, problems);
    INFO(csv);
    REQUIRE(problems.empty());
    return table;
}

Centre centre_with(const std::string& hours, const std::string& days) {
    const std::string csv = kHeader + kFallbackRow + "231,中,Naka,045-224-8332," + hours + "," + days + ",https://example.jp/\n";
    RegionTable table = parse_ok(csv);
    REQUIRE(table.centres.size() == 2);
    return table.centres[1];
}

constexpr std::int64_t kMsPerDay = 86'400'000;
constexpr std::int64_t kMsPerHour = 3'600'000;
constexpr std::int64_t kMsPerMinute = 60'000;

/// Unix milliseconds of a Tokyo wall-clock time (UTC+9).
std::int64_t tokyo_ms(int year, int month, int day, int hour, int minute) {
    return sapo::flows::days_from_civil({year, month, day}) * kMsPerDay + (hour - 9) * kMsPerHour +
           minute * kMsPerMinute;
}

/// Unix milliseconds of a UTC wall-clock time.
std::int64_t utc_ms(int year, int month, int day, int hour, int minute) {
    return sapo::flows::days_from_civil({year, month, day}) * kMsPerDay + hour * kMsPerHour + minute * kMsPerMinute;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("regions: a good table parses with comments, blank lines, CRLF and quoted fields", "[unit][regions]") {
    const std::string csv =
        "\xEF\xBB\xBF# a comment before the header\r\n"
        "\r\n" +
        std::string("prefix,name_ja,name_en,phone,hours,days,url\r\n") +
        "# a comment between rows\n"
        "231,横浜市 中福祉保健センター,\"Naka Ward, Yokohama\",045-224-8332,08:45-17:00,weekdays,https://example.jp/\r\n"
        "\n"
        "2400100,\"葉山町 \"\"鎌倉\"\" 事務所\",Hayama,0467-24-3900,08:30-17:15,weekdays,https://example.jp/\n" +
        kFallbackRow;
    RegionTable table = parse_ok(csv);
    REQUIRE(table.centres.size() == 3);

    const Centre& naka = table.centres[0];
    CHECK(naka.prefix == "231");
    CHECK(naka.name_ja == "横浜市 中福祉保健センター");
    CHECK(naka.name_en == "Naka Ward, Yokohama");
    CHECK(naka.name("en") == "Naka Ward, Yokohama");
    CHECK(naka.name("ja") == "横浜市 中福祉保健センター");
    CHECK(naka.phone == "045-224-8332");
    CHECK_FALSE(naka.all_day);
    CHECK(naka.open_minute == 8 * 60 + 45);
    CHECK(naka.close_minute == 17 * 60);
    CHECK(naka.weekdays_only);
    CHECK(naka.url == "https://example.jp/");

    CHECK(table.centres[1].name_ja == "葉山町 \"鎌倉\" 事務所");
    CHECK(table.centres[1].prefix == "2400100");

    const Centre& fallback = table.centres[2];
    CHECK(fallback.prefix == "*");
    CHECK(fallback.all_day);
    CHECK_FALSE(fallback.weekdays_only);
    CHECK(table.fallback() == &fallback);
}

TEST_CASE("regions: bad tables are reported line by line with the exact problem", "[unit][regions]") {
    struct Case {
        const char* what;
        std::string csv;
        std::vector<std::string> expected;
    };
    const std::vector<Case> cases = {
        {"empty input", "", {"no header row (expected \"prefix,name_ja,name_en,phone,hours,days,url\")"}},
        {"only comments", "# nothing here\n\n", {"no header row (expected \"prefix,name_ja,name_en,phone,hours,days,url\")"}},
        {"wrong header",
         "prefix,name,phone\n" + kFallbackRow,
         {"line 1: header must be \"prefix,name_ja,name_en,phone,hours,days,url\""}},
        {"header with a missing column",
         "# comment\nprefix,name_ja,name_en,phone,hours,days\n" + kFallbackRow,
         {"line 2: header must be \"prefix,name_ja,name_en,phone,hours,days,url\""}},
        {"too few columns",
         kHeader + kFallbackRow + "231,中,Naka,045-224-8332,08:45-17:00,weekdays\n",
         {"line 3: expected 7 columns, got 6"}},
        {"too many columns",
         kHeader + kFallbackRow + "231,中,Naka,045-224-8332,08:45-17:00,weekdays,https://example.jp/,extra\n",
         {"line 3: expected 7 columns, got 8"}},
        {"an unquoted comma in a name",
         kHeader + kFallbackRow + "231,中,Naka, Yokohama,045-224-8332,08:45-17:00,weekdays,https://example.jp/\n",
         {"line 3: expected 7 columns, got 8"}},
        {"unterminated quote",
         kHeader + kFallbackRow + "231,\"中,Naka,045-224-8332,08:45-17:00,weekdays,https://example.jp/\n",
         {"line 3: unterminated quoted field"}},
        {"text after a closing quote",
         kHeader + kFallbackRow + "231,\"中\"x,Naka,045-224-8332,08:45-17:00,weekdays,https://example.jp/\n",
         {"line 3: text after a closing quote"}},
        {"prefix too short",
         kHeader + kFallbackRow + "23,中,Naka,045-224-8332,08:45-17:00,weekdays,https://example.jp/\n",
         {"line 3: prefix \"23\" must be 3 to 7 digits or *"}},
        {"prefix too long",
         kHeader + kFallbackRow + "23100231,中,Naka,045-224-8332,08:45-17:00,weekdays,https://example.jp/\n",
         {"line 3: prefix \"23100231\" must be 3 to 7 digits or *"}},
        {"prefix not digits",
         kHeader + kFallbackRow + "231-0023,中,Naka,045-224-8332,08:45-17:00,weekdays,https://example.jp/\n",
         {"line 3: prefix \"231-0023\" must be 3 to 7 digits or *"}},
        {"empty prefix",
         kHeader + kFallbackRow + ",中,Naka,045-224-8332,08:45-17:00,weekdays,https://example.jp/\n",
         {"line 3: prefix \"\" must be 3 to 7 digits or *"}},
        {"duplicate prefix", kHeader + kFallbackRow + kNakaRow + kNakaRow,
         {"line 4: prefix \"231\" is given twice (first on line 3)"}},
        {"two fallbacks", kHeader + kFallbackRow + kNakaRow + kFallbackRow,
         {"line 4: prefix \"*\" is given twice (first on line 2)"}},
        {"empty name_ja",
         kHeader + kFallbackRow + "231,,Naka,045-224-8332,08:45-17:00,weekdays,https://example.jp/\n",
         {"line 3: name_ja is empty"}},
        {"empty name_en",
         kHeader + kFallbackRow + "231,中,\"\",045-224-8332,08:45-17:00,weekdays,https://example.jp/\n",
         {"line 3: name_en is empty"}},
        {"bad phone",
         kHeader + kFallbackRow + "231,中,Naka,abc,08:45-17:00,weekdays,https://example.jp/\n",
         {"line 3: phone \"abc\" is not a phone number"}},
        {"phone too short",
         kHeader + kFallbackRow + "231,中,Naka,110,08:45-17:00,weekdays,https://example.jp/\n",
         {"line 3: phone \"110\" is not a phone number"}},
        {"hours without leading zero",
         kHeader + kFallbackRow + "231,中,Naka,045-224-8332,8:45-17:00,weekdays,https://example.jp/\n",
         {"line 3: hours \"8:45-17:00\" must be HH:MM-HH:MM or 24h"}},
        {"hours out of range",
         kHeader + kFallbackRow + "231,中,Naka,045-224-8332,09:00-24:30,weekdays,https://example.jp/\n",
         {"line 3: hours \"09:00-24:30\" must be HH:MM-HH:MM or 24h"}},
        {"opening at 24:00",
         kHeader + kFallbackRow + "231,中,Naka,045-224-8332,24:00-24:00,daily,https://example.jp/\n",
         {"line 3: hours \"24:00-24:00\" must be HH:MM-HH:MM or 24h"}},
        {"minutes out of range",
         kHeader + kFallbackRow + "231,中,Naka,045-224-8332,08:60-17:00,weekdays,https://example.jp/\n",
         {"line 3: hours \"08:60-17:00\" must be HH:MM-HH:MM or 24h"}},
        {"hours as words",
         kHeader + kFallbackRow + "231,中,Naka,045-224-8332,always,daily,https://example.jp/\n",
         {"line 3: hours \"always\" must be HH:MM-HH:MM or 24h"}},
        {"closing before opening",
         kHeader + kFallbackRow + "231,中,Naka,045-224-8332,17:00-08:45,weekdays,https://example.jp/\n",
         {"line 3: hours \"17:00-08:45\" must open before they close"}},
        {"bad days",
         kHeader + kFallbackRow + "231,中,Naka,045-224-8332,08:45-17:00,sometimes,https://example.jp/\n",
         {"line 3: days \"sometimes\" must be daily or weekdays"}},
        {"url not https",
         kHeader + kFallbackRow + "231,中,Naka,045-224-8332,08:45-17:00,weekdays,http://example.jp/\n",
         {"line 3: url \"http://example.jp/\" must start with https://"}},
        {"url only a scheme",
         kHeader + kFallbackRow + "231,中,Naka,045-224-8332,08:45-17:00,weekdays,https://\n",
         {"line 3: url \"https://\" must start with https://"}},
        {"no fallback row", kHeader + kNakaRow, {"no * row (the prefecture-wide fallback)"}},
        {"bad fallback row and so no fallback",
         kHeader + "*,神奈川県,Kanagawa,045-285-0536,24h,sundays,https://example.jp/\n" + kNakaRow,
         {"line 2: days \"sundays\" must be daily or weekdays", "no * row (the prefecture-wide fallback)"}},
        {"one problem per bad line, several lines",
         kHeader + kFallbackRow + "23,,Naka,abc,08:45-17:00,weekdays,https://example.jp/\n" +
             "232,南,Minami,045-341-1185,08:45-17:00,weekdays,ftp://example.jp/\n",
         {"line 3: prefix \"23\" must be 3 to 7 digits or *",
          "line 4: url \"ftp://example.jp/\" must start with https://"}},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        std::vector<std::string> problems;
        parse_regions(c.csv, problems);
        CHECK(problems == c.expected);
    }
}

TEST_CASE("regions: a bad row is left out and the good rows are kept", "[unit][regions]") {
    std::vector<std::string> problems;
    const RegionTable table = parse_regions(
        kHeader + kFallbackRow + "232,南,Minami,not-a-phone,08:45-17:00,weekdays,https://example.jp/\n" + kNakaRow,
        problems);
    CHECK(problems.size() == 1);
    REQUIRE(table.centres.size() == 2);
    CHECK(table.centres[0].prefix == "*");
    CHECK(table.centres[1].prefix == "231");
}

TEST_CASE("regions: find takes the longest matching prefix, else the fallback", "[unit][regions]") {
    const RegionTable table = parse_ok(kHeader + kFallbackRow +
                                       "231,Naka,Naka,045-224-8332,08:45-17:00,weekdays,https://example.jp/\n"
                                       "23100,Naka 5,Naka 5,045-224-8332,08:45-17:00,weekdays,https://example.jp/\n"
                                       "2310023,Naka 7,Naka 7,045-224-8332,08:45-17:00,weekdays,https://example.jp/\n"
                                       "240,Hodogaya,Hodogaya,045-334-6344,08:45-17:00,weekdays,https://example.jp/\n"
                                       "24001,Yokosuka,Yokosuka,046-822-4308,08:30-17:00,weekdays,https://example.jp/\n");
    struct Case {
        const char* code;
        const char* expected;  ///< name_ja
    };
    const std::vector<Case> cases = {
        {"2310023", "Naka 7"},      // the 7-digit row beats the 5- and 3-digit ones
        {"2310024", "Naka 5"},      // 5 digits beat 3
        {"2310099", "Naka 5"},
        {"2310100", "Naka"},        // only the 3-digit row matches
        {"2318588", "Naka"},
        {"2400001", "Hodogaya"},
        {"2400112", "Yokosuka"},    // 240-01xx is split off the 3-digit area
        {"2400100", "Yokosuka"},
        {"2300001", "神奈川県 専用ダイヤル"},  // an area no row covers
        {"1000001", "神奈川県 専用ダイヤル"},  // not in the prefecture
        {"23", "神奈川県 専用ダイヤル"},       // shorter than every prefix
        {"", "神奈川県 専用ダイヤル"},
    };
    for (const Case& c : cases) {
        INFO(c.code);
        const Centre* found = table.find(c.code);
        REQUIRE(found != nullptr);
        CHECK(found->name_ja == c.expected);
    }
    CHECK(table.fallback() != nullptr);
    CHECK(table.fallback()->prefix == "*");
}

TEST_CASE("regions: find on an empty table or one without a fallback gives nullptr", "[unit][regions]") {
    const RegionTable empty;
    CHECK(empty.find("2310023") == nullptr);
    CHECK(empty.fallback() == nullptr);

    std::vector<std::string> problems;
    const RegionTable no_fallback = parse_regions(kHeader + kNakaRow, problems);
    CHECK(problems.size() == 1);
    CHECK(no_fallback.fallback() == nullptr);
    CHECK(no_fallback.find("2300001") == nullptr);
    REQUIRE(no_fallback.find("2310023") != nullptr);
    CHECK(no_fallback.find("2310023")->prefix == "231");
}

TEST_CASE("regions: open_at by weekday and minute, boundaries included", "[unit][regions]") {
    const Centre weekdays = centre_with("08:45-17:00", "weekdays");
    const Centre daily = centre_with("09:00-21:00", "daily");
    const Centre all_day = centre_with("24h", "daily");
    const Centre all_day_weekdays = centre_with("24h", "weekdays");
    const Centre evening = centre_with("18:00-24:00", "daily");

    struct Case {
        const char* what;
        const Centre& centre;
        int weekday;
        int minute;
        bool open;
    };
    const std::vector<Case> cases = {
        {"Monday just before opening", weekdays, 1, 8 * 60 + 44, false},
        {"Monday at the opening minute", weekdays, 1, 8 * 60 + 45, true},
        {"Monday midday", weekdays, 1, 12 * 60, true},
        {"Monday at the last open minute", weekdays, 1, 16 * 60 + 59, true},
        {"Monday at the closing minute", weekdays, 1, 17 * 60, false},
        {"Friday morning", weekdays, 5, 10 * 60, true},
        {"Saturday morning, weekdays only", weekdays, 6, 10 * 60, false},
        {"Sunday morning, weekdays only", weekdays, 0, 10 * 60, false},
        {"Monday midnight", weekdays, 1, 0, false},
        {"Sunday at opening, daily", daily, 0, 9 * 60, true},
        {"Saturday evening, daily", daily, 6, 20 * 60 + 59, true},
        {"Saturday at closing, daily", daily, 6, 21 * 60, false},
        {"Sunday just before opening, daily", daily, 0, 8 * 60 + 59, false},
        {"24h on Sunday at midnight", all_day, 0, 0, true},
        {"24h on Saturday at the last minute", all_day, 6, 24 * 60 - 1, true},
        {"24h on Wednesday at noon", all_day, 3, 12 * 60, true},
        {"24h weekdays on Tuesday night", all_day_weekdays, 2, 23 * 60, true},
        {"24h weekdays on Saturday", all_day_weekdays, 6, 12 * 60, false},
        {"24h weekdays on Sunday", all_day_weekdays, 0, 0, false},
        {"closing at 24:00, last minute", evening, 4, 24 * 60 - 1, true},
        {"closing at 24:00, at opening", evening, 4, 18 * 60, true},
        {"closing at 24:00, after midnight", evening, 4, 0, false},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        CHECK(open_at(c.centre, c.weekday, c.minute) == c.open);
    }
    CHECK(evening.close_minute == 24 * 60);
}

TEST_CASE("regions: tokyo_weekday for known dates and the midnight boundaries", "[unit][regions]") {
    struct Case {
        const char* what;
        std::int64_t unix_ms;
        int weekday;
    };
    const std::vector<Case> cases = {
        {"2026-11-21 is a Saturday (Tokyo midnight)", tokyo_ms(2026, 11, 21, 0, 0), 6},
        {"2026-11-21 noon", tokyo_ms(2026, 11, 21, 12, 0), 6},
        {"2026-11-21 23:59 Tokyo", tokyo_ms(2026, 11, 21, 23, 59), 6},
        {"2026-11-22 00:00 Tokyo is Sunday", tokyo_ms(2026, 11, 22, 0, 0), 0},
        {"one millisecond before Tokyo midnight is still Friday", tokyo_ms(2026, 11, 21, 0, 0) - 1, 5},
        {"Friday 15:00 UTC is already Saturday 00:00 in Tokyo", utc_ms(2026, 11, 20, 15, 0), 6},
        {"Friday 14:59 UTC is still Friday in Tokyo", utc_ms(2026, 11, 20, 14, 59), 5},
        {"Saturday 20:00 UTC is Sunday 05:00 in Tokyo", utc_ms(2026, 11, 21, 20, 0), 0},
        {"Sunday 23:00 UTC is Monday 08:00 in Tokyo", utc_ms(2026, 11, 22, 23, 0), 1},
        {"the Unix epoch is Thursday 09:00 in Tokyo", 0, 4},
        {"before the epoch: 1969-12-31 23:59 Tokyo is a Wednesday", tokyo_ms(1969, 12, 31, 23, 59), 3},
        {"2024-02-29 is a Thursday", tokyo_ms(2024, 2, 29, 10, 0), 4},
        {"2000-01-01 is a Saturday", tokyo_ms(2000, 1, 1, 0, 0), 6},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        CHECK(tokyo_weekday(c.unix_ms) == c.weekday);
    }
}

TEST_CASE("regions: hours_text in Japanese and English", "[unit][regions]") {
    struct Case {
        std::string hours;
        std::string days;
        std::string ja;
        std::string en;
    };
    const std::vector<Case> cases = {
        {"08:45-17:00", "weekdays", "8:45〜17:00（平日）", "8:45\u201317:00 (weekdays)"},
        {"09:00-21:00", "daily", "9:00〜21:00（毎日）", "9:00\u201321:00 (every day)"},
        {"24h", "daily", "24時間", "24 hours"},
        {"24h", "weekdays", "24時間（平日）", "24 hours (weekdays)"},
        {"18:00-24:00", "daily", "18:00〜24:00（毎日）", "18:00\u201324:00 (every day)"},
        {"00:05-08:00", "daily", "0:05〜8:00（毎日）", "0:05\u20138:00 (every day)"},
        {"08:30-17:15", "weekdays", "8:30〜17:15（平日）", "8:30\u201317:15 (weekdays)"},
    };
    for (const Case& c : cases) {
        INFO(c.hours << " " << c.days);
        const Centre centre = centre_with(c.hours, c.days);
        CHECK(centre.hours_text("ja") == c.ja);
        CHECK(centre.hours_text("en") == c.en);
        CHECK(centre.hours_text("") == c.ja);  // anything but "en" is Japanese
    }
}

TEST_CASE("regions: the shipped Kanagawa table loads and routes real postal codes", "[unit][regions]") {
    const std::string path = std::string(SAPO_SOURCE_DIR) + "/config/regions/kanagawa.csv";
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    std::stringstream text;
    text << in.rdbuf();

    std::vector<std::string> problems;
    const RegionTable table = parse_regions(text.str(), problems);
    INFO(path);
    CHECK(problems.empty());
    for (const std::string& p : problems) WARN(p);
    REQUIRE(table.centres.size() >= 60);

    const Centre* fallback = table.fallback();
    REQUIRE(fallback != nullptr);
    CHECK(fallback->all_day);
    CHECK_FALSE(fallback->weekdays_only);

    struct Case {
        const char* code;
        const char* has;       ///< a distinctive part of name_ja
        const char* lacks;     ///< must not be in name_ja ("" = no check)
    };
    const std::vector<Case> cases = {
        // The cities and towns named in the brief.
        {"2310023", "中福祉保健センター", ""},                 // 横浜市中区
        {"2100001", "川崎区役所", ""},                         // 川崎市川崎区
        {"2510025", "藤沢市保健所", ""},                       // 藤沢市
        {"2500011", "小田原保健福祉事務所", "足柄上"},         // 小田原市
        {"2380008", "横須賀市保健所", ""},                     // 横須賀市
        {"2520236", "相模原市保健所", ""},                     // 相模原市中央区
        {"2530041", "茅ヶ崎市保健所", ""},                     // 茅ヶ崎市
        {"2540041", "平塚保健福祉事務所", "秦野"},             // 平塚市
        {"2430018", "厚木保健福祉事務所", "大和"},             // 厚木市
        {"2480012", "鎌倉保健福祉事務所", "三崎"},             // 鎌倉市
        // Kawasaki and Yokohama wards.
        {"2110004", "中原区役所", ""},
        {"2120016", "幸区役所", ""},
        {"2130001", "高津区役所", ""},
        {"2140014", "多摩区役所", ""},
        {"2150004", "麻生区役所", ""},
        {"2160004", "宮前区役所", ""},
        {"2200012", "西福祉保健センター", ""},
        {"2210822", "神奈川福祉保健センター", ""},
        {"2230061", "港北福祉保健センター", ""},
        {"2240032", "都筑福祉保健センター", ""},
        {"2250002", "青葉福祉保健センター", ""},
        {"2270062", "青葉福祉保健センター", ""},
        {"2260025", "緑福祉保健センター", ""},
        {"2300051", "鶴見福祉保健センター", ""},
        {"2320024", "横浜市 南福祉保健センター", ""},
        {"2340054", "港南福祉保健センター", ""},
        {"2350016", "磯子福祉保健センター", ""},
        {"2360021", "金沢福祉保健センター", ""},
        {"2400001", "保土ケ谷福祉保健センター", ""},
        {"2410022", "旭福祉保健センター", ""},
        {"2440003", "戸塚福祉保健センター", ""},
        {"2440842", "栄福祉保健センター", ""},   // 栄区 飯島町 in the 244 area
        {"2450016", "泉福祉保健センター", ""},
        {"2450062", "戸塚福祉保健センター", ""},  // 戸塚区 汲沢町 in the 245 area
        {"2458555", "泉福祉保健センター", ""},
        {"2448533", "栄福祉保健センター", ""},   // 栄区 large-business code in the 244 area
        {"2460021", "瀬谷福祉保健センター", ""},
        {"2470013", "栄福祉保健センター", ""},
        // Split 3-digit areas.
        {"2400103", "横須賀市保健所", ""},       // 横須賀市 佐島 in the 240 area
        {"2400195", "横須賀市保健所", ""},
        {"2400112", "鎌倉保健福祉事務所", "三崎"},  // 葉山町 堀内
        {"2400100", "鎌倉保健福祉事務所", "三崎"},
        {"2380101", "三崎センター", ""},          // 三浦市 南下浦町
        {"2380224", "三崎センター", ""},          // 三浦市 三崎町諸磯
        {"2380311", "横須賀市保健所", ""},        // 横須賀市 太田和
        {"2470056", "鎌倉保健福祉事務所", "三崎"},  // 鎌倉市 大船 in the 247 area
        {"2470071", "鎌倉保健福祉事務所", "三崎"},
        {"2478510", "鎌倉保健福祉事務所", "三崎"},
        {"2490006", "鎌倉保健福祉事務所", "三崎"},  // 逗子市
        {"2520143", "相模原市保健所", ""},        // 緑区 橋本
        {"2520303", "相模原市保健所", ""},        // 南区 相模大野
        {"2528538", "相模原市保健所", ""},
        {"2520001", "厚木保健福祉事務所", "大和"},  // 座間市
        {"2528540", "厚木保健福祉事務所", "大和"},
        {"2520804", "藤沢市保健所", ""},          // 藤沢市 湘南台 in the 252 area
        {"2521123", "大和センター", ""},          // 綾瀬市
        {"2420021", "大和センター", ""},          // 大和市
        {"2430432", "厚木保健福祉事務所", "大和"},  // 海老名市
        {"2430301", "厚木保健福祉事務所", "大和"},  // 愛川町
        {"2430112", "厚木保健福祉事務所", "大和"},  // 清川村
        {"2530111", "茅ヶ崎市保健所", ""},        // 寒川町
        {"2550003", "平塚保健福祉事務所", "秦野"},  // 大磯町
        {"2590111", "平塚保健福祉事務所", "秦野"},  // 大磯町 国府本郷
        {"2590123", "平塚保健福祉事務所", "秦野"},  // 二宮町
        {"2590100", "平塚保健福祉事務所", "秦野"},
        {"2591211", "平塚保健福祉事務所", "秦野"},  // 平塚市 ふじみ野
        {"2591131", "秦野センター", ""},          // 伊勢原市
        {"2591322", "秦野センター", ""},          // 秦野市 渋沢
        {"2570035", "秦野センター", ""},          // 秦野市
        {"2590151", "足柄上センター", ""},        // 中井町
        {"2590197", "足柄上センター", ""},
        {"2590198", "平塚保健福祉事務所", "秦野"},
        {"2500105", "足柄上センター", ""},        // 南足柄市
        {"2580001", "足柄上センター", ""},        // 松田町
        {"2580016", "足柄上センター", ""},        // 大井町
        {"2580021", "足柄上センター", ""},        // 開成町
        {"2580113", "足柄上センター", ""},        // 山北町
        {"2500311", "小田原保健福祉事務所", "足柄上"},  // 箱根町
        {"2500631", "小田原保健福祉事務所", "足柄上"},
        {"2590201", "小田原保健福祉事務所", "足柄上"},  // 真鶴町
        {"2590303", "小田原保健福祉事務所", "足柄上"},  // 湯河原町
        {"2560812", "小田原保健福祉事務所", "足柄上"},  // 小田原市 (256-08xx)
    };
    for (const Case& c : cases) {
        INFO(c.code);
        const Centre* found = table.find(c.code);
        REQUIRE(found != nullptr);
        INFO(found->name_ja);
        CHECK(found != fallback);
        CHECK(contains(found->name_ja, c.has));
        if (*c.lacks != '\0') CHECK_FALSE(contains(found->name_ja, c.lacks));
    }

    // Every 3-digit area of Kanagawa resolves to a local centre. The sample is the area's generic
    // "xxx0000" code, except 259 (shared by five towns and cities, without one).
    std::vector<int> areas;
    for (int a = 210; a <= 216; ++a) areas.push_back(a);
    for (int a = 220; a <= 227; ++a) areas.push_back(a);
    for (int a = 230; a <= 259; ++a) areas.push_back(a);
    for (int area : areas) {
        const std::string code = area == 259 ? std::string("2591100") : std::to_string(area) + "0000";
        INFO(code);
        const Centre* found = table.find(code);
        REQUIRE(found != nullptr);
        CHECK(found != fallback);
    }

    // Outside the prefecture, and the retired 228/229 codes, go to the fallback.
    CHECK(table.find("1000001") == fallback);
    CHECK(table.find("2280001") == fallback);
    CHECK(table.find("2590000") == fallback);
}
