// parse_callback() against LINE's own webhook bodies (test/fixtures/line, see SOURCES.md there).

#include <map>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "bot/webhook/parse.hpp"
#include "test/webhook/line_fixtures.hpp"

using sapo::flows::InboundEvent;
using sapo::webhook::parse_callback;
using sapo::webhook::ParseResult;
using sapo::webhook::test::line_fixtures_dir;
using sapo::webhook::test::read_line_fixture;

namespace {

/// "message/text" for message events (and messageEdited), else the event type.
std::string label(const InboundEvent& e) {
    return e.message_type.empty() ? e.type : e.type + "/" + e.message_type;
}

std::vector<std::string> labels(const ParseResult& r) {
    std::vector<std::string> out;
    for (const auto& e : r.callback.events) out.push_back(label(e));
    return out;
}

ParseResult parse_fixture(const std::string& relative) {
    return parse_callback(read_line_fixture(relative));
}

struct Expected {
    std::string destination;
    std::vector<std::string> events;  // label() of each event, in order
};

constexpr const char* kJavaDestination = "Uab012345678901234567890123456789";

// What every fixture must parse to. A fixture missing from this table fails the test, so a new
// file cannot be added without saying what it contains.
const std::map<std::string, Expected>& expected_fixtures() {
    static const std::vector<std::string> v3_events = {
        "message/text",   "message/image",  "message/video",      "message/audio",
        "message/location", "message/sticker", "follow",           "unfollow",
        "join",           "leave",          "postback",           "beacon",
        "beacon",         "accountLink",    "message/text",       "message/text",
        "postback",       "postback",       "postback",           "memberJoined",
        "memberLeft",     "message/file",   "unsend",             "videoPlayComplete",
        "message/image",  "message/text",   "messageEdited/text", "undefined",
    };
    static const std::map<std::string, Expected> table = [] {
        std::vector<std::string> legacy_events = v3_events;
        legacy_events.erase(legacy_events.begin() + 26);  // the legacy body has no messageEdited
        const std::string j = kJavaDestination;
        return std::map<std::string, Expected>{
            {"python/v3-webhook.json", {"U123", v3_events}},
            {"python/legacy-webhook.json", {"U123", legacy_events}},
            {"java-callback/account_link.json", {j, {"accountLink"}}},
            {"java-callback/beacon.json", {j, {"beacon"}}},
            {"java-callback/beacon_with_dm.json", {j, {"beacon"}}},
            {"java-callback/file.json", {j, {"message/file"}}},
            {"java-callback/follow.json", {j, {"follow"}}},
            {"java-callback/image.json", {j, {"message/image"}}},
            {"java-callback/join.json", {j, {"join"}}},
            {"java-callback/leave.json", {j, {"leave"}}},
            {"java-callback/location.json", {j, {"message/location"}}},
            {"java-callback/member_joined.json", {j, {"memberJoined"}}},
            {"java-callback/member_left.json", {j, {"memberLeft"}}},
            {"java-callback/message-edited.json", {j, {"messageEdited/text"}}},
            {"java-callback/postback.json", {j, {"postback"}}},
            {"java-callback/sticker-keywords-array.json", {j, {"message/sticker"}}},
            {"java-callback/sticker-keywords-remove.json", {j, {"message/sticker"}}},
            {"java-callback/sticker-with-text.json", {j, {"message/sticker"}}},
            {"java-callback/sticker.json", {j, {"message/sticker"}}},
            {"java-callback/text-emojis.json", {j, {"message/text"}}},
            {"java-callback/text-group.json", {j, {"message/text"}}},
            {"java-callback/text-mention.json", {j, {"message/text"}}},
            {"java-callback/text-user.json", {j, {"message/text"}}},
            {"java-callback/unfollow.json", {j, {"unfollow"}}},
            {"java-callback/unknown.json",
             {j, {"greatNewFeature", "message/unknownunknownuknown"}}},
            {"java-callback/unsend.json", {j, {"unsend"}}},
            {"java-callback/video-play-complete.json", {j, {"videoPlayComplete"}}},
            {"java-callback/video.json", {j, {"message/video"}}},
            {"java-callback/webhook-redelivery.json", {j, {"message/text"}}},
            {"java-misc/parser-callback-request.json",
             {"U00000000000000000000000000000000", {"message/text", "follow"}}},
            {"java-misc/spring-callback-request.json", {"", {"message/text", "follow"}}},
            {"java-misc/spring-callback-request-with-destination.json",
             {"U11111111111111111111111111111111", {"message/text"}}},
        };
    }();
    return table;
}

}  // namespace

