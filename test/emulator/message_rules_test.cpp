#include "bot/line/message_rules.hpp"

#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <catch2/catch.hpp>

using sapo::line::ApiError;
using sapo::line::count_code_points;
using sapo::line::count_graphemes;
using sapo::line::count_utf16_units;

namespace {

const std::string kEmoji = "\xF0\x9F\x98\x80";  // U+1F600: 1 code point, 2 UTF-16 units
const std::string kA = "\xE3\x81\x82";           // U+3042 HIRAGANA A: 1 unit
const std::string kThumbsMedium = "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD";  // U+1F44D U+1F3FD

std::string repeat(const std::string& s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "," : "") + parts[i];
    return out;
}

std::optional<ApiError> check(const std::string& messages_json) {
    rapidjson::Document doc;
    doc.Parse(messages_json.c_str());
    REQUIRE_FALSE(doc.HasParseError());
    return sapo::line::validate_messages(doc);
}

/// Property paths of the error, or {"<ok>"} when the messages were accepted.
std::vector<std::string> props(const std::string& messages_json) {
    auto e = check(messages_json);
    if (!e) return {"<ok>"};
    CHECK(e->status == 400);
    CHECK(e->message == "The request body has " + std::to_string(e->details.size()) + " error(s)");
    std::vector<std::string> out;
    for (const auto& d : e->details) out.push_back(d.second);
    return out;
}

const std::vector<std::string> kOk{"<ok>"};

std::string text(const std::string& t) { return R"({"type":"text","text":")" + t + "\"}"; }

std::string one(const std::string& message) { return "[" + message + "]"; }

std::string quick(const std::vector<std::string>& actions) {
    std::vector<std::string> items;
    for (const auto& a : actions) items.push_back(R"({"type":"action","action":)" + a + "}");
    return R"({"type":"text","text":"pick","quickReply":{"items":[)" + join(items) + "]}}";
}

std::string postback(const std::string& label, const std::string& data, const std::string& display = "") {
    std::string out = R"({"type":"postback","label":")" + label + R"(","data":")" + data + "\"";
    if (!display.empty()) out += R"(,"displayText":")" + display + "\"";
    return out + "}";
}

std::string message_action(const std::string& label, const std::string& t) {
    return R"({"type":"message","label":")" + label + R"(","text":")" + t + "\"}";
}

std::string uri_action(const std::string& uri) { return R"({"type":"uri","label":"web","uri":")" + uri + "\"}"; }

std::string buttons(const std::string& extra, const std::string& t, std::size_t actions) {
    std::vector<std::string> a(actions, message_action("ok", "ok"));
    return R"({"type":"template","altText":"alt","template":{"type":"buttons",)" + extra + R"("text":")" + t +
           R"(","actions":[)" + join(a) + "]}}";
}

std::string confirm(const std::string& t, std::size_t actions) {
    std::vector<std::string> a(actions, message_action("yes", "yes"));
    return R"({"type":"template","altText":"alt","template":{"type":"confirm","text":")" + t +
           R"(","actions":[)" + join(a) + "]}}";
}

}  // namespace

TEST_CASE("message rules: counting text as LINE does", "[emulator][rules]") {
    CHECK(count_utf16_units("") == 0);
    CHECK(count_utf16_units("abc") == 3);
    CHECK(count_utf16_units(repeat(kA, 3)) == 3);          // Japanese: one unit each, though 3 bytes
    CHECK(count_utf16_units("\xE6\xBC\xA2\xE5\xAD\x97") == 2);  // 漢字
    CHECK(count_utf16_units(kEmoji) == 2);                  // surrogate pair
    CHECK(count_utf16_units("a" + kEmoji + kA) == 4);
    CHECK(count_utf16_units("\xC3\xA9") == 1);              // é, two bytes
    CHECK(count_utf16_units("\xFF\xFE") == 2);              // invalid bytes count one each, no stall

    CHECK(count_code_points(kEmoji) == 1);
    CHECK(count_code_points(repeat(kA, 4) + "x") == 5);

    CHECK(count_graphemes("hello") == 5);
    CHECK(count_graphemes(kEmoji) == 1);
    CHECK(count_graphemes(kThumbsMedium) == 1);  // emoji + skin tone
    // family: man ZWJ woman ZWJ girl
    CHECK(count_graphemes("\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7") == 1);
    CHECK(count_graphemes("\xF0\x9F\x87\xAF\xF0\x9F\x87\xB5") == 1);                                  // JP flag
    CHECK(count_graphemes("\xF0\x9F\x87\xAF\xF0\x9F\x87\xB5\xF0\x9F\x87\xBA\xF0\x9F\x87\xB8") == 2);  // JP US
    CHECK(count_graphemes("\xE3\x81\x8B\xE3\x82\x99") == 1);  // か + combining dakuten
    CHECK(count_graphemes("1\xEF\xB8\x8F\xE2\x83\xA3") == 1);  // keycap 1
    CHECK(count_graphemes("e\xCC\x81x") == 2);                 // e + combining acute, x
    CHECK(count_graphemes(repeat(kA, 20)) == 20);
}

