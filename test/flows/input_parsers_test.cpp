#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "flows/input_parsers.hpp"

using sapo::flows::CivilDate;
using sapo::flows::Temperature;
using sapo::flows::YesNo;

namespace {

const char* name_of(const std::optional<YesNo>& v) { return v ? sapo::flows::yes_no_name(*v) : "nullopt"; }

}  // namespace

TEST_CASE("parse_yes_no reads the ways people answer", "[flows][input_parsers]") {
    struct Case {
        std::string text;
        std::optional<YesNo> expected;
    };
    const auto yes = YesNo::yes;
    const auto no = YesNo::no;
    const auto unk = YesNo::unknown;
    const std::vector<Case> cases{
        // はい in every width and kana, with punctuation
        {"\u306F\u3044", yes},                          // はい
        {"\u30CF\u30A4", yes},                          // ハイ
        {"\uFF8A\uFF72", yes},                          // ﾊｲ
        {"\u306F\u3044\u3002", yes},                    // はい。
        {"\u306F\u3044\uFF01", yes},                    // はい！
        {"\u306F\u3044!", yes},
        {"\u3000\u306F\u3044\u3000", yes},
        {"\u306F\u30FC\u3044", yes},                    // はーい
        {"\u306F\u301C\u3044", yes},                    // は〜い
        {"\u306F\u3044\u306F\u3044", yes},              // はいはい
        {"\u3046\u3093", yes},                          // うん
        {"\u3048\u3048", yes},                          // ええ
        {"\u305D\u3046\u3067\u3059", yes},              // そうです
        {"\u306F\u3044\u3001\u305D\u3046\u3067\u3059", yes},  // はい、そうです
        // ある / あり / 有 and polite forms
        {"\u3042\u308B", yes},                          // ある
        {"\u3042\u308A", yes},                          // あり
        {"\u30A2\u30EA", yes},                          // アリ
        {"\u3042\u308A\u307E\u3059", yes},              // あります
        {"\u3042\u308A\u307E\u3059\u3002", yes},        // あります。
        {"\u306F\u3044\u3001\u3042\u308A\u307E\u3059", yes},  // はい、あります
        {"\u6709", yes},                                // 有
        {"\u6709\u308A", yes},                          // 有り
        {"\u3044\u308B", yes},                          // いる
        {"\u3044\u307E\u3059", yes},                    // います
        {"\u25CB", yes},                                // ○
        {"\u3007", yes},                                // 〇
        {"\u2B55\uFE0F", yes},                          // ⭕️
        // English, any case or width
        {"yes", yes},
        {"Yes", yes},
        {"YES!", yes},
        {"\uFF39\uFF25\uFF33", yes},                    // ＹＥＳ
        {"\uFF59\uFF45\uFF53", yes},                    // ｙｅｓ
        {"y", yes},
        {"Y", yes},
        {"Yeah", yes},
        {"yep.", yes},
        {"OK", yes},
        {"\u30A4\u30A8\u30B9", yes},                    // イエス
        // no
        {"\u3044\u3044\u3048", no},                     // いいえ
        {"\u30A4\u30A4\u30A8", no},                     // イイエ
        {"\uFF72\uFF72\uFF74", no},                     // ｲｲｴ
        {"\u3044\u3044\u3048\u3002", no},               // いいえ。
        {"\u3044\u3048", no},                           // いえ
        {"\u3044\u3084", no},                           // いや
        {"\u3046\u3046\u3093", no},                     // ううん
        {"\u306A\u3044", no},                           // ない
        {"\u30CA\u30A4", no},                           // ナイ
        {"\u306A\u3044\u3067\u3059", no},               // ないです
        {"\u306A\u3057", no},                           // なし
        {"\u7121\u3057", no},                           // 無し
        {"\u7121", no},                                 // 無
        {"\u3042\u308A\u307E\u305B\u3093", no},         // ありません
        {"\u3042\u308A\u307E\u305B\u3093\u3067\u3057\u305F", no},  // ありませんでした
        {"\u3044\u3044\u3048\u3001\u3042\u308A\u307E\u305B\u3093", no},  // いいえ、ありません
        {"\u3044\u3044\u3048\u3001\u306A\u3044\u3067\u3059\u3002", no},  // いいえ、ないです。
        {"\u3044\u306A\u3044", no},                     // いない
        {"\u3044\u307E\u305B\u3093", no},               // いません
        {"\u3061\u304C\u3044\u307E\u3059", no},         // ちがいます
        {"\u9055\u3046", no},                           // 違う
        {"\u00D7", no},                                 // ×
        {"\u30CE\u30FC", no},                           // ノー
        {"\uFF89\uFF70", no},                           // ﾉｰ
        {"no", no},
        {"No.", no},
        {"NO", no},
        {"\uFF2E\uFF2F", no},                           // ＮＯ
        {"n", no},
        {"nope", no},
        // unknown
        {"\u308F\u304B\u3089\u306A\u3044", unk},        // わからない
        {"\u5206\u304B\u3089\u306A\u3044", unk},        // 分からない
        {"\u308F\u304B\u308A\u307E\u305B\u3093", unk},  // わかりません
        {"\u5206\u304B\u308A\u307E\u305B\u3093", unk},  // 分かりません
        {"\u30EF\u30AB\u30E9\u30CA\u30A4", unk},        // ワカラナイ
        {"\u308F\u304B\u3089\u306A\u3044\u3067\u3059", unk},  // わからないです
        {"\u308F\u304B\u308A\u307E\u305B\u3093\u3002", unk},  // わかりません。
        {"\u4E0D\u660E", unk},                          // 不明
        {"\u4E0D\u660E\u3067\u3059", unk},              // 不明です
        {"\u77E5\u3089\u306A\u3044", unk},              // 知らない
        {"unknown", unk},
        {"Unknown", unk},
        {"I don't know", unk},
        {"don\u2019t know", unk},                       // typographic apostrophe
        {"dont know", unk},
        {"not sure", unk},
        {"idk", unk},
        // not an answer
        {"", std::nullopt},
        {"\u3002", std::nullopt},
        {"\u3067\u3059", std::nullopt},                 // です alone
        {"maybe", std::nullopt},
        {"abc", std::nullopt},
        {"36.5", std::nullopt},
        {"\u305F\u3076\u3093", std::nullopt},           // たぶん
        {"\u306F\u3044\u3044\u3044\u3048", std::nullopt},  // はいいいえ: contradicts itself
        {"\u306F\u3044\u3001\u306A\u3044\u3067\u3059", std::nullopt},  // はい、ないです: ambiguous
        {"yes no", std::nullopt},
        {"\u3088\u306D\u3088\u306D\u3088\u306D\u3088\u306D\u3088\u306D\u3088\u306D\u3088\u306D\u3088\u306D"
         "\u3088\u306D\u3088\u306D\u3088\u306D\u3088\u306D\u3088\u306D\u3088\u306D\u3088\u306Dx",
         std::nullopt},  // many ambiguous fillers: must return quickly
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        const auto got = sapo::flows::parse_yes_no(c.text);
        CHECK(std::string(name_of(got)) == name_of(c.expected));
    }
}

