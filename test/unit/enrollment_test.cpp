// Enrollment codes for the daily health report: reading what a patient types, the brute-force
// lockout (5 wrong codes within 10 minutes lock for 30) and fresh codes from the CSPRNG.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "bot/health/enrollment.hpp"

using sapo::health::locked_until;
using sapo::health::make_enrollment_code;
using sapo::health::read_enrollment_code;

namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kT0 = 1'795'230'000'000;  // any fixed instant

std::optional<std::string> none() { return std::nullopt; }

}  // namespace

TEST_CASE("enrollment code: what a patient types is read as 7 digits or refused", "[unit][health]") {
    struct Row {
        const char* typed;
        std::optional<std::string> code;
    };
    const std::vector<Row> rows{
        {"1234567", "1234567"},
        {"１２３４５６７", "1234567"},             // full-width digits
        {"123-4567", "1234567"},                  // a hyphen as on the paper
        {"１２３－４５６７", "1234567"},          // full-width hyphen
        {" 1234567 ", "1234567"},                 // spaces at either end
        {"\u30001234567\u3000", "1234567"},       // ideographic spaces at either end
        {"123 4567", "1234567"},                  // normalize_compact drops inner spaces too
        {"１２３\u3000４５６７", "1234567"},      // and an inner ideographic space
        {"123.4567", "1234567"},                  // punctuation is dropped by normalize_compact
        {"1234567。", "1234567"},
        {"0000123", "0000123"},                   // leading zeros are kept
        {"0000000", "0000000"},
        {"123456", none()},                       // 6 digits
        {"12345678", none()},                     // 8 digits
        {"123-45678", none()},                    // 8 digits with a hyphen
        {"abcdefg", none()},                      // letters
        {"123456a", none()},                      // 6 digits and a letter
        {"a1234567", none()},                     // 7 digits and a letter
        {"1234567番", none()},                    // 7 digits and a word
        {"123+4567", none()},                     // '+' is a symbol, not punctuation
        {"〒1234567", none()},                    // a symbol
        {"", none()},
        {"   ", none()},
        {"-------", none()},
    };
    for (const auto& r : rows) {
        INFO("typed: \"" << r.typed << "\"");
        CHECK(read_enrollment_code(r.typed) == r.code);
    }
}

