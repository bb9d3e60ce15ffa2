#include "bot/dispatch/event_handler.hpp"

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <catch2/catch.hpp>

#include "test/unit/text_script.hpp"

using namespace std::chrono_literals;
using sapo::dispatch::deliver_outbox_item;
using sapo::dispatch::EventHandler;
using sapo::storage::Decision;
using sapo::storage::OutboxItem;
using sapo::storage::StoredEvent;
using sapo::storage::UserRecord;
using sapo::unit_test::first_japanese;
using sapo::unit_test::first_latin;
using sapo::unit_test::message_text;

namespace {

/// A LINE client that records every call and answers from a script.
class FakeClient final : public sapo::line::Client {
public:
    struct ReplyCall {
        std::string reply_token;
        std::vector<std::string> messages;
    };
    struct PushCall {
        std::string to;
        std::vector<std::string> messages;
        std::string retry_key;
    };

    sapo::line::Result reply_result = ok();
    sapo::line::Result push_result = ok();
    std::optional<sapo::line::Profile> profile;

    std::vector<ReplyCall> replies;
    std::vector<PushCall> pushes;
    std::vector<std::string> profile_requests;
    int other_calls = 0;

    static sapo::line::Result ok() {
        sapo::line::Result r;
        r.ok = true;
        r.status = 200;
        r.body = "{}";
        r.attempts = 1;
        return r;
    }

    static sapo::line::Result failed(int status, std::string body, std::string error) {
        sapo::line::Result r;
        r.ok = false;
        r.status = status;
        r.body = std::move(body);
        r.error = std::move(error);
        r.attempts = 1;
        return r;
    }

    sapo::line::Result reply(const std::string& reply_token, const std::vector<std::string>& messages) override {
        replies.push_back({reply_token, messages});
        return reply_result;
    }

    sapo::line::Result push(
        const std::string& to,
        const std::vector<std::string>& messages,
        const std::string& retry_key
    ) override {
        pushes.push_back({to, messages, retry_key});
        return push_result;
    }

    std::vector<sapo::line::Result> multicast(
        const std::vector<std::string>&,
        const std::vector<std::string>&
    ) override {
        ++other_calls;
        return {ok()};
    }

    std::optional<sapo::line::Profile> get_profile(const std::string& user_id) override {
        profile_requests.push_back(user_id);
        return profile;
    }

    sapo::line::Result show_loading(const std::string&, int) override {
        ++other_calls;
        return ok();
    }

    std::size_t total_calls() const {
        return replies.size() + pushes.size() + profile_requests.size() +
               static_cast<std::size_t>(other_calls);
    }
};

const std::string kUser = "U4af4980629c6f7e1f0d1a1b2c3d4e5f6";
const std::string kGroup = "Ca56f94637cc4347f90a25382909b24b9";
const std::string kRoom = "Ra8dbf4ccc1c3d2e0a3b4c5d6e7f80912";
const std::string kToken = "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA";

OutboxItem outbox_item(bool must_arrive, std::int64_t age_ms) {
    OutboxItem item;
    item.id = 17;
    item.event_id = 4;
    item.user_id = kUser;
    item.reply_token = kToken;
    item.messages = {sapo::flows::text_message("こんにちは"), sapo::flows::text_message("hello")};
    item.must_arrive = must_arrive;
    item.retry_key = "123e4567-e89b-42d3-a456-426614174000";
    item.age_ms = age_ms;
    return item;
}

constexpr auto kMaxAge = 50s;
constexpr std::int64_t kYoung = 1000;
constexpr std::int64_t kOld = 120000;

const std::string kInvalidToken = R"({"message":"Invalid reply token"})";

}  // namespace

// --- deliver_outbox_item ------------------------------------------------------------------------

