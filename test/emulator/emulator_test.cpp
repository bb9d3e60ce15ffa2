// emulator.hpp uses std::shared_ptr without including <memory>.
#include <memory>

#include "bot/emulator/emulator.hpp"

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>
#include <catch2/catch.hpp>

#include "bot/line/http_client.hpp"
#include "bot/line/message_rules.hpp"
#include "bot/metrics.hpp"

using namespace std::chrono_literals;
using sapo::emulator::Emulator;
using sapo::emulator::EmulatorOptions;

namespace {

/// A clock that only moves when the test says so.
class TestClock final : public sapo::Clock {
public:
    time_point now() const override { return time_point(std::chrono::milliseconds(ms_.load())); }
    void advance(std::chrono::milliseconds by) { ms_ += by.count(); }

private:
    std::atomic<std::int64_t> ms_{1'700'000'000'000};
};

std::string text(const std::string& t) { return R"({"type":"text","text":")" + t + "\"}"; }

std::vector<std::string> texts(std::initializer_list<const char*> ts) {
    std::vector<std::string> out;
    for (const char* t : ts) out.push_back(text(t));
    return out;
}

rapidjson::Document parse(const std::string& body) {
    rapidjson::Document d;
    d.Parse(body.c_str());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsObject());
    return d;
}

std::string message_of(const sapo::line::Result& r) {
    auto d = parse(r.body);
    REQUIRE(d.HasMember("message"));
    return d["message"].GetString();
}

std::vector<std::string> properties(const sapo::line::Result& r) {
    auto d = parse(r.body);
    std::vector<std::string> out;
    if (!d.HasMember("details")) return out;
    for (const auto& detail : d["details"].GetArray()) {
        CHECK(detail.HasMember("message"));
        out.emplace_back(detail["property"].GetString());
    }
    return out;
}

std::uint64_t requests_counted(const std::string& endpoint, int status) {
    return sapo::metrics::global()
        .counter(
            "sapo_line_requests_total",
            "LINE API calls by endpoint and status",
            {{"endpoint", endpoint}, {"status", std::to_string(status)}}
        )
        .value();
}

const std::string kKey = "123e4567-e89b-42d3-a456-426614174000";

struct Fixture {
    TestClock clock;
    Emulator emu;
    sapo::emulator::TestUser hanako;

    explicit Fixture(EmulatorOptions options = {}) : emu(clock, options) {
        hanako = emu.create_user("Hanako", "ja");
        emu.set_followed(hanako.user_id, true);
    }

    std::vector<sapo::emulator::ChatMessage> bot_messages(const std::string& user_id) const {
        std::vector<sapo::emulator::ChatMessage> out;
        for (auto& m : emu.messages(user_id)) {
            if (m.from == "bot") out.push_back(m);
        }
        return out;
    }
};

std::string repeat(const std::string& s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}

std::string quick(const std::string& action, std::size_t n = 1) {
    std::string items;
    for (std::size_t i = 0; i < n; ++i) items += (i ? "," : "") + std::string(R"({"type":"action","action":)") + action + "}";
    return R"({"type":"text","text":"pick","quickReply":{"items":[)" + items + "]}}";
}

std::string buttons(const std::string& extra, const std::string& t, std::size_t actions) {
    std::string a;
    for (std::size_t i = 0; i < actions; ++i) a += (i ? "," : "") + std::string(R"({"type":"message","label":"ok","text":"ok"})");
    return R"({"type":"template","altText":"alt","template":{"type":"buttons",)" + extra + R"("text":")" + t +
           R"(","actions":[)" + a + "]}}";
}

std::string confirm(const std::string& t, std::size_t actions) {
    std::string a;
    for (std::size_t i = 0; i < actions; ++i) a += (i ? "," : "") + std::string(R"({"type":"message","label":"y","text":"y"})");
    return R"({"type":"template","altText":"alt","template":{"type":"confirm","text":")" + t + R"(","actions":[)" + a + "]}}";
}

}  // namespace

