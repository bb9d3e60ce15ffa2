#include "bot/line/http_client.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include "bot/metrics.hpp"
#include "test/support/fake_line_server.hpp"

using namespace std::chrono_literals;
using sapo::line::FakeLineServer;
using sapo::line::HttpClient;
using sapo::line::HttpClientOptions;
using sapo::line::RecordedRequest;

namespace {

const std::string kText = R"({"type":"text","text":"hello"})";
const std::vector<std::string> kMessages = {kText};

HttpClientOptions options_for(const FakeLineServer& fake) {
    HttpClientOptions o;
    o.base_url = fake.base_url();
    o.access_token = fake.access_token();
    o.timeout = 5s;
    o.max_attempts = 4;
    o.backoff_base = 1ms;  // retries are the subject here, not their pacing
    o.backoff_max = 4ms;
    return o;
}

std::string user(unsigned n) { return FakeLineServer::user_id(n); }

rapidjson::Document parse(const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.data(), json.size());
    REQUIRE_FALSE(d.HasParseError());
    return d;
}

/// A TCP port on 127.0.0.1 that nobody listens on (bound, then released).
unsigned short closed_port() {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

std::uint64_t counter(const std::string& endpoint, const std::string& status) {
    return sapo::metrics::global()
        .counter("sapo_line_requests_total", "LINE API calls by endpoint and status", {{"endpoint", endpoint}, {"status", status}})
        .value();
}

}  // namespace

// --- retry key -----------------------------------------------------------------------------------

TEST_CASE("http client: push sends the same UUID retry key on every retry", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));
    fake.fail_next(2, 500, FakeLineServer::kPushPath);

    const auto r = client.push(user(1), kMessages);

    CHECK(r.ok);
    CHECK(r.status == 200);
    CHECK(r.attempts == 3);
    const auto reqs = fake.requests(FakeLineServer::kPushPath);
    REQUIRE(reqs.size() == 3);
    const std::string key = reqs[0].header("x-line-retry-key");
    CHECK(sapo::line::is_uuid(key));
    CHECK(FakeLineServer::is_uuid(key));
    CHECK(key[14] == '4');  // version 4
    CHECK(std::string("89ab").find(key[19]) != std::string::npos);  // RFC 4122 variant
    for (const auto& req : reqs) CHECK(req.header("x-line-retry-key") == key);
    CHECK(reqs[2].status == 200);
}

TEST_CASE("http client: each push gets its own retry key, or the caller's", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));
    REQUIRE(client.push(user(1), kMessages).ok);
    REQUIRE(client.push(user(1), kMessages).ok);
    const std::string mine = sapo::line::make_retry_key();
    REQUIRE(client.push(user(1), kMessages, mine).ok);

    const auto reqs = fake.requests(FakeLineServer::kPushPath);
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[0].header("x-line-retry-key") != reqs[1].header("x-line-retry-key"));
    CHECK(reqs[2].header("x-line-retry-key") == mine);
}

TEST_CASE("http client: a retry key that is not a UUID is refused without a call", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));
    const auto r = client.push(user(1), kMessages, "not-a-uuid");
    CHECK_FALSE(r.ok);
    CHECK(r.attempts == 0);
    CHECK(fake.requests().empty());
}

TEST_CASE("http client: 409 (retry key already accepted) counts as success", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));
    const std::string key = sapo::line::make_retry_key();
    const auto first = client.push(user(1), kMessages, key);
    REQUIRE(first.ok);

    const auto again = client.push(user(1), kMessages, key);

    CHECK(again.ok);
    CHECK(again.status == 409);
    CHECK(again.attempts == 1);
    const auto reqs = fake.requests(FakeLineServer::kPushPath);
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[1].status == 409);
    CHECK(fake.accepted(FakeLineServer::kPushPath).size() == 1);
}

TEST_CASE("http client: a push that timed out but was accepted ends as 409 success on retry", "[line]") {
    FakeLineServer fake;
    auto options = options_for(fake);
    options.timeout = 200ms;
    HttpClient client(options);
    // LINE did the work but answered too late: the classic reason for the retry key.
    fake.delay_next(1, 1000ms, FakeLineServer::kPushPath);

    const auto r = client.push(user(1), kMessages);

    CHECK(r.ok);
    CHECK(r.status == 409);
    CHECK(r.attempts == 2);
    CHECK(fake.accepted(FakeLineServer::kPushPath).size() == 1);
}