TEST_CASE("enrollment lockout: 5 wrong codes within 10 minutes lock for 30 minutes from the 5th", "[unit][health]") {
    SECTION("no failures, one failure, four failures in a row: never locked") {
        CHECK(locked_until({}, kT0) == std::nullopt);
        CHECK(locked_until({kT0}, kT0) == std::nullopt);
        const std::vector<std::int64_t> four{kT0, kT0 + 1, kT0 + 2, kT0 + 3};
        CHECK(locked_until(four, kT0 + 3) == std::nullopt);
        CHECK(locked_until(four, kT0 + 10 * kMinute) == std::nullopt);
    }
    SECTION("five within 10 minutes: locked until 30 minutes after the 5th, and not a ms longer") {
        const std::vector<std::int64_t> five{kT0, kT0 + kMinute, kT0 + 2 * kMinute, kT0 + 3 * kMinute, kT0 + 4 * kMinute};
        const std::int64_t until = kT0 + 4 * kMinute + 30 * kMinute;
        CHECK(locked_until(five, kT0 + 4 * kMinute) == std::optional<std::int64_t>(until));
        CHECK(locked_until(five, kT0 + 20 * kMinute) == std::optional<std::int64_t>(until));
        CHECK(locked_until(five, until - 1) == std::optional<std::int64_t>(until));
        CHECK(locked_until(five, until) == std::nullopt);
        CHECK(locked_until(five, until + 1) == std::nullopt);
    }
    SECTION("five within the same millisecond lock too") {
        const std::vector<std::int64_t> burst(5, kT0);
        CHECK(locked_until(burst, kT0) == std::optional<std::int64_t>(kT0 + 30 * kMinute));
    }
    SECTION("the 1st and 5th exactly 10 minutes apart still lock, 10 minutes and 1 ms apart do not") {
        const std::vector<std::int64_t> exact{kT0, kT0 + kMinute, kT0 + 2 * kMinute, kT0 + 3 * kMinute, kT0 + 10 * kMinute};
        CHECK(locked_until(exact, kT0 + 10 * kMinute) == std::optional<std::int64_t>(kT0 + 40 * kMinute));
        const std::vector<std::int64_t> over{kT0, kT0 + kMinute, kT0 + 2 * kMinute, kT0 + 3 * kMinute, kT0 + 10 * kMinute + 1};
        CHECK(locked_until(over, kT0 + 10 * kMinute + 1) == std::nullopt);
    }
    SECTION("five spread over 11 minutes do not lock") {
        const std::vector<std::int64_t> spread{kT0, kT0 + 3 * kMinute, kT0 + 6 * kMinute, kT0 + 9 * kMinute,
                                               kT0 + 11 * kMinute};
        CHECK(locked_until(spread, kT0 + 11 * kMinute) == std::nullopt);
        CHECK(locked_until(spread, kT0 + 12 * kMinute) == std::nullopt);
    }
    SECTION("six failures: the first long before, the last five within 10 minutes") {
        const std::vector<std::int64_t> six{kT0,
                                            kT0 + 20 * kMinute,
                                            kT0 + 22 * kMinute,
                                            kT0 + 24 * kMinute,
                                            kT0 + 26 * kMinute,
                                            kT0 + 28 * kMinute};
        CHECK(locked_until(six, kT0 + 28 * kMinute) == std::optional<std::int64_t>(kT0 + 58 * kMinute));
        CHECK(locked_until(six, kT0 + 58 * kMinute - 1) == std::optional<std::int64_t>(kT0 + 58 * kMinute));
        CHECK(locked_until(six, kT0 + 58 * kMinute) == std::nullopt);
        // the first five alone (kT0 .. kT0 + 26 min) never lock
        CHECK(locked_until({six.begin(), six.end() - 1}, kT0 + 26 * kMinute) == std::nullopt);
    }
    SECTION("six failures within 10 minutes: the lock runs from the newest 5th") {
        const std::vector<std::int64_t> six{kT0, kT0 + kMinute, kT0 + 2 * kMinute, kT0 + 3 * kMinute, kT0 + 4 * kMinute,
                                            kT0 + 5 * kMinute};
        CHECK(locked_until(six, kT0 + 5 * kMinute) == std::optional<std::int64_t>(kT0 + 35 * kMinute));
        CHECK(locked_until(six, kT0 + 34 * kMinute + 30'000) == std::optional<std::int64_t>(kT0 + 35 * kMinute));
    }
    SECTION("the lock is over after 30 minutes, and 4 later failures do not lock again") {
        std::vector<std::int64_t> failures{kT0, kT0 + kMinute, kT0 + 2 * kMinute, kT0 + 3 * kMinute, kT0 + 4 * kMinute};
        CHECK(locked_until(failures, kT0 + 34 * kMinute) == std::nullopt);
        for (int i = 0; i < 4; ++i) failures.push_back(kT0 + (40 + i) * kMinute);
        CHECK(locked_until(failures, kT0 + 43 * kMinute) == std::nullopt);
        failures.push_back(kT0 + 44 * kMinute);  // the 5th after the lock
        CHECK(locked_until(failures, kT0 + 44 * kMinute) == std::optional<std::int64_t>(kT0 + 74 * kMinute));
    }
}

TEST_CASE("enrollment code: fresh codes are 7 random digits, leading zeros included", "[unit][health]") {
    constexpr int kDraws = 2000;
    std::set<std::string> seen;
    int below_million = 0;
    for (int i = 0; i < kDraws; ++i) {
        const std::string code = make_enrollment_code();
        INFO(code);
        REQUIRE(code.size() == 7);
        REQUIRE(code.find_first_not_of("0123456789") == std::string::npos);
        // what the patient gets back is what they can type in
        REQUIRE(read_enrollment_code(code) == std::optional<std::string>(code));
        if (code[0] == '0') ++below_million;
        seen.insert(code);
    }
    // 2,000 draws from 10^7 codes collide about 0.2 times on average
    CHECK(seen.size() >= static_cast<std::size_t>(kDraws - 5));
    // a code < 1000000 has probability 1/10: about 200 of 2,000 (sd ~13); none would mean lost zeros
    CHECK(below_million >= 100);
    CHECK(below_million <= 320);
}
