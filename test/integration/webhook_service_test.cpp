// sapo end to end: a real process, real sockets, a real PostgreSQL and a fake LINE API that
// checks what it receives as LINE does.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <set>
#include <thread>

#include "bot/webhook/parse.hpp"
#include "bot/webhook/signature.hpp"
#include "test/integration/service_fixture.hpp"

using namespace sapo;
using namespace sapo::test;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::string event_status(const std::string& url, const std::string& event_id) {
    return query_value(url, "SELECT status FROM webhook_events WHERE webhook_event_id = '" + event_id + "'");
}

std::size_t count_rows(const std::string& url, const std::string& table) {
    return std::stoul(query_value(url, "SELECT count(*) FROM " + table));
}

bool body_has(const line::RecordedRequest& r, const std::string& needle) {
    return r.body.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE_METHOD(RunningService, "service: follow gets the welcome reply with that event's replyToken", "[pg][net][e2e]") {
    INFO(sapo.log());

    line.add_reply_token("rt-follow-1");
    line.add_profile({user(1), "Hanako", "ja", ""});
    auto r = post_webhook(sapo.port(), callback_body(follow_event(user(1), "01FOLLOW1", "rt-follow-1", 1700000000000)), kSecret);
    CHECK(r.status == 200);
    CHECK(r.body == "{}");

    REQUIRE(line.wait_for_accepted(1, seconds(10), line::FakeLineServer::kReplyPath));
    auto replies = line.accepted(line::FakeLineServer::kReplyPath);
    REQUIRE(replies.size() == 1);
    CHECK(body_has(replies[0], R"("replyToken":"rt-follow-1")"));
    CHECK(body_has(replies[0], "友だち追加ありがとうございます"));
    CHECK(replies[0].header("authorization") == "Bearer " + line.access_token());
    CHECK(wait_until([&] { return event_status(db.url(), "01FOLLOW1") == "processed"; }, seconds(5)));
    CHECK(query_value(db.url(), "SELECT follow_state || ':' || language FROM users") == "followed:ja");
    CHECK(wait_until([&] { return query_value(db.url(), "SELECT status FROM outbox") == "sent"; }, seconds(5)));

    SECTION("a user whose LINE language is English is welcomed in English, with the way back to Japanese") {
        line.add_reply_token("rt-follow-2");
        line.add_profile({user(2), "Alex", "en", ""});
        REQUIRE(post_webhook(sapo.port(), callback_body(follow_event(user(2), "01FOLLOW2", "rt-follow-2", 1700000000001)), kSecret).status == 200);
        REQUIRE(line.wait_for_accepted(2, seconds(10), line::FakeLineServer::kReplyPath));
        auto second = line.accepted(line::FakeLineServer::kReplyPath).back();
        CHECK(body_has(second, "Thank you for adding sapo"));
        CHECK(body_has(second, "日本語で使うには「日本語」と送ってください"));
        CHECK_FALSE(body_has(second, "友だち追加ありがとうございます"));
    }
    SECTION("unfollow is recorded and answered with nothing") {
        auto unfollow = R"({"type":"unfollow","mode":"active","timestamp":1700000001000,"source":{"type":"user","userId":")" +
                        user(1) + R"("},"webhookEventId":"01UNFOLLOW1","deliveryContext":{"isRedelivery":false}})";
        REQUIRE(post_webhook(sapo.port(), callback_body(unfollow), kSecret).status == 200);
        CHECK(wait_until([&] { return event_status(db.url(), "01UNFOLLOW1") == "processed"; }, seconds(5)));
        CHECK(query_value(db.url(), "SELECT follow_state FROM users") == "unfollowed");
        CHECK(count_rows(db.url(), "sessions") == 0);  // the menu the welcome opened is closed
        CHECK(line.requests(line::FakeLineServer::kPushPath).empty());
        CHECK(line.requests(line::FakeLineServer::kReplyPath).size() == 1);
    }
}

