#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "flows/normalize.hpp"

namespace {

struct StrCase {
    std::string input;
    std::string expected;
};

}  // namespace

TEST_CASE("normalize folds width, case and kana", "[flows][normalize]") {
    const std::vector<StrCase> cases{
        // width and case
        {"\uFF39\uFF25\uFF33", "yes"},                        // ＹＥＳ
        {"Yes", "yes"},
        {"YES", "yes"},
        {"\uFF41\uFF42\uFF43\uFF11\uFF12\uFF13", "abc123"},   // ａｂｃ１２３
        {"\uFF13\uFF16\uFF0E\uFF15", "36.5"},                 // ３６．５
        {"\uFF01\uFF1F", "!?"},                               // ！？
        {"Stra\u00DFe", "strasse"},                           // case folding, not just lower-casing
        {"\u2460", "1"},                                      // ①
        {"\u2103", "\u00B0c"},                                // ℃ -> °c
        // kana: half-width katakana, katakana and hiragana meet
        {"\uFF8A\uFF72", "\u306F\u3044"},                     // ﾊｲ -> はい
        {"\u30CF\u30A4", "\u306F\u3044"},                     // ハイ -> はい
        {"\u306F\u3044", "\u306F\u3044"},                     // はい
        {"\uFF8A\uFF9E\uFF85\uFF85", "\u3070\u306A\u306A"},   // ﾊﾞﾅﾅ -> ばなな (voiced mark composed)
        {"\uFF76\uFF9E\uFF6F\uFF7A\uFF73", "\u304C\u3063\u3053\u3046"},  // ｶﾞｯｺｳ -> がっこう
        {"\u30F4\u30A1", "\u3094\u3041"},                     // ヴァ -> ゔぁ
        {"\u30EF\u30AB\u30EA\u30DE\u30BB\u30F3", "\u308F\u304B\u308A\u307E\u305B\u3093"},  // ワカリマセン
        // the long-vowel mark stays a long-vowel mark, so katakana and hiragana spellings meet
        {"\u30B3\u30FC\u30D2\u30FC", "\u3053\u30FC\u3072\u30FC"},   // コーヒー -> こーひー
        {"\uFF7A\uFF70\uFF8B\uFF70", "\u3053\u30FC\u3072\u30FC"},   // ｺｰﾋｰ -> こーひー
        {"\u3053\u30FC\u3072\u30FC", "\u3053\u30FC\u3072\u30FC"},   // こーひー
        // kanji and mixed text untouched apart from the kana
        {"\u5206\u304B\u3089\u306A\u3044", "\u5206\u304B\u3089\u306A\u3044"},  // 分からない
        {"\u71B1\u306F\uFF13\uFF17\u5EA6", "\u71B1\u306F37\u5EA6"},           // 熱は３７度
        // white space: trimmed, runs collapsed, U+3000 and NBSP included
        {"\u3000\u306F\u3044\u3000", "\u306F\u3044"},
        {"\u306F\u3000\u3000 \u3044", "\u306F \u3044"},
        {"  a \t\n b  ", "a b"},
        {"\u00A0x\u00A0", "x"},
        {"\u3000", ""},
        {"", ""},
        {" \r\n\t ", ""},
        // invalid UTF-8 becomes U+FFFD
        {"a\xFF" "b", "a\uFFFD" "b"},
        {"\xE3\x81", "\uFFFD"},
        // variation selectors are dropped (they only change the look)
        {"\u2B55\uFE0F", "\u2B55"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.input);
        CHECK(sapo::flows::normalize(c.input) == c.expected);
    }
}

TEST_CASE("normalize's ASCII fast path matches the ICU path", "[flows][normalize]") {
    // Appending "é" forces the ICU path; for every ASCII character the result must be the fast
    // path's result plus "é".
    for (int c = 0; c < 128; ++c) {
        const std::string ascii = std::string("x") + static_cast<char>(c) + "Y";
        CAPTURE(c);
        CHECK(sapo::flows::normalize(ascii + "\u00E9") == sapo::flows::normalize(ascii) + "\u00E9");
    }
    CHECK(sapo::flows::normalize("A B") == "a b");
}