TEST_CASE("event handler: deliver replies with a young token", "[unit][dispatch]") {
    FakeClient line;
    auto item = outbox_item(false, kYoung);
    auto out = deliver_outbox_item(line, item, kMaxAge);
    CHECK(out.status == "sent");
    CHECK(out.error.empty());
    REQUIRE(line.replies.size() == 1);
    CHECK(line.replies[0].reply_token == kToken);
    CHECK(line.replies[0].messages == item.messages);
    CHECK(line.pushes.empty());
}

TEST_CASE("event handler: deliver pushes with the retry key when LINE refuses the reply token", "[unit][dispatch]") {
    FakeClient line;
    line.reply_result = FakeClient::failed(400, kInvalidToken, "HTTP 400");
    auto item = outbox_item(true, kYoung);
    auto out = deliver_outbox_item(line, item, kMaxAge);
    CHECK(out.status == "sent");
    CHECK(line.replies.size() == 1);
    REQUIRE(line.pushes.size() == 1);
    CHECK(line.pushes[0].to == kUser);
    CHECK(line.pushes[0].retry_key == item.retry_key);
    CHECK(line.pushes[0].messages == item.messages);
}

TEST_CASE("event handler: a refused reply token without must-arrive fails, no push", "[unit][dispatch]") {
    FakeClient line;
    line.reply_result = FakeClient::failed(400, kInvalidToken, "HTTP 400");
    auto out = deliver_outbox_item(line, outbox_item(false, kYoung), kMaxAge);
    CHECK(out.status == "failed");
    CHECK_FALSE(out.error.empty());
    CHECK(line.replies.size() == 1);
    CHECK(line.pushes.empty());
}

TEST_CASE("event handler: a reply without answer (timeout) is not pushed again", "[unit][dispatch]") {
    // The reply most likely arrived; pushing would say everything twice.
    FakeClient line;
    line.reply_result = FakeClient::failed(0, "", "timed out");
    auto out = deliver_outbox_item(line, outbox_item(true, kYoung), kMaxAge);
    CHECK(out.status == "failed");
    CHECK(out.error == "timed out");
    CHECK(line.replies.size() == 1);
    CHECK(line.pushes.empty());
}

TEST_CASE("event handler: another 400 from reply is not taken for a bad token", "[unit][dispatch]") {
    // Bad message objects: pushing them again would fail the same way (and is not a token issue).
    FakeClient line;
    line.reply_result = FakeClient::failed(
        400,
        R"json({"message":"The request body has 1 error(s)","details":[{"message":"May not be empty","property":"messages[0].text"}]})json",
        ""
    );
    auto out = deliver_outbox_item(line, outbox_item(true, kYoung), kMaxAge);
    CHECK(out.status == "failed");
    CHECK(out.error.find("request body") != std::string::npos);  // the body, as there is no error text
    CHECK(line.pushes.empty());
}

TEST_CASE("event handler: a token older than the limit is not tried; must-arrive pushes", "[unit][dispatch]") {
    FakeClient line;
    auto item = outbox_item(true, kOld);
    auto out = deliver_outbox_item(line, item, kMaxAge);
    CHECK(out.status == "sent");
    CHECK(line.replies.empty());
    REQUIRE(line.pushes.size() == 1);
    CHECK(line.pushes[0].to == kUser);
    CHECK(line.pushes[0].retry_key == item.retry_key);
    CHECK(line.pushes[0].messages == item.messages);
}

TEST_CASE("event handler: a token older than the limit without must-arrive expires, no calls", "[unit][dispatch]") {
    FakeClient line;
    auto out = deliver_outbox_item(line, outbox_item(false, kOld), kMaxAge);
    CHECK(out.status == "expired");
    CHECK(line.total_calls() == 0);
}

TEST_CASE("event handler: the age limit is exclusive", "[unit][dispatch]") {
    FakeClient line;
    auto just_young = outbox_item(true, std::chrono::milliseconds(kMaxAge).count() - 1);
    CHECK(deliver_outbox_item(line, just_young, kMaxAge).status == "sent");
    CHECK(line.replies.size() == 1);
    CHECK(line.pushes.empty());

    FakeClient line2;
    auto at_limit = outbox_item(true, std::chrono::milliseconds(kMaxAge).count());
    CHECK(deliver_outbox_item(line2, at_limit, kMaxAge).status == "sent");
    CHECK(line2.replies.empty());
    CHECK(line2.pushes.size() == 1);
}