TEST_CASE("emulator: test users", "[emulator]") {
    TestClock clock;
    Emulator emu(clock, EmulatorOptions{.max_messages_per_user = 500, .max_users = 3});

    const auto a = emu.create_user("Hanako", "ja");
    const auto b = emu.create_user("Alice", "en");
    CHECK(sapo::line::is_user_id(a.user_id));
    CHECK(a.user_id != b.user_id);
    CHECK(a.display_name == "Hanako");
    CHECK(a.language == "ja");
    CHECK_FALSE(a.followed);  // the page sends the follow event

    CHECK_THROWS_AS(emu.create_user("", "ja"), std::invalid_argument);
    CHECK_THROWS_AS(emu.create_user("Bob", "fr"), std::invalid_argument);
    CHECK_THROWS_AS(emu.create_user("Bob", ""), std::invalid_argument);
    emu.create_user("Carol", "en");
    CHECK_THROWS_AS(emu.create_user("Dave", "en"), std::length_error);

    const auto all = emu.users();
    REQUIRE(all.size() == 3);
    CHECK(all[0].user_id == a.user_id);  // creation order
    CHECK(all[1].user_id == b.user_id);
    CHECK(all[2].display_name == "Carol");

    emu.set_followed(a.user_id, true);
    REQUIRE(emu.user(a.user_id));
    CHECK(emu.user(a.user_id)->followed);
    CHECK_FALSE(emu.user("U" + std::string(32, '0')));
    CHECK_THROWS_AS(emu.set_followed("U" + std::string(32, '0'), true), std::invalid_argument);
    CHECK_THROWS_AS(emu.issue_reply_token("nobody"), std::invalid_argument);
    CHECK_THROWS_AS(emu.record_user_message("nobody", "text", "{}"), std::invalid_argument);
    CHECK(emu.messages("nobody").empty());
}

TEST_CASE("emulator: reply", "[emulator]") {
    Fixture f;
    const auto before = requests_counted("reply", 200);
    const auto token = f.emu.issue_reply_token(f.hanako.user_id);
    CHECK(token.size() == 32);

    const auto r = f.emu.reply(token, texts({"one", "two"}));
    CHECK(r.ok);
    CHECK(r.status == 200);
    CHECK(sapo::line::is_uuid(r.request_id));
    CHECK(r.attempts == 1);
    auto body = parse(r.body);
    REQUIRE(body["sentMessages"].Size() == 2);
    CHECK(body["sentMessages"][0]["id"].IsString());
    CHECK(body["sentMessages"][0]["quoteToken"].IsString());
    CHECK(requests_counted("reply", 200) == before + 1);

    const auto stored = f.bot_messages(f.hanako.user_id);
    REQUIRE(stored.size() == 2);
    CHECK(stored[0].via == "reply");
    CHECK(stored[0].json == text("one"));
    CHECK(stored[1].json == text("two"));
    CHECK(stored[0].user_id == f.hanako.user_id);
    CHECK(stored[0].at_ms == f.clock.now_ms());
    CHECK(stored[0].seq < stored[1].seq);

    SECTION("a used token is refused") {
        const auto again = f.emu.reply(token, texts({"three"}));
        CHECK_FALSE(again.ok);
        CHECK(again.status == 400);
        CHECK(again.body == R"({"message":"Invalid reply token"})");
        CHECK(sapo::line::reply_token_rejected(again));
        CHECK(f.bot_messages(f.hanako.user_id).size() == 2);
    }
    SECTION("an unknown token is refused") {
        const auto unknown = f.emu.reply("0123456789abcdef0123456789abcdef", texts({"x"}));
        CHECK(unknown.status == 400);
        CHECK(message_of(unknown) == "Invalid reply token");
        CHECK(f.emu.reply("", texts({"x"})).status == 400);
    }
    SECTION("a token expires after reply_token_ttl by the injected clock") {
        const auto fresh = f.emu.issue_reply_token(f.hanako.user_id);
        const auto late = f.emu.issue_reply_token(f.hanako.user_id);
        f.clock.advance(59999ms);
        CHECK(f.emu.reply(fresh, texts({"in time"})).ok);
        f.clock.advance(1ms);
        const auto expired = f.emu.reply(late, texts({"too late"}));
        CHECK(expired.status == 400);
        CHECK(message_of(expired) == "Invalid reply token");
        // Issuing more tokens sweeps expired ones; the old one stays refused.
        f.clock.advance(1h);
        f.emu.issue_reply_token(f.hanako.user_id);
        CHECK(f.emu.reply(late, texts({"later"})).status == 400);
        CHECK(f.bot_messages(f.hanako.user_id).size() == 3);
    }
    SECTION("an invalid body is refused before the token, and does not use it up") {
        const auto fresh = f.emu.issue_reply_token(f.hanako.user_id);
        const auto bad = f.emu.reply(fresh, {});
        CHECK(bad.status == 400);
        CHECK(properties(bad) == std::vector<std::string>{"messages"});
        CHECK(f.emu.reply(fresh, texts({"now ok"})).ok);
    }
}

