#include "test/support/fake_line_server.hpp"

#include "bot/line/http_client.hpp"

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <rapidjson/document.h>
#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using sapo::line::FakeLineServer;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct RawResponse {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names
    rapidjson::Document json() const {
        rapidjson::Document d;
        d.Parse(body.c_str());
        return d;
    }
};

/// One request on its own connection, spelled out by hand so the fake's checks are tested
/// independently of HttpClient.
RawResponse raw(
    const FakeLineServer& fake,
    http::verb verb,
    const std::string& target,
    const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers = {},
    bool auth = true
) {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), fake.port()));
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (auth) req.set(http::field::authorization, "Bearer " + fake.access_token());
    if (verb == http::verb::post) req.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    http::read(stream, buffer, parser);
    RawResponse out;
    const auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (const auto& f : res) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.headers[name] = std::string(f.value());
    }
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    return out;
}

RawResponse post(
    const FakeLineServer& fake,
    const std::string& path,
    const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers = {}
) {
    return raw(fake, http::verb::post, path, body, headers);
}

std::string push_body(const std::string& messages_json, const std::string& to = FakeLineServer::user_id(1)) {
    return R"({"to":")" + to + R"(","messages":)" + messages_json + "}";
}

std::string text_message(const std::string& text) { return R"({"type":"text","text":")" + text + "\"}"; }

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

/// The "property" of each detail of a LINE error body.
std::vector<std::string> properties(const RawResponse& r) {
    std::vector<std::string> out;
    auto d = r.json();
    if (!d.IsObject() || !d.HasMember("details")) return out;
    for (const auto& detail : d["details"].GetArray()) out.emplace_back(detail["property"].GetString());
    return out;
}

const std::string kUuid = "123e4567-e89b-42d3-a456-426614174000";

}  // namespace

TEST_CASE("fake line server: listens on an ephemeral loopback port", "[line]") {
    FakeLineServer a;
    FakeLineServer b;
    CHECK(a.port() != 0);
    CHECK(a.port() != b.port());
    CHECK(a.base_url() == "http://127.0.0.1:" + std::to_string(a.port()));
}

TEST_CASE("fake line server: 401 without the right bearer token, and every answer has a request id", "[line]") {
    FakeLineServer fake("secret-token");
    const auto none = raw(fake, http::verb::post, FakeLineServer::kPushPath, push_body("[]"), {}, false);
    const auto wrong =
        post(fake, FakeLineServer::kPushPath, push_body("[]"), {{"Authorization", "Bearer other"}});

    CHECK(none.status == 401);
    CHECK(wrong.status == 401);
    CHECK(std::string(none.json()["message"].GetString()).find("Authentication failed") == 0);
    CHECK_FALSE(none.headers.at("x-line-request-id").empty());
    CHECK(none.headers.at("x-line-request-id") != wrong.headers.at("x-line-request-id"));
    CHECK(fake.requests().size() == 2);
    CHECK(fake.accepted().empty());
}

TEST_CASE("fake line server: body checks common to all POSTs", "[line]") {
    FakeLineServer fake;
    SECTION("Content-Type must be JSON") {
        const auto r = post(fake, FakeLineServer::kPushPath, push_body("[]"), {{"Content-Type", "text/plain"}});
        CHECK(r.status == 415);
    }
    SECTION("the body must parse") {
        const auto r = post(fake, FakeLineServer::kPushPath, "{\"to\":");
        CHECK(r.status == 400);
        CHECK(std::string(r.json()["message"].GetString()) == "The request body could not be parsed as JSON");
    }
    SECTION("the body must be valid UTF-8") {
        const auto r = post(fake, FakeLineServer::kPushPath, push_body("[" + text_message("\xff\xfe") + "]"));
        CHECK(r.status == 400);
    }
    SECTION("bodies over 2 MB get 413") {
        const auto r = post(fake, FakeLineServer::kPushPath, push_body("[" + text_message(std::string(3 << 20, 'a')) + "]"));
        CHECK(r.status == 413);
        REQUIRE(fake.requests().size() == 1);
        CHECK(fake.requests()[0].status == 413);
    }
    SECTION("unknown paths get 404, wrong methods 405") {
        CHECK(post(fake, "/v2/bot/message/broadcastX", "{}").status == 404);
        CHECK(raw(fake, http::verb::get, FakeLineServer::kPushPath, "").status == 405);
    }
}