TEST_CASE("event handler: no reply token and must-arrive pushes", "[unit][dispatch]") {
    FakeClient line;
    auto item = outbox_item(true, kYoung);
    item.reply_token.clear();
    CHECK(deliver_outbox_item(line, item, kMaxAge).status == "sent");
    CHECK(line.replies.empty());
    REQUIRE(line.pushes.size() == 1);
    CHECK(line.pushes[0].retry_key == item.retry_key);
}

TEST_CASE("event handler: must-arrive with no one to push to expires without calls", "[unit][dispatch]") {
    FakeClient line;
    auto item = outbox_item(true, kOld);
    item.user_id.clear();
    CHECK(deliver_outbox_item(line, item, kMaxAge).status == "expired");
    CHECK(line.total_calls() == 0);
}

TEST_CASE("event handler: a failing push is reported with its error", "[unit][dispatch]") {
    FakeClient line;
    line.push_result = FakeClient::failed(500, R"({"message":"boom"})", "HTTP 500 after 4 attempts");
    SECTION("after an old token") {
        auto out = deliver_outbox_item(line, outbox_item(true, kOld), kMaxAge);
        CHECK(out.status == "failed");
        CHECK(out.error == "HTTP 500 after 4 attempts");
        CHECK(line.pushes.size() == 1);
    }
    SECTION("after a refused token") {
        line.reply_result = FakeClient::failed(400, kInvalidToken, "HTTP 400");
        auto out = deliver_outbox_item(line, outbox_item(true, kYoung), kMaxAge);
        CHECK(out.status == "failed");
        CHECK(out.error == "HTTP 500 after 4 attempts");
        CHECK(line.replies.size() == 1);
        CHECK(line.pushes.size() == 1);
    }
    SECTION("with no error text, the body") {
        line.push_result.error.clear();
        auto out = deliver_outbox_item(line, outbox_item(true, kOld), kMaxAge);
        CHECK(out.status == "failed");
        CHECK(out.error == R"({"message":"boom"})");
    }
}

// --- EventHandler::decide -----------------------------------------------------------------------

namespace {

StoredEvent stored(const std::string& raw) {
    StoredEvent e;
    e.id = 1;
    e.webhook_event_id = "01HXYZWEBHOOKEVENTID0000000";
    e.raw = raw;
    // The columns are filled the way the writer would; decide() must read the raw event.
    rapidjson::Document d;
    d.Parse(raw.data(), raw.size());
    if (!d.HasParseError() && d.IsObject()) {
        if (d.HasMember("type") && d["type"].IsString()) e.event_type = d["type"].GetString();
        if (d.HasMember("mode") && d["mode"].IsString()) e.mode = d["mode"].GetString();
        if (d.HasMember("replyToken") && d["replyToken"].IsString()) e.reply_token = d["replyToken"].GetString();
    }
    return e;
}

std::string user_event(const std::string& type, const std::string& mode, const std::string& extra = "") {
    return R"({"type":")" + type + R"(","mode":")" + mode +
           R"(","timestamp":1462629479859,"source":{"type":"user","userId":")" + kUser +
           R"("},"webhookEventId":"01HXYZWEBHOOKEVENTID0000000","deliveryContext":{"isRedelivery":false})" +
           (type == "unfollow" ? "" : R"(,"replyToken":")" + kToken + "\"") + extra + "}";
}

std::string follow_event() { return user_event("follow", "active"); }

std::string text_from_user(const std::string& mode = "active") {
    return user_event("message", mode, R"(,"message":{"id":"325708","type":"text","quoteToken":"q3Plxr4AgKd","text":"Hello, world"})");
}

sapo::line::Profile profile_with(const std::string& language) {
    sapo::line::Profile p;
    p.user_id = kUser;
    p.display_name = "テスト";
    p.language = language;
    return p;
}