TEST_CASE("yes_no_name", "[flows][input_parsers]") {
    CHECK(std::string(sapo::flows::yes_no_name(YesNo::yes)) == "yes");
    CHECK(std::string(sapo::flows::yes_no_name(YesNo::no)) == "no");
    CHECK(std::string(sapo::flows::yes_no_name(YesNo::unknown)) == "unknown");
}

TEST_CASE("parse_number reads plain and full-width numbers with units", "[flows][input_parsers]") {
    struct Case {
        std::string text;
        std::string units;
        std::optional<double> expected;
    };
    const std::vector<Case> cases{
        {"42", "", 42.0},
        {"\uFF14\uFF12", "", 42.0},                       // ４２
        {"36.5", "", 36.5},
        {"\uFF13\uFF16\uFF0E\uFF15", "", 36.5},           // ３６．５
        {"36,5", "", 36.5},                               // comma as the only separator
        {"\uFF13\uFF16\uFF0C\uFF15", "", 36.5},           // ３６，５
        {"-3", "", -3.0},
        {"\uFF0D\uFF13", "", -3.0},                       // －３
        {"\u22123.5", "", -3.5},                          // −3.5 (minus sign)
        {"+7", "", 7.0},
        {" 12 ", "", 12.0},
        {"0", "", 0.0},
        {"12.", "", 12.0},
        {"20\u6B73", "\u6B73,\u624D", 20.0},              // 20歳
        {"20\u624D", "\u6B73,\u624D", 20.0},              // 20才
        {"\uFF12\uFF10 \u6B73", "\u6B73", 20.0},          // ２０ 歳
        {"20\u6B73\u3067\u3059\u3002", "\u6B73", 20.0},   // 20歳です。
        {"3\u65E5", "\u6B73, \u65E5", 3.0},               // 3日, unit list with a space
        {"50%", "%", 50.0},
        {"50\uFF05", "%", 50.0},                          // 50％
        {"20\u6B73", "", std::nullopt},                   // unit not allowed
        {"20\u6B73", "\u624D", std::nullopt},
        {"20kg", "\u6B73", std::nullopt},
        {"1.2.3", "", std::nullopt},
        {"1,2.3", "", std::nullopt},
        {"abc", "", std::nullopt},
        {"", "", std::nullopt},
        {"-", "", std::nullopt},
        {".5", "", std::nullopt},
        {"\u5341", "", std::nullopt},                     // 十: kanji numerals are not read
        {"12 34", "", std::nullopt},
        {"about 5", "", std::nullopt},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text, c.units);
        const auto got = sapo::flows::parse_number(c.text, c.units);
        REQUIRE(got.has_value() == c.expected.has_value());
        if (got) CHECK(*got == Approx(*c.expected));
    }
}

