// The conversation engine end to end: signed webhooks into a real `sapo serve`, a real
// PostgreSQL, and the fake LINE API checking every reply. Each event here is answered by a reply
// that uses that event's own replyToken (the tokens are registered on the fake one by one, so a
// reply with any other token, or a push, would be refused or noticed).
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <fstream>
#include <sstream>

#include "test/integration/line_replies.hpp"
#include "test/support/cli_runner.hpp"

using namespace sapo;
using namespace sapo::test;
using std::chrono::seconds;

namespace {

constexpr const char* kAdminToken = "conversation-admin-token";

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

const std::string kMenuText = "ご用件を下のボタンから選んでください。";
const std::string kLanguageQuestion = "sapo からのメッセージの言語を選んでください。\nChoose the language sapo writes in.";
const std::string kJapaneseDone = "これからは日本語でお送りします。「メニュー」と送るとメニューを表示します。";
const std::string kEnglishDone = "sapo will write to you in English from now on. Send \"menu\" to see the menu.";
const std::string kStale = "このボタンは前のメッセージのもので、いまは使えません。";

/// sapo with LINE credentials pointed at the fake and the admin API on, on a fresh database.
struct ConversationService {
    line::FakeLineServer line;
    TempDatabase db;
    SapoProcess sapo;
    int sent = 0;  ///< events posted, each with its own reply token

    ConversationService() : sapo({"serve"}, service_env(db.url(), line, {{"SAPO_ADMIN_TOKEN", kAdminToken}})) {
        sapo.start_serving();
    }

    /// Posts one event (signed) with a fresh reply token and returns the reply LINE accepted for
    /// exactly that token.
    Reply send(const std::string& event_json, const std::string& token) {
        ++sent;
        return exchange(line, sapo, event_json, token);
    }

    Reply follow(const std::string& user_id, const std::string& event_id, const std::string& token) {
        return send(follow_event(user_id, event_id, token, ts()), token);
    }
    Reply text(const std::string& user_id, const std::string& event_id, const std::string& token, const std::string& t) {
        return send(text_event(user_id, event_id, token, ts(), t), token);
    }
    Reply tap(const std::string& user_id, const std::string& event_id, const std::string& token, const std::string& data) {
        return send(postback_event(user_id, event_id, token, ts(), data), token);
    }

    /// "flow/version/node/waiting" of the user's session, "" when there is none.
    std::string session_of(const std::string& user_id) {
        return query_value(db.url(), "SELECT flow_id || '/' || flow_version || '/' || node || '/' || waiting FROM sessions "
                                     "WHERE user_id = '" + user_id + "'");
    }

    bool all_events_processed() {
        return query_value(db.url(), "SELECT count(*) FROM webhook_events WHERE status <> 'processed'") == "0" &&
               query_value(db.url(), "SELECT count(*) FROM webhook_events") == std::to_string(sent);
    }

    /// Every event was answered by one accepted reply with its own token, and nothing was pushed.
    void check_only_replies() {
        CHECK(wait_until([&] { return all_events_processed(); }, seconds(5)));
        CHECK(query_value(db.url(), "SELECT count(*) FROM webhook_events WHERE status = 'failed'") == "0");
        CHECK(line.requests(line::FakeLineServer::kPushPath).empty());
        auto replies = line.requests(line::FakeLineServer::kReplyPath);
        CHECK(replies.size() == static_cast<std::size_t>(sent));
        for (const auto& r : replies) CHECK(r.accepted());
        // the outbox row is marked sent just after LINE accepted the reply
        CHECK(wait_until([&] { return query_value(db.url(), "SELECT count(*) FROM outbox WHERE status <> 'sent'") == "0"; },
                         seconds(5)));
    }