UserRecord user_with(const std::string& language) {
    UserRecord u;
    u.user_id = kUser;
    u.follow_state = "followed";
    u.language = language;
    return u;
}

/// The events[0] object of a fixture callback, compact.
std::string fixture_event(const std::string& relative) {
    std::ifstream in(std::string(SAPO_FIXTURES_DIR) + "/line/" + relative, std::ios::binary);
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    rapidjson::Document d;
    auto text = ss.str();
    d.Parse(text.data(), text.size());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d["events"].IsArray());
    REQUIRE(d["events"].Size() >= 1);
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    d["events"][0].Accept(w);
    return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

TEST_CASE("event handler: follow from a new user asks the profile and answers in its language", "[unit][dispatch]") {
    FakeClient line;
    line.profile = profile_with("en");
    sapo::flows::PlaceholderResponder responder;
    EventHandler handler(line, responder);

    Decision d = handler.decide(stored(follow_event()), std::nullopt);
    CHECK(d.follow == Decision::Follow::followed);
    CHECK(d.must_arrive);
    CHECK(d.reply_token == kToken);
    CHECK(d.push_to == kUser);
    CHECK(d.language == "en");
    REQUIRE(line.profile_requests.size() == 1);
    CHECK(line.profile_requests[0] == kUser);
    CHECK(line.replies.empty());  // decide() only decides; the outbox sends
    CHECK(line.pushes.empty());

    REQUIRE(d.messages.size() == 1);
    auto text = message_text(d.messages[0]);
    CAPTURE(text);
    auto en = first_latin(text, "sapo");
    auto ja = first_japanese(text);
    REQUIRE(en != std::string::npos);
    REQUIRE(ja != std::string::npos);
    CHECK(en < ja);  // English first
}

TEST_CASE("event handler: a known user without a language also gets the profile looked up", "[unit][dispatch]") {
    FakeClient line;
    line.profile = profile_with("en");
    sapo::flows::PlaceholderResponder responder;
    EventHandler handler(line, responder);

    Decision d = handler.decide(stored(follow_event()), user_with(""));
    CHECK(line.profile_requests.size() == 1);
    CHECK(d.language == "en");
    REQUIRE(d.messages.size() == 1);
    auto text = message_text(d.messages[0]);
    CHECK(first_latin(text, "sapo") < first_japanese(text));
}

TEST_CASE("event handler: a user whose language is known is not looked up again", "[unit][dispatch]") {
    FakeClient line;
    line.profile = profile_with("en");  // would switch to English if it were asked
    sapo::flows::PlaceholderResponder responder;
    EventHandler handler(line, responder);

    SECTION("ja stays ja") {
        Decision d = handler.decide(stored(follow_event()), user_with("ja"));
        CHECK(line.profile_requests.empty());
        CHECK(d.language.empty());  // nothing to change
        CHECK(d.follow == Decision::Follow::followed);
        REQUIRE(d.messages.size() == 1);
        auto text = message_text(d.messages[0]);
        CHECK(first_japanese(text) < first_latin(text, "sapo"));
    }
    SECTION("en is used") {
        line.profile = profile_with("ja");
        Decision d = handler.decide(stored(follow_event()), user_with("en"));
        CHECK(line.profile_requests.empty());
        REQUIRE(d.messages.size() == 1);
        auto text = message_text(d.messages[0]);
        CHECK(first_latin(text, "sapo") < first_japanese(text));
    }
}

TEST_CASE("event handler: no profile means the Japanese default and no language change", "[unit][dispatch]") {
    FakeClient line;  // get_profile answers nullopt
    sapo::flows::PlaceholderResponder responder;
    EventHandler handler(line, responder);
    Decision d = handler.decide(stored(follow_event()), std::nullopt);
    CHECK(line.profile_requests.size() == 1);
    CHECK(d.language.empty());
    CHECK(d.must_arrive);
    REQUIRE(d.messages.size() == 1);
    auto text = message_text(d.messages[0]);
    CHECK(first_japanese(text) < first_latin(text, "sapo"));
}