// --- retry policy --------------------------------------------------------------------------------

TEST_CASE("http client: 5xx is retried up to max_attempts", "[line]") {
    FakeLineServer fake;
    auto options = options_for(fake);
    options.max_attempts = 3;
    HttpClient client(options);
    const int status = GENERATE(500, 502, 503);
    fake.fail_next(10, status);

    const auto r = client.push(user(1), kMessages);

    CHECK_FALSE(r.ok);
    CHECK(r.status == status);
    CHECK(r.attempts == 3);
    CHECK(fake.requests().size() == 3);
    CHECK_FALSE(r.error.empty());
    CHECK_FALSE(r.request_id.empty());
    CHECK(r.request_id == fake.requests().back().request_id);
}

TEST_CASE("http client: 4xx is never retried", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));
    const int status = GENERATE(400, 401, 403, 404, 413);
    fake.fail_next(10, status);

    const auto r = client.push(user(1), kMessages);

    CHECK_FALSE(r.ok);
    CHECK(r.status == status);
    CHECK(r.attempts == 1);
    CHECK(fake.requests().size() == 1);
}

TEST_CASE("http client: a wrong access token gets one 401 and no retry", "[line]") {
    FakeLineServer fake;
    auto options = options_for(fake);
    options.access_token = "wrong";
    HttpClient client(options);

    const auto r = client.push(user(1), kMessages);

    CHECK(r.status == 401);
    CHECK(r.attempts == 1);
    CHECK(r.error.find("Authentication failed") != std::string::npos);
    CHECK(fake.requests().size() == 1);
}

TEST_CASE("http client: 429 backs off at least backoff_base, then retries", "[line]") {
    FakeLineServer fake;
    auto options = options_for(fake);
    options.backoff_base = 20ms;
    options.backoff_max = 1000ms;
    HttpClient client(options);
    fake.fail_next(2, 429);

    const auto r = client.push(user(1), kMessages);

    CHECK(r.ok);
    CHECK(r.attempts == 3);
    const auto reqs = fake.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[1].received_at - reqs[0].received_at >= 20ms);
    CHECK(reqs[2].received_at - reqs[1].received_at >= 40ms);  // base * 2^1
}

TEST_CASE("http client: 429 retries are bounded by max_attempts", "[line]") {
    FakeLineServer fake;
    auto options = options_for(fake);
    options.max_attempts = 2;
    HttpClient client(options);
    fake.fail_next(10, 429);

    const auto r = client.push(user(1), kMessages);

    CHECK_FALSE(r.ok);
    CHECK(r.status == 429);
    CHECK(r.attempts == 2);
    CHECK(fake.requests().size() == 2);
}

TEST_CASE("http client: a timeout is retried, then fails with status 0", "[line]") {
    FakeLineServer fake;
    auto options = options_for(fake);
    options.timeout = 100ms;
    options.max_attempts = 2;
    HttpClient client(options);
    fake.delay_next(2, 600ms);

    const auto r = client.show_loading(user(1), 5);

    CHECK_FALSE(r.ok);
    CHECK(r.status == 0);
    CHECK(r.attempts == 2);
    CHECK(r.error.find("timed out") != std::string::npos);
    CHECK(fake.requests().size() == 2);
}

TEST_CASE("http client: reply is not retried after 5xx or a timeout", "[line]") {
    FakeLineServer fake;
    fake.accept_any_reply_token(true);
    auto options = options_for(fake);
    options.timeout = 100ms;
    HttpClient client(options);

    SECTION("5xx") {
        fake.fail_next(1, 500, FakeLineServer::kReplyPath);
        const auto r = client.reply("token-1", kMessages);
        CHECK_FALSE(r.ok);
        CHECK(r.status == 500);
        CHECK(r.attempts == 1);
    }
    SECTION("timeout") {
        fake.delay_next(1, 600ms, FakeLineServer::kReplyPath);
        const auto r = client.reply("token-1", kMessages);
        CHECK_FALSE(r.ok);
        CHECK(r.status == 0);
        CHECK(r.attempts == 1);
    }
    CHECK(fake.requests(FakeLineServer::kReplyPath).size() == 1);
}