TEST_CASE("parse_temperature reads body temperatures as typed", "[flows][input_parsers]") {
    using S = Temperature::Status;
    struct Case {
        std::string text;
        S status;
        double celsius;
    };
    const std::vector<Case> cases{
        {"36.5", S::ok, 36.5},
        {"\uFF13\uFF16\uFF0E\uFF15", S::ok, 36.5},                 // ３６．５
        {"36,5", S::ok, 36.5},
        {"36.5\u5EA6", S::ok, 36.5},                               // 36.5度
        {"36.5\u2103", S::ok, 36.5},                               // 36.5℃
        {"36.5\u00B0C", S::ok, 36.5},                              // 36.5°C
        {"36.5 \u00B0C", S::ok, 36.5},
        {"36.5C", S::ok, 36.5},
        {"36\u5EA65\u5206", S::ok, 36.5},                          // 36度5分
        {"\uFF13\uFF16\u5EA6\uFF15\u5206", S::ok, 36.5},           // ３６度５分
        {"37\u5EA62\u5206", S::ok, 37.2},                          // 37度2分
        {"36\u5EA65", S::ok, 36.5},                                // 36度5
        {"365", S::ok, 36.5},                                      // HER-SYS three digits
        {"\uFF13\uFF16\uFF15", S::ok, 36.5},                       // ３６５
        {"372", S::ok, 37.2},
        {"37", S::ok, 37.0},
        {"38\u5EA6", S::ok, 38.0},                                 // 38度
        {"\u71B1\u306F37.2\u5EA6\u3067\u3059", S::ok, 37.2},       // 熱は37.2度です
        {"\u4ECA\u671D\u306F 36.8 \u3067\u3057\u305F\u3002", S::ok, 36.8},  // 今朝は 36.8 でした。
        {"36.55", S::ok, 36.6},                                    // rounded half up
        {"36.54", S::ok, 36.5},
        {"36.04", S::ok, 36.0},
        {"34", S::ok, 34.0},
        {"42", S::ok, 42.0},
        {"42.0", S::ok, 42.0},
        {"34.0", S::ok, 34.0},
        {"7\u6642\u306B36.9\u5EA6", S::ok, 36.9},                  // 7時に36.9度
        {"7:30 36.9", S::ok, 36.9},
        // out of range: value still reported
        {"33.9", S::out_of_range, 33.9},
        {"42.1", S::out_of_range, 42.1},
        {"45", S::out_of_range, 45.0},
        {"100", S::out_of_range, 10.0},                            // three digits: 10.0
        {"98.6", S::out_of_range, 98.6},                           // Fahrenheit is not converted
        {"5", S::out_of_range, 5.0},
        {"-36.5", S::out_of_range, -36.5},
        {"1000", S::out_of_range, 1000.0},
        // not a temperature
        {"", S::not_a_temperature, 0},
        {"abc", S::not_a_temperature, 0},
        {"\u5E73\u71B1", S::not_a_temperature, 0},                 // 平熱
        {"36.5.5", S::not_a_temperature, 0},
        {"36,5.5", S::not_a_temperature, 0},
        {"36\u5EA612\u5206", S::not_a_temperature, 0},             // 36度12分
        {"36.5 37.0", S::not_a_temperature, 0},                    // which one?
        {"36\u5EA6 37\u5EA6", S::not_a_temperature, 0},
        {"37\u6B73", S::not_a_temperature, 0},                     // 37歳 is an age
        {"11/21", S::not_a_temperature, 0},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        const Temperature t = sapo::flows::parse_temperature(c.text);
        CHECK(static_cast<int>(t.status) == static_cast<int>(c.status));
        if (c.status != S::not_a_temperature) CHECK(t.celsius == Approx(c.celsius).margin(1e-9));
    }
}