TEST_CASE("message rules: ids", "[emulator][rules]") {
    const std::string hex32(32, 'a');
    CHECK(sapo::line::is_user_id("U" + hex32));
    CHECK(sapo::line::is_user_id("U0123456789abcdef0123456789abcdef"));
    CHECK_FALSE(sapo::line::is_user_id("U" + std::string(31, 'a')));
    CHECK_FALSE(sapo::line::is_user_id("U" + std::string(33, 'a')));
    CHECK_FALSE(sapo::line::is_user_id("U" + std::string(32, 'A')));
    CHECK_FALSE(sapo::line::is_user_id("U" + std::string(32, 'g')));
    CHECK_FALSE(sapo::line::is_user_id("C" + hex32));
    CHECK(sapo::line::is_line_id("C" + hex32));
    CHECK(sapo::line::is_line_id("R" + hex32));
    CHECK_FALSE(sapo::line::is_line_id("X" + hex32));

    CHECK_FALSE(sapo::line::validate_to_user("U" + hex32));
    auto bad = sapo::line::validate_to_user(std::string_view("nobody"));
    REQUIRE(bad);
    CHECK(bad->status == 400);
    CHECK(bad->message == "The property, 'to', in the request body is invalid");
    CHECK(bad->body() == R"({"message":"The property, 'to', in the request body is invalid"})");
    rapidjson::Document number;
    number.Parse("42");
    CHECK(sapo::line::validate_to_user(number));

    for (int s : {5, 10, 55, 60}) CHECK(sapo::line::valid_loading_seconds(s));
    for (int s : {0, 4, 7, 61, 65, -5}) CHECK_FALSE(sapo::line::valid_loading_seconds(s));
}

TEST_CASE("message rules: error body as LINE writes it", "[emulator][rules]") {
    CHECK(ApiError{400, "Invalid reply token", {}}.body() == R"({"message":"Invalid reply token"})");
    const auto e = sapo::line::invalid_body({{"Length must be between 1 and 5000", "messages[0].text"}, {"must be \"x\"", "to"}});
    CHECK(e.status == 400);
    CHECK(e.body() ==
          R"j({"message":"The request body has 2 error(s)","details":[)j"
          R"({"message":"Length must be between 1 and 5000","property":"messages[0].text"},)"
          R"({"message":"must be \"x\"","property":"to"}]})");
}

TEST_CASE("message rules: 1..5 message objects with a known type", "[emulator][rules]") {
    const std::string ok = text("hi");
    CHECK(props(one(ok)) == kOk);
    CHECK(props("[" + join(std::vector<std::string>(5, ok)) + "]") == kOk);
    CHECK(props("[]") == std::vector<std::string>{"messages"});
    CHECK(props("[" + join(std::vector<std::string>(6, ok)) + "]") == std::vector<std::string>{"messages"});
    CHECK(props("{}") == std::vector<std::string>{"messages"});
    CHECK(props(R"([{"text":"x"},{"type":"hologram"},"str"])") ==
          std::vector<std::string>{"messages[0].type", "messages[1].type", "messages[2]"});
    for (const char* m : {R"({"type":"sticker","packageId":"446","stickerId":"1988"})",
                          R"({"type":"image","originalContentUrl":"https://x/a.jpg","previewImageUrl":"https://x/p.jpg"})",
                          R"({"type":"location","title":"t","address":"a","latitude":35.0,"longitude":139.0})",
                          R"({"type":"coupon","couponId":"c"})"}) {
        CHECK(props(one(m)) == kOk);
    }
    CHECK(props(one(R"({"type":"sticker","packageId":"446"})")) == std::vector<std::string>{"messages[0].stickerId"});

    const auto e = check("[]");
    REQUIRE(e);
    CHECK(e->details[0].first == "Size must be between 1 and 5");
}