    HttpResult admin(const std::string& method, const std::string& target, const std::string& body = "") {
        return http_request(sapo.port(), method, target, body,
                            {{"Authorization", std::string("Bearer ") + kAdminToken}, {"X-Operator", "e2e"}});
    }

private:
    long long ts() { return 1700000000000LL + 1000LL * sent; }
};

void check_main_menu(const Message& m) {
    CHECK(m.text.rfind(kMenuText, 0) == 0);
    REQUIRE(m.buttons.size() == 5);
    const std::vector<std::pair<std::string, std::string>> expected{
        {"チェックイン", "checkin"},
        {"体調の相談", "personal_support"},
        {"健康観察", "health_report"},
        {"よくある質問", "faq"},
        {"Language / 言語", "language"},
    };
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("button " << i);
        CHECK(m.buttons[i].type == "postback");
        CHECK(m.buttons[i].label == expected[i].first);
        CHECK(m.buttons[i].display_text == expected[i].first);
        CHECK(m.buttons[i].data == "f=main_menu&v=1&n=menu&c=" + expected[i].second);
    }
}

void check_language_question(const Message& m, int version) {
    CHECK(m.text == kLanguageQuestion);
    REQUIRE(m.buttons.size() == 2);
    const auto prefix = "f=language&v=" + std::to_string(version) + "&n=ask_language&c=";
    CHECK(m.buttons[0].type == "postback");
    CHECK(m.buttons[0].label == "日本語");
    CHECK(m.buttons[0].data == prefix + "ja");
    CHECK(m.buttons[1].type == "postback");
    CHECK(m.buttons[1].label == "English");
    CHECK(m.buttons[1].data == prefix + "en");
}

}  // namespace

TEST_CASE_METHOD(ConversationService, "conversation: follow replies with the greeting and the main menu as postback buttons",
                 "[pg][net][e2e][conversation]") {
    INFO(sapo.log());
    const auto u = user(401);
    line.add_profile({u, "Hanako", "ja", ""});

    auto reply = follow(u, "01CONVFOLLOW", "rt-conv-follow");
    REQUIRE(reply.messages.size() == 2);
    CHECK(reply.messages[0].type == "text");
    CHECK(reply.messages[0].text.rfind("友だち追加ありがとうございます。", 0) == 0);
    CHECK(reply.messages[0].buttons.empty());
    CHECK(reply.messages[1].type == "text");
    check_main_menu(reply.messages[1]);

    CHECK(wait_until([&] { return session_of(u) == "main_menu/1/menu/input"; }, seconds(5)));
    CHECK(query_value(db.url(), "SELECT count(*) FROM sessions") == "1");
    CHECK(query_value(db.url(), "SELECT follow_state || ':' || language FROM users WHERE user_id = '" + u + "'") == "followed:ja");
    check_only_replies();
}

TEST_CASE_METHOD(ConversationService, "conversation: a menu button opens the language flow, English is saved and confirmed",
                 "[pg][net][e2e][conversation]") {
    INFO(sapo.log());
    const auto u = user(402);
    line.add_profile({u, "Taro", "ja", ""});
    auto welcome = follow(u, "01CONVMENU0", "rt-conv-menu-0");
    REQUIRE(welcome.messages.size() == 2);
    REQUIRE(welcome.messages[1].buttons.size() == 5);
    const auto language_button = welcome.messages[1].buttons[4].data;
    REQUIRE(language_button == "f=main_menu&v=1&n=menu&c=language");

    // tapping "Language / 言語" on the menu
    auto question = tap(u, "01CONVMENU1", "rt-conv-menu-1", language_button);
    REQUIRE(question.messages.size() == 1);
    check_language_question(question.messages[0], 1);
    CHECK(wait_until([&] { return session_of(u) == "language/1/ask_language/input"; }, seconds(5)));
    CHECK(query_value(db.url(), "SELECT coalesce(language, '') FROM users WHERE user_id = '" + u + "'") != "en");

    // tapping "English"
    auto done = tap(u, "01CONVMENU2", "rt-conv-menu-2", question.messages[0].buttons[1].data);
    REQUIRE(done.messages.size() == 1);
    CHECK(done.messages[0].text == kEnglishDone);
    CHECK(done.messages[0].buttons.empty());
    CHECK(wait_until([&] { return query_value(db.url(), "SELECT language FROM users WHERE user_id = '" + u + "'") == "en"; }, seconds(5)));
    CHECK(wait_until([&] { return query_value(db.url(), "SELECT count(*) FROM sessions") == "0"; }, seconds(5)));

    SECTION("from now on sapo speaks English: the menu has English labels") {
        auto menu = text(u, "01CONVMENU3", "rt-conv-menu-3", "menu");
        REQUIRE(menu.messages.size() == 1);
        CHECK(menu.messages[0].text.rfind("Please choose what you need below.", 0) == 0);
        REQUIRE(menu.messages[0].buttons.size() == 5);
        CHECK(menu.messages[0].buttons[0].label == "Check in");
        CHECK(menu.messages[0].buttons[0].data == "f=main_menu&v=1&n=menu&c=checkin");
        CHECK(menu.messages[0].buttons[3].label == "FAQ");
        CHECK(session_of(u) == "main_menu/1/menu/input");
    }
    check_only_replies();
}

