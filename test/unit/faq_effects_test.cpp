// The FAQ effects' pure parts: the consultation centre's hours and the signs that need 119.

#include <catch2/catch.hpp>

#include "bot/faq/effects.hpp"

using sapo::faq::parse_hours;
using sapo::faq::sounds_urgent;

TEST_CASE("faq hours: HH:MM-HH:MM, opening before closing", "[unit][faq]") {
    auto h = parse_hours("09:00-22:00");
    REQUIRE(h);
    CHECK(h->open_minute == 9 * 60);
    CHECK(h->close_minute == 22 * 60);
    auto all_day = parse_hours("00:00-24:00");
    REQUIRE(all_day);
    CHECK(all_day->close_minute == 24 * 60);
    CHECK(parse_hours("8:30-17:15").value().open_minute == 8 * 60 + 30);
    for (const char* bad : {"", "09:00", "22:00-09:00", "09:00-09:00", "25:00-26:00", "09:60-10:00", "9-22", "09:00-24:30",
                            "０９:００-２２:００", "09:00 - 22:00", "09:00-22:00x"}) {
        INFO(bad);
        CHECK_FALSE(parse_hours(bad));
    }
}

TEST_CASE("faq urgent: signs that need 119 are found however they are typed", "[unit][faq]") {
    for (const char* urgent : {"息苦しいです", "息が苦しくて眠れない", "父の意識がない", "胸が痛い", "くちびるが紫色になっている",
                               "けいれんしている", "ケイレンしています", "救急車を呼ぶべき？", "１１９に電話すべき？",
                               "祖母が倒れました"}) {
        INFO(urgent);
        CHECK(sounds_urgent(urgent));
    }
    for (const char* calm : {"熱が出たらどうすればいい", "PCR検査はどこで受けられますか", "こんにちは", "", "咳が出ます",
                             "チェックインの記録はいつ消えますか"}) {
        INFO(calm);
        CHECK_FALSE(sounds_urgent(calm));
    }
}