TEST_CASE("fake line server: message checks", "[line]") {
    FakeLineServer fake;
    const std::string ok = text_message("hi");

    SECTION("1..5 messages") {
        CHECK(post(fake, FakeLineServer::kPushPath, push_body("[" + ok + "]")).status == 200);
        CHECK(post(fake, FakeLineServer::kPushPath, push_body("[" + repeat(ok + ",", 4) + ok + "]")).status == 200);
        const auto none = post(fake, FakeLineServer::kPushPath, push_body("[]"));
        CHECK(none.status == 400);
        CHECK(properties(none) == std::vector<std::string>{"messages"});
        const auto six = post(fake, FakeLineServer::kPushPath, push_body("[" + repeat(ok + ",", 5) + ok + "]"));
        CHECK(six.status == 400);
        CHECK(std::string(six.json()["message"].GetString()) == "The request body has 1 error(s)");
    }
    SECTION("type present and known") {
        const auto r = post(fake, FakeLineServer::kPushPath, push_body(R"([{"text":"x"},{"type":"hologram"}])"));
        CHECK(r.status == 400);
        CHECK(properties(r) == std::vector<std::string>{"messages[0].type", "messages[1].type"});
    }
    SECTION("text is 1..5000 UTF-16 code units") {
        CHECK(post(fake, FakeLineServer::kPushPath, push_body("[" + text_message(std::string(5000, 'a')) + "]")).status == 200);
        CHECK(post(fake, FakeLineServer::kPushPath, push_body("[" + text_message(std::string(5001, 'a')) + "]")).status == 400);
        CHECK(post(fake, FakeLineServer::kPushPath, push_body("[" + text_message("") + "]")).status == 400);
        // U+1F34E is one character but two UTF-16 units; U+3042 is one unit.
        const std::string apple = "\xF0\x9F\x8D\x8E";
        const std::string a = "\xE3\x81\x82";
        CHECK(post(fake, FakeLineServer::kPushPath, push_body("[" + text_message(repeat(apple, 2500)) + "]")).status == 200);
        const auto over = post(fake, FakeLineServer::kPushPath, push_body("[" + text_message(repeat(apple, 2500) + a) + "]"));
        CHECK(over.status == 400);
        CHECK(properties(over) == std::vector<std::string>{"messages[0].text"});
        CHECK(post(fake, FakeLineServer::kPushPath, push_body("[" + text_message(repeat(a, 5000)) + "]")).status == 200);
    }
    SECTION("quick reply: at most 13 items, labels <= 20, postback data <= 300") {
        auto item = [](const std::string& label, const std::string& data) {
            return R"({"type":"action","action":{"type":"postback","label":")" + label + R"(","data":")" + data + "\"}}";
        };
        auto with_items = [](const std::string& items) {
            return R"([{"type":"text","text":"pick","quickReply":{"items":[)" + items + "]}}]";
        };
        const std::string good = item("yes", "a=1");
        CHECK(post(fake, FakeLineServer::kPushPath, push_body(with_items(repeat(good + ",", 12) + good))).status == 200);
        const auto fourteen = post(fake, FakeLineServer::kPushPath, push_body(with_items(repeat(good + ",", 13) + good)));
        CHECK(fourteen.status == 400);
        CHECK(properties(fourteen) == std::vector<std::string>{"messages[0].quickReply.items"});

        CHECK(post(fake, FakeLineServer::kPushPath, push_body(with_items(item(std::string(20, 'l'), "d")))).status == 200);
        // 20 Japanese characters are 20 characters, not 60 bytes.
        CHECK(post(fake, FakeLineServer::kPushPath, push_body(with_items(item(repeat("\xE3\x81\x82", 20), "d")))).status == 200);
        const auto label = post(fake, FakeLineServer::kPushPath, push_body(with_items(item(std::string(21, 'l'), "d"))));
        CHECK(label.status == 400);
        CHECK(properties(label) == std::vector<std::string>{"messages[0].quickReply.items[0].action.label"});

        CHECK(post(fake, FakeLineServer::kPushPath, push_body(with_items(item("x", std::string(300, 'd'))))).status == 200);
        const auto data = post(fake, FakeLineServer::kPushPath, push_body(with_items(item("x", std::string(301, 'd')))));
        CHECK(data.status == 400);
        CHECK(properties(data) == std::vector<std::string>{"messages[0].quickReply.items[0].action.data"});
    }
    SECTION("template actions are checked too") {
        const std::string tpl =
            R"([{"type":"template","altText":"a","template":{"type":"buttons","text":"t","actions":[)"
            R"({"type":"message","label":"ok","text":"ok"},{"type":"uri","label":"web","uri":")" +
            std::string(1001, 'u') + R"("}]}}])";
        const auto r = post(fake, FakeLineServer::kPushPath, push_body(tpl));
        CHECK(r.status == 400);
        CHECK(properties(r) == std::vector<std::string>{"messages[0].template.actions[1].uri"});
    }
    CHECK(fake.requests().size() >= 1);
}

