#include "flows/responder.hpp"

#include <string>

#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include "test/unit/text_script.hpp"

using sapo::flows::InboundEvent;
using sapo::flows::PlaceholderResponder;
using sapo::flows::Response;
using sapo::flows::text_message;
using sapo::flows::UserContext;
using sapo::unit_test::first_japanese;
using sapo::unit_test::first_latin;
using sapo::unit_test::message_text;

namespace {

InboundEvent event_of(const std::string& type, const std::string& mode = "active") {
    InboundEvent e;
    e.event_id = "01HTESTEVENT";
    e.type = type;
    e.mode = mode;
    e.source_type = "user";
    e.user_id = "U0123456789abcdef0123456789abcdef";
    e.reply_token = "reply-token-1";
    return e;
}

InboundEvent text_event(const std::string& text, const std::string& mode = "active") {
    auto e = event_of("message", mode);
    e.message_type = "text";
    e.text = text;
    return e;
}

UserContext language(const std::string& lang) {
    UserContext u;
    u.language = lang;
    return u;
}

}  // namespace

TEST_CASE("responder: follow gets one must-arrive welcome, Japanese first for ja", "[unit][responder]") {
    PlaceholderResponder responder;
    Response r = responder.respond(event_of("follow"), language("ja"));
    REQUIRE(r.messages.size() == 1);
    CHECK(r.must_arrive);
    auto text = message_text(r.messages[0]);
    CAPTURE(text);
    auto ja = first_japanese(text);
    auto en = first_latin(text, "sapo");
    REQUIRE(ja != std::string::npos);
    REQUIRE(en != std::string::npos);  // the other language is there too
    CHECK(ja < en);
}

TEST_CASE("responder: follow is English first for en, with Japanese beside it", "[unit][responder]") {
    PlaceholderResponder responder;
    Response r = responder.respond(event_of("follow"), language("en"));
    REQUIRE(r.messages.size() == 1);
    CHECK(r.must_arrive);
    auto text = message_text(r.messages[0]);
    CAPTURE(text);
    auto ja = first_japanese(text);
    auto en = first_latin(text, "sapo");
    REQUIRE(ja != std::string::npos);
    REQUIRE(en != std::string::npos);
    CHECK(en < ja);
}

TEST_CASE("responder: the default user context is Japanese", "[unit][responder]") {
    PlaceholderResponder responder;
    Response r = responder.respond(event_of("follow"), UserContext{});
    REQUIRE(r.messages.size() == 1);
    auto text = message_text(r.messages[0]);
    CHECK(first_japanese(text) < first_latin(text, "sapo"));
}

TEST_CASE("responder: ja and en welcomes differ", "[unit][responder]") {
    PlaceholderResponder responder;
    auto ja = responder.respond(event_of("follow"), language("ja"));
    auto en = responder.respond(event_of("follow"), language("en"));
    REQUIRE(ja.messages.size() == 1);
    REQUIRE(en.messages.size() == 1);
    CHECK(ja.messages[0] != en.messages[0]);
}

TEST_CASE("responder: a text message gets an acknowledgement that need not arrive", "[unit][responder]") {
    PlaceholderResponder responder;
    for (const char* lang : {"ja", "en"}) {
        CAPTURE(lang);
        Response r = responder.respond(text_event("熱があります"), language(lang));
        REQUIRE(r.messages.size() == 1);
        CHECK_FALSE(r.must_arrive);
        auto text = message_text(r.messages[0]);
        CHECK_FALSE(text.empty());
        // The acknowledgement does not echo what the user wrote.
        CHECK(text.find("熱があります") == std::string::npos);
    }
}

TEST_CASE("responder: the acknowledgement is not the welcome", "[unit][responder]") {
    PlaceholderResponder responder;
    auto ack = responder.respond(text_event("hello"), language("ja"));
    auto welcome = responder.respond(event_of("follow"), language("ja"));
    REQUIRE(ack.messages.size() == 1);
    REQUIRE(welcome.messages.size() == 1);
    CHECK(ack.messages[0] != welcome.messages[0]);
}

TEST_CASE("responder: standby mode never answers", "[unit][responder]") {
    PlaceholderResponder responder;
    for (const char* lang : {"ja", "en"}) {
        CAPTURE(lang);
        Response follow = responder.respond(event_of("follow", "standby"), language(lang));
        CHECK(follow.messages.empty());
        Response text = responder.respond(text_event("hello", "standby"), language(lang));
        CHECK(text.messages.empty());
    }
}

TEST_CASE("responder: other event types get no answer", "[unit][responder]") {
    PlaceholderResponder responder;
    for (const char* type : {"postback", "unfollow", "join", "leave", "beacon", "somethingNewFromLine", ""}) {
        CAPTURE(type);
        auto e = event_of(type);
        e.postback_data = "action=checkin";
        Response r = responder.respond(e, language("ja"));
        CHECK(r.messages.empty());
        CHECK_FALSE(r.must_arrive);
    }
}

TEST_CASE("responder: non-text messages get no answer", "[unit][responder]") {
    PlaceholderResponder responder;
    for (const char* type : {"image", "sticker", "location", "video", "audio", "file"}) {
        CAPTURE(type);
        auto e = event_of("message");
        e.message_type = type;
        CHECK(responder.respond(e, language("ja")).messages.empty());
    }
}

TEST_CASE("responder: text_message is a LINE text object with the exact text", "[unit][responder]") {
    const std::string inputs[] = {
        "hello",
        "",
        "日本語のテキスト。改行も\nあります",
        R"(quotes " and backslash \ and slash /)",
        "tab\tcr\rnewline\n",
        std::string("nul\0inside", 10),
        "😷 emoji",
    };
    for (const auto& text : inputs) {
        CAPTURE(text);
        auto json = text_message(text);
        rapidjson::Document d;
        d.Parse(json.data(), json.size());
        REQUIRE_FALSE(d.HasParseError());
        REQUIRE(d.IsObject());
        CHECK(d.MemberCount() == 2);
        REQUIRE(d.HasMember("type"));
        REQUIRE(d["type"].IsString());
        CHECK(std::string(d["type"].GetString()) == "text");
        REQUIRE(d.HasMember("text"));
        REQUIRE(d["text"].IsString());
        CHECK(std::string(d["text"].GetString(), d["text"].GetStringLength()) == text);
    }
}

TEST_CASE("responder: the welcome offers the main menu as quick replies in the user's language", "[unit][responder]") {
    PlaceholderResponder responder;
    InboundEvent follow;
    follow.type = "follow";
    follow.mode = "active";
    for (const auto& [language, first_label] : std::vector<std::pair<std::string, std::string>>{{"ja", "チェックイン"}, {"en", "Check in"}}) {
        UserContext user;
        user.language = language;
        auto r = responder.respond(follow, user);
        REQUIRE(r.messages.size() == 1);
        rapidjson::Document doc;
        doc.Parse(r.messages[0].c_str());
        REQUIRE(doc.IsObject());
        REQUIRE(doc.HasMember("quickReply"));
        const auto& items = doc["quickReply"]["items"];
        REQUIRE(items.IsArray());
        CHECK(items.Size() == 4);
        CHECK(std::string(items[0]["action"]["label"].GetString()) == first_label);
        for (const auto& item : items.GetArray()) {
            // a tap sends the label as the user's text, and LINE caps labels at 20 characters
            CHECK(std::string(item["action"]["type"].GetString()) == "message");
            CHECK(std::string(item["action"]["text"].GetString()) == item["action"]["label"].GetString());
            CHECK(item["action"]["label"].GetStringLength() <= 20);
        }
    }
}