TEST_CASE_METHOD(ConversationService, "conversation: a cancel word mid-flow says so and returns to the menu",
                 "[pg][net][e2e][conversation]") {
    INFO(sapo.log());
    const auto u = user(403);
    line.add_profile({u, "Jiro", "ja", ""});

    auto question = text(u, "01CONVCANCEL1", "rt-conv-cancel-1", "言語");
    REQUIRE(question.messages.size() == 1);
    check_language_question(question.messages[0], 1);
    CHECK(wait_until([&] { return session_of(u) == "language/1/ask_language/input"; }, seconds(5)));

    auto cancelled = text(u, "01CONVCANCEL2", "rt-conv-cancel-2", "やめる");
    REQUIRE(cancelled.messages.size() == 2);
    CHECK(cancelled.messages[0].text == "中止しました。");
    CHECK(cancelled.messages[0].buttons.empty());
    check_main_menu(cancelled.messages[1]);
    CHECK(wait_until([&] { return session_of(u) == "main_menu/1/menu/input"; }, seconds(5)));
    // nothing of the language flow was applied
    CHECK(query_value(db.url(), "SELECT coalesce(language, '') FROM users WHERE user_id = '" + u + "'") != "en");

    SECTION("the old language buttons are stale now; the menu question is asked again") {
        auto stale = tap(u, "01CONVCANCEL3", "rt-conv-cancel-3", question.messages[0].buttons[1].data);
        REQUIRE(stale.messages.size() == 2);
        CHECK(stale.messages[0].text.find(kStale) == 0);
        CHECK(stale.messages[0].text.find("いまの質問にお答えください") != std::string::npos);
        check_main_menu(stale.messages[1]);
        CHECK(session_of(u) == "main_menu/1/menu/input");
        CHECK(query_value(db.url(), "SELECT coalesce(language, '') FROM users WHERE user_id = '" + u + "'") != "en");
    }
    check_only_replies();
}

