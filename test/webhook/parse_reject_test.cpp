// parse_callback() on bodies that are not LINE callbacks, or are hostile.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "bot/webhook/parse.hpp"
#include "test/webhook/line_fixtures.hpp"

using sapo::webhook::kMaxJsonDepth;
using sapo::webhook::parse_callback;
using sapo::webhook::ParseResult;
using sapo::webhook::test::read_line_fixture;

namespace {

bool starts_with(const std::string& s, std::string_view prefix) {
    return s.rfind(prefix, 0) == 0;
}

/// A refusal carries one sentence and no half-parsed events.
void check_refused(const ParseResult& r, std::string_view prefix) {
    CHECK_FALSE(r.ok);
    CHECK(starts_with(r.error, std::string(prefix)));
    CHECK((!r.error.empty() && r.error.back() == '.'));
    CHECK(r.callback.events.empty());
}

/// `{"events":[{"type":"deep","x":<depth_inside> nested arrays>}]}`: total depth is
/// depth_inside + 3 (body object, events array, event object).
std::string event_with_nesting(std::size_t depth_inside) {
    return R"({"events":[{"type":"deep","x":)" + std::string(depth_inside, '[') +
           std::string(depth_inside, ']') + "}]}";
}

}  // namespace

TEST_CASE("malformed JSON is refused with the offset", "[webhook][parse]") {
    const std::vector<std::string> bodies = {
        "",
        "   ",
        "not json",
        R"({"events":[})",
        R"({"events":[]})" + std::string(" x"),
        R"({"events":[])",
        R"({"events":[{"type":"follow",}]})",
        R"({"events":[{"type":'follow'}]})",
        R"({"events":[{"timestamp":NaN}]})",
        R"({"events":[{"timestamp":1e400}]})",
        R"({"events":[{"type":"a)" + std::string("\n") + R"(b"}]})",  // raw control character
        R"({"events":[{"type":"\x"}]})",
        R"({"events":[{"type":"\ud800"}]})",  // high surrogate without its pair
        // A NUL byte would end the reader's input early: what follows must not be ignored.
        R"({"events":[]})" + std::string(1, '\0') + "junk",
        std::string(R"({"events":[{"type":"fo)") + '\0' + R"(llow"}]})",
        // Not UTF-8.
        std::string(R"({"events":[{"type":"message","message":{"type":"text","text":")") +
            "\xff\xfe" + R"("}}]})",
        std::string(R"({"events":[{"type":")") + "\xc3" + R"("}]})",  // truncated sequence
        std::string(R"({"events":[{"type":")") + "\xed\xa0\x80" + R"("}]})",  // encoded surrogate
    };
    for (const auto& body : bodies) {
        CAPTURE(body);
        const ParseResult r = parse_callback(body);
        check_refused(r, "malformed JSON at offset ");
    }
    CHECK(parse_callback("").error == "malformed JSON at offset 0: The document is empty.");
    CHECK(
        parse_callback(R"({"events":[]})" + std::string(1, '\0') + "junk").error ==
        "malformed JSON at offset 13: unexpected data after the root value."
    );
}

TEST_CASE("a lone low surrogate escape is refused", "[webhook][parse]") {
    // The reader accepts "\udc00" and would hand on invalid UTF-8; the writer catches it.
    const ParseResult r = parse_callback(
        R"({"events":[{"type":"message","message":{"type":"text","text":"a\udc00b"}}]})"
    );
    CHECK_FALSE(r.ok);
    CHECK(starts_with(r.error, "malformed JSON"));
    CHECK(r.error.find("events[0]") != std::string::npos);
    CHECK(r.callback.events.empty());
}

TEST_CASE("JSON that is not a callback is refused", "[webhook][parse]") {
    struct Case {
        std::string body;
        std::string error;
    };
    const std::vector<Case> cases = {
        {"[]", "not a LINE webhook callback: the body is an array, not an object."},
        {"null", "not a LINE webhook callback: the body is null, not an object."},
        {R"("events")", "not a LINE webhook callback: the body is a string, not an object."},
        {"42", "not a LINE webhook callback: the body is a number, not an object."},
        {"{}", "not a LINE webhook callback: the \"events\" field is missing."},
        {R"({"destination":"U0","Events":[]})",
         "not a LINE webhook callback: the \"events\" field is missing."},
        {R"({"events":5})", "not a LINE webhook callback: \"events\" is a number, not an array."},
        {R"({"events":null})", "not a LINE webhook callback: \"events\" is null, not an array."},
        {R"({"events":{"type":"follow"}})",
         "not a LINE webhook callback: \"events\" is an object, not an array."},
        {R"({"events":[1]})",
         "not a LINE webhook callback: events[0] is a number, not an object."},
        {R"({"events":[{"type":"follow"},null]})",
         "not a LINE webhook callback: events[1] is null, not an object."},
        {R"({"events":[{"type":"follow"},[{"type":"follow"}]]})",
         "not a LINE webhook callback: events[1] is an array, not an object."},
        {R"({"events":[{"type":"follow"},"follow"]})",
         "not a LINE webhook callback: events[1] is a string, not an object."},
    };
    for (const auto& c : cases) {
        CAPTURE(c.body);
        const ParseResult r = parse_callback(c.body);
        check_refused(r, "not a LINE webhook callback: ");
        CHECK(r.error == c.error);
    }
}