TEST_CASE("fake line server: reply tokens are single use", "[line]") {
    FakeLineServer fake;
    fake.add_reply_token("rt-1");
    const std::string body = R"({"replyToken":"rt-1","messages":[{"type":"text","text":"hi"}]})";

    const auto first = post(fake, FakeLineServer::kReplyPath, body);
    const auto second = post(fake, FakeLineServer::kReplyPath, body);
    const auto unknown = post(fake, FakeLineServer::kReplyPath, R"({"replyToken":"rt-2","messages":[{"type":"text","text":"hi"}]})");

    CHECK(first.status == 200);
    CHECK(first.json()["sentMessages"].Size() == 1);
    CHECK(second.status == 400);
    CHECK(std::string(second.json()["message"].GetString()) == "Invalid reply token");
    CHECK(unknown.status == 400);
    CHECK(fake.accepted(FakeLineServer::kReplyPath).size() == 1);
}

TEST_CASE("fake line server: accept_any_reply_token still enforces single use", "[line]") {
    FakeLineServer fake;
    fake.accept_any_reply_token(true);
    const std::string body = R"({"replyToken":"anything","messages":[{"type":"text","text":"hi"}]})";
    CHECK(post(fake, FakeLineServer::kReplyPath, body).status == 200);
    CHECK(post(fake, FakeLineServer::kReplyPath, body).status == 400);
}

TEST_CASE("fake line server: a failed reply does not use up its token", "[line]") {
    FakeLineServer fake;
    fake.add_reply_token("rt-1");
    CHECK(post(fake, FakeLineServer::kReplyPath, R"({"replyToken":"rt-1","messages":[]})").status == 400);
    fake.fail_next(1, 500);
    CHECK(post(fake, FakeLineServer::kReplyPath, R"({"replyToken":"rt-1","messages":[{"type":"text","text":"a"}]})").status == 500);
    CHECK(post(fake, FakeLineServer::kReplyPath, R"({"replyToken":"rt-1","messages":[{"type":"text","text":"a"}]})").status == 200);
}

TEST_CASE("fake line server: X-Line-Retry-Key rules", "[line]") {
    FakeLineServer fake;
    fake.add_reply_token("rt-1");
    const std::string body = push_body("[" + text_message("hi") + "]");

    SECTION("not allowed on reply") {
        const auto r = post(
            fake,
            FakeLineServer::kReplyPath,
            R"({"replyToken":"rt-1","messages":[{"type":"text","text":"hi"}]})",
            {{"X-Line-Retry-Key", kUuid}}
        );
        CHECK(r.status == 400);
    }
    SECTION("must be a UUID") {
        CHECK(post(fake, FakeLineServer::kPushPath, body, {{"X-Line-Retry-Key", "abc"}}).status == 400);
        CHECK(fake.accepted().empty());
    }
    SECTION("a key accepted once answers 409 with the accepted request id") {
        const auto first = post(fake, FakeLineServer::kPushPath, body, {{"X-Line-Retry-Key", kUuid}});
        const auto again = post(fake, FakeLineServer::kPushPath, body, {{"X-Line-Retry-Key", kUuid}});
        REQUIRE(first.status == 200);
        CHECK(again.status == 409);
        CHECK(std::string(again.json()["message"].GetString()) == "The retry key is already accepted");
        CHECK(again.json()["sentMessages"].Size() == 1);
        CHECK(again.headers.at("x-line-accepted-request-id") == first.headers.at("x-line-request-id"));
        CHECK(again.headers.at("x-line-request-id") != first.headers.at("x-line-request-id"));
        CHECK(fake.accepted(FakeLineServer::kPushPath).size() == 1);
    }
    SECTION("a key whose request failed may be used again") {
        fake.fail_next(1, 500);
        CHECK(post(fake, FakeLineServer::kPushPath, body, {{"X-Line-Retry-Key", kUuid}}).status == 500);
        CHECK(post(fake, FakeLineServer::kPushPath, body, {{"X-Line-Retry-Key", kUuid}}).status == 200);
    }
}