TEST_CASE_METHOD(ConversationService, "conversation: publishing a new version does not disturb a conversation under way",
                 "[pg][net][e2e][conversation]") {
    INFO(sapo.log());
    const auto u = user(404);
    line.add_profile({u, "Saburo", "ja", ""});

    auto question = text(u, "01CONVPUB1", "rt-conv-pub-1", "言語");
    REQUIRE(question.messages.size() == 1);
    check_language_question(question.messages[0], 1);
    CHECK(wait_until([&] { return session_of(u) == "language/1/ask_language/input"; }, seconds(5)));

    // an operator changes the end text and publishes version 2 meanwhile
    const std::string v2_text = "（第2版）日本語に切り替えました。";
    auto v2 = replaced(read_source_file("flows/definitions/language.json"), kJapaneseDone, v2_text);
    auto put = admin("PUT", "/admin/api/flows/language/draft", v2);
    REQUIRE(put.status == 200);
    CHECK(put.body.find("\"version\":2") != std::string::npos);
    CHECK(put.body.find("\"valid\":true") != std::string::npos);
    auto published = admin("POST", "/admin/api/flows/language/publish");
    REQUIRE(published.status == 200);
    CHECK(published.body == R"({"id":"language","version":2,"status":"published"})");

    // the conversation that started on version 1 ends on version 1
    auto done = tap(u, "01CONVPUB2", "rt-conv-pub-2", "f=language&v=1&n=ask_language&c=ja");
    REQUIRE(done.messages.size() == 1);
    CHECK(done.messages[0].text == kJapaneseDone);
    CHECK(done.all_text().find(v2_text) == std::string::npos);
    CHECK(wait_until([&] { return session_of(u).empty(); }, seconds(5)));

    // a new conversation gets version 2
    auto again = text(u, "01CONVPUB3", "rt-conv-pub-3", "言語");
    REQUIRE(again.messages.size() == 1);
    check_language_question(again.messages[0], 2);
    CHECK(wait_until([&] { return session_of(u) == "language/2/ask_language/input"; }, seconds(5)));
    auto done2 = tap(u, "01CONVPUB4", "rt-conv-pub-4", again.messages[0].buttons[0].data);
    REQUIRE(done2.messages.size() == 1);
    CHECK(done2.messages[0].text == v2_text);
    CHECK(wait_until([&] { return session_of(u).empty(); }, seconds(5)));

    CHECK(query_value(db.url(), "SELECT string_agg(version || ':' || status, ',' ORDER BY version) FROM flow_versions "
                                "WHERE flow_id = 'language'") == "1:published,2:published");
    check_only_replies();
}

TEST_CASE_METHOD(ConversationService, "conversation: a stale button is answered politely and changes nothing",
                 "[pg][net][e2e][conversation]") {
    INFO(sapo.log());
    const auto u = user(405);
    line.add_profile({u, "Shiro", "ja", ""});
    const std::string old_english_button = "f=language&v=1&n=ask_language&c=en";

    SECTION("no conversation under way: the apology, then the menu") {
        auto r = tap(u, "01CONVSTALE1", "rt-conv-stale-1", old_english_button);
        REQUIRE(r.messages.size() == 2);
        CHECK(r.messages[0].text == kStale);
        CHECK(r.messages[0].buttons.empty());
        check_main_menu(r.messages[1]);
        CHECK(wait_until([&] { return session_of(u) == "main_menu/1/menu/input"; }, seconds(5)));
    }
    SECTION("another conversation under way: the apology, then its question again") {
        auto welcome = follow(u, "01CONVSTALE2", "rt-conv-stale-2");
        REQUIRE(welcome.messages.size() == 2);
        CHECK(wait_until([&] { return session_of(u) == "main_menu/1/menu/input"; }, seconds(5)));
        auto r = tap(u, "01CONVSTALE3", "rt-conv-stale-3", old_english_button);
        REQUIRE(r.messages.size() == 2);
        CHECK(r.messages[0].text ==
              "このボタンは前のメッセージのもので、いまは使えません。いまの質問にお答えください。");
        check_main_menu(r.messages[1]);
        CHECK(session_of(u) == "main_menu/1/menu/input");
    }
    SECTION("a button of a version that is not the session's is stale too") {
        auto question = text(u, "01CONVSTALE4", "rt-conv-stale-4", "言語");
        check_language_question(question.messages[0], 1);
        auto r = tap(u, "01CONVSTALE5", "rt-conv-stale-5", "f=language&v=7&n=ask_language&c=en");
        REQUIRE(r.messages.size() == 2);
        CHECK(r.messages[0].text.find(kStale) == 0);
        check_language_question(r.messages[1], 1);
        CHECK(session_of(u) == "language/1/ask_language/input");
    }
    SECTION("data that is not sapo's at all") {
        auto r = tap(u, "01CONVSTALE6", "rt-conv-stale-6", "action=buy&itemid=123");
        REQUIRE(r.messages.size() == 2);
        CHECK(r.messages[0].text == kStale);
        check_main_menu(r.messages[1]);
    }
    // the old "English" was never applied
    CHECK(query_value(db.url(), "SELECT coalesce(language, '') FROM users WHERE user_id = '" + u + "'") != "en");
    check_only_replies();
    CHECK(query_value(db.url(), "SELECT string_agg(DISTINCT status, ',') FROM webhook_events") == "processed");
}