TEST_CASE("message rules: text is 1..5000 UTF-16 code units", "[emulator][rules]") {
    CHECK(props(one(text(std::string(5000, 'a')))) == kOk);
    CHECK(props(one(text(std::string(5001, 'a')))) == std::vector<std::string>{"messages[0].text"});
    CHECK(props(one(text(""))) == std::vector<std::string>{"messages[0].text"});
    CHECK(props(one(R"({"type":"text"})")) == std::vector<std::string>{"messages[0].text"});
    CHECK(props(one(R"({"type":"text","text":5})")) == std::vector<std::string>{"messages[0].text"});
    // Japanese: 5000 characters are 5000 units (15000 bytes).
    CHECK(props(one(text(repeat(kA, 5000)))) == kOk);
    CHECK(props(one(text(repeat(kA, 5001)))) == std::vector<std::string>{"messages[0].text"});
    // Emoji: 2500 are 5000 units; one more unit is over.
    CHECK(props(one(text(repeat(kEmoji, 2500)))) == kOk);
    CHECK(props(one(text(repeat(kEmoji, 2500) + "a"))) == std::vector<std::string>{"messages[0].text"});
    CHECK(props(one(text(repeat(kEmoji, 2499) + "ab"))) == kOk);
    // The property names the message that is wrong.
    CHECK(props("[" + text("ok") + "," + text(std::string(5001, 'b')) + "]") ==
          std::vector<std::string>{"messages[1].text"});

    const auto e = check(one(text(std::string(5001, 'a'))));
    REQUIRE(e);
    CHECK(e->message == "The request body has 1 error(s)");
    CHECK(e->details[0].first == "Length must be between 1 and 5000");
}

TEST_CASE("message rules: quick reply", "[emulator][rules]") {
    const std::string good = postback("yes", "a=1");
    SECTION("at most 13 items") {
        CHECK(props(one(quick(std::vector<std::string>(13, good)))) == kOk);
        CHECK(props(one(quick(std::vector<std::string>(14, good)))) ==
              std::vector<std::string>{"messages[0].quickReply.items"});
        CHECK(props(one(quick({}))) == std::vector<std::string>{"messages[0].quickReply.items"});
        CHECK(props(one(R"({"type":"text","text":"x","quickReply":{}})")) ==
              std::vector<std::string>{"messages[0].quickReply.items"});
        CHECK(props(one(R"({"type":"text","text":"x","quickReply":{"items":[{"type":"action"}]}})")) ==
              std::vector<std::string>{"messages[0].quickReply.items[0].action"});
    }
    SECTION("labels are at most 20 characters, as the user sees them") {
        CHECK(props(one(quick({postback(std::string(20, 'l'), "d")}))) == kOk);
        CHECK(props(one(quick({postback(std::string(21, 'l'), "d")}))) ==
              std::vector<std::string>{"messages[0].quickReply.items[0].action.label"});
        CHECK(props(one(quick({postback(repeat(kA, 20), "d")}))) == kOk);
        CHECK(props(one(quick({postback(repeat(kA, 21), "d")}))) ==
              std::vector<std::string>{"messages[0].quickReply.items[0].action.label"});
        CHECK(props(one(quick({postback(repeat(kEmoji, 20), "d")}))) == kOk);
        CHECK(props(one(quick({postback(repeat(kThumbsMedium, 20), "d")}))) == kOk);
        CHECK(props(one(quick({postback(repeat(kEmoji, 21), "d")}))) ==
              std::vector<std::string>{"messages[0].quickReply.items[0].action.label"});
    }
    SECTION("postback data and displayText are at most 300") {
        CHECK(props(one(quick({postback("x", std::string(300, 'd'), std::string(300, 't'))}))) == kOk);
        CHECK(props(one(quick({postback("x", std::string(301, 'd'))}))) ==
              std::vector<std::string>{"messages[0].quickReply.items[0].action.data"});
        CHECK(props(one(quick({postback("x", "d", std::string(301, 't'))}))) ==
              std::vector<std::string>{"messages[0].quickReply.items[0].action.displayText"});
        CHECK(props(one(quick({R"({"type":"postback","label":"x"})"}))) ==
              std::vector<std::string>{"messages[0].quickReply.items[0].action.data"});
    }
    SECTION("message action text at most 300, uri at most 1000") {
        CHECK(props(one(quick({message_action("m", std::string(300, 'm'))}))) == kOk);
        CHECK(props(one(quick({message_action("m", std::string(301, 'm'))}))) ==
              std::vector<std::string>{"messages[0].quickReply.items[0].action.text"});
        CHECK(props(one(quick({uri_action("https://" + std::string(992, 'u'))}))) == kOk);
        CHECK(props(one(quick({uri_action("https://" + std::string(993, 'u'))}))) ==
              std::vector<std::string>{"messages[0].quickReply.items[0].action.uri"});
    }
    SECTION("paths name the message and the item") {
        std::vector<std::string> actions(13, good);
        actions[12] = postback(std::string(21, 'l'), "d");
        CHECK(props("[" + text("first") + "," + quick(actions) + "]") ==
              std::vector<std::string>{"messages[1].quickReply.items[12].action.label"});
        CHECK(props(one(quick({good, R"({"label":"x"})"}))) ==
              std::vector<std::string>{"messages[0].quickReply.items[1].action.type"});
    }
    SECTION("every error is listed") {
        const auto e = check(one(quick({postback(std::string(21, 'l'), std::string(301, 'd'))})));
        REQUIRE(e);
        CHECK(e->message == "The request body has 2 error(s)");
        CHECK(e->details.size() == 2);
    }
}