TEST_CASE("emulator: each LINE limit answers LINE's status and error body", "[emulator]") {
    struct Case {
        const char* what;
        std::vector<std::string> messages;
        std::string property;
    };
    const std::string ok = text("ok");
    const std::vector<Case> cases = {
        {"no messages", {}, "messages"},
        {"six messages", std::vector<std::string>(6, ok), "messages"},
        {"unknown type", {R"({"type":"hologram"})"}, "messages[0].type"},
        {"empty text", {text("")}, "messages[0].text"},
        {"text 5001 units", {text(std::string(5001, 'a'))}, "messages[0].text"},
        {"text 2500 emoji + 1", {text(repeat("\xF0\x9F\x98\x80", 2500) + "a")}, "messages[0].text"},
        {"second message too long", {ok, text(std::string(5001, 'a'))}, "messages[1].text"},
        {"14 quick reply items",
         {quick(R"({"type":"message","label":"a","text":"a"})", 14)},
         "messages[0].quickReply.items"},
        {"label 21", {quick(R"({"type":"message","label":")" + std::string(21, 'l') + R"(","text":"a"})")},
         "messages[0].quickReply.items[0].action.label"},
        {"postback data 301", {quick(R"({"type":"postback","label":"a","data":")" + std::string(301, 'd') + "\"}")},
         "messages[0].quickReply.items[0].action.data"},
        {"displayText 301",
         {quick(R"({"type":"postback","label":"a","data":"d","displayText":")" + std::string(301, 't') + "\"}")},
         "messages[0].quickReply.items[0].action.displayText"},
        {"message action text 301", {quick(R"({"type":"message","label":"a","text":")" + std::string(301, 't') + "\"}")},
         "messages[0].quickReply.items[0].action.text"},
        {"uri 1001", {quick(R"({"type":"uri","label":"a","uri":")" + std::string(1001, 'u') + "\"}")},
         "messages[0].quickReply.items[0].action.uri"},
        {"template altText 401",
         {R"({"type":"template","altText":")" + std::string(401, 'a') +
          R"(","template":{"type":"confirm","text":"t","actions":[{"type":"message","label":"y","text":"y"},{"type":"message","label":"n","text":"n"}]}})"},
         "messages[0].altText"},
        {"buttons 5 actions", {buttons("", "t", 5)}, "messages[0].template.actions"},
        {"buttons text 161", {buttons("", std::string(161, 't'), 1)}, "messages[0].template.text"},
        {"buttons text 61 with title", {buttons(R"("title":"T",)", std::string(61, 't'), 1)}, "messages[0].template.text"},
        {"buttons title 41", {buttons(R"("title":")" + std::string(41, 'T') + "\",", "t", 1)}, "messages[0].template.title"},
        {"confirm 3 actions", {confirm("t", 3)}, "messages[0].template.actions"},
        {"confirm 1 action", {confirm("t", 1)}, "messages[0].template.actions"},
        {"confirm text 241", {confirm(std::string(241, 't'), 2)}, "messages[0].template.text"},
        {"flex altText 401",
         {R"({"type":"flex","altText":")" + std::string(401, 'a') + R"(","contents":{"type":"bubble"}})"},
         "messages[0].altText"},
        {"flex without contents", {R"({"type":"flex","altText":"a"})"}, "messages[0].contents"},
    };
    Fixture f;
    for (const auto& c : cases) {
        INFO(c.what);
        const auto pushed = f.emu.push(f.hanako.user_id, c.messages);
        CHECK_FALSE(pushed.ok);
        CHECK(pushed.status == 400);
        CHECK(message_of(pushed) == "The request body has 1 error(s)");
        CHECK(properties(pushed) == std::vector<std::string>{c.property});
        CHECK_FALSE(pushed.error.empty());

        const auto token = f.emu.issue_reply_token(f.hanako.user_id);
        const auto replied = f.emu.reply(token, c.messages);
        CHECK(replied.status == 400);
        CHECK(properties(replied) == std::vector<std::string>{c.property});
        CHECK_FALSE(sapo::line::reply_token_rejected(replied));  // the body, not the token, was wrong
    }
    CHECK(f.bot_messages(f.hanako.user_id).empty());

    SECTION("a message that is not JSON") {
        const auto r = f.emu.push(f.hanako.user_id, {"{\"type\":"});
        CHECK(r.status == 400);
        CHECK(message_of(r) == "The request body could not be parsed as JSON");
        CHECK(f.emu.push(f.hanako.user_id, {text("\xff")}).status == 400);  // not UTF-8
    }
    SECTION("at the limits everything is accepted") {
        const std::vector<std::string> at = {
            text(std::string(5000, 'a')),
            quick(R"({"type":"postback","label":")" + std::string(20, 'l') + R"(","data":")" + std::string(300, 'd') +
                  R"(","displayText":")" + std::string(300, 't') + "\"}", 13),
            buttons(R"("title":")" + std::string(40, 'T') + "\",", std::string(60, 't'), 4),
            confirm(std::string(240, 'c'), 2),
            R"({"type":"flex","altText":")" + std::string(400, 'a') + R"(","contents":{"type":"bubble"}})",
        };
        CHECK(f.emu.push(f.hanako.user_id, at).ok);
        CHECK(f.bot_messages(f.hanako.user_id).size() == 5);
    }
}