TEST_CASE("event handler: a Japanese profile language is stored and answered in Japanese", "[unit][dispatch]") {
    FakeClient line;
    line.profile = profile_with("ja");
    sapo::flows::PlaceholderResponder responder;
    EventHandler handler(line, responder);
    Decision d = handler.decide(stored(follow_event()), std::nullopt);
    CHECK(d.language == "ja");
    REQUIRE(d.messages.size() == 1);
    auto text = message_text(d.messages[0]);
    CHECK(first_japanese(text) < first_latin(text, "sapo"));
}

TEST_CASE("event handler: unfollow records the state and says nothing", "[unit][dispatch]") {
    FakeClient line;
    line.profile = profile_with("en");
    sapo::flows::PlaceholderResponder responder;
    EventHandler handler(line, responder);
    Decision d = handler.decide(stored(user_event("unfollow", "active")), user_with("ja"));
    CHECK(d.follow == Decision::Follow::unfollowed);
    CHECK(d.messages.empty());
    CHECK_FALSE(d.must_arrive);
    CHECK(line.total_calls() == 0);
}

TEST_CASE("event handler: the unfollow fixture", "[unit][dispatch]") {
    FakeClient line;
    sapo::flows::PlaceholderResponder responder;
    EventHandler handler(line, responder);
    Decision d = handler.decide(stored(fixture_event("java-callback/unfollow.json")), std::nullopt);
    CHECK(d.follow == Decision::Follow::unfollowed);
    CHECK(d.messages.empty());
}

TEST_CASE("event handler: a text message from a user is acknowledged by reply", "[unit][dispatch]") {
    FakeClient line;
    sapo::flows::PlaceholderResponder responder;
    EventHandler handler(line, responder);
    Decision d = handler.decide(stored(text_from_user()), user_with("ja"));
    CHECK(d.follow == Decision::Follow::unchanged);
    REQUIRE(d.messages.size() == 1);
    CHECK_FALSE(d.must_arrive);
    CHECK(d.reply_token == kToken);
    CHECK(d.push_to == kUser);
    CHECK(line.profile_requests.empty());  // only follow looks the profile up
}

TEST_CASE("event handler: standby events are never answered", "[unit][dispatch]") {
    FakeClient line;
    sapo::flows::PlaceholderResponder responder;
    EventHandler handler(line, responder);
    SECTION("a user's message") {
        Decision d = handler.decide(stored(text_from_user("standby")), user_with("ja"));
        CHECK(d.messages.empty());
        CHECK(d.follow == Decision::Follow::unchanged);
    }
    SECTION("the group fixture (standby)") {
        Decision d = handler.decide(stored(fixture_event("java-callback/text-group.json")), std::nullopt);
        CHECK(d.messages.empty());
    }
}

TEST_CASE("event handler: a mode sapo does not know is not answered", "[unit][dispatch]") {
    FakeClient line;
    sapo::flows::PlaceholderResponder responder;
    EventHandler handler(line, responder);
    Decision d = handler.decide(stored(text_from_user("someFutureMode")), user_with("ja"));
    CHECK(d.messages.empty());
    Decision f = handler.decide(stored(user_event("follow", "")), user_with("ja"));
    CHECK(f.messages.empty());
}

TEST_CASE("event handler: a group message is pushed (as fallback) to the group", "[unit][dispatch]") {
    FakeClient line;
    sapo::flows::PlaceholderResponder responder;
    EventHandler handler(line, responder);
    const std::string raw =
        R"({"type":"message","mode":"active","timestamp":1462629479859,"replyToken":")" + kToken +
        R"(","source":{"type":"group","groupId":")" + kGroup + R"(","userId":")" + kUser +
        R"("},"message":{"id":"1","type":"text","text":"hi"}})";
    Decision d = handler.decide(stored(raw), std::nullopt);
    REQUIRE(d.messages.size() == 1);
    CHECK(d.push_to == kGroup);
    CHECK(d.reply_token == kToken);
}