TEST_CASE("http client: reply is retried when the connection failed before anything was sent", "[line]") {
    HttpClientOptions options;
    options.base_url = "http://127.0.0.1:" + std::to_string(closed_port());
    options.access_token = "t";
    options.max_attempts = 3;
    options.backoff_base = 1ms;
    options.backoff_max = 2ms;
    HttpClient client(options);

    const auto r = client.reply("token-1", kMessages);

    CHECK_FALSE(r.ok);
    CHECK(r.status == 0);
    CHECK(r.attempts == 3);
    CHECK(r.error.find("connect") != std::string::npos);
}

TEST_CASE("http client: every attempt is counted in sapo_line_requests_total", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));
    const auto failed_before = counter("push", "503");
    const auto ok_before = counter("push", "200");
    fake.fail_next(2, 503);

    REQUIRE(client.push(user(1), kMessages).ok);

    CHECK(counter("push", "503") - failed_before == 2);
    CHECK(counter("push", "200") - ok_before == 1);
}

// --- multicast -----------------------------------------------------------------------------------

TEST_CASE("http client: 1,200 multicast recipients go out as 500/500/200 with distinct keys", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));
    std::vector<std::string> to;
    for (unsigned i = 0; i < 1200; ++i) to.push_back(user(i));

    const auto results = client.multicast(to, kMessages);

    REQUIRE(results.size() == 3);
    for (const auto& r : results) CHECK(r.ok);
    const auto reqs = fake.requests(FakeLineServer::kMulticastPath);
    REQUIRE(reqs.size() == 3);
    std::vector<std::size_t> sizes;
    std::set<std::string> keys;
    std::vector<std::string> all;
    for (const auto& req : reqs) {
        auto body = parse(req.body);
        sizes.push_back(body["to"].Size());
        for (const auto& v : body["to"].GetArray()) all.emplace_back(v.GetString());
        keys.insert(req.header("x-line-retry-key"));
        CHECK(sapo::line::is_uuid(req.header("x-line-retry-key")));
    }
    CHECK(sizes == std::vector<std::size_t>{500, 500, 200});
    CHECK(keys.size() == 3);
    CHECK(all == to);  // every recipient once, in order
}

TEST_CASE("http client: a multicast chunk retries with its own key only", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));
    std::vector<std::string> to;
    for (unsigned i = 0; i < 700; ++i) to.push_back(user(i));
    fake.fail_next(1, 500);  // the first chunk's first attempt

    const auto results = client.multicast(to, kMessages);

    REQUIRE(results.size() == 2);
    CHECK(results[0].ok);
    CHECK(results[0].attempts == 2);
    CHECK(results[1].ok);
    CHECK(results[1].attempts == 1);
    const auto reqs = fake.requests(FakeLineServer::kMulticastPath);
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[0].header("x-line-retry-key") == reqs[1].header("x-line-retry-key"));
    CHECK(reqs[1].header("x-line-retry-key") != reqs[2].header("x-line-retry-key"));
}

// --- requests as sent ----------------------------------------------------------------------------

TEST_CASE("http client: requests carry LINE's headers and a well-formed body", "[line]") {
    FakeLineServer fake;
    fake.add_reply_token("rt-1");
    HttpClient client(options_for(fake));

    REQUIRE(client.reply("rt-1", kMessages).ok);
    REQUIRE(client.push(user(7), {kText, R"({"type":"sticker","packageId":"446","stickerId":"1988"})"}).ok);

    const auto reqs = fake.requests();
    REQUIRE(reqs.size() == 2);
    for (const auto& req : reqs) {
        CHECK(req.method == "POST");
        CHECK(req.header("authorization") == "Bearer " + fake.access_token());
        CHECK(req.header("content-type") == "application/json");
        CHECK(req.header("user-agent") == std::string("sapo/") + SAPO_VERSION);
        CHECK(req.header("host") == "127.0.0.1:" + std::to_string(fake.port()));
    }
    CHECK(reqs[0].header("x-line-retry-key").empty());  // LINE rejects a retry key on reply
    auto reply = parse(reqs[0].body);
    CHECK(std::string(reply["replyToken"].GetString()) == "rt-1");
    CHECK(std::string(reply["messages"][0]["text"].GetString()) == "hello");
    auto push = parse(reqs[1].body);
    CHECK(std::string(push["to"].GetString()) == user(7));
    CHECK(push["messages"].Size() == 2);
}