TEST_CASE("empty events: LINE's Verify button", "[webhook][parse]") {
    const ParseResult r =
        parse_callback(R"({"destination":"U00000000000000000000000000000000","events":[]})");
    REQUIRE(r.ok);
    CHECK(r.error.empty());
    CHECK(r.callback.destination == "U00000000000000000000000000000000");
    CHECK(r.callback.events.empty());

    const ParseResult bare = parse_callback(R"({"events":[]})");
    REQUIRE(bare.ok);
    CHECK(bare.callback.destination.empty());
}

TEST_CASE("deep nesting is refused without recursion", "[webhook][parse]") {
    SECTION("100k nested arrays, balanced") {
        const std::string body = std::string(100000, '[') + std::string(100000, ']');
        ParseResult r;
        REQUIRE_NOTHROW(r = parse_callback(body));
        check_refused(r, "malformed JSON at offset ");
        CHECK(r.error.find("nested deeper than 64 levels") != std::string::npos);
    }
    SECTION("1 MiB of unterminated arrays and objects") {
        std::string body;
        for (std::size_t i = 0; body.size() < (1u << 20); ++i) body += i % 2 ? "{\"a\":" : "[";
        ParseResult r;
        REQUIRE_NOTHROW(r = parse_callback(body));
        check_refused(r, "malformed JSON at offset ");
    }
    SECTION("100k nested arrays inside an event") {
        const ParseResult r = parse_callback(event_with_nesting(100000));
        check_refused(r, "malformed JSON at offset ");
    }
    SECTION("the limit itself is allowed, one more is not") {
        const ParseResult at_limit = parse_callback(event_with_nesting(kMaxJsonDepth - 3));
        REQUIRE(at_limit.ok);
        REQUIRE(at_limit.callback.events.size() == 1);
        CHECK(at_limit.callback.events[0].type == "deep");
        const std::string innermost = std::string(kMaxJsonDepth - 3, '[');
        CHECK(at_limit.callback.events[0].raw.find(innermost) != std::string::npos);

        const ParseResult over = parse_callback(event_with_nesting(kMaxJsonDepth - 2));
        check_refused(over, "malformed JSON at offset ");
        CHECK(over.error.find("nested deeper than") != std::string::npos);
    }
}

TEST_CASE("known fields of the wrong type count as missing", "[webhook][parse]") {
    const ParseResult r = parse_callback(R"({"destination":5,"events":[{
        "type":5, "mode":7, "timestamp":"abc", "source":5, "replyToken":[],
        "message":"hi", "postback":{"data":5}, "deliveryContext":{"isRedelivery":"yes"},
        "webhookEventId":7}]})");
    REQUIRE(r.ok);
    CHECK(r.callback.destination.empty());
    REQUIRE(r.callback.events.size() == 1);
    const auto& e = r.callback.events[0];
    CHECK(e.type.empty());
    CHECK(e.mode == "active");
    CHECK(e.timestamp_ms == 0);
    CHECK(e.source_type.empty());
    CHECK(e.user_id.empty());
    CHECK(e.reply_token.empty());
    CHECK(e.message_type.empty());
    CHECK(e.postback_data.empty());
    CHECK_FALSE(e.redelivery);
    CHECK(starts_with(e.event_id, "derived:"));
    CHECK(e.raw.find(R"("timestamp":"abc")") != std::string::npos);

    const ParseResult nested = parse_callback(R"({"events":[{"type":"message",
        "source":{"type":["user"],"userId":{"id":"U1"},"groupId":null,"roomId":"R1"},
        "message":{"type":"text","text":42},"deliveryContext":true}]})");
    REQUIRE(nested.ok);
    const auto& n = nested.callback.events.at(0);
    CHECK(n.source_type.empty());
    CHECK(n.user_id.empty());
    CHECK(n.group_id == "R1");  // a bad groupId does not hide a good roomId
    CHECK(n.message_type == "text");
    CHECK(n.text.empty());
    CHECK_FALSE(n.redelivery);
}

