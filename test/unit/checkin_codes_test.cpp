// Check-in codes (bot/facility/codes.hpp): the facility id in base32 plus 40 bits of
// HMAC-SHA256, and the daily employee keywords; the check-in text's URL encoding and the links a
// facility hands out (bot/facility/links.hpp).
//
// The literal codes below were computed independently of sapo (Python's hmac module, the same
// construction: Crockford-style base32 of the id, then the first 8 base32 characters of
// HMAC-SHA256(key, "facility:<id>"); keywords: 6 characters of HMAC(key, "staff:<id>:<date>")).
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bot/facility/codes.hpp"
#include "bot/facility/links.hpp"

using sapo::facility::CheckinCodes;
using sapo::facility::LinkMaker;
using sapo::facility::looks_like_code;
using sapo::facility::url_encode;
using sapo::flows::CivilDate;

namespace {

const std::string kKey = "unit-test-checkin-key-0123456789";
const std::string kOtherKey = "another-key-for-the-unit-tests!!";
const std::string kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct Known {
    std::int64_t id;
    std::string code;
};

// HMAC-SHA256 with kKey, computed outside sapo.
const std::vector<Known> kKnown{
    {1, "14W3RSYYY"},
    {31, "Z96VA8ZRX"},
    {32, "1040N15XGX"},
    {1000, "Z815W1PBD7"},
    {123456789, "3NQK8N8RY4Q00T"},
};

std::string lower(std::string s) {
    for (auto& c : s) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
}

char upper_char(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

TEST_CASE("check-in codes: known ids give the expected codes and round-trip", "[unit][facility]") {
    const CheckinCodes codes(kKey);
    for (const auto& k : kKnown) {
        INFO("id " << k.id);
        CHECK(codes.code_for(k.id) == k.code);
        const auto back = codes.facility_of(k.code);
        REQUIRE(back.has_value());
        CHECK(*back == k.id);
    }
    // the id part is plain base32 of the id, so the codes grow with the id
    CHECK(codes.code_for(1).size() == 9);
    CHECK(codes.code_for(31).size() == 9);
    CHECK(codes.code_for(32).size() == 10);
    CHECK(codes.code_for(123456789).size() == 14);
    // ids that are not in the table round-trip too
    for (std::int64_t id : {2LL, 9LL, 10LL, 33LL, 1023LL, 1024LL, 32768LL, 4294967296LL}) {
        INFO("id " << id);
        const auto code = codes.code_for(id);
        CHECK(codes.facility_of(code) == std::optional<std::int64_t>(id));
        for (char c : code) CHECK(kAlphabet.find(c) != std::string::npos);
    }
    // the same key always gives the same code (another instance, e.g. after a restart)
    CHECK(CheckinCodes(kKey).code_for(1000) == "Z815W1PBD7");
}

TEST_CASE("check-in codes: case does not matter and surrounding spaces are ignored", "[unit][facility]") {
    const CheckinCodes codes(kKey);
    for (const auto& k : kKnown) {
        INFO("code " << k.code);
        CHECK(codes.facility_of(lower(k.code)) == std::optional<std::int64_t>(k.id));
        // mixed case: every other character lowered
        std::string mixed = k.code;
        for (std::size_t i = 0; i < mixed.size(); i += 2) mixed[i] = lower(std::string(1, mixed[i]))[0];
        CHECK(codes.facility_of(mixed) == std::optional<std::int64_t>(k.id));
        CHECK(codes.facility_of(" " + k.code) == std::optional<std::int64_t>(k.id));
        CHECK(codes.facility_of(k.code + "  ") == std::optional<std::int64_t>(k.id));
        CHECK(codes.facility_of("\t " + lower(k.code) + " \t") == std::optional<std::int64_t>(k.id));
    }
    // but not spaces inside
    CHECK_FALSE(codes.facility_of("1RW3 RSYYY").has_value());
    CHECK_FALSE(codes.facility_of("1RW3RSYY Y").has_value());
    CHECK_FALSE(codes.facility_of("").has_value());
    CHECK_FALSE(codes.facility_of("   ").has_value());
}

TEST_CASE("check-in codes: every single-character substitution is refused", "[unit][facility]") {
    const CheckinCodes codes(kKey);
    // the 32 characters of the alphabet in both cases, letters that never occur, punctuation,
    // space, and a full-width letter (3 bytes of UTF-8)
    std::vector<std::string> replacements;
    for (char c : kAlphabet) {
        replacements.emplace_back(1, c);
        if (c >= 'A' && c <= 'Z') replacements.emplace_back(1, static_cast<char>(c - 'A' + 'a'));
    }
    for (const char* other : {"I", "L", "O", "U", "i", "l", "o", "u", "-", "_", " ", "+", "/", "=", "\xEF\xBD\x81" /* ａ */,
                              "\xEF\xBC\x91" /* １ */}) {
        replacements.emplace_back(other);
    }
    REQUIRE(replacements.size() == 32 + 22 + 16);

    std::vector<Known> cases = kKnown;
    for (std::int64_t id : {2LL, 17LL, 33LL, 777LL, 65536LL}) cases.push_back({id, codes.code_for(id)});

    std::size_t tried = 0, refused = 0;
    for (const auto& k : cases) {
        for (std::size_t pos = 0; pos < k.code.size(); ++pos) {
            for (const auto& r : replacements) {
                // the same character (in either case) is not a change
                if (r.size() == 1 && upper_char(r[0]) == k.code[pos]) continue;
                std::string changed = k.code;
                changed.replace(pos, 1, r);
                ++tried;
                const auto got = codes.facility_of(changed);
                if (!got) {
                    ++refused;
                } else {
                    FAIL_CHECK("\"" << changed << "\" (from " << k.code << ", position " << pos << ") was taken for facility "
                                    << *got);
                }
            }
        }
    }
    // every code character has 1 same-letter (2 when a letter: both cases) replacement skipped
    std::size_t expected = 0;
    for (const auto& k : cases) {
        for (char c : k.code) expected += replacements.size() - ((c >= 'A' && c <= 'Z') ? 2 : 1);
    }
    CHECK(tried == expected);
    CHECK(tried > 5000);
    CHECK(refused == tried);
}

TEST_CASE("check-in codes: swapped neighbours, dropped and added characters are refused", "[unit][facility]") {
    const CheckinCodes codes(kKey);
    for (const auto& k : kKnown) {
        INFO("code " << k.code);
        for (std::size_t i = 0; i + 1 < k.code.size(); ++i) {
            if (k.code[i] == k.code[i + 1]) continue;
            std::string swapped = k.code;
            std::swap(swapped[i], swapped[i + 1]);
            INFO("swapped " << swapped);
            CHECK_FALSE(codes.facility_of(swapped).has_value());
        }
        for (std::size_t i = 0; i < k.code.size(); ++i) {
            std::string dropped = k.code;
            dropped.erase(i, 1);
            INFO("dropped " << dropped);
            CHECK_FALSE(codes.facility_of(dropped).has_value());
        }
        // truncated from either end
        CHECK_FALSE(codes.facility_of(k.code.substr(0, k.code.size() - 1)).has_value());
        CHECK_FALSE(codes.facility_of(k.code.substr(1)).has_value());
        CHECK_FALSE(codes.facility_of(k.code.substr(0, 8)).has_value());
        // extended at either end or in the middle
        for (char extra : std::string("019AZ")) {
            INFO("extra " << extra);
            CHECK_FALSE(codes.facility_of(k.code + extra).has_value());
            CHECK_FALSE(codes.facility_of(std::string(1, extra) + k.code).has_value());
            std::string inserted = k.code;
            inserted.insert(inserted.size() / 2, 1, extra);
            CHECK_FALSE(codes.facility_of(inserted).has_value());
        }
    }
    // just the id part, or just the check part
    CHECK_FALSE(codes.facility_of("1").has_value());
    CHECK_FALSE(codes.facility_of("RW3RSYYY").has_value());
    // an id part longer than 12 characters
    CHECK_FALSE(codes.facility_of(std::string(13, '1') + "RW3RSYYY").has_value());
}

TEST_CASE("check-in codes: a leading zero (a second spelling of the same id) is refused", "[unit][facility]") {
    const CheckinCodes codes(kKey);
    for (const auto& k : kKnown) {
        INFO("code " << k.code);
        CHECK_FALSE(codes.facility_of("0" + k.code).has_value());
        CHECK_FALSE(codes.facility_of("00" + k.code).has_value());
        CHECK_FALSE(codes.facility_of(" 0" + lower(k.code)).has_value());
    }
    // id 0 does not exist, whatever its check part says
    CHECK_FALSE(codes.facility_of("0" + codes.code_for(0).substr(1)).has_value());
    CHECK_FALSE(codes.facility_of(codes.code_for(0)).has_value());
    CHECK_FALSE(codes.facility_of("000000000").has_value());
}

TEST_CASE("check-in codes: another key gives other codes and refuses this key's", "[unit][facility]") {
    const CheckinCodes codes(kKey);
    const CheckinCodes other(kOtherKey);
    // computed outside sapo with the other key
    CHECK(other.code_for(1) == "10HB293W5");
    CHECK(other.code_for(1000) == "Z87BR92ZH6");
    for (const auto& k : kKnown) {
        INFO("id " << k.id);
        const auto theirs = other.code_for(k.id);
        CHECK(theirs != k.code);
        // same id part, different check part
        CHECK(theirs.substr(0, theirs.size() - 8) == k.code.substr(0, k.code.size() - 8));
        CHECK_FALSE(other.facility_of(k.code).has_value());
        CHECK_FALSE(codes.facility_of(theirs).has_value());
        CHECK(other.facility_of(theirs) == std::optional<std::int64_t>(k.id));
    }
    // a key that differs in its last character only
    const CheckinCodes near(kKey.substr(0, kKey.size() - 1) + "8");
    CHECK(near.code_for(1) != codes.code_for(1));
    CHECK_FALSE(near.facility_of(codes.code_for(1)).has_value());
}

TEST_CASE("check-in codes: staff keywords work today and yesterday only, for their facility only", "[unit][facility]") {
    const CheckinCodes codes(kKey);
    const CivilDate day{2026, 11, 21};
    const CivilDate yesterday{2026, 11, 20};
    const CivilDate before_yesterday{2026, 11, 19};
    const CivilDate tomorrow{2026, 11, 22};

    // computed outside sapo: id 1000 is "Z8"
    CHECK(codes.staff_keyword(1000, day) == "Z8-3R6XJ0");
    CHECK(codes.staff_keyword(1000, yesterday) == "Z8-J4P7QD");
    CHECK(codes.staff_keyword(1000, before_yesterday) == "Z8-7BGFAS");
    CHECK(codes.staff_keyword(1000, tomorrow) == "Z8-F5G2E1");

    using Id = std::optional<std::int64_t>;
    CHECK(codes.facility_of_keyword("Z8-3R6XJ0", day) == Id(1000));
    CHECK(codes.facility_of_keyword("Z8-J4P7QD", day) == Id(1000));  // yesterday's, still good
    CHECK_FALSE(codes.facility_of_keyword("Z8-7BGFAS", day).has_value());  // the day before yesterday's
    CHECK_FALSE(codes.facility_of_keyword("Z8-F5G2E1", day).has_value());  // tomorrow's
    // any case, spaces around
    CHECK(codes.facility_of_keyword(" z8-3r6xj0 ", day) == Id(1000));
    // a keyword of one facility is not one of another (id part changed)
    CHECK_FALSE(codes.facility_of_keyword("Z9-3R6XJ0", day).has_value());
    CHECK_FALSE(codes.facility_of_keyword("Z7-3R6XJ0", day).has_value());
    CHECK_FALSE(codes.facility_of_keyword("1-3R6XJ0", day).has_value());
    // ... and the other facility's own keyword differs
    CHECK(codes.staff_keyword(1001, day) != "Z9-3R6XJ0");
    CHECK(codes.facility_of_keyword(codes.staff_keyword(1001, day), day) == Id(1001));
    // malformed
    CHECK(codes.facility_of_keyword("Z83R6XJ0", day) == Id(1000));  // no dash: typed text loses it
    CHECK_FALSE(codes.facility_of_keyword("-3R6XJ0", day).has_value());    // no id
    CHECK_FALSE(codes.facility_of_keyword("0Z8-3R6XJ0", day).has_value()); // leading zero
    CHECK_FALSE(codes.facility_of_keyword("Z8-3R6XJ", day).has_value());   // short
    CHECK_FALSE(codes.facility_of_keyword("Z8-3R6XJ00", day).has_value()); // long
    CHECK_FALSE(codes.facility_of_keyword("", day).has_value());
    // another key's keyword
    CHECK_FALSE(CheckinCodes(kOtherKey).facility_of_keyword("Z8-3R6XJ0", day).has_value());
    // a keyword is not a check-in code, nor a code a keyword
    CHECK_FALSE(codes.facility_of("Z8-3R6XJ0").has_value());
    CHECK_FALSE(codes.facility_of_keyword(codes.code_for(1000), day).has_value());

    // every single-character change of today's keyword is refused
    const std::string kw = codes.staff_keyword(1000, day);
    int changes = 0;
    for (std::size_t pos = 0; pos < kw.size(); ++pos) {
        if (kw[pos] == '-') continue;
        for (char c : kAlphabet) {
            if (c == kw[pos]) continue;
            std::string changed = kw;
            changed[pos] = c;
            ++changes;
            INFO("changed " << changed);
            CHECK_FALSE(codes.facility_of_keyword(changed, day).has_value());
        }
    }
    CHECK(changes == 8 * 31);

    // "yesterday" across a month and a year end
    const auto k_feb = codes.staff_keyword(7, CivilDate{2028, 2, 29});
    CHECK(codes.facility_of_keyword(k_feb, CivilDate{2028, 3, 1}) == Id(7));
    CHECK_FALSE(codes.facility_of_keyword(k_feb, CivilDate{2028, 3, 2}).has_value());
    const auto k_dec = codes.staff_keyword(7, CivilDate{2026, 12, 31});
    CHECK(codes.facility_of_keyword(k_dec, CivilDate{2027, 1, 1}) == Id(7));
    // keywords change every day
    CHECK(codes.staff_keyword(7, CivilDate{2026, 12, 31}) != codes.staff_keyword(7, CivilDate{2027, 1, 1}));
}

TEST_CASE("check-in codes: every code has a digit, so a bare code is always recognised", "[unit][facility]") {
    CheckinCodes codes(kKey);
    for (std::int64_t id = 1; id <= 20000; ++id) {
        auto code = codes.code_for(id);
        INFO(id << " " << code);
        REQUIRE(code.find_first_of("0123456789") != std::string::npos);
        REQUIRE(looks_like_code(code));
    }
}

TEST_CASE("check-in codes: looks_like_code tells codes from ordinary words", "[unit][facility]") {
    CHECK(looks_like_code("14W3RSYYY"));
    CHECK(looks_like_code("1rw3rsyyy"));
    CHECK(looks_like_code("  14W3RSYYY\t"));
    CHECK(looks_like_code("3NQK8N8RY4Q00T"));
    CHECK(looks_like_code("123456789"));
    CHECK(looks_like_code("123456789ABCDEFG"));    // 16
    CHECK_FALSE(looks_like_code("123456789ABCDEFGH")); // 17
    CHECK_FALSE(looks_like_code("1RW3RSYY"));        // 8
    CHECK_FALSE(looks_like_code("ABCDEFGHJK"));      // no digit
    CHECK_FALSE(looks_like_code("strengths"));       // an English word of code letters
    CHECK_FALSE(looks_like_code("1RW3RSYYI"));       // I is not in the alphabet
    CHECK_FALSE(looks_like_code("1RW3RSYYO"));
    CHECK_FALSE(looks_like_code("1RW3-RSYYY"));
    CHECK_FALSE(looks_like_code("1RW3 RSYYY"));
    CHECK_FALSE(looks_like_code("チェックイン 14W3RSYYY"));
    CHECK_FALSE(looks_like_code("hello world"));
    CHECK_FALSE(looks_like_code(""));
    CHECK_FALSE(looks_like_code("\xEF\xBC\x91" "4W3RSYYY"));  // full-width 1: normalised before, not here
}

TEST_CASE("check-in links: the check-in text is percent-encoded as UTF-8", "[unit][facility]") {
    CHECK(url_encode("チェックイン 14W3RSYYY") ==
          "%E3%83%81%E3%82%A7%E3%83%83%E3%82%AF%E3%82%A4%E3%83%B3%2014W3RSYYY");
    CHECK(url_encode("aZ09-_.~") == "aZ09-_.~");
    CHECK(url_encode("a b/c?d&e=f+g#h%") == "a%20b%2Fc%3Fd%26e%3Df%2Bg%23h%25");
    CHECK(url_encode("") == "");
    CHECK(url_encode(std::string("\x00\x7f", 2)) == "%00%7F");

    const CheckinCodes codes(kKey);
    LinkMaker links(codes, "@123abcde", "https://sapo.example.test");
    const auto l = links.links(1000);
    CHECK(l.code == "Z815W1PBD7");
    CHECK(l.checkin_text == "チェックイン Z815W1PBD7");
    CHECK(l.checkin_url ==
          "https://line.me/R/oaMessage/@123abcde/?%E3%83%81%E3%82%A7%E3%83%83%E3%82%AF%E3%82%A4%E3%83%B3%20Z815W1PBD7");
    CHECK(l.qr_svg_url == "https://sapo.example.test/facilities/Z815W1PBD7/qr.svg");
    CHECK(l.qr_png_url == "https://sapo.example.test/facilities/Z815W1PBD7/qr.png");
    CHECK(l.poster_url == "https://sapo.example.test/facilities/Z815W1PBD7/poster");
    CHECK(&links.codes() == &codes);
    links.set_base_url("http://127.0.0.1:8080");
    CHECK(links.links(1).qr_png_url == "http://127.0.0.1:8080/facilities/14W3RSYYY/qr.png");
    // the LINE URL does not depend on where sapo is served
    CHECK(links.links(1000).checkin_url == l.checkin_url);
}