TEST_CASE("http client: bad message lists are refused without a call", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));
    const std::vector<std::string> six(6, kText);

    CHECK(client.push(user(1), {}).attempts == 0);
    CHECK_FALSE(client.push(user(1), six).ok);
    CHECK_FALSE(client.push(user(1), {"{not json"}).ok);
    CHECK_FALSE(client.reply("t", {"[1,2]"}).ok);
    CHECK_FALSE(client.push("", kMessages).ok);
    CHECK(client.multicast({user(1)}, {}).size() == 1);
    CHECK(fake.requests().empty());
}

// --- base URL ------------------------------------------------------------------------------------

TEST_CASE("http client: plain http is refused unless the host is loopback", "[line]") {
    auto make = [](const std::string& url) {
        HttpClientOptions o;
        o.base_url = url;
        o.access_token = "t";
        HttpClient client(o);
    };
    for (const char* url : {"http://api.line.me", "http://10.0.0.1:8080", "http://[2001:db8::1]:80",
                            "http://128.0.0.1", "http://localhost.example.com", "http://127.0.0.1.nip.io",
                            "http://127.0.0.1.example.com:8080/x"}) {
        INFO(url);
        CHECK_THROWS_AS(make(url), std::invalid_argument);
    }
    for (const char* url : {"ftp://127.0.0.1", "not a url", "", "https://user:pw@api.line.me", "https://:443"}) {
        INFO(url);
        CHECK_THROWS_AS(make(url), std::invalid_argument);
    }
    for (const char* url : {"http://127.0.0.1:1", "http://127.9.9.9:1", "http://localhost:1", "http://LOCALHOST:1",
                            "http://[::1]:1", "https://api.line.me", "https://api.line.me/prefix/"}) {
        INFO(url);
        CHECK_NOTHROW(make(url));
    }
}

TEST_CASE("http client: the error message says why plain http was refused", "[line]") {
    HttpClientOptions o;
    o.base_url = "http://api.line.me";
    try {
        HttpClient client(o);
        FAIL("no exception");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()).find("loopback") != std::string::npos);
    }
}

TEST_CASE("http client: options out of range are refused", "[line]") {
    HttpClientOptions o;
    o.base_url = "http://127.0.0.1:1";
    o.max_attempts = 0;
    CHECK_THROWS_AS(HttpClient(o), std::invalid_argument);
    o.max_attempts = 1;
    o.timeout = 0ms;
    CHECK_THROWS_AS(HttpClient(o), std::invalid_argument);
}

TEST_CASE("http client: a base URL path prefix is kept", "[line]") {
    FakeLineServer fake;
    auto options = options_for(fake);
    options.base_url = fake.base_url() + "/proxy/";
    HttpClient client(options);

    const auto r = client.push(user(1), kMessages);

    CHECK(r.status == 404);  // the fake serves LINE's paths only
    REQUIRE(fake.requests().size() == 1);
    CHECK(fake.requests()[0].path == "/proxy/v2/bot/message/push");
}

TEST_CASE("http client: https to a server that does not speak TLS fails in the handshake", "[line]") {
    FakeLineServer fake;
    HttpClientOptions options = options_for(fake);
    options.base_url = "https://127.0.0.1:" + std::to_string(fake.port());
    options.max_attempts = 1;
    HttpClient client(options);

    const auto r = client.push(user(1), kMessages);

    CHECK_FALSE(r.ok);
    CHECK(r.status == 0);
    CHECK(r.error.find("handshake") != std::string::npos);
}

// --- connections ---------------------------------------------------------------------------------