TEST_CASE_METHOD(RunningService, "service: a redelivered event is stored and handled once", "[pg][net][e2e]") {
    INFO(sapo.log());
    line.add_reply_token("rt-text-1");

    auto original = callback_body(text_event(user(3), "01REDELIVER", "rt-text-1", 1700000000000, "hello"));
    auto redelivery = callback_body(text_event(user(3), "01REDELIVER", "rt-text-1", 1700000000000, "hello", true));
    CHECK(post_webhook(sapo.port(), original, kSecret).status == 200);
    CHECK(post_webhook(sapo.port(), redelivery, kSecret).status == 200);
    CHECK(post_webhook(sapo.port(), original, kSecret).status == 200);

    REQUIRE(wait_until([&] { return event_status(db.url(), "01REDELIVER") == "processed"; }, seconds(10)));
    REQUIRE(line.wait_for_accepted(1, seconds(10), line::FakeLineServer::kReplyPath));
    // let a second handling, if there were one, reach the fake
    std::this_thread::sleep_for(milliseconds(500));
    CHECK(count_rows(db.url(), "webhook_events") == 1);
    CHECK(query_value(db.url(), "SELECT attempts FROM webhook_events") == "1");
    CHECK(line.requests(line::FakeLineServer::kReplyPath).size() == 1);
    CHECK(line.requests(line::FakeLineServer::kPushPath).empty());
}

TEST_CASE("service: rejected requests store nothing", "[pg][net][e2e]") {
    if (!have_test_postgres()) return;
    line::FakeLineServer line;
    TempDatabase db;
    SapoProcess sapo({"serve"}, service_env(db.url(), line, {{"SAPO_MAX_BODY_BYTES", "4096"}}));
    sapo.start_serving();
    INFO(sapo.log());
    auto body = callback_body(text_event(user(4), "01REJECT", "rt-x", 1700000000000, "hi"));

    SECTION("missing signature -> 401") {
        CHECK(http_request(sapo.port(), "POST", "/webhook", body).status == 401);
    }
    SECTION("signature from another secret -> 401") {
        CHECK(post_webhook(sapo.port(), body, "not-the-secret").status == 401);
    }
    SECTION("body changed after signing -> 401") {
        auto sig = webhook::sign(kSecret, body);
        auto tampered = body;
        tampered[tampered.find("hi")] = 'H';
        CHECK(http_request(sapo.port(), "POST", "/webhook", tampered, {{"x-line-signature", sig}}).status == 401);
    }
    SECTION("malformed JSON, correctly signed -> 400 with a reason") {
        auto r = post_webhook(sapo.port(), "{\"events\": [", kSecret);
        CHECK(r.status == 400);
        CHECK(r.body.find("malformed JSON") != std::string::npos);
    }
    SECTION("JSON that is not a callback -> 400") {
        CHECK(post_webhook(sapo.port(), R"({"events":5})", kSecret).status == 400);
        CHECK(post_webhook(sapo.port(), "[]", kSecret).status == 400);
    }
    SECTION("body over the limit -> 413") {
        auto big = callback_body(text_event(user(4), "01BIG", "rt-big", 1700000000000, std::string(5000, 'a')));
        CHECK(post_webhook(sapo.port(), big, kSecret).status == 413);
    }
    SECTION("malformed HTTP -> 400; a declared body over the limit -> 413 before it is sent") {
        CHECK(raw_exchange(sapo.port(), "GARBAGE\r\n\r\n") == "HTTP/1.1 400 Bad Request");
        CHECK(raw_exchange(sapo.port(), "POST /webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") ==
              "HTTP/1.1 400 Bad Request");
        CHECK(raw_exchange(sapo.port(), "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n") ==
              "HTTP/1.1 413 Payload Too Large");
    }
    SECTION("wrong method -> 405, unknown path -> 404") {
        CHECK(http_request(sapo.port(), "GET", "/webhook").status == 405);
        CHECK(http_request(sapo.port(), "POST", "/nowhere", body).status == 404);
    }
    CHECK(count_rows(db.url(), "webhook_events") == 0);
    // the service is still there and takes a good request
    CHECK(post_webhook(sapo.port(), body, kSecret).status == 200);
    CHECK(count_rows(db.url(), "webhook_events") == 1);
}