TEST_CASE("normalize_compact drops spaces and punctuation", "[flows][normalize]") {
    const std::vector<StrCase> cases{
        {"\u306F\u3044\u3002", "\u306F\u3044"},               // はい。
        {"\u306F \u3044!", "\u306F\u3044"},                   // は い!
        {"\u306F\u3044\uFF01", "\u306F\u3044"},               // はい！
        {"\u306F\u3044\uFF1F", "\u306F\u3044"},               // はい？
        {"\u300C\u306F\u3044\u300D", "\u306F\u3044"},         // 「はい」
        {"\"yes\"", "yes"},
        {"(\u306F\u3044)", "\u306F\u3044"},
        {"\u306F\u301C\u3044", "\u306F\u3044"},               // は〜い
        {"\u306F\u3044\uFF5E", "\u306F\u3044"},               // はい～
        {"\u306F\u3044\u3001\u3042\u308A\u307E\u3059", "\u306F\u3044\u3042\u308A\u307E\u3059"},  // はい、あります
        {"\u30CF\u30A4\u30FB\u30A4\u30A4\u30A8", "\u306F\u3044\u3044\u3044\u3048"},  // ハイ・イイエ
        {"\u306F\u3044\u266A", "\u306F\u3044"},               // はい♪
        // the long-vowel mark: kept inside a word, dropped at its ends
        {"\u306F\u30FC\u3044", "\u306F\u30FC\u3044"},         // はーい
        {"\u306F\u3044\u30FC", "\u306F\u3044"},               // はいー
        {"\u306F\u3044\u30FC\u30FC\uFF01", "\u306F\u3044"},   // はいーー！
        {"\u30FC\u306F\u3044", "\u306F\u3044"},
        {"\u30CE\u30FC", "\u306E"},                           // ノー -> の
        {"\u30FC", ""},
        // English
        {"Yes, please.", "yesplease"},
        {"Don't know", "dontknow"},
        {"  N/A  ", "na"},
        // symbols that are answers are kept
        {"\u25CB", "\u25CB"},                                 // ○
        {"\u00D7", "\u00D7"},                                 // ×
        {"\u3002\u3001!?", ""},
        {"", ""},
    };
    for (const auto& c : cases) {
        CAPTURE(c.input);
        CHECK(sapo::flows::normalize_compact(c.input) == c.expected);
    }
}

TEST_CASE("text_length counts UTF-16 code units", "[flows][normalize]") {
    struct Case {
        std::string input;
        std::size_t expected;
    };
    const std::vector<Case> cases{
        {"", 0},
        {"abc", 3},
        {"\u306F\u3044", 2},                 // はい
        {"\u6F22\u5B57", 2},                 // 漢字
        {"\U0001F600", 2},                   // 😀 is a surrogate pair
        {"a\U0001F600b", 4},
        {"\U0001F44D\U0001F3FD", 4},         // 👍🏽
        {"\U0001F1EF\U0001F1F5", 4},         // 🇯🇵
        {"e\u0301", 2},                      // e + combining acute
        {"\xFF", 1},                         // invalid byte -> one U+FFFD
        {"\uFF8A\uFF72", 2},                 // ﾊｲ, not normalised
    };
    for (const auto& c : cases) {
        CAPTURE(c.input);
        CHECK(sapo::flows::text_length(c.input) == c.expected);
    }
}

