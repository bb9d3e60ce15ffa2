#include "bot/dispatch/event_handler.hpp"
#include "test/unit/fake_line_client.hpp"

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


using namespace std::chrono_literals;
using sapo::dispatch::deliver_outbox_item;
using sapo::unit_test::FakeClient;
using sapo::storage::OutboxItem;

namespace {

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
    item.messages = {R"({"type":"text","text":"こんにちは"})", R"({"type":"text","text":"hello"})"};
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

TEST_CASE("event handler: a token older than the limit is not tried, must-arrive pushes", "[unit][dispatch]") {
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