TEST_CASE_METHOD(RunningService, "service: LINE's Verify request and header-name case", "[pg][net][e2e]") {
    std::string verify = R"({"destination":"U00000000000000000000000000000000","events":[]})";
    CHECK(post_webhook(sapo.port(), verify, kSecret).status == 200);
    auto body = callback_body(text_event(user(5), "01CASE", "rt-case", 1700000000000, "hi"));
    CHECK(http_request(sapo.port(), "POST", "/webhook", body, {{"X-LINE-SIGNATURE", webhook::sign(kSecret, body)}}).status == 200);
    CHECK(count_rows(db.url(), "webhook_events") == 1);
}

TEST_CASE_METHOD(RunningService, "service: every LINE fixture is accepted, stored, and standby is never answered", "[pg][net][e2e]") {
    line.accept_any_reply_token(true);
    INFO(sapo.log());

    std::set<std::string> ids;
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(std::string(SAPO_FIXTURES_DIR) + "/line")) {
        if (entry.path().extension() != ".json") continue;
        auto body = fixture(std::filesystem::relative(entry.path(), SAPO_FIXTURES_DIR).string());
        auto parsed = webhook::parse_callback(body);
        REQUIRE(parsed.ok);
        for (const auto& e : parsed.callback.events) ids.insert(e.event_id);
        INFO(entry.path().string());
        CHECK(post_webhook(sapo.port(), body, kSecret).status == 200);
        files++;
    }
    CHECK(files >= 30);
    CHECK(count_rows(db.url(), "webhook_events") == ids.size());
    REQUIRE(wait_until([&] { return query_value(db.url(), "SELECT count(*) FROM webhook_events WHERE status = 'pending'") == "0"; }, seconds(20)));
    CHECK(query_value(db.url(), "SELECT count(*) FROM webhook_events WHERE status = 'failed'") == "0");
    // standby events are stored and processed, but nothing is sent for them
    auto standby = query_rows(db.url(), "SELECT id FROM webhook_events WHERE mode = 'standby'");
    CHECK_FALSE(standby.empty());
    CHECK(query_value(db.url(), "SELECT count(*) FROM outbox o JOIN webhook_events e ON e.id = o.event_id WHERE e.mode = 'standby'") == "0");
    // unknown types are kept as they came
    CHECK(query_value(db.url(), "SELECT count(*) FROM webhook_events WHERE event_type = 'greatNewFeature'") == "1");
}

TEST_CASE("service: database down -> 503 quickly, back -> 200 without restarting sapo", "[pg][net][e2e]") {
    line::FakeLineServer line;
    TempCluster cluster;
    SapoProcess sapo({"serve"}, service_env(cluster.url(), line));
    sapo.start_serving();
    INFO(sapo.log());
    line.accept_any_reply_token(true);

    CHECK(post_webhook(sapo.port(), callback_body(text_event(user(6), "01BEFORE", "rt-b", 1700000000000, "a")), kSecret).status == 200);
    cluster.stop();
    auto during = callback_body(text_event(user(6), "01DURING", "rt-d", 1700000001000, "b"));
    for (int i = 0; i < 3; ++i) {
        // LINE waits 2 s: the answer must come inside that, and must not be 200
        auto r = http_request(sapo.port(), "POST", "/webhook", during, {{"x-line-signature", webhook::sign(kSecret, during)}}, seconds(2));
        CHECK(r.status == 503);
    }
    CHECK(wait_until([&] { return http_request(sapo.port(), "GET", "/readyz").status == 503; }, seconds(5)));
    cluster.start();
    // LINE redelivers: the same body now succeeds
    CHECK(wait_until([&] { return post_webhook(sapo.port(), during, kSecret).status == 200; }, seconds(15)));
    CHECK(wait_until([&] { return event_status(cluster.url(), "01DURING") == "processed"; }, seconds(10)));
    CHECK(event_status(cluster.url(), "01BEFORE") == "processed");
    CHECK(sapo.running());
}