TEST_CASE("http client: sequential calls reuse one keep-alive connection", "[line]") {
    FakeLineServer fake;
    fake.add_profile({user(1), "Taro", "ja", ""});
    HttpClient client(options_for(fake));

    for (int i = 0; i < 5; ++i) REQUIRE(client.push(user(1), kMessages).ok);
    REQUIRE(client.get_profile(user(1)).has_value());
    REQUIRE(client.show_loading(user(1), 10).ok);

    CHECK(fake.connections_accepted() == 1);
    for (const auto& req : fake.requests()) CHECK(req.connection == 1);
}

TEST_CASE("http client: pool_size 0 connects per request", "[line]") {
    FakeLineServer fake;
    auto options = options_for(fake);
    options.pool_size = 0;
    HttpClient client(options);
    for (int i = 0; i < 3; ++i) REQUIRE(client.push(user(1), kMessages).ok);
    CHECK(fake.connections_accepted() == 3);
}

TEST_CASE("http client: a connection the server marks Connection: close is not reused", "[line]") {
    FakeLineServer fake;
    fake.set_keep_alive(false);
    HttpClient client(options_for(fake));
    for (int i = 0; i < 3; ++i) {
        const auto r = client.push(user(1), kMessages);
        REQUIRE(r.ok);
        CHECK(r.attempts == 1);
    }
    CHECK(fake.connections_accepted() == 3);
}

TEST_CASE("http client: a pooled connection the server closed is replaced without a failed attempt", "[line]") {
    FakeLineServer fake;
    fake.accept_any_reply_token(true);
    HttpClient client(options_for(fake));
    REQUIRE(client.push(user(1), kMessages).ok);
    REQUIRE(fake.connections_accepted() == 1);

    fake.drop_connections();
    const auto push = client.push(user(1), kMessages);
    fake.drop_connections();
    const auto reply = client.reply("rt", kMessages);

    CHECK(push.ok);
    CHECK(push.attempts == 1);
    CHECK(reply.ok);
    CHECK(reply.attempts == 1);
    CHECK(fake.connections_accepted() == 3);
    CHECK(fake.requests().size() == 3);
}

TEST_CASE("http client: 8 threads calling at once all succeed", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));
    constexpr int kThreads = 8;
    constexpr int kCalls = 25;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kCalls; ++i) {
                if (client.push(user(static_cast<unsigned>(t)), kMessages).ok) ++ok;
            }
        });
    }
    for (auto& t : threads) t.join();

    CHECK(ok.load() == kThreads * kCalls);
    const auto accepted = fake.accepted(FakeLineServer::kPushPath);
    CHECK(accepted.size() == static_cast<std::size_t>(kThreads * kCalls));
    std::set<std::string> keys;
    for (const auto& req : accepted) keys.insert(req.header("x-line-retry-key"));
    CHECK(keys.size() == accepted.size());
    CHECK(fake.connections_accepted() <= static_cast<std::size_t>(kThreads));
}

TEST_CASE("http client: the client-side rate limit spaces calls out", "[line]") {
    FakeLineServer fake;
    auto options = options_for(fake);
    options.rate_limit_per_s = 20;  // burst 20, then one per 50 ms
    HttpClient client(options);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 24; ++i) REQUIRE(client.show_loading(user(1), 5).ok);
    CHECK(std::chrono::steady_clock::now() - start >= 190ms);
}

TEST_CASE("http client: destroying the client ends calls in flight with an error", "[line]") {
    FakeLineServer fake;
    auto options = options_for(fake);
    options.timeout = 60s;
    auto client = std::make_unique<HttpClient>(options);
    fake.delay_next(1, 30s);

    auto pending = std::async(std::launch::async, [&] { return client->push(user(1), kMessages); });
    REQUIRE(fake.wait_for(1, 10s));  // the request is on the wire, its answer 30 s away
    client.reset();

    REQUIRE(pending.wait_for(10s) == std::future_status::ready);
    const auto r = pending.get();
    CHECK_FALSE(r.ok);
    CHECK(r.status == 0);
    CHECK(r.error == "client is shutting down");
}