TEST_CASE("emulator: push and retry keys", "[emulator]") {
    Fixture f;

    SECTION("a reused retry key answers 409 and is stored once") {
        const auto before = requests_counted("push", 409);
        const auto first = f.emu.push(f.hanako.user_id, texts({"hi"}), kKey);
        const auto again = f.emu.push(f.hanako.user_id, texts({"hi"}), kKey);
        CHECK(first.ok);
        CHECK(first.status == 200);
        CHECK(parse(first.body)["sentMessages"].Size() == 1);
        CHECK(again.ok);  // as HttpClient treats 409: it went through earlier
        CHECK(again.status == 409);
        CHECK(message_of(again) == "The retry key is already accepted");
        CHECK(parse(again.body)["sentMessages"].Size() == 1);
        CHECK(again.request_id != first.request_id);
        CHECK(requests_counted("push", 409) == before + 1);
        // Upper case is the same key.
        std::string upper = kKey;
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        CHECK(f.emu.push(f.hanako.user_id, texts({"hi"}), upper).status == 409);
        const auto stored = f.bot_messages(f.hanako.user_id);
        REQUIRE(stored.size() == 1);
        CHECK(stored[0].via == "push");

        // After 24 h LINE forgets the key.
        f.clock.advance(24h);
        CHECK(f.emu.push(f.hanako.user_id, texts({"hi"}), kKey).status == 200);
        CHECK(f.bot_messages(f.hanako.user_id).size() == 2);
    }
    SECTION("a key of a refused push may be used again") {
        CHECK(f.emu.push(f.hanako.user_id, {}, kKey).status == 400);
        CHECK(f.emu.push(f.hanako.user_id, texts({"hi"}), kKey).status == 200);
    }
    SECTION("a retry key must be a UUID") {
        const auto r = f.emu.push(f.hanako.user_id, texts({"hi"}), "abc");
        CHECK(r.status == 400);
        CHECK_FALSE(r.ok);
        CHECK(f.bot_messages(f.hanako.user_id).empty());
    }
    SECTION("an empty key means none: each push is sent") {
        CHECK(f.emu.push(f.hanako.user_id, texts({"a"})).status == 200);
        CHECK(f.emu.push(f.hanako.user_id, texts({"a"}), "").status == 200);
        CHECK(f.bot_messages(f.hanako.user_id).size() == 2);
    }
    SECTION("push to an unknown or malformed user id") {
        const auto unknown = f.emu.push("U" + std::string(32, '0'), texts({"hi"}));
        CHECK(unknown.status == 400);
        CHECK(message_of(unknown) == "The property, 'to', in the request body is invalid");
        CHECK(properties(unknown).empty());
        CHECK(f.emu.push("nobody", texts({"hi"})).status == 400);
        CHECK(f.emu.push("C" + std::string(32, 'a'), texts({"hi"})).status == 400);
    }
    SECTION("push to a user who blocked the bot: 200, but nothing arrives") {
        f.emu.set_followed(f.hanako.user_id, false);
        const auto r = f.emu.push(f.hanako.user_id, texts({"hi"}));
        CHECK(r.ok);
        CHECK(r.status == 200);
        CHECK(f.bot_messages(f.hanako.user_id).empty());
    }
}