TEST_CASE("message rules: templates", "[emulator][rules]") {
    SECTION("altText is required and at most 400") {
        const std::string tpl = R"({"type":"buttons","text":"t","actions":[{"type":"message","label":"a","text":"a"}]})";
        CHECK(props(one(R"({"type":"template","altText":")" + std::string(400, 'a') + R"(","template":)" + tpl + "}")) == kOk);
        CHECK(props(one(R"({"type":"template","altText":")" + std::string(401, 'a') + R"(","template":)" + tpl + "}")) ==
              std::vector<std::string>{"messages[0].altText"});
        CHECK(props(one(R"({"type":"template","template":)" + tpl + "}")) == std::vector<std::string>{"messages[0].altText"});
        CHECK(props(one(R"({"type":"template","altText":"a"})")) == std::vector<std::string>{"messages[0].template"});
        CHECK(props(one(R"({"type":"template","altText":"a","template":{"type":"poster"}})")) ==
              std::vector<std::string>{"messages[0].template.type"});
    }
    SECTION("buttons: 1..4 actions") {
        CHECK(props(one(buttons("", "t", 4))) == kOk);
        CHECK(props(one(buttons("", "t", 5))) == std::vector<std::string>{"messages[0].template.actions"});
        CHECK(props(one(buttons("", "t", 0))) == std::vector<std::string>{"messages[0].template.actions"});
    }
    SECTION("buttons: text at most 160, or 60 with a title or an image; title at most 40") {
        CHECK(props(one(buttons("", std::string(160, 't'), 1))) == kOk);
        CHECK(props(one(buttons("", std::string(161, 't'), 1))) == std::vector<std::string>{"messages[0].template.text"});
        CHECK(props(one(buttons("", repeat(kA, 160), 1))) == kOk);
        CHECK(props(one(buttons(R"("title":"T",)", std::string(60, 't'), 1))) == kOk);
        CHECK(props(one(buttons(R"("title":"T",)", std::string(61, 't'), 1))) ==
              std::vector<std::string>{"messages[0].template.text"});
        CHECK(props(one(buttons(R"("thumbnailImageUrl":"https://x/i.jpg",)", std::string(60, 't'), 1))) == kOk);
        CHECK(props(one(buttons(R"("thumbnailImageUrl":"https://x/i.jpg",)", std::string(61, 't'), 1))) ==
              std::vector<std::string>{"messages[0].template.text"});
        CHECK(props(one(buttons(R"("title":")" + std::string(40, 'T') + "\",", "t", 1))) == kOk);
        CHECK(props(one(buttons(R"("title":")" + std::string(41, 'T') + "\",", "t", 1))) ==
              std::vector<std::string>{"messages[0].template.title"});
        CHECK(props(one(buttons("", "", 1))) == std::vector<std::string>{"messages[0].template.text"});
    }
    SECTION("buttons: actions are checked like quick reply actions") {
        const std::string tpl =
            R"({"type":"template","altText":"a","template":{"type":"buttons","text":"t","actions":[)" +
            message_action("ok", "ok") + "," + uri_action(std::string(1001, 'u')) + "," +
            postback(std::string(21, 'l'), "d") + "]}}";
        CHECK(props(one(tpl)) ==
              std::vector<std::string>{"messages[0].template.actions[1].uri", "messages[0].template.actions[2].label"});
    }
    SECTION("confirm: exactly 2 actions, text at most 240") {
        CHECK(props(one(confirm("sure?", 2))) == kOk);
        CHECK(props(one(confirm("sure?", 1))) == std::vector<std::string>{"messages[0].template.actions"});
        CHECK(props(one(confirm("sure?", 3))) == std::vector<std::string>{"messages[0].template.actions"});
        CHECK(props(one(confirm(std::string(240, 'c'), 2))) == kOk);
        CHECK(props(one(confirm(std::string(241, 'c'), 2))) == std::vector<std::string>{"messages[0].template.text"});
    }
    SECTION("carousel: at most 10 columns") {
        const std::string col = R"({"text":"c","actions":[)" + message_action("a", "a") + "]}";
        auto carousel = [&](std::size_t n) {
            return R"({"type":"template","altText":"a","template":{"type":"carousel","columns":[)" +
                   join(std::vector<std::string>(n, col)) + "]}}";
        };
        CHECK(props(one(carousel(10))) == kOk);
        CHECK(props(one(carousel(11))) == std::vector<std::string>{"messages[0].template.columns"});
    }
}

TEST_CASE("message rules: flex", "[emulator][rules]") {
    const std::string bubble = R"({"type":"bubble","body":{"type":"box","layout":"vertical","contents":[]}})";
    auto flex = [&](const std::string& alt) {
        return R"({"type":"flex","altText":")" + alt + R"(","contents":)" + bubble + "}";
    };
    CHECK(props(one(flex("a"))) == kOk);
    CHECK(props(one(flex(std::string(400, 'a')))) == kOk);
    CHECK(props(one(flex(std::string(401, 'a')))) == std::vector<std::string>{"messages[0].altText"});
    CHECK(props(one(flex(""))) == std::vector<std::string>{"messages[0].altText"});
    CHECK(props(one(R"({"type":"flex","altText":"a"})")) == std::vector<std::string>{"messages[0].contents"});
    CHECK(props(one(R"({"type":"flex","altText":"a","contents":{"type":"poster"}})")) ==
          std::vector<std::string>{"messages[0].contents.type"});
    const std::string big = R"({"type":"bubble","body":{"type":"text","text":")" + std::string(31 * 1024, 'x') + "\"}}";
    CHECK(props(one(R"({"type":"flex","altText":"a","contents":)" + big + "}")) ==
          std::vector<std::string>{"messages[0].contents"});
    auto carousel = [&](std::size_t n) {
        return R"({"type":"flex","altText":"a","contents":{"type":"carousel","contents":[)" +
               join(std::vector<std::string>(n, bubble)) + "]}}";
    };
    CHECK(props(one(carousel(12))) == kOk);
    CHECK(props(one(carousel(13))) == std::vector<std::string>{"messages[0].contents.contents"});
}

TEST_CASE("message rules: check_messages appends to other errors of the request", "[emulator][rules]") {
    rapidjson::Document body;
    body.Parse(R"({"messages":[{"type":"text","text":""}]})");
    sapo::line::ErrorDetails details{{"must be specified", "replyToken"}};
    CHECK(sapo::line::check_messages(&body["messages"], details) == 1);
    REQUIRE(details.size() == 2);
    CHECK(details[1].second == "messages[0].text");
    CHECK(sapo::line::check_messages(nullptr, details) == 0);
    CHECK(details.back() == std::pair<std::string, std::string>{"must be specified", "messages"});
}