TEST_CASE("fake line server: push and multicast recipients", "[line]") {
    FakeLineServer fake;
    const std::string messages = "[" + text_message("hi") + "]";
    CHECK(post(fake, FakeLineServer::kPushPath, push_body(messages, "nobody")).status == 400);
    CHECK(post(fake, FakeLineServer::kPushPath, R"({"messages":)" + messages + "}").status == 400);
    CHECK(post(fake, FakeLineServer::kPushPath, push_body(messages, "C" + std::string(32, 'a'))).status == 200);

    auto multicast = [&](int n) {
        std::string to;
        for (int i = 0; i < n; ++i) to += (i ? ",\"" : "\"") + FakeLineServer::user_id(static_cast<unsigned>(i)) + "\"";
        return post(fake, FakeLineServer::kMulticastPath, R"({"to":[)" + to + R"(],"messages":)" + messages + "}");
    };
    CHECK(multicast(1).status == 200);
    CHECK(multicast(500).status == 200);
    CHECK(multicast(501).status == 400);
    CHECK(multicast(0).status == 400);
    const auto group = post(
        fake,
        FakeLineServer::kMulticastPath,
        R"({"to":[")" + ("C" + std::string(32, 'a')) + R"("],"messages":)" + messages + "}"
    );
    CHECK(group.status == 400);
}

TEST_CASE("fake line server: loading animation and profiles", "[line]") {
    FakeLineServer fake;
    const std::string chat = FakeLineServer::user_id(5);
    CHECK(post(fake, FakeLineServer::kLoadingPath, R"({"chatId":")" + chat + R"(","loadingSeconds":5})").status == 202);
    CHECK(post(fake, FakeLineServer::kLoadingPath, R"({"chatId":")" + chat + R"("})").status == 202);
    CHECK(post(fake, FakeLineServer::kLoadingPath, R"({"chatId":")" + chat + R"(","loadingSeconds":7})").status == 400);
    CHECK(post(fake, FakeLineServer::kLoadingPath, R"({"loadingSeconds":5})").status == 400);

    fake.add_profile({chat, "Hanako", "ja", ""});
    const auto found = raw(fake, http::verb::get, std::string(FakeLineServer::kProfilePrefix) + chat, "");
    CHECK(found.status == 200);
    CHECK(std::string(found.json()["displayName"].GetString()) == "Hanako");
    CHECK(std::string(found.json()["userId"].GetString()) == chat);
    CHECK_FALSE(found.json().HasMember("pictureUrl"));
    CHECK(raw(fake, http::verb::get, std::string(FakeLineServer::kProfilePrefix) + FakeLineServer::user_id(6), "").status == 404);
}

TEST_CASE("fake line server: fail_next and delay_next match paths and run out", "[line]") {
    FakeLineServer fake;
    const std::string chat = R"({"chatId":")" + FakeLineServer::user_id(5) + R"("})";
    fake.fail_next(2, 503, FakeLineServer::kPushPath);
    fake.fail_next(1, 429, "/v2/bot/chat/");

    CHECK(post(fake, FakeLineServer::kLoadingPath, chat).status == 429);
    CHECK(post(fake, FakeLineServer::kLoadingPath, chat).status == 202);
    const std::string body = push_body("[" + text_message("hi") + "]");
    CHECK(post(fake, FakeLineServer::kPushPath, body).status == 503);
    CHECK(post(fake, FakeLineServer::kPushPath, body).status == 503);
    CHECK(post(fake, FakeLineServer::kPushPath, body).status == 200);

    fake.delay_next(1, 150ms, FakeLineServer::kLoadingPath);
    const auto start = std::chrono::steady_clock::now();
    CHECK(post(fake, FakeLineServer::kLoadingPath, chat).status == 202);
    CHECK(std::chrono::steady_clock::now() - start >= 150ms);
}