TEST_CASE("parse_postal_code reads 7-digit codes", "[flows][input_parsers]") {
    struct Case {
        std::string text;
        std::optional<std::string> expected;
    };
    const std::string code = "2310023";
    const std::vector<Case> cases{
        {"231-0023", code},
        {"2310023", code},
        {"\uFF12\uFF13\uFF11\uFF0D\uFF10\uFF10\uFF12\uFF13", code},           // ２３１－００２３
        {"\uFF12\uFF13\uFF11\uFF10\uFF10\uFF12\uFF13", code},                 // ２３１００２３
        {"\u3012231-0023", code},                                             // 〒231-0023
        {"\u3012 231-0023", code},
        {"\u3012\uFF12\uFF13\uFF11\uFF0D\uFF10\uFF10\uFF12\uFF13", code},     // 〒２３１－００２３
        {"\u3036231-0023", code},                                             // 〶
        {" 231-0023 ", code},
        {"231\u30FC0023", code},                                              // katakana long-vowel mark as dash
        {"231\uFF700023", code},                                              // half-width ｰ
        {"231\u22120023", code},                                              // minus sign
        {"231\u20100023", code},                                              // hyphen
        {"231\u20140023", code},                                              // em dash
        {"231 0023", code},
        {"231002", std::nullopt},                                             // 6 digits
        {"23100234", std::nullopt},                                           // 8 digits
        {"231-00234", std::nullopt},
        {"2310-023", std::nullopt},
        {"231--0023", std::nullopt},
        {"abc-defg", std::nullopt},
        {"231-002a", std::nullopt},
        {"231_0023", std::nullopt},
        {"\u3012", std::nullopt},
        {"", std::nullopt},
        {"231-0023\u3067\u3059", std::nullopt},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        CHECK(sapo::flows::parse_postal_code(c.text) == c.expected);
    }
}