TEST_CASE("http client: destroying the client interrupts a backoff", "[line]") {
    FakeLineServer fake;
    auto options = options_for(fake);
    options.backoff_base = 30s;
    options.backoff_max = 60s;
    auto client = std::make_unique<HttpClient>(options);
    fake.fail_next(1, 429);  // 429 waits at least backoff_base

    auto pending = std::async(std::launch::async, [&] { return client->push(user(1), kMessages); });
    REQUIRE(fake.wait_for(1, 10s));
    client.reset();

    REQUIRE(pending.wait_for(10s) == std::future_status::ready);
    const auto r = pending.get();
    CHECK_FALSE(r.ok);
    CHECK(r.attempts == 1);
    CHECK(fake.requests().size() == 1);
}

// --- profile and loading -------------------------------------------------------------------------

TEST_CASE("http client: get_profile returns the profile, nullopt on 404", "[line]") {
    FakeLineServer fake;
    fake.add_profile({user(1), "山田 太郎", "ja", "https://profile.line-scdn.net/abc"});
    HttpClient client(options_for(fake));

    const auto p = client.get_profile(user(1));
    REQUIRE(p.has_value());
    CHECK(p->user_id == user(1));
    CHECK(p->display_name == "山田 太郎");
    CHECK(p->language == "ja");
    CHECK(p->picture_url == "https://profile.line-scdn.net/abc");

    CHECK_FALSE(client.get_profile(user(2)).has_value());
    const auto reqs = fake.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].method == "GET");
    CHECK(reqs[0].path == "/v2/bot/profile/" + user(1));
    CHECK(reqs[1].status == 404);  // and not retried
}

TEST_CASE("http client: get_profile percent-encodes the user id", "[line]") {
    FakeLineServer fake;
    fake.add_profile({"a/b?c d", "Odd", "", ""});
    HttpClient client(options_for(fake));

    const auto p = client.get_profile("a/b?c d");

    REQUIRE(p.has_value());
    CHECK(p->display_name == "Odd");
    CHECK(p->language.empty());
    REQUIRE(fake.requests().size() == 1);
    CHECK(fake.requests()[0].target == "/v2/bot/profile/a%2Fb%3Fc%20d");
}

TEST_CASE("http client: get_profile retries 5xx and gives up with nullopt", "[line]") {
    FakeLineServer fake;
    fake.add_profile({user(1), "Taro", "en", ""});
    auto options = options_for(fake);
    options.max_attempts = 2;
    HttpClient client(options);

    fake.fail_next(1, 500);
    CHECK(client.get_profile(user(1)).has_value());
    fake.fail_next(2, 500);
    CHECK_FALSE(client.get_profile(user(1)).has_value());
    CHECK(fake.requests().size() == 4);
}

TEST_CASE("http client: show_loading validates seconds without calling LINE", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));
    const int bad = GENERATE(-5, 0, 4, 7, 61, 65, 100);

    const auto r = client.show_loading(user(1), bad);

    CHECK_FALSE(r.ok);
    CHECK(r.attempts == 0);
    CHECK(r.error.find("5..60") != std::string::npos);
    CHECK(fake.requests().empty());
}

TEST_CASE("http client: show_loading posts chatId and loadingSeconds, 202 is ok", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));
    const int seconds = GENERATE(5, 20, 60);

    const auto r = client.show_loading(user(3), seconds);

    CHECK(r.ok);
    CHECK(r.status == 202);
    REQUIRE(fake.requests().size() == 1);
    const auto body = parse(fake.requests()[0].body);
    CHECK(std::string(body["chatId"].GetString()) == user(3));
    CHECK(body["loadingSeconds"].GetInt() == seconds);
    CHECK(fake.requests()[0].path == FakeLineServer::kLoadingPath);
}

TEST_CASE("http client: loading/start is held to LINE's 100 req/s", "[line]") {
    FakeLineServer fake;
    HttpClient client(options_for(fake));  // 2,000 req/s overall
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 106; ++i) REQUIRE(client.show_loading(user(1), 5).ok);
    // Burst of 100, then 6 more at 10 ms each.
    CHECK(std::chrono::steady_clock::now() - start >= 55ms);
}