TEST_CASE("label_length counts grapheme clusters", "[flows][normalize]") {
    struct Case {
        std::string input;
        std::size_t expected;
    };
    const std::vector<Case> cases{
        {"", 0},
        {"abc", 3},
        {"\u306F\u3044", 2},
        {"\u6F22\u5B57", 2},
        {"\U0001F600", 1},
        {"e\u0301", 1},                                           // combining sequence
        {"e\u0301e\u0301x", 3},
        {"\U0001F1EF\U0001F1F5", 1},                              // 🇯🇵 flag
        {"\U0001F1EF\U0001F1F5\U0001F1FA\U0001F1F8", 2},          // 🇯🇵🇺🇸
        {"\U0001F44D\U0001F3FD", 1},                              // 👍🏽 skin tone
        {"\U0001F468\u200D\U0001F469\u200D\U0001F467", 1},        // 👨‍👩‍👧 ZWJ family
        {"\u304B\u3099", 1},                                      // か + combining voiced mark
        {"\r\n", 1},
    };
    for (const auto& c : cases) {
        CAPTURE(c.input);
        CHECK(sapo::flows::label_length(c.input) == c.expected);
    }
}

TEST_CASE("truncate_label keeps whole graphemes and marks the cut", "[flows][normalize]") {
    struct Case {
        std::string input;
        std::size_t max;
        std::string expected;
    };
    const std::vector<Case> cases{
        {"abc", 3, "abc"},
        {"abc", 5, "abc"},
        {"abcd", 3, "ab\u2026"},
        {"abc", 1, "\u2026"},
        {"a", 1, "a"},
        {"abc", 0, ""},
        {"", 5, ""},
        {"\u3053\u3093\u306B\u3061\u306F", 3, "\u3053\u3093\u2026"},              // こんにちは -> こん…
        {"\u3053\u3093\u306B\u3061\u306F", 5, "\u3053\u3093\u306B\u3061\u306F"},
        {"\U0001F1EF\U0001F1F5\U0001F1FA\U0001F1F8\U0001F1EB\U0001F1F7", 2, "\U0001F1EF\U0001F1F5\u2026"},
        {"e\u0301e\u0301e\u0301", 2, "e\u0301\u2026"},                           // never splits é
        {"e\u0301e\u0301", 2, "e\u0301e\u0301"},
        {"\U0001F600\U0001F600\U0001F600", 2, "\U0001F600\u2026"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.input, c.max);
        const std::string out = sapo::flows::truncate_label(c.input, c.max);
        CHECK(out == c.expected);
        CHECK(sapo::flows::label_length(out) <= c.max);
    }
}

TEST_CASE("normalize works from several threads at once", "[flows][normalize]") {
    std::vector<std::thread> threads;
    std::vector<int> ok(4, 0);
    for (std::size_t t = 0; t < ok.size(); ++t) {
        threads.emplace_back([&ok, t] {
            int good = 0;
            for (int i = 0; i < 200; ++i) {
                good += sapo::flows::normalize("\uFF8A\uFF72\u3001\u30A2\u30EA\u30DE\u30B9") ==
                                "\u306F\u3044\u3001\u3042\u308A\u307E\u3059"
                            ? 1
                            : 0;
                good += sapo::flows::label_length("\U0001F1EF\U0001F1F5x") == 2 ? 1 : 0;
            }
            ok[t] = good;
        });
    }
    for (auto& th : threads) th.join();
    for (const int good : ok) CHECK(good == 400);
}

TEST_CASE("normalize is fast on a short Japanese string", "[flows][normalize][.perf]") {
    // Hidden tag: run with `test_flows "[.perf]"`. Reports ns per call, no assertion on timing in
    // regular runs (sanitizer and debug builds are much slower).
    const std::vector<std::string> inputs{"\u306F\u3044\u3001\u3042\u308A\u307E\u3059",  // はい、あります (no katakana)
                                          "\u30CF\u30A4\u3001\u30A2\u30EA\u30DE\u30B9",  // ハイ、アリマス
                                          "\uFF8A\uFF72",                                // ﾊｲ
                                          "Yes"};
    for (const auto& input : inputs) {
        constexpr int kIterations = 200'000;
        std::size_t sink = 0;
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < kIterations; ++i) sink += sapo::flows::normalize(input).size();
        const auto elapsed = std::chrono::steady_clock::now() - start;
        const double ns = std::chrono::duration<double, std::nano>(elapsed).count() / kIterations;
        WARN(input << ": " << ns << " ns per normalize()");
        CHECK(sink > 0);
    }
}