TEST_CASE("emulator: multicast", "[emulator]") {
    TestClock clock;
    Emulator emu(clock, EmulatorOptions{.max_messages_per_user = 10, .max_users = 1300});
    std::vector<std::string> to;
    for (int i = 0; i < 1200; ++i) {
        const auto u = emu.create_user("user" + std::to_string(i), i % 2 ? "en" : "ja");
        if (i % 100 != 7) emu.set_followed(u.user_id, true);  // a few blocked the bot
        to.push_back(u.user_id);
    }
    const auto before = requests_counted("multicast", 200);

    const auto results = emu.multicast(to, texts({"news", "more"}));
    REQUIRE(results.size() == 3);
    for (const auto& r : results) {
        CHECK(r.ok);
        CHECK(r.status == 200);
        CHECK(r.body == "{}");
    }
    CHECK(requests_counted("multicast", 200) == before + 3);
    for (int i = 0; i < 1200; ++i) {
        const auto ms = emu.messages(to[static_cast<std::size_t>(i)]);
        if (i % 100 == 7) {
            CHECK(ms.empty());
        } else {
            REQUIRE(ms.size() == 2);
            CHECK(ms[0].via == "multicast");
            CHECK(ms[1].json == text("more"));
        }
    }

    SECTION("an unknown recipient fails its chunk only") {
        auto bad = to;
        bad[700] = "U" + std::string(32, 'f');
        const auto rs = emu.multicast(bad, texts({"again"}));
        REQUIRE(rs.size() == 3);
        CHECK(rs[0].ok);
        CHECK(rs[1].status == 400);
        CHECK(properties(rs[1]) == std::vector<std::string>{"to[200]"});
        CHECK(rs[2].ok);
        CHECK(emu.messages(to[0]).size() == 3);
        CHECK(emu.messages(to[701]).size() == 2);
    }
    SECTION("invalid messages fail every chunk") {
        const auto rs = emu.multicast(to, {});
        REQUIRE(rs.size() == 3);
        for (const auto& r : rs) CHECK(properties(r) == std::vector<std::string>{"messages"});
    }
    SECTION("no recipients") {
        const auto rs = emu.multicast({}, texts({"x"}));
        REQUIRE(rs.size() == 1);
        CHECK(rs[0].status == 400);
        CHECK(properties(rs[0]) == std::vector<std::string>{"to"});
    }
    SECTION("exactly 500 is one call") {
        CHECK(emu.multicast(std::vector<std::string>(to.begin(), to.begin() + 500), texts({"x"})).size() == 1);
        CHECK(emu.multicast(std::vector<std::string>(to.begin(), to.begin() + 501), texts({"x"})).size() == 2);
    }
}

TEST_CASE("emulator: profile and loading animation", "[emulator]") {
    Fixture f;
    const auto p = f.emu.get_profile(f.hanako.user_id);
    REQUIRE(p);
    CHECK(p->user_id == f.hanako.user_id);
    CHECK(p->display_name == "Hanako");
    CHECK(p->language == "ja");
    CHECK_FALSE(f.emu.get_profile("U" + std::string(32, '1')));

    const auto before = requests_counted("loading", 202);
    const auto ok = f.emu.show_loading(f.hanako.user_id, 5);
    CHECK(ok.ok);
    CHECK(ok.status == 202);
    CHECK(f.emu.show_loading(f.hanako.user_id, 60).status == 202);
    CHECK(requests_counted("loading", 202) == before + 2);
    for (int s : {0, 7, 65}) {
        const auto bad = f.emu.show_loading(f.hanako.user_id, s);
        CHECK(bad.status == 400);
        CHECK(properties(bad) == std::vector<std::string>{"loadingSeconds"});
    }
    CHECK(properties(f.emu.show_loading("U" + std::string(32, '1'), 5)) == std::vector<std::string>{"chatId"});
}