TEST_CASE("event handler: a room message is pushed (as fallback) to the room", "[unit][dispatch]") {
    FakeClient line;
    sapo::flows::PlaceholderResponder responder;
    EventHandler handler(line, responder);
    const std::string raw =
        R"({"type":"message","mode":"active","timestamp":1462629479859,"replyToken":")" + kToken +
        R"(","source":{"type":"room","roomId":")" + kRoom +
        R"("},"message":{"id":"1","type":"text","text":"hi"}})";
    Decision d = handler.decide(stored(raw), std::nullopt);
    REQUIRE(d.messages.size() == 1);
    CHECK(d.push_to == kRoom);
}

TEST_CASE("event handler: the follow fixture", "[unit][dispatch]") {
    FakeClient line;
    line.profile = profile_with("en");
    sapo::flows::PlaceholderResponder responder;
    EventHandler handler(line, responder);
    Decision d = handler.decide(stored(fixture_event("java-callback/follow.json")), std::nullopt);
    CHECK(d.follow == Decision::Follow::followed);
    CHECK(d.reply_token == "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA");
    CHECK(d.push_to == "u206d25c2ea6bd87c17655609a1c37cb8");
    REQUIRE(line.profile_requests.size() == 1);
    CHECK(line.profile_requests[0] == "u206d25c2ea6bd87c17655609a1c37cb8");
    CHECK(d.messages.size() == 1);
}

TEST_CASE("event handler: to_inbound keeps the stored event id", "[unit][dispatch]") {
    auto e = stored(text_from_user());
    e.webhook_event_id = "derived:abc";
    auto inbound = sapo::dispatch::to_inbound(e);
    CHECK(inbound.event_id == "derived:abc");
    CHECK(inbound.type == "message");
    CHECK(inbound.text == "Hello, world");
    CHECK(inbound.user_id == kUser);
}

TEST_CASE("event handler: an unreadable raw event throws", "[unit][dispatch]") {
    FakeClient line;
    sapo::flows::PlaceholderResponder responder;
    EventHandler handler(line, responder);
    CHECK_THROWS(handler.decide(stored("not json"), std::nullopt));
    CHECK_THROWS(handler.decide(stored(""), std::nullopt));
    CHECK_THROWS(handler.decide(stored("[1,2]"), std::nullopt));
    CHECK(line.total_calls() == 0);
}

TEST_CASE("event handler: a reclaimed item whose token LINE refuses was delivered by the dead sender", "[unit][dispatch]") {
    // kill -9 between LINE's 200 and our UPDATE: the token is spent by our own reply.
    FakeClient line;
    line.reply_result = FakeClient::failed(400, kInvalidToken, "HTTP 400");
    auto item = outbox_item(true, kYoung);
    item.reclaimed = true;
    auto out = deliver_outbox_item(line, item, kMaxAge);
    CHECK(out.status == "sent");
    CHECK(line.replies.size() == 1);
    CHECK(line.pushes.empty());
}

TEST_CASE("event handler: a reclaimed item with a usable token is replied to", "[unit][dispatch]") {
    FakeClient line;
    auto item = outbox_item(true, kYoung);
    item.reclaimed = true;
    auto out = deliver_outbox_item(line, item, kMaxAge);
    CHECK(out.status == "sent");
    CHECK(line.replies.size() == 1);
    CHECK(line.pushes.empty());
}

TEST_CASE("event handler: a reclaimed must-arrive item with an expired token is pushed with its key", "[unit][dispatch]") {
    FakeClient line;
    auto item = outbox_item(true, 120000);
    item.reclaimed = true;
    auto out = deliver_outbox_item(line, item, kMaxAge);
    CHECK(out.status == "sent");
    CHECK(line.replies.empty());
    REQUIRE(line.pushes.size() == 1);
    CHECK(line.pushes[0].retry_key == item.retry_key);
}