TEST_CASE("timestamps: int64 only", "[webhook][parse]") {
    const auto timestamp = [](const std::string& json) {
        const ParseResult r =
            parse_callback(R"({"events":[{"type":"follow","timestamp":)" + json + "}]}");
        REQUIRE(r.ok);
        return r.callback.events.at(0).timestamp_ms;
    };
    CHECK(timestamp("1462629479859") == 1462629479859);
    CHECK(timestamp("0") == 0);
    CHECK(timestamp("-5") == -5);
    CHECK(timestamp("9223372036854775807") == INT64_MAX);
    CHECK(timestamp("18446744073709551615") == 0);  // does not fit
    CHECK(timestamp("1.4626294798e12") == 0);
    CHECK(timestamp("true") == 0);
    CHECK(timestamp("null") == 0);
}

TEST_CASE("mode and redelivery defaults", "[webhook][parse]") {
    const ParseResult r = parse_callback(R"({"events":[
        {"type":"a"},
        {"type":"b","mode":"standby","deliveryContext":{"isRedelivery":true}},
        {"type":"c","mode":null,"deliveryContext":{"isRedelivery":false}},
        {"type":"d","mode":"somethingNew","deliveryContext":{}}]})");
    REQUIRE(r.ok);
    REQUIRE(r.callback.events.size() == 4);
    CHECK(r.callback.events[0].mode == "active");
    CHECK(r.callback.events[1].mode == "standby");
    CHECK(r.callback.events[2].mode == "active");
    CHECK(r.callback.events[3].mode == "somethingNew");  // kept: callers answer only "active"
    CHECK_FALSE(r.callback.events[0].redelivery);
    CHECK(r.callback.events[1].redelivery);
    CHECK_FALSE(r.callback.events[2].redelivery);
    CHECK_FALSE(r.callback.events[3].redelivery);
}

TEST_CASE("text keeps Unicode and escapes exactly", "[webhook][parse]") {
    const ParseResult r = parse_callback(
        R"({"events":[{"type":"message","message":{"type":"text",)"
        R"("text":"\u3053\u3093 🍎 \ud83c\udf4e \"q\" \\ a\u0000b\n"}}]})"
    );
    REQUIRE(r.ok);
    const auto& e = r.callback.events.at(0);
    CHECK(e.text == std::string("こん 🍎 🍎 \"q\" \\ a") + '\0' + "b\n");
    // raw stays JSON: escapes where JSON needs them, UTF-8 elsewhere.
    CHECK(e.raw.find(R"(こん 🍎 🍎 \"q\" \\ a\u0000b\n)") != std::string::npos);
}

TEST_CASE("many events in one body", "[webhook][parse]") {
    std::string body = R"({"destination":"Uab","events":[)";
    for (int i = 0; i < 10000; ++i) {
        if (i != 0) body += ',';
        body += R"({"type":"message","timestamp":)" + std::to_string(i) +
                R"(,"message":{"type":"text","text":"n)" + std::to_string(i) + "\"}}";
    }
    body += "]}";
    const ParseResult r = parse_callback(body);
    REQUIRE(r.ok);
    REQUIRE(r.callback.events.size() == 10000);
    CHECK(r.callback.events[9999].text == "n9999");
    CHECK(r.callback.events[9999].timestamp_ms == 9999);
    CHECK(r.callback.events[0].event_id != r.callback.events[1].event_id);
}

TEST_CASE("mangled fixtures never throw and always answer", "[webhook][parse]") {
    // Byte flips, truncations and splices of a real body: every result must be either a
    // callback or a sentence, never both, never an exception (and never an ASan report).
    const std::string original = read_line_fixture("python/v3-webhook.json");
    std::mt19937 rng(20240611);
    std::uniform_int_distribution<std::size_t> pos(0, original.size() - 1);
    std::uniform_int_distribution<int> byte(0, 255);
    int refused = 0;
    int accepted = 0;
    int inconsistent = 0;
    int threw = 0;
    constexpr std::string_view kStructural = "[]{}\",:\\";
    for (int i = 0; i < 3000; ++i) {
        std::string body = original;
        const auto k = static_cast<std::size_t>(i);
        switch (k % 4) {
            case 0: body[pos(rng)] = static_cast<char>(byte(rng)); break;
            case 1: body.resize(pos(rng)); break;
            case 2: body.insert(pos(rng), 1, kStructural[(k / 4) % kStructural.size()]); break;
            default: body.erase(pos(rng), 1); break;
        }
        try {
            const ParseResult r = parse_callback(body);
            if (r.ok) {
                ++accepted;
                if (!r.error.empty()) ++inconsistent;
            } else {
                ++refused;
                if (r.error.empty() || !r.callback.events.empty()) ++inconsistent;
            }
        } catch (...) {
            ++threw;
        }
    }
    CHECK(threw == 0);
    CHECK(inconsistent == 0);
    CHECK(refused > 0);
    CHECK(accepted > 0);
}