TEST_CASE("every LINE fixture parses to the expected events", "[webhook][parse]") {
    const auto& table = expected_fixtures();
    REQUIRE(table.at("python/v3-webhook.json").events.size() == 28);
    REQUIRE(table.at("python/legacy-webhook.json").events.size() == 27);

    std::set<std::string> seen;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(line_fixtures_dir())) {
        if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
        const std::string relative =
            entry.path().lexically_relative(line_fixtures_dir()).generic_string();
        seen.insert(relative);
        CAPTURE(relative);
        const auto it = table.find(relative);
        CHECK(it != table.end());  // a fixture without an entry in the table
        if (it == table.end()) continue;

        const ParseResult r = parse_fixture(relative);
        REQUIRE(r.ok);
        CHECK(r.error.empty());
        CHECK(r.callback.destination == it->second.destination);
        CHECK(labels(r) == it->second.events);

        for (const auto& e : r.callback.events) {
            CAPTURE(e.type, e.raw);
            CHECK(e.timestamp_ms > 1'400'000'000'000);  // milliseconds, in LINE's lifetime
            CHECK(e.timestamp_ms < 2'000'000'000'000);
            CHECK_FALSE(e.event_id.empty());
            CHECK(!e.source_type.empty());
            // raw is the event itself, as compact JSON.
            rapidjson::Document raw;
            raw.Parse(e.raw.data(), e.raw.size());
            REQUIRE_FALSE(raw.HasParseError());
            REQUIRE(raw.IsObject());
            CHECK(raw["type"].GetString() == e.type);
            CHECK(raw["timestamp"].GetInt64() == e.timestamp_ms);
            CHECK(e.raw.find("\n") == std::string::npos);
            CHECK(e.raw.find(": ") == std::string::npos);
        }
    }
    CHECK(seen.size() == table.size());  // every table entry exists on disk
}

TEST_CASE("fields of a plain text message from a user", "[webhook][parse]") {
    const ParseResult r = parse_fixture("java-callback/text-user.json");
    REQUIRE(r.ok);
    REQUIRE(r.callback.events.size() == 1);
    const InboundEvent& e = r.callback.events[0];
    CHECK(e.type == "message");
    CHECK(e.mode == "active");
    CHECK(e.timestamp_ms == 1462629479859);
    CHECK(e.source_type == "user");
    CHECK(e.user_id == "u206d25c2ea6bd87c17655609a1c37cb8");
    CHECK(e.group_id.empty());
    CHECK(e.reply_token == "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA");
    CHECK(e.message_type == "text");
    CHECK(e.text == "Hello, world");
    CHECK(e.postback_data.empty());
    CHECK_FALSE(e.redelivery);
    CHECK(e.ordering_key() == "u206d25c2ea6bd87c17655609a1c37cb8");
    CHECK(
        e.raw ==
        R"({"replyToken":"nHuyWiB7yP5Zw52FIkcQobQuGDXCTA","type":"message",)"
        R"("timestamp":1462629479859,"mode":"active",)"
        R"("source":{"type":"user","userId":"u206d25c2ea6bd87c17655609a1c37cb8"},)"
        R"("message":{"id":"325708","type":"text","text":"Hello, world"}})"
    );
    // No webhookEventId in this (old) body. Pinned value: sha256(destination + "\n" + raw),
    // computed independently in Python; ids are stored, so the formula must not drift.
    CHECK(e.event_id == "derived:73825a1fd98da49c3bd1141f5481676c874beb9acf0b7d29b523e2b2a5311476");
}