TEST_CASE("fake line server: records requests with lower-case headers and answers", "[line]") {
    FakeLineServer fake;
    post(fake, FakeLineServer::kPushPath, push_body("[" + text_message("hi") + "]"), {{"X-Custom-Thing", "v"}});
    fake.fail_next(1, 500);
    post(fake, FakeLineServer::kPushPath + std::string("?q=1"), push_body("[" + text_message("hi") + "]"));

    const auto reqs = fake.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].method == "POST");
    CHECK(reqs[0].path == FakeLineServer::kPushPath);
    CHECK(reqs[0].headers.at("x-custom-thing") == "v");
    CHECK(reqs[0].header("X-Custom-Thing") == "v");
    CHECK(reqs[0].status == 200);
    CHECK(reqs[0].body.find("\"hi\"") != std::string::npos);
    CHECK(reqs[1].path == FakeLineServer::kPushPath);
    CHECK(reqs[1].target == FakeLineServer::kPushPath + std::string("?q=1"));
    CHECK(reqs[1].status == 500);
    CHECK(fake.accepted().size() == 1);
    CHECK(fake.accepted(FakeLineServer::kReplyPath).empty());
    CHECK(fake.connections_accepted() == 2);

    fake.clear();
    CHECK(fake.requests().empty());
    CHECK(fake.connections_accepted() == 0);
}

TEST_CASE("fake line server: wait_for sees requests made on other threads", "[line]") {
    FakeLineServer fake;
    CHECK_FALSE(fake.wait_for(1, 20ms));
    std::thread sender([&] {
        std::this_thread::sleep_for(50ms);
        for (int i = 0; i < 3; ++i) post(fake, FakeLineServer::kPushPath, push_body("[" + text_message("hi") + "]"));
    });
    CHECK(fake.wait_for_accepted(3, 10s, FakeLineServer::kPushPath));
    CHECK(fake.wait_for([](const auto& rs) { return rs.size() == 3; }, 10s));
    sender.join();
}

TEST_CASE("fake line server: stop is idempotent and closes the port", "[line]") {
    FakeLineServer fake;
    const auto port = fake.port();
    fake.stop();
    fake.stop();
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    beast::error_code ec;
    socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    CHECK(ec);
}

namespace {

/// Sends one request on its own connection and reads with an error code instead of throwing:
/// whether any response arrived, and the read's error otherwise.
struct Attempt {
    bool answered = false;
    int status = 0;
    beast::error_code error;
};

Attempt try_post(const FakeLineServer& fake, const std::string& path, const std::string& body,
                 const std::vector<std::pair<std::string, std::string>>& headers) {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), fake.port()));
    http::request<http::string_body> req{http::verb::post, path, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + fake.access_token());
    req.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    stream.expires_after(5s);  // a fake that neither answers nor closes fails here, not by hanging
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    Attempt out;
    http::read(stream, buffer, parser, out.error);
    if (!out.error) {
        out.answered = true;
        out.status = static_cast<int>(parser.get().result_int());
    }
    return out;
}

std::string multicast_body(unsigned first, unsigned count) {
    std::string to;
    for (unsigned i = 0; i < count; ++i) to += (i ? ",\"" : "\"") + FakeLineServer::user_id(first + i) + "\"";
    return R"({"to":[)" + to + R"(],"messages":[)" + text_message("hi") + "]}";
}

}  // namespace

TEST_CASE("fake line server: drop_after_next accepts the request, then closes without an answer", "[line]") {
    FakeLineServer fake;
    const std::string key = kUuid;
    const std::string other_key = "123e4567-e89b-42d3-a456-426614174001";
    fake.drop_after_next(1, FakeLineServer::kMulticastPath);

    // a request on another path is not matched and answered as usual
    CHECK(post(fake, FakeLineServer::kPushPath, push_body("[" + text_message("hi") + "]"), {{"X-Line-Retry-Key", other_key}})
              .status == 200);

    const auto lost = try_post(fake, FakeLineServer::kMulticastPath, multicast_body(1, 3), {{"X-Line-Retry-Key", key}});
    CHECK_FALSE(lost.answered);
    CHECK(lost.error);  // end of stream (or a reset): the connection closed, no status line

    auto multicasts = fake.requests(FakeLineServer::kMulticastPath);
    REQUIRE(multicasts.size() == 1);
    CHECK(multicasts[0].status == 200);  // LINE took it
    CHECK(multicasts[0].dropped);
    CHECK(multicasts[0].header("x-line-retry-key") == key);
    CHECK(fake.accepted(FakeLineServer::kMulticastPath).size() == 1);
    CHECK(fake.wait_for_accepted(1, 1s, FakeLineServer::kMulticastPath));

    // the resend with the same key learns that it was accepted; the rule has run out
    const auto again = post(fake, FakeLineServer::kMulticastPath, multicast_body(1, 3), {{"X-Line-Retry-Key", key}});
    CHECK(again.status == 409);
    CHECK(again.headers.at("x-line-accepted-request-id") == multicasts[0].request_id);
    multicasts = fake.requests(FakeLineServer::kMulticastPath);
    REQUIRE(multicasts.size() == 2);
    CHECK_FALSE(multicasts[1].dropped);
    CHECK(multicasts[1].status == 409);
    CHECK(fake.accepted(FakeLineServer::kMulticastPath).size() == 1);
    CHECK(fake.requests(FakeLineServer::kPushPath).front().dropped == false);
}

