#include <chrono>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include "bot/line/client.hpp"
#include "bot/line/http_client.hpp"
#include "test/support/fake_line_server.hpp"

using namespace std::chrono_literals;
using sapo::line::FakeLineServer;
using sapo::line::HttpClient;
using sapo::line::HttpClientOptions;
using sapo::line::reply_or_push;

namespace {

const std::vector<std::string> kMessages = {R"({"type":"text","text":"your result is ready"})"};

HttpClientOptions options_for(const FakeLineServer& fake) {
    HttpClientOptions o;
    o.base_url = fake.base_url();
    o.access_token = fake.access_token();
    o.backoff_base = 1ms;
    o.backoff_max = 2ms;
    return o;
}

const std::string kUser = FakeLineServer::user_id(42);

}  // namespace

TEST_CASE("reply_or_push: a valid token is used for a reply and nothing is pushed", "[line]") {
    FakeLineServer fake;
    fake.add_reply_token("rt-ok");
    HttpClient client(options_for(fake));

    const auto r = reply_or_push(client, "rt-ok", kUser, kMessages, true);

    CHECK(r.ok);
    CHECK(fake.accepted(FakeLineServer::kReplyPath).size() == 1);
    CHECK(fake.requests(FakeLineServer::kPushPath).empty());
}

TEST_CASE("reply_or_push: a used or unknown token falls back to push when the message must arrive", "[line]") {
    FakeLineServer fake;
    fake.add_reply_token("rt-used");
    HttpClient client(options_for(fake));
    REQUIRE(client.reply("rt-used", kMessages).ok);
    fake.clear();

    const std::string token = GENERATE(std::string("rt-used"), std::string("rt-never-issued"));
    const auto r = reply_or_push(client, token, kUser, kMessages, true);

    CHECK(r.ok);
    const auto replies = fake.requests(FakeLineServer::kReplyPath);
    REQUIRE(replies.size() == 1);
    CHECK(replies[0].status == 400);
    const auto pushes = fake.accepted(FakeLineServer::kPushPath);
    REQUIRE(pushes.size() == 1);
    CHECK(sapo::line::is_uuid(pushes[0].header("x-line-retry-key")));
    rapidjson::Document body;
    body.Parse(pushes[0].body.c_str());
    REQUIRE(body.IsObject());
    CHECK(std::string(body["to"].GetString()) == kUser);
    CHECK(std::string(body["messages"][0]["text"].GetString()) == "your result is ready");
}

TEST_CASE("reply_or_push: without must_arrive a rejected token is just a failure", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));

    const auto r = reply_or_push(client, "rt-unknown", kUser, kMessages, false);

    CHECK_FALSE(r.ok);
    CHECK(r.status == 400);
    CHECK(r.error.find("Invalid reply token") != std::string::npos);
    CHECK(fake.requests(FakeLineServer::kPushPath).empty());
}

TEST_CASE("reply_or_push: must_arrive without a user id cannot push", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));

    const auto r = reply_or_push(client, "rt-unknown", "", kMessages, true);

    CHECK_FALSE(r.ok);
    CHECK(fake.requests(FakeLineServer::kPushPath).empty());
}

TEST_CASE("reply_or_push: other reply failures do not trigger a push", "[line]") {
    FakeLineServer fake;
    fake.accept_any_reply_token(true);
    HttpClient client(options_for(fake));

    SECTION("the message itself is invalid (400 with details)") {
        const std::vector<std::string> too_long = {R"({"type":"text","text":")" + std::string(5001, 'x') + "\"}"};
        const auto r = reply_or_push(client, "rt-1", kUser, too_long, true);
        CHECK_FALSE(r.ok);
        CHECK(r.status == 400);
    }
    SECTION("LINE failed (5xx): the reply may or may not have gone out") {
        fake.fail_next(1, 500, FakeLineServer::kReplyPath);
        const auto r = reply_or_push(client, "rt-1", kUser, kMessages, true);
        CHECK_FALSE(r.ok);
        CHECK(r.status == 500);
    }
    CHECK(fake.requests(FakeLineServer::kPushPath).empty());
}

TEST_CASE("reply_or_push: no reply token and must_arrive pushes directly", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));

    const auto r = reply_or_push(client, "", kUser, kMessages, true);

    CHECK(r.ok);
    CHECK(fake.requests(FakeLineServer::kReplyPath).empty());
    CHECK(fake.accepted(FakeLineServer::kPushPath).size() == 1);
}

TEST_CASE("reply_or_push: no reply token and no must_arrive sends nothing", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));

    const auto r = reply_or_push(client, "", kUser, kMessages, false);

    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.error.empty());
    CHECK(fake.requests().empty());
}

TEST_CASE("reply_or_push: the caller's retry key makes a repeated fallback push idempotent", "[line]") {
    // The outbox sends an item again after a crash with the key it stored: LINE must see the
    // same key both times and accept the second call as a duplicate (409), not a new message.
    FakeLineServer fake;
    HttpClient client(options_for(fake));
    const std::string key = sapo::line::make_retry_key();

    REQUIRE(reply_or_push(client, "rt-gone", kUser, kMessages, true, key).ok);
    REQUIRE(reply_or_push(client, "rt-gone", kUser, kMessages, true, key).ok);

    const auto pushes = fake.requests(FakeLineServer::kPushPath);
    REQUIRE(pushes.size() == 2);
    CHECK(pushes[0].header("x-line-retry-key") == key);
    CHECK(pushes[1].header("x-line-retry-key") == key);
    CHECK(pushes[0].status == 200);
    CHECK(pushes[1].status == 409);
}