TEST_CASE("service: kill -9 right after a 200 -> handled exactly once after restart", "[pg][net][e2e]") {
    if (!have_test_postgres()) return;
    line::FakeLineServer line;
    TempDatabase db;
    auto env = service_env(db.url(), line);
    constexpr int kEvents = 5;
    for (int i = 0; i < kEvents; ++i) line.add_reply_token("rt-kill-" + std::to_string(i));
    {
        SapoProcess first({"serve"}, env);
        first.start_serving();
        for (int i = 0; i < kEvents; ++i) {
            auto id = "01KILL" + std::to_string(i);
            auto body = callback_body(follow_event(user(100 + static_cast<unsigned>(i)), id, "rt-kill-" + std::to_string(i), 1700000000000 + i));
            REQUIRE(post_webhook(first.port(), body, kSecret).status == 200);
        }
        first.signal(SIGKILL);
        CHECK(first.wait(seconds(10)) == 128 + SIGKILL);
    }
    SapoProcess second({"serve"}, env);
    second.start_serving();
    INFO(second.log());
    REQUIRE(wait_until([&] { return query_value(db.url(), "SELECT count(*) FROM webhook_events WHERE status = 'processed'") == std::to_string(kEvents); }, seconds(20)));
    REQUIRE(wait_until([&] { return query_value(db.url(), "SELECT count(*) FROM outbox WHERE status = 'sent'") == std::to_string(kEvents); }, seconds(20)));
    std::this_thread::sleep_for(milliseconds(500));
    CHECK(query_value(db.url(), "SELECT max(attempts) FROM webhook_events") == "1");
    CHECK(count_rows(db.url(), "outbox") == kEvents);
    // each welcome reached its user exactly once, by reply or (token spent) by push
    std::map<std::string, int> delivered;
    for (const auto& r : line.accepted()) {
        for (int i = 0; i < kEvents; ++i) {
            auto u = user(100 + static_cast<unsigned>(i));
            if (body_has(r, "rt-kill-" + std::to_string(i) + "\"") || body_has(r, "\"to\":\"" + u + "\"")) delivered[u]++;
        }
    }
    CHECK(delivered.size() == kEvents);
    for (const auto& [u, n] : delivered) CHECK(n == 1);
}