TEST_CASE("fake line server: drop_after_next counts down, and a dropped failure accepts nothing", "[line]") {
    FakeLineServer fake;
    const std::string body = push_body("[" + text_message("hi") + "]");
    const std::string key_a = "123e4567-e89b-42d3-a456-42661417400a";
    const std::string key_b = "123e4567-e89b-42d3-a456-42661417400b";
    const std::string key_c = "123e4567-e89b-42d3-a456-42661417400c";
    fake.fail_next(1, 500, FakeLineServer::kPushPath);
    fake.drop_after_next(2);  // any path

    CHECK_FALSE(try_post(fake, FakeLineServer::kPushPath, body, {{"X-Line-Retry-Key", key_a}}).answered);  // 500, lost
    CHECK_FALSE(try_post(fake, FakeLineServer::kPushPath, body, {{"X-Line-Retry-Key", key_b}}).answered);  // 200, lost
    CHECK(post(fake, FakeLineServer::kPushPath, body, {{"X-Line-Retry-Key", key_c}}).status == 200);

    const auto reqs = fake.requests();
    REQUIRE(reqs.size() == 3);
    CHECK(reqs[0].status == 500);
    CHECK(reqs[0].dropped);
    CHECK(reqs[1].status == 200);
    CHECK(reqs[1].dropped);
    CHECK(reqs[2].status == 200);
    CHECK_FALSE(reqs[2].dropped);
    CHECK(fake.accepted().size() == 2);
    // the failed one took no effect: its key is still free; the dropped success's key is not
    CHECK(post(fake, FakeLineServer::kPushPath, body, {{"X-Line-Retry-Key", key_a}}).status == 200);
    CHECK(post(fake, FakeLineServer::kPushPath, body, {{"X-Line-Retry-Key", key_b}}).status == 409);
}

TEST_CASE("fake line server: with drop_after_next LINE's client sees no answer, then 409 on its retry", "[line]") {
    FakeLineServer fake;
    sapo::line::HttpClientOptions o;
    o.base_url = fake.base_url();
    o.access_token = fake.access_token();
    o.timeout = 5s;
    o.backoff_base = 1ms;
    o.backoff_max = 4ms;
    const std::vector<std::string> to{FakeLineServer::user_id(1), FakeLineServer::user_id(2)};
    const std::vector<std::string> messages{text_message("hi")};

    SECTION("one attempt: no response, status 0, yet LINE accepted it") {
        o.max_attempts = 1;
        sapo::line::HttpClient client(o);
        fake.drop_after_next(1, FakeLineServer::kMulticastPath);
        const auto results = client.multicast(to, messages, kUuid);
        REQUIRE(results.size() == 1);
        CHECK_FALSE(results[0].ok);
        CHECK(results[0].status == 0);
        CHECK_FALSE(results[0].error.empty());
        CHECK(fake.accepted(FakeLineServer::kMulticastPath).size() == 1);
        // the caller's later resend with the same key is told it went through
        const auto resend = client.multicast(to, messages, kUuid);
        REQUIRE(resend.size() == 1);
        CHECK(resend[0].ok);
        CHECK(resend[0].status == 409);
    }
    SECTION("with retries: the retry carries the same key and the 409 counts as sent") {
        o.max_attempts = 3;
        sapo::line::HttpClient client(o);
        fake.drop_after_next(1, FakeLineServer::kMulticastPath);
        const auto results = client.multicast(to, messages, kUuid);
        REQUIRE(results.size() == 1);
        CHECK(results[0].ok);
        CHECK(results[0].status == 409);
        const auto reqs = fake.requests(FakeLineServer::kMulticastPath);
        REQUIRE(reqs.size() == 2);
        CHECK(reqs[0].dropped);
        CHECK(reqs[0].status == 200);
        CHECK(reqs[1].status == 409);
        CHECK(reqs[0].header("x-line-retry-key") == kUuid);
        CHECK(reqs[1].header("x-line-retry-key") == kUuid);
        CHECK(fake.accepted(FakeLineServer::kMulticastPath).size() == 1);
    }
}