TEST_CASE("parse_date reads absolute and relative dates", "[flows][input_parsers]") {
    struct Case {
        std::string text;
        CivilDate today;
        std::optional<CivilDate> expected;
    };
    const CivilDate today{2026, 11, 21};
    const CivilDate new_years_eve{2026, 12, 31};
    const CivilDate new_year{2027, 1, 1};
    const CivilDate march_first{2024, 3, 1};
    const std::vector<Case> cases{
        // absolute
        {"2026-11-21", today, CivilDate{2026, 11, 21}},
        {"2026/11/21", today, CivilDate{2026, 11, 21}},
        {"2025/1/5", today, CivilDate{2025, 1, 5}},
        {"2026.11.21", today, CivilDate{2026, 11, 21}},
        {"\uFF12\uFF10\uFF12\uFF16\uFF0F\uFF11\uFF11\uFF0F\uFF12\uFF11", today, CivilDate{2026, 11, 21}},  // ２０２６／１１／２１
        {"11/21", today, CivilDate{2026, 11, 21}},
        {"1/5", today, CivilDate{2026, 1, 5}},
        {"\uFF11\uFF11/\uFF12\uFF11", today, CivilDate{2026, 11, 21}},
        {"11\u670821\u65E5", today, CivilDate{2026, 11, 21}},                     // 11月21日
        {"\uFF11\uFF11\u6708\uFF12\uFF11\u65E5", today, CivilDate{2026, 11, 21}}, // １１月２１日
        {"3\u67085\u65E5", today, CivilDate{2026, 3, 5}},
        {"11\u6708 21\u65E5", today, CivilDate{2026, 11, 21}},
        {"2026\u5E7411\u670821\u65E5", today, CivilDate{2026, 11, 21}},          // 2026年11月21日
        {"2025\u5E741\u67082\u65E5", today, CivilDate{2025, 1, 2}},
        {"11\u670821\u65E5(\u571F)", today, CivilDate{2026, 11, 21}},            // 11月21日(土)
        {"11/21\uFF08\u571F\u66DC\u65E5\uFF09", today, CivilDate{2026, 11, 21}}, // 11/21（土曜日）
        {"11\u670821\u65E5\u3067\u3059\u3002", today, CivilDate{2026, 11, 21}},  // 11月21日です。
        {"2024-02-29", today, CivilDate{2024, 2, 29}},
        {"2/29", march_first, CivilDate{2024, 2, 29}},                            // leap year of today
        // relative
        {"\u4ECA\u65E5", today, today},                                           // 今日
        {"\u304D\u3087\u3046", today, today},                                     // きょう
        {"\u30AD\u30E7\u30A6", today, today},                                     // キョウ
        {"today", today, today},
        {"Today", today, today},
        {"\u6628\u65E5", today, CivilDate{2026, 11, 20}},                         // 昨日
        {"\u304D\u306E\u3046", today, CivilDate{2026, 11, 20}},                   // きのう
        {"yesterday", today, CivilDate{2026, 11, 20}},
        {"\u4E00\u6628\u65E5", today, CivilDate{2026, 11, 19}},                   // 一昨日
        {"\u304A\u3068\u3068\u3044", today, CivilDate{2026, 11, 19}},             // おととい
        {"\u660E\u65E5", today, CivilDate{2026, 11, 22}},                         // 明日
        {"\u3042\u3057\u305F", today, CivilDate{2026, 11, 22}},                   // あした
        {"tomorrow", today, CivilDate{2026, 11, 22}},
        {"\u660E\u65E5\u3002", today, CivilDate{2026, 11, 22}},
        {"\u6628\u65E5\u3067\u3059", today, CivilDate{2026, 11, 20}},       // 昨日です
        // year boundaries
        {"\u660E\u65E5", new_years_eve, CivilDate{2027, 1, 1}},
        {"tomorrow", new_years_eve, CivilDate{2027, 1, 1}},
        {"\u6628\u65E5", new_year, CivilDate{2026, 12, 31}},
        {"\u4E00\u6628\u65E5", new_year, CivilDate{2026, 12, 30}},
        {"\u6628\u65E5", march_first, CivilDate{2024, 2, 29}},
        {"12/31", new_year, CivilDate{2027, 12, 31}},                            // today's year, as specified
        // invalid calendar dates
        {"2/30", today, std::nullopt},
        {"2/29", today, std::nullopt},                                            // 2026 is not a leap year
        {"2026-02-29", today, std::nullopt},
        {"2026/13/01", today, std::nullopt},
        {"2026/04/31", today, std::nullopt},
        {"13\u67081\u65E5", today, std::nullopt},
        {"0/10", today, std::nullopt},
        {"4\u670831\u65E5", today, std::nullopt},
        {"2026\u5E742\u670830\u65E5", today, std::nullopt},
        // not dates
        {"", today, std::nullopt},
        {"abc", today, std::nullopt},
        {"11", today, std::nullopt},
        {"11/21/2026", today, std::nullopt},
        {"2026-11/21", today, std::nullopt},
        {"26/11/21", today, std::nullopt},
        {"20261121", today, std::nullopt},
        {"11-21", today, std::nullopt},
        {"\u3044\u3064\u304B", today, std::nullopt},                              // いつか
        {"11\u670821\u65E5\u3054\u308D", today, std::nullopt},                    // 11月21日ごろ
    };
    for (const auto& c : cases) {
        CAPTURE(c.text, c.today.year, c.today.month, c.today.day);
        CHECK(sapo::flows::parse_date(c.text, c.today) == c.expected);
    }
}