TEST_CASE("service: two sapo processes on one database handle each event once, in order", "[pg][net][e2e]") {
    if (!have_test_postgres()) return;
    line::FakeLineServer line;
    line.accept_any_reply_token(true);
    TempDatabase db;
    auto env = service_env(db.url(), line);
    SapoProcess a({"serve"}, env);
    SapoProcess b({"serve"}, env);
    a.start_serving();
    b.start_serving();
    INFO(a.log() << "\n---\n" << b.log());

    constexpr int kPerUser = 20;
    std::vector<std::thread> senders;
    for (unsigned u = 0; u < 3; ++u) {
        senders.emplace_back([&, u] {
            // one user's events come one after another (as LINE sends them), alternating instances
            for (int i = 0; i < kPerUser; ++i) {
                auto id = "01TWO" + std::to_string(u) + "_" + std::to_string(i);
                auto body = callback_body(text_event(user(200 + u), id, "rt-" + id, 1700000000000 + i, std::to_string(i)));
                auto& target = (i % 2 == 0) ? a : b;
                CHECK(post_webhook(target.port(), body, kSecret).status == 200);
            }
        });
    }
    for (auto& t : senders) t.join();
    const auto total = std::to_string(3 * kPerUser);
    REQUIRE(wait_until([&] { return query_value(db.url(), "SELECT count(*) FROM webhook_events WHERE status = 'processed'") == total; }, seconds(30)));
    REQUIRE(line.wait_for_accepted(3 * kPerUser, seconds(20), line::FakeLineServer::kReplyPath));
    std::this_thread::sleep_for(milliseconds(500));

    CHECK(query_value(db.url(), "SELECT max(attempts) FROM webhook_events") == "1");
    CHECK(count_rows(db.url(), "outbox") == 3 * kPerUser);
    // handled in timestamp order per user: processed_at rises with event_ts_ms
    CHECK(query_value(db.url(), R"(
        SELECT count(*) FROM (
            SELECT processed_at < lag(processed_at) OVER (PARTITION BY ordering_key ORDER BY event_ts_ms) AS backwards
            FROM webhook_events) t
        WHERE backwards)") == "0");
    std::set<std::string> tokens;
    for (const auto& r : line.requests(line::FakeLineServer::kReplyPath)) {
        auto at = r.body.find("\"replyToken\":\"");
        REQUIRE(at != std::string::npos);
        tokens.insert(r.body.substr(at + 14, r.body.find('"', at + 14) - at - 14));
    }
    CHECK(tokens.size() == static_cast<std::size_t>(3 * kPerUser));
    CHECK(line.requests(line::FakeLineServer::kReplyPath).size() == static_cast<std::size_t>(3 * kPerUser));
}

TEST_CASE_METHOD(RunningService, "service: SIGTERM finishes cleanly with exit 0", "[pg][net][e2e]") {
    line.accept_any_reply_token(true);
    for (int i = 0; i < 10; ++i) {
        auto id = "01TERM" + std::to_string(i);
        REQUIRE(post_webhook(sapo.port(), callback_body(text_event(user(300), id, "rt-" + id, 1700000000000 + i, "x")), kSecret).status == 200);
    }
    sapo.signal(SIGTERM);
    INFO(sapo.log());
    CHECK(sapo.wait(seconds(20)) == 0);
    // what was committed was also handled before exit (the dispatcher drains)
    CHECK(query_value(db.url(), "SELECT count(*) FROM webhook_events WHERE status = 'processed'") == "10");
}

TEST_CASE_METHOD(RunningService, "service: health, readiness and metrics", "[pg][net][e2e]") {
    CHECK(http_request(sapo.port(), "GET", "/healthz").status == 200);
    CHECK(wait_until([&] { return http_request(sapo.port(), "GET", "/readyz").status == 200; }, seconds(5)));
    line.accept_any_reply_token(true);
    REQUIRE(post_webhook(sapo.port(), callback_body(text_event(user(7), "01METRIC", "rt-m", 1700000000000, "x")), kSecret).status == 200);
    REQUIRE(post_webhook(sapo.port(), "{}", "wrong").status == 401);
    REQUIRE(line.wait_for_accepted(1, seconds(10)));
    // the fake records a call before sapo has read the answer and counted it
    HttpResult m;
    CHECK(wait_until([&] {
        m = http_request(sapo.port(), "GET", "/metrics");
        return m.body.find("sapo_event_handling_seconds_count 1") != std::string::npos;
    }, seconds(5)));
    CHECK(m.status == 200);
    CHECK(m.headers["content-type"].find("text/plain") == 0);
    CHECK(m.body.find("sapo_webhook_requests_total{status=\"200\"} 1") != std::string::npos);
    CHECK(m.body.find("sapo_webhook_requests_total{status=\"401\"} 1") != std::string::npos);
    CHECK(m.body.find("sapo_webhook_events_total{type=\"message\"} 1") != std::string::npos);
    CHECK(m.body.find("sapo_line_requests_total{endpoint=\"reply\",status=\"200\"} 1") != std::string::npos);
    CHECK(m.body.find("sapo_event_handling_seconds_count") != std::string::npos);
    CHECK(m.body.find("sapo_dispatch_queue_depth") != std::string::npos);
}