TEST_CASE("emulator: conversations are bounded and polled by seq", "[emulator]") {
    Fixture f(EmulatorOptions{.max_messages_per_user = 3});
    const auto other = f.emu.create_user("Alice", "en");
    f.emu.set_followed(other.user_id, true);

    f.emu.record_user_message(f.hanako.user_id, "text", R"({"text":"1"})");
    f.emu.push(other.user_id, texts({"for alice"}));
    f.emu.push(f.hanako.user_id, texts({"2"}));
    f.emu.record_user_message(f.hanako.user_id, "postback", R"({"data":"3"})");
    f.emu.push(f.hanako.user_id, texts({"4", "5"}));

    const auto all = f.emu.messages(f.hanako.user_id);
    REQUIRE(all.size() == 3);  // "1" and "2" were dropped
    CHECK(all[0].from == "user");
    CHECK(all[0].via == "postback");
    CHECK(all[0].json == R"({"data":"3"})");
    CHECK(all[1].json == text("4"));
    CHECK(all[2].json == text("5"));
    CHECK(all[0].seq < all[1].seq);
    CHECK(all[1].seq < all[2].seq);

    const auto alice = f.emu.messages(other.user_id);
    REQUIRE(alice.size() == 1);
    CHECK(alice[0].seq > 1);  // seq runs across users

    const auto newer = f.emu.messages(f.hanako.user_id, all[0].seq);
    REQUIRE(newer.size() == 2);
    CHECK(newer[0].seq == all[1].seq);
    CHECK(newer[1].seq == all[2].seq);
    CHECK(f.emu.messages(f.hanako.user_id, all[2].seq).empty());
    CHECK(f.emu.messages(f.hanako.user_id, 0).size() == 3);
}

TEST_CASE("emulator: concurrent replies and pushes stay consistent", "[emulator]") {
    TestClock clock;
    Emulator emu(clock);
    constexpr int kThreads = 8;
    constexpr int kRounds = 40;
    std::vector<std::string> ids;
    for (int i = 0; i < kThreads; ++i) {
        ids.push_back(emu.create_user("u" + std::to_string(i), "en").user_id);
        emu.set_followed(ids.back(), true);
    }
    const std::string shared_user = ids[0];
    std::atomic<int> replies_ok{0};
    std::atomic<int> pushes_ok{0};
    std::atomic<int> conflicts{0};
    std::atomic<int> failures{0};

    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const std::string& me = ids[static_cast<std::size_t>(t)];
            for (int i = 0; i < kRounds; ++i) {
                const auto token = emu.issue_reply_token(me);
                if (emu.reply(token, texts({"r"})).ok) ++replies_ok;
                if (emu.reply(token, texts({"r"})).status != 400) ++failures;  // single use under races too
                if (emu.push(me, texts({"p"}), sapo::line::make_retry_key()).ok) ++pushes_ok;
                // Every thread pushes to the shared user with one key per round: once each.
                char key[40];
                std::snprintf(key, sizeof key, "00000000-0000-4000-8000-%012d", i);
                const auto r = emu.push(shared_user, texts({"shared"}), key);
                if (r.status == 409) ++conflicts;
                if (!r.ok) ++failures;
                emu.messages(me);
                emu.users();
            }
        });
    }
    for (auto& th : threads) th.join();

    CHECK(failures.load() == 0);
    CHECK(replies_ok.load() == kThreads * kRounds);
    CHECK(pushes_ok.load() == kThreads * kRounds);
    CHECK(conflicts.load() == (kThreads - 1) * kRounds);
    std::set<std::uint64_t> seqs;
    for (std::size_t t = 0; t < ids.size(); ++t) {
        const auto ms = emu.messages(ids[t]);
        const std::size_t expected = 2 * kRounds + (t == 0 ? kRounds : 0);
        CHECK(ms.size() == expected);
        for (std::size_t i = 1; i < ms.size(); ++i) CHECK(ms[i - 1].seq < ms[i].seq);
        for (const auto& m : ms) seqs.insert(m.seq);
    }
    CHECK(seqs.size() == 2 * kThreads * kRounds + kRounds);  // no seq handed out twice
}