TEST_CASE("postback data", "[webhook][parse]") {
    const ParseResult r = parse_fixture("java-callback/postback.json");
    REQUIRE(r.ok);
    REQUIRE(r.callback.events.size() == 1);
    const InboundEvent& e = r.callback.events[0];
    CHECK(e.type == "postback");
    CHECK(e.postback_data == "action=buyItem&itemId=123123&color=red");
    CHECK(e.message_type.empty());
    CHECK(e.text.empty());
    CHECK(e.user_id == "u206d25c2ea6bd87c17655609a1c37cb8");
}

TEST_CASE("group and room sources", "[webhook][parse]") {
    SECTION("a standby text in a group") {
        const ParseResult r = parse_fixture("java-callback/text-group.json");
        REQUIRE(r.ok);
        const InboundEvent& e = r.callback.events.at(0);
        CHECK(e.mode == "standby");
        CHECK(e.source_type == "group");
        CHECK(e.group_id == "u206d25c2ea6bd87c17655609a1c37cb8");
        CHECK(e.user_id.empty());
        CHECK(e.ordering_key() == e.group_id);
        CHECK(e.reply_token == "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA");
    }
    SECTION("join: a group without a user") {
        const ParseResult r = parse_fixture("java-callback/join.json");
        REQUIRE(r.ok);
        const InboundEvent& e = r.callback.events.at(0);
        CHECK(e.source_type == "group");
        CHECK(e.group_id == "cxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        CHECK(e.user_id.empty());
    }
    SECTION("rooms and groups with a user, from the v3 body") {
        const ParseResult r = parse_fixture("python/v3-webhook.json");
        REQUIRE(r.ok);
        const auto& events = r.callback.events;
        REQUIRE(events.size() == 28);

        CHECK(events[1].source_type == "room");  // image in a room, no user
        CHECK(events[1].group_id == "Ra8dbf4673c4c812cd491258042226c99");
        CHECK(events[1].user_id.empty());

        CHECK(events[14].source_type == "group");
        CHECK(events[14].group_id == "Ca56f94637cc4347f90a25382909b24b9");
        CHECK(events[14].user_id == "U206d25c2ea6bd87c17655609a1c37cb8");
        CHECK(events[14].text == "Hello, world");

        CHECK(events[15].source_type == "room");
        CHECK(events[15].group_id == "Ra8dbf4673c4c812cd491258042226c99");
        CHECK(events[15].user_id == "U206d25c2ea6bd87c17655609a1c37cb8");
    }
}

TEST_CASE("redelivery flag and webhookEventId", "[webhook][parse]") {
    const ParseResult r = parse_fixture("java-callback/webhook-redelivery.json");
    REQUIRE(r.ok);
    const InboundEvent& e = r.callback.events.at(0);
    CHECK(e.redelivery);
    CHECK(e.event_id == "01G2KZKG2DS765NMRH3GZFD8AP");
    CHECK(e.text == "Hello, world");

    const ParseResult v3 = parse_fixture("python/v3-webhook.json");
    REQUIRE(v3.ok);
    for (std::size_t i = 0; i < v3.callback.events.size(); ++i) {
        CAPTURE(i);
        CHECK(v3.callback.events[i].redelivery == (i == 25 || i == 27));
        CHECK(v3.callback.events[i].event_id == "testwebhookeventid");
    }
}

TEST_CASE("new and unknown kinds are kept whole", "[webhook][parse]") {
    SECTION("messageEdited carries its message") {
        const ParseResult r = parse_fixture("java-callback/message-edited.json");
        REQUIRE(r.ok);
        const InboundEvent& e = r.callback.events.at(0);
        CHECK(e.type == "messageEdited");
        CHECK(e.text == "Hello, edited world");
        CHECK(e.event_id == "01G2KZKG2DS765NMRH3GZFD8AP");
        CHECK(e.group_id == "cxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        CHECK(e.user_id == "u206d25c2ea6bd87c17655609a1c37cb8");
    }
    SECTION("unknown event, message and source types") {
        const ParseResult r = parse_fixture("java-callback/unknown.json");
        REQUIRE(r.ok);
        REQUIRE(r.callback.events.size() == 2);
        CHECK(r.callback.events[0].type == "greatNewFeature");
        CHECK(r.callback.events[0].reply_token == "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA");
        CHECK(r.callback.events[0].user_id == "U012345678901234567890123456789ab");
        const InboundEvent& m = r.callback.events[1];
        CHECK(m.message_type == "unknownunknownuknown");
        CHECK(m.source_type == "unknownunknownuknown");
        CHECK(m.text.empty());
        CHECK(m.raw.find(R"("unknown":"blah blah")") != std::string::npos);
    }
    SECTION("the v3 body's undefined event and a sticker's text") {
        const ParseResult r = parse_fixture("python/v3-webhook.json");
        REQUIRE(r.ok);
        const InboundEvent& u = r.callback.events.at(27);
        CHECK(u.type == "undefined");
        CHECK(u.reply_token.empty());
        CHECK(u.raw.find(R"("undefinedField":{"1":1})") != std::string::npos);
        // `text` is only for text messages: a message sticker's text stays in raw.
        const InboundEvent& sticker = r.callback.events.at(5);
        CHECK(sticker.message_type == "sticker");
        CHECK(sticker.text.empty());
        CHECK(sticker.raw.find(R"("text":"Just sticker")") != std::string::npos);
    }
}

TEST_CASE("derived ids for bodies without webhookEventId", "[webhook][parse]") {
    const std::string body = read_line_fixture("java-misc/parser-callback-request.json");
    const ParseResult first = parse_callback(body);
    const ParseResult second = parse_callback(body);
    REQUIRE(first.ok);
    REQUIRE(second.ok);
    REQUIRE(first.callback.events.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        const std::string& id = first.callback.events[i].event_id;
        CHECK(id.rfind("derived:", 0) == 0);
        CHECK(id.size() == 8 + 64);
        CHECK(id.find_first_not_of("0123456789abcdef", 8) == std::string::npos);
        CHECK(id == second.callback.events[i].event_id);  // stable
    }
    CHECK(first.callback.events[0].event_id != first.callback.events[1].event_id);

    // The same events under another destination (here: none) are other events.
    const ParseResult other = parse_fixture("java-misc/spring-callback-request.json");
    REQUIRE(other.ok);
    REQUIRE(other.callback.events.size() == 2);
    CHECK(other.callback.events[0].raw == first.callback.events[0].raw);
    CHECK(other.callback.events[0].event_id != first.callback.events[0].event_id);

    // Across all legacy fixtures, no two different events share an id.
    std::map<std::string, std::string> raw_by_id;
    for (const auto& [relative, expected] : expected_fixtures()) {
        const ParseResult r = parse_fixture(relative);
        REQUIRE(r.ok);
        for (const auto& e : r.callback.events) {
            if (e.event_id.rfind("derived:", 0) != 0) continue;
            const auto [it, inserted] = raw_by_id.emplace(e.event_id, e.raw);
            CAPTURE(relative, e.raw);
            CHECK((inserted || it->second == e.raw));
        }
    }
    CHECK(raw_by_id.size() >= 30);
}

TEST_CASE("derived ids ignore formatting and position, not content", "[webhook][parse]") {
    const ParseResult compact =
        parse_callback(R"({"destination":"Uab","events":[{"type":"follow"}]})");
    const ParseResult spaced = parse_callback(
        "{ \"events\" : [ {\"type\":\"unfollow\"},\n\t{ \"type\" : \"follow\" } ],\n"
        "  \"destination\" : \"Uab\" }\n"
    );
    REQUIRE(compact.ok);
    REQUIRE(spaced.ok);
    REQUIRE(spaced.callback.events.size() == 2);
    CHECK(compact.callback.events[0].event_id == spaced.callback.events[1].event_id);
    CHECK(compact.callback.events[0].event_id != spaced.callback.events[0].event_id);

    // An empty webhookEventId is as good as none.
    const ParseResult empty_id =
        parse_callback(R"({"destination":"Uab","events":[{"type":"follow","webhookEventId":""}]})");
    REQUIRE(empty_id.ok);
    CHECK(empty_id.callback.events[0].event_id.rfind("derived:", 0) == 0);
    CHECK(empty_id.callback.events[0].event_id != compact.callback.events[0].event_id);
}
