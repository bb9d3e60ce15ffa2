#include "flows/conversation.hpp"

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "flow_test_support.hpp"
#include "flows/normalize.hpp"

using namespace flowtest;

namespace {

const char* kMenuText = "ご用件を下のボタンから選んでください。\n（「メニュー」と送ると、いつでもここに戻ります）";
const char* kLanguageQuestion = "sapo からのメッセージの言語を選んでください。\nChoose the language sapo writes in.";
const char* kCancelled = "中止しました。";
const char* kTimedOut = "前回の会話は時間がたったため終了しました。";
const char* kStale = "このボタンは前のメッセージのもので、いまは使えません。";
const char* kStaleResume = "このボタンは前のメッセージのもので、いまは使えません。いまの質問にお答えください。";
const char* kFlowError =
    "申し訳ありません、この会話を続けられなくなりました。「メニュー」と送ると最初に戻ります。\n"
    "命に関わる緊急のときは、迷わず119番へ。";

/// The shipped flows as version 1 in memory, a fixed clock and the conversation over both.
struct World {
    MemoryFlowSource source;
    FixedClock clock{fixed_now_ms()};
    Conversation conversation{source, clock};

    World() {
        for (auto& f : shipped_flows()) source.publish(std::move(f));
    }

    void publish(const std::string& json, int version = 1) { source.publish(load_ok(json, registry(), version)); }

    Outcome handle(const InboundEvent& e, const std::optional<Session>& s = std::nullopt, const StepContext& c = context()) {
        return conversation.handle(e, s, c);
    }
    Outcome text(const std::string& t, const std::optional<Session>& s = std::nullopt, const StepContext& c = context()) {
        return handle(text_event(t), s, c);
    }
    Outcome postback(const std::string& data, const std::optional<Session>& s = std::nullopt, const StepContext& c = context()) {
        return handle(postback_event(data), s, c);
    }
};

/// The postback data of the quick reply labelled `label` in the last message that has quick replies.
std::string button(const Outcome& out, const std::string& label) {
    for (auto it = out.messages.rbegin(); it != out.messages.rend(); ++it) {
        if (it->quick_replies.empty()) continue;
        for (const auto& q : it->quick_replies) {
            if (q.label == label) return q.postback_data;
        }
        break;
    }
    FAIL("no button " << label << " in " << serialize(out.messages));
    return "";
}

void check_at_menu(const Outcome& out) {
    REQUIRE(out.session);
    CHECK(out.session->flow_id == "main_menu");
    CHECK(out.session->version == 1);
    CHECK(out.session->node == "menu");
    CHECK(out.session->waiting == Session::Waiting::input);
    REQUIRE_FALSE(out.messages.empty());
    CHECK(out.messages.back().text == kMenuText);
    CHECK(labels(out.messages.back()) ==
          std::vector<std::string>{"チェックイン", "体調の相談", "健康観察", "よくある質問", "Language / 言語"});
}

void check_at_language(const Outcome& out) {
    REQUIRE(out.session);
    CHECK(out.session->flow_id == "language");
    CHECK(out.session->node == "ask_language");
    CHECK(out.session->waiting == Session::Waiting::input);
    REQUIRE_FALSE(out.messages.empty());
    CHECK(out.messages.back().text == kLanguageQuestion);
    CHECK(labels(out.messages.back()) == std::vector<std::string>{"日本語", "English"});
}

const char* kPinFlow = R"({"schema_version": 1, "id": "pin", "start": "q", "triggers": {"keywords": ["ピン"]}, "nodes": {
    "q": {"type": "ask", "text": {"ja": "ひとこと"}, "input": "text", "var": "a", "next": "done"},
    "done": {"type": "end", "text": {"ja": "VERSION_TEXT"}}}})";

std::string pin_flow(const std::string& end_text) {
    std::string s = kPinFlow;
    s.replace(s.find("VERSION_TEXT"), 12, end_text);
    return s;
}

const char* kFaqEchoFlow = R"({"schema_version": 1, "id": "faq", "start": "answer", "nodes": {
    "answer": {"type": "end", "text": {"ja": "FAQ: {{trigger.text}}"}}}})";

rapidjson::Document parsed(const std::string& json) {
    rapidjson::Document d;
    INFO(json);
    REQUIRE(parse_json(json, d));
    REQUIRE(d.IsObject());
    return d;
}

OutMessage plain(std::string text, std::vector<QuickReply> q = {}) {
    OutMessage m;
    m.text = std::move(text);
    m.quick_replies = std::move(q);
    return m;
}

}  // namespace

TEST_CASE("follow: the welcome, then the main menu, and it must arrive", "[unit][flows][conversation]") {
    World w;
    auto out = w.handle(typed_event("follow"));
    CHECK(out.route == "follow");
    CHECK(out.must_arrive);
    CHECK(out.error.empty());
    REQUIRE(out.messages.size() == 2);
    CHECK(out.messages[0].text.rfind("友だち追加ありがとうございます。\n", 0) == 0);
    CHECK(contains(out.messages[0].text, "To use sapo in English, send \"English\"."));
    check_at_menu(out);
    CHECK(out.messages[1].quick_replies[0].postback_data == "f=main_menu&v=1&n=menu&c=checkin");

    auto en = w.handle(typed_event("follow"), std::nullopt, context("en"));
    REQUIRE(en.messages.size() == 2);
    CHECK(en.messages[0].text.rfind("Thank you for adding sapo as a friend.\n", 0) == 0);
    CHECK(en.messages[1].text == "Please choose what you need below.\n(Send \"menu\" at any time to come back here.)");
}

TEST_CASE("follow ends whatever conversation there was", "[unit][flows][conversation]") {
    World w;
    auto lang = w.postback("m=language");
    check_at_language(lang);
    auto out = w.handle(typed_event("follow"), lang.session);
    CHECK(out.route == "follow");
    check_at_menu(out);
}

TEST_CASE("unfollow and other events", "[unit][flows][conversation]") {
    World w;
    auto lang = w.postback("m=language");
    auto gone = w.handle(typed_event("unfollow"), lang.session);
    CHECK(gone.route == "unfollow");
    CHECK(gone.messages.empty());
    CHECK_FALSE(gone.session);

    auto join = w.handle(typed_event("join"), lang.session);
    CHECK(join.route == "ignored");
    CHECK(join.messages.empty());
    CHECK(serialize(join.session) == serialize(lang.session));
}

TEST_CASE("cancel words end the flow and show the menu", "[unit][flows][conversation]") {
    World w;
    auto lang = w.postback("m=language");
    check_at_language(lang);
    for (const char* word : {"やめる", "ｷｬﾝｾﾙ", "キャンセル", "メニュー", "ﾒﾆｭｰ", "cancel", "MENU", "Ｍｅｎｕ", "中止", "menu!"}) {
        INFO(word);
        CHECK(Conversation::is_cancel_word(word));
        auto out = w.text(word, lang.session);
        CHECK(out.route == "cancel");
        REQUIRE(out.messages.size() == 2);
        CHECK(out.messages[0].text == kCancelled);
        check_at_menu(out);
        CHECK(out.effects.empty());
    }
    for (const char* not_cancel : {"メニューを見たい", "やめ", "cancelled", ""}) {
        INFO(not_cancel);
        CHECK_FALSE(Conversation::is_cancel_word(not_cancel));
    }

    SECTION("only the menu was open: no 中止") {
        auto menu = w.handle(typed_event("follow"));
        auto out = w.text("メニュー", menu.session);
        CHECK(out.route == "cancel");
        REQUIRE(out.messages.size() == 1);
        check_at_menu(out);
    }
    SECTION("no conversation at all: no 中止") {
        auto out = w.text("やめる");
        REQUIRE(out.messages.size() == 1);
        check_at_menu(out);
    }
    SECTION("a cancel word is not taken as the answer to a text question") {
        w.publish(pin_flow("おわり"));
        auto pin = w.text("ピン");
        REQUIRE(pin.session);
        CHECK(pin.session->flow_id == "pin");
        auto out = w.text("キャンセル", pin.session);
        REQUIRE(out.messages.size() == 2);
        CHECK(out.messages[0].text == kCancelled);
        check_at_menu(out);
    }
}

TEST_CASE("a postback answers the question the session waits at", "[unit][flows][conversation]") {
    World w;
    auto menu = w.handle(typed_event("follow"));
    SECTION("health advice: the questionnaire starts with its first question") {
        auto out = w.postback(button(menu, "体調の相談"), menu.session);
        CHECK(out.route == "answer");
        REQUIRE(out.messages.size() == 2);
        CHECK(out.messages[0].text.rfind("体調チェックをはじめます。", 0) == 0);
        CHECK(out.messages[1].text == "年齢を教えてください。");
        CHECK(out.messages[1].quick_replies.size() == 7);  // six age bands and スキップ
        REQUIRE(out.session);
        CHECK(out.session->flow_id == "personal_support");
        CHECK(out.session->node == "ask_age");
        CHECK(out.error.empty());
    }
    SECTION("language: goto, the effect, resume in the new language") {
        auto lang = w.postback(button(menu, "Language / 言語"), menu.session);
        CHECK(lang.route == "answer");
        check_at_language(lang);
        REQUIRE(lang.messages.size() == 1);

        auto chosen = w.postback(button(lang, "English"), lang.session);
        CHECK(chosen.route == "answer");
        CHECK(chosen.awaiting_effect);
        REQUIRE(chosen.effects.size() == 1);
        CHECK(chosen.effects[0].name == "user.set_language");
        CHECK(chosen.effects[0].params.at("language") == "en");
        REQUIRE(chosen.session);
        CHECK(chosen.session->node == "save");
        CHECK(chosen.session->waiting == Session::Waiting::effect);
        CHECK(chosen.messages.empty());

        auto done = w.conversation.resume(chosen, {{"language", Value("en")}}, context("ja"));
        CHECK_FALSE(done.awaiting_effect);
        CHECK_FALSE(done.session);
        CHECK(done.effects.size() == 1);  // the effects so far are kept, none added
        CHECK(texts(done.messages) ==
              std::vector<std::string>{"sapo will write to you in English from now on. Send \"menu\" to see the menu."});
    }
    SECTION("typed text answers too: the health report starts, asking who the user reports for") {
        auto out = w.text("健康観察", menu.session);
        CHECK(out.route == "answer");
        CHECK(out.awaiting_effect);
        REQUIRE(out.effects.size() == 1);
        CHECK(out.effects[0].name == "health.begin");
        REQUIRE(out.session);
        CHECK(out.session->flow_id == "health_report");
    }
}

TEST_CASE("old buttons", "[unit][flows][conversation]") {
    World w;
    auto lang = w.postback("m=language");
    check_at_language(lang);

    SECTION("a button of another version: stale, the current question again, session kept") {
        auto out = w.postback("f=language&v=7&n=ask_language&c=en", lang.session);
        CHECK(out.route == "stale");
        REQUIRE(out.messages.size() == 2);
        CHECK(out.messages[0].text == kStaleResume);
        CHECK(out.messages[1].text == kLanguageQuestion);
        CHECK(labels(out.messages[1]) == std::vector<std::string>{"日本語", "English"});
        CHECK(serialize(out.session) == serialize(lang.session));
        CHECK(out.effects.empty());
    }
    SECTION("a button of another node: the same") {
        auto out = w.postback("f=language&v=1&n=other&c=en", lang.session);
        CHECK(out.route == "stale");
        REQUIRE(out.messages.size() == 2);
        CHECK(out.messages[0].text == kStaleResume);
        CHECK(serialize(out.session) == serialize(lang.session));
    }
    SECTION("a confirmation button when no confirmation is asked") {
        auto out = w.postback("f=language&v=1&n=ask_language&c=yes&k=confirm", lang.session);
        CHECK(out.route == "stale");
        CHECK(serialize(out.session) == serialize(lang.session));
    }
    SECTION("garbage data: stale as well") {
        for (const char* data : {"", "garbage", "f=language", "%zz", "action=buy&itemid=111"}) {
            INFO(data);
            auto out = w.postback(data, lang.session);
            CHECK(out.route == "stale");
            CHECK(serialize(out.session) == serialize(lang.session));
        }
    }
    SECTION("a stale button without a session: stale text and the menu") {
        auto out = w.postback("f=language&v=1&n=ask_language&c=en");
        CHECK(out.route == "stale");
        REQUIRE(out.messages.size() == 2);
        CHECK(out.messages[0].text == kStale);
        check_at_menu(out);
        CHECK(out.effects.empty());
    }
    SECTION("a reentrant menu button still works after the session changed") {
        auto out = w.postback("f=main_menu&v=1&n=menu&c=personal_support", lang.session);
        CHECK(out.route == "reentrant");
        REQUIRE(out.messages.size() == 2);
        CHECK(out.messages[0].text.rfind("体調チェックをはじめます。", 0) == 0);
        REQUIRE(out.session);
        CHECK(out.session->flow_id == "personal_support");
    }
    SECTION("a reentrant menu button of an older menu version uses the newest") {
        // version 2 sends the health-advice button to the language question instead
        auto v2 = read_text_file(shipped_flow_path("main_menu"));
        const std::string was = R"("to_personal_support": {"type": "goto", "flow": "personal_support"})";
        REQUIRE(v2.find(was) != std::string::npos);
        v2.replace(v2.find(was), was.size(), R"("to_personal_support": {"type": "goto", "flow": "language"})");
        w.source.publish(load_ok(v2, registry_with_flow_ids(shipped_flow_ids()), 2));
        auto out = w.postback("f=main_menu&v=1&n=menu&c=personal_support", lang.session);
        CHECK(out.route == "reentrant");
        check_at_language(out);
    }
    SECTION("a menu button with a value the menu lacks") {
        auto out = w.postback("f=main_menu&v=1&n=menu&c=nope", lang.session);
        CHECK(out.route == "reentrant");
        REQUIRE(out.messages.size() == 1);
        CHECK(out.messages[0].text == std::string("下のボタンから選んでください。\n\n") + kMenuText);
        REQUIRE(out.session);
        CHECK(out.session->flow_id == "main_menu");
        CHECK(out.session->invalid_count == 1);
    }
}

TEST_CASE("a button that opens a flow", "[unit][flows][conversation]") {
    World w;
    auto menu = w.handle(typed_event("follow"));
    auto out = w.postback("m=language", menu.session);
    CHECK(out.route == "open");
    REQUIRE(out.messages.size() == 1);
    check_at_language(out);
    CHECK(out.session->version == 1);

    auto unknown = w.postback("m=no_such_flow", menu.session);
    CHECK(unknown.route == "stale");
    CHECK(serialize(unknown.session) == serialize(menu.session));
}

TEST_CASE("keyword and prefix triggers", "[unit][flows][conversation]") {
    World w;
    SECTION("a keyword in full-width capitals") {
        auto out = w.text("ＥＮＧＬＩＳＨ");
        CHECK(out.route == "keyword");
        REQUIRE(out.messages.size() == 1);
        check_at_language(out);
        CHECK(out.session->vars.at("trigger.text") == Value("ＥＮＧＬＩＳＨ"));
    }
    SECTION("a keyword of the main menu") {
        auto out = w.text("ヘルプ");
        CHECK(out.route == "keyword");
        REQUIRE(out.messages.size() == 1);
        check_at_menu(out);
    }
    SECTION("a prefix: the rest goes to trigger.rest") {
        w.publish(R"({"schema_version": 1, "id": "code", "start": "show", "triggers": {"prefixes": ["予約番号"]}, "nodes": {
            "show": {"type": "end", "text": {"ja": "コード: {{trigger.rest}} / {{trigger.text}}"}}}})");
        auto out = w.text("予約番号 12 34");
        CHECK(out.route == "keyword");
        CHECK(texts(out.messages) == std::vector<std::string>{"コード: 1234 / 予約番号 12 34"});
        CHECK_FALSE(out.session);
        // a text that only contains the word somewhere else is no trigger
        auto other = w.text("今日予約番号をもらった");
        CHECK(other.route == "menu");
    }
    SECTION("a keyword typed while a question waits is the answer, not a trigger") {
        auto lang = w.postback("m=language");
        auto out = w.text("English", lang.session);
        CHECK(out.route == "answer");
        CHECK(out.awaiting_effect);
        REQUIRE(out.effects.size() == 1);
        CHECK(out.effects[0].params.at("language") == "en");
    }
}

TEST_CASE("text the waiting menu does not know falls through to triggers and the FAQ", "[unit][flows][conversation]") {
    World w;
    auto menu = w.handle(typed_event("follow"));
    SECTION("no FAQ flow: the menu again") {
        auto out = w.text("駐車場はありますか", menu.session);
        CHECK(out.route == "menu");
        REQUIRE(out.messages.size() == 1);
        check_at_menu(out);
        CHECK(out.session->invalid_count == 0);  // not counted as a wrong answer to the menu
    }
    SECTION("an FAQ flow gets the text") {
        w.publish(kFaqEchoFlow);
        auto out = w.text("駐車場はありますか", menu.session);
        CHECK(out.route == "faq");
        CHECK(texts(out.messages) == std::vector<std::string>{"FAQ: 駐車場はありますか"});
        CHECK_FALSE(out.session);
        // and without any session
        auto fresh = w.text("営業時間は？");
        CHECK(fresh.route == "faq");
        CHECK(texts(fresh.messages) == std::vector<std::string>{"FAQ: 営業時間は？"});
    }
    SECTION("a keyword of another flow while the menu waits") {
        auto out = w.text("言語", menu.session);  // also a synonym of the menu's language item
        CHECK(out.route == "answer");
        check_at_language(out);
        auto other = w.text("ヘルプ", menu.session);  // only a keyword
        CHECK(other.route == "keyword");
        check_at_menu(other);
    }
    SECTION("a question that is not a menu keeps the text as its answer") {
        auto lang = w.postback("m=language");
        w.publish(kFaqEchoFlow);
        auto out = w.text("駐車場はありますか", lang.session);
        CHECK(out.route == "answer");
        REQUIRE(out.session);
        CHECK(out.session->flow_id == "language");
        CHECK(out.session->invalid_count == 1);
        REQUIRE(out.messages.size() == 1);
        CHECK(out.messages[0].text == std::string("下のボタンから選んでください。\n\n") + kLanguageQuestion);
    }
}

TEST_CASE("messages that are not text", "[unit][flows][conversation]") {
    World w;
    auto lang = w.postback("m=language");
    auto out = w.handle(typed_event("message", "sticker"), lang.session);
    CHECK(out.route == "not_text");
    REQUIRE(out.messages.size() == 2);
    CHECK(out.messages[0].text == "文字かボタンでお送りください。");
    CHECK(out.messages[1].text == kLanguageQuestion);
    CHECK(serialize(out.session) == serialize(lang.session));

    auto none = w.handle(typed_event("message", "image"));
    CHECK(none.route == "not_text");
    REQUIRE(none.messages.size() == 2);
    CHECK(none.messages[0].text == "文字かボタンでお送りください。");
    check_at_menu(none);
}

TEST_CASE("expired sessions", "[unit][flows][conversation]") {
    World w;
    auto lang = w.postback("m=language");
    REQUIRE(lang.session);
    CHECK(lang.session->expires_ms == fixed_now_ms() + 30 * 60'000);

    SECTION("still valid one minute before expiry") {
        w.clock.advance_minutes(29);
        auto out = w.text("日本語", lang.session);
        CHECK(out.route == "answer");
        CHECK(out.awaiting_effect);
    }
    SECTION("text after expiry is routed as new, with a note") {
        w.clock.advance_minutes(31);
        auto out = w.text("日本語", lang.session);
        // taken as the language flow's keyword, not as the answer to the expired question
        CHECK(out.route == "keyword");
        CHECK(out.effects.empty());
        CHECK_FALSE(out.awaiting_effect);
        REQUIRE(out.messages.size() == 2);
        CHECK(out.messages[0].text == kTimedOut);
        check_at_language(out);
        CHECK(out.session->started_ms == fixed_now_ms() + 31 * 60'000);
    }
    SECTION("exactly at expires_ms it has expired") {
        Session s = *lang.session;
        s.expires_ms = w.clock.now_ms();
        auto out = w.text("こんにちは", s);
        CHECK(out.route == "menu");
        REQUIRE(out.messages.size() == 2);
        CHECK(out.messages[0].text == kTimedOut);
        check_at_menu(out);
    }
    SECTION("a postback to an expired session: the note and the menu") {
        w.clock.advance_minutes(31);
        auto out = w.postback(button(lang, "English"), lang.session);
        CHECK(out.route == "timed_out");
        CHECK(out.effects.empty());
        REQUIRE(out.messages.size() == 2);
        CHECK(out.messages[0].text == kTimedOut);
        check_at_menu(out);
    }
    SECTION("a cancel word after expiry: no 中止, no note") {
        w.clock.advance_minutes(31);
        auto out = w.text("やめる", lang.session);
        CHECK(out.route == "cancel");
        REQUIRE(out.messages.size() == 1);
        check_at_menu(out);
    }
}

TEST_CASE("a session stays on the version it started with", "[unit][flows][conversation]") {
    World w;
    w.publish(pin_flow("v1の終わり"), 1);
    auto started = w.text("ピン");
    REQUIRE(started.session);
    CHECK(started.session->flow_id == "pin");
    CHECK(started.session->version == 1);

    w.publish(pin_flow("v2の終わり"), 2);
    auto finished = w.text("こたえ", started.session);
    CHECK(finished.route == "answer");
    CHECK(texts(finished.messages) == std::vector<std::string>{"v1の終わり"});

    auto fresh = w.text("ピン");
    REQUIRE(fresh.session);
    CHECK(fresh.session->version == 2);
    CHECK(texts(w.text("こたえ", fresh.session).messages) == std::vector<std::string>{"v2の終わり"});

    // an old button of version 1 still answers the version-1 session
    auto pinned_tap = w.postback("f=pin&v=1&n=q&c=x", started.session);
    CHECK(pinned_tap.route == "answer");
}

TEST_CASE("goto to a flow that is not published: an apology", "[unit][flows][conversation]") {
    World w;
    w.publish(R"({"schema_version": 1, "id": "jump", "start": "say", "triggers": {"keywords": ["ジャンプ"]}, "nodes": {
        "say": {"type": "message", "text": {"ja": "移動します"}, "next": "go"},
        "go": {"type": "goto", "flow": "nowhere"}}})");
    auto out = w.text("ジャンプ");
    CHECK(out.route == "keyword");
    CHECK(out.error == "goto to the unpublished flow \"nowhere\"");
    CHECK(texts(out.messages) == std::vector<std::string>{"移動します", kFlowError});
    CHECK_FALSE(out.session);
}

TEST_CASE("gotos in a circle are stopped", "[unit][flows][conversation]") {
    World w;
    w.publish(R"({"schema_version": 1, "id": "ping", "start": "go", "triggers": {"keywords": ["ピンポン"]}, "nodes": {
        "go": {"type": "goto", "flow": "pong"}}})");
    w.publish(R"({"schema_version": 1, "id": "pong", "start": "go", "nodes": {"go": {"type": "goto", "flow": "ping"}}})");
    auto out = w.text("ピンポン");
    CHECK(contains(out.error, "gotos in one step"));
    CHECK(texts(out.messages) == std::vector<std::string>{kFlowError});
    CHECK_FALSE(out.session);
}

TEST_CASE("without a main menu flow the menu is silent", "[unit][flows][conversation]") {
    MemoryFlowSource empty;
    FixedClock clock(fixed_now_ms());
    Conversation c(empty, clock);
    auto out = c.handle(text_event("こんにちは"), std::nullopt, context());
    CHECK(out.route == "menu");
    CHECK(out.messages.empty());
    CHECK_FALSE(out.session);
    auto follow = c.handle(typed_event("follow"), std::nullopt, context());
    CHECK(follow.error == "no published flow \"welcome\"");
    CHECK(texts(follow.messages) == std::vector<std::string>{kFlowError});
}

// --- fit_to_replies and to_line_json ---------------------------------------------------------------------

TEST_CASE("fit_to_replies: 7 plain texts become 5 messages", "[unit][flows][render]") {
    std::vector<OutMessage> in;
    for (int i = 1; i <= 7; ++i) in.push_back(plain("t" + std::to_string(i)));
    auto batches = fit_to_replies(in);
    REQUIRE(batches.size() == 1);
    REQUIRE(batches[0].size() == 5);
    std::vector<std::string> got;
    for (const auto& json : batches[0]) got.push_back(parsed(json)["text"].GetString());
    CHECK(got == std::vector<std::string>{"t1\n\nt2\n\nt3", "t4", "t5", "t6", "t7"});
}

TEST_CASE("fit_to_replies: up to 5 messages are left alone", "[unit][flows][render]") {
    std::vector<OutMessage> in;
    for (int i = 1; i <= 5; ++i) in.push_back(plain("t" + std::to_string(i)));
    auto batches = fit_to_replies(in);
    REQUIRE(batches.size() == 1);
    REQUIRE(batches[0].size() == 5);
    CHECK(std::string(parsed(batches[0][0])["text"].GetString()) == "t1");
    CHECK(fit_to_replies({}).empty());
}

TEST_CASE("fit_to_replies: 7 template messages go out in batches of 5 and 2", "[unit][flows][render]") {
    std::vector<OutMessage> in;
    for (int i = 1; i <= 7; ++i) {
        OutMessage m;
        m.json = R"({"type":"sticker","packageId":"446","stickerId":")" + std::to_string(1987 + i) + "\"}";
        in.push_back(m);
    }
    auto batches = fit_to_replies(in);
    REQUIRE(batches.size() == 2);
    REQUIRE(batches[0].size() == 5);
    REQUIRE(batches[1].size() == 2);
    CHECK(batches[0][0] == in[0].json);
    CHECK(batches[0][4] == in[4].json);
    CHECK(batches[1][0] == in[5].json);
    CHECK(batches[1][1] == in[6].json);
}

TEST_CASE("fit_to_replies keeps quick replies on the last merged text", "[unit][flows][render]") {
    SECTION("merged into: the quick replies of the later text stay") {
        std::vector<OutMessage> in{plain("a"), plain("b", {{"はい", "f=x&v=1&n=q&c=yes", ""}}), plain("c"), plain("d"), plain("e"),
                                   plain("f")};
        auto batches = fit_to_replies(in);
        REQUIRE(batches.size() == 1);
        REQUIRE(batches[0].size() == 5);
        auto first = parsed(batches[0][0]);
        CHECK(std::string(first["text"].GetString()) == "a\n\nb");
        REQUIRE(first.HasMember("quickReply"));
        const auto& items = first["quickReply"]["items"];
        REQUIRE(items.Size() == 1);
        CHECK(std::string(items[0]["action"]["label"].GetString()) == "はい");
        CHECK(std::string(items[0]["action"]["data"].GetString()) == "f=x&v=1&n=q&c=yes");
    }
    SECTION("a text with quick replies is never merged into, so its buttons are not lost") {
        std::vector<OutMessage> in{plain("a", {{"はい", "f=x&v=1&n=q&c=yes", ""}}), plain("b"), plain("c"), plain("d"), plain("e"),
                                   plain("f")};
        auto batches = fit_to_replies(in);
        REQUIRE(batches.size() == 1);
        REQUIRE(batches[0].size() == 5);
        auto first = parsed(batches[0][0]);
        CHECK(std::string(first["text"].GetString()) == "a");
        CHECK(first.HasMember("quickReply"));
        CHECK(std::string(parsed(batches[0][1])["text"].GetString()) == "b\n\nc");
    }
    SECTION("texts too long to merge go into a second batch") {
        std::vector<OutMessage> in;
        for (int i = 0; i < 7; ++i) in.push_back(plain(std::string(3000, static_cast<char>('a' + i))));
        auto batches = fit_to_replies(in);
        REQUIRE(batches.size() == 2);
        CHECK(batches[0].size() == 5);
        CHECK(batches[1].size() == 2);
    }
}

TEST_CASE("to_line_json: quick replies and labels are cut to LINE's limits", "[unit][flows][render]") {
    SECTION("more than 13 quick replies are cut to 13") {
        OutMessage m = plain("どれ？");
        for (int i = 1; i <= 15; ++i) m.quick_replies.push_back({"q" + std::to_string(i), "f=x&v=1&n=q&c=" + std::to_string(i), ""});
        auto d = parsed(to_line_json(m));
        const auto& items = d["quickReply"]["items"];
        REQUIRE(items.Size() == 13);
        CHECK(std::string(items[12]["action"]["label"].GetString()) == "q13");
        auto batches = fit_to_replies({m});
        REQUIRE(batches.size() == 1);
        CHECK(parsed(batches[0][0])["quickReply"]["items"].Size() == 13);
    }
    SECTION("labels over 20 characters are cut with …, the display text stays whole") {
        std::string long_label;
        for (int i = 0; i < 25; ++i) long_label += "あ";
        std::string twenty;
        for (int i = 0; i < 20; ++i) twenty += "い";
        OutMessage m = plain("どれ？", {{long_label, "f=x&v=1&n=q&c=a", ""}, {twenty, "f=x&v=1&n=q&c=b", ""}, {long_label, "", ""}});
        auto d = parsed(to_line_json(m));
        const auto& items = d["quickReply"]["items"];
        REQUIRE(items.Size() == 3);
        std::string cut;
        for (int i = 0; i < 19; ++i) cut += "あ";
        cut += "…";
        CHECK(std::string(items[0]["action"]["label"].GetString()) == cut);
        CHECK(label_length(items[0]["action"]["label"].GetString()) == 20);
        CHECK(std::string(items[0]["action"]["type"].GetString()) == "postback");
        CHECK(std::string(items[0]["action"]["displayText"].GetString()) == long_label);
        CHECK(std::string(items[1]["action"]["label"].GetString()) == twenty);
        // a message action sends the whole label as text
        CHECK(std::string(items[2]["action"]["type"].GetString()) == "message");
        CHECK(std::string(items[2]["action"]["label"].GetString()) == cut);
        CHECK(std::string(items[2]["action"]["text"].GetString()) == long_label);
    }
    SECTION("text is cut to 5,000 UTF-16 units, an empty text becomes a space") {
        auto d = parsed(to_line_json(plain(std::string(6000, 'x'))));
        std::string text = d["text"].GetString();
        CHECK(text_length(text) == 5000);
        CHECK(text.substr(text.size() - 3) == "…");
        CHECK(std::string(parsed(to_line_json(plain("")))["text"].GetString()) == " ");
        CHECK(to_line_json(plain("改行\n\"引用\"")) == R"({"type":"text","text":"改行\n\"引用\""})");
    }
}

// --- expired sessions and confirmations (once bugs, found by these tests) ---------------------------------

// A button that only opens a flow ("m=language", e.g. from the rich menu) does not depend on the
// stored session: an expired session must not turn it into the timed-out note.
TEST_CASE("an open-flow button works when the stored session has expired", "[unit][flows][conversation]") {
    World w;
    auto menu = w.handle(typed_event("follow"));
    REQUIRE(menu.session);
    w.clock.advance_minutes(24 * 60 + 1);
    auto out = w.postback("m=language", menu.session);
    CHECK(out.route == "open");
    REQUIRE(out.messages.size() >= 1);
    check_at_language(out);
}

// Menu buttons keep working from any old message, also after the menu session has expired (the
// common case: someone comes back the next day and taps the menu).
TEST_CASE("a reentrant menu button works when the menu session has expired", "[unit][flows][conversation]") {
    World w;
    auto menu = w.handle(typed_event("follow"));
    w.clock.advance_minutes(24 * 60 + 1);
    auto out = w.postback(button(menu, "チェックイン"), menu.session);
    CHECK(out.route == "reentrant");
    REQUIRE_FALSE(out.messages.empty());
    CHECK(out.messages[0].text.rfind("施設に掲示されたQRコードをLINEで読み取ってください。", 0) == 0);
    REQUIRE(out.session);
    CHECK(out.session->flow_id == "checkin");
}

namespace {

const char* kTemperatureFlow = R"({"schema_version": 1, "id": "temp", "start": "q", "triggers": {"keywords": ["体温"]}, "nodes": {
    "q": {"type": "ask", "text": {"ja": "体温は？"}, "input": "temperature", "var": "t", "confirm_at_or_above": 40, "next": "done"},
    "done": {"type": "end", "text": {"ja": "{{t}}度ですね"}}}})";

}  // namespace

TEST_CASE("a confirmation is answered by its buttons and by typing", "[unit][flows][conversation]") {
    World w;
    w.publish(kTemperatureFlow);
    auto asked = w.text("体温");
    auto confirming = w.text("40.5", asked.session);
    REQUIRE(confirming.session);
    CHECK(confirming.session->waiting == Session::Waiting::confirm);
    CHECK(texts(confirming.messages) == std::vector<std::string>{"40.5℃でよろしいですか？"});
    auto tapped = w.postback(button(confirming, "はい"), confirming.session);
    CHECK(tapped.route == "answer");
    CHECK(texts(tapped.messages) == std::vector<std::string>{"40.5度ですね"});
    auto typed = w.text("いいえ", confirming.session);
    CHECK(typed.route == "answer");
    CHECK(texts(typed.messages) == std::vector<std::string>{"体温は？"});
    // the answer buttons of the question are not confirmation buttons
    auto wrong_kind = w.postback("f=temp&v=1&n=q&c=yes", confirming.session);
    CHECK(wrong_kind.route != "answer");
}

// While a confirmation ("40.5℃でよろしいですか？") waits, an old button keeps the session and asks
// the confirmation again: the temperature being confirmed is not lost.
TEST_CASE("a stale button while a confirmation waits keeps the session", "[unit][flows][conversation]") {
    World w;
    w.publish(kTemperatureFlow);
    auto confirming = w.text("40.5", w.text("体温").session);
    REQUIRE(confirming.session);
    REQUIRE(confirming.session->waiting == Session::Waiting::confirm);
    auto out = w.postback("f=main_menu&v=1&n=nope&c=x", confirming.session);
    CHECK(out.route == "stale");
    CHECK(serialize(out.session) == serialize(confirming.session));
    REQUIRE(out.messages.size() == 2);
    CHECK(out.messages[0].text == kStaleResume);
    CHECK(out.messages[1].text == "40.5℃でよろしいですか？");
}

TEST_CASE("a corrected reading typed at the confirmation is taken as the answer", "[unit][flows][conversation]") {
    World w;
    w.publish(kTemperatureFlow);
    auto confirming = w.text("40.5", w.text("体温").session);
    REQUIRE(confirming.session);
    REQUIRE(confirming.session->waiting == Session::Waiting::confirm);
    auto corrected = w.text("ごめんなさい、37.0度でした", confirming.session);
    CHECK(corrected.route == "answer");
    CHECK(texts(corrected.messages) == std::vector<std::string>{"37度ですね"});
    // another high reading is confirmed again
    auto higher = w.text("41", confirming.session);
    CHECK(texts(higher.messages) == std::vector<std::string>{"41℃でよろしいですか？"});
}

TEST_CASE("a menu left open past its timeout is not a conversation that ended", "[unit][flows][conversation]") {
    World w;
    auto menu = w.handle(typed_event("follow"));
    REQUIRE(menu.session);
    w.clock.advance_minutes(24 * 60 + 5);
    auto out = w.text("こんにちは", menu.session);
    for (const auto& m : out.messages) CHECK(m.text.find("時間がたった") == std::string::npos);
    check_at_menu(out);
}

TEST_CASE("too many wrong answers to a confirmation follow the flow's on_invalid", "[unit][flows][conversation]") {
    World w;
    w.publish(R"({"schema_version": 1, "id": "temp2", "start": "q", "max_invalid": 2, "on_invalid": "help",
        "triggers": {"keywords": ["体温2"]}, "nodes": {
        "q": {"type": "ask", "text": {"ja": "体温は？"}, "input": "temperature", "var": "t", "confirm_at_or_above": 40, "next": "done"},
        "help": {"type": "end", "text": {"ja": "保健所にお電話ください"}},
        "done": {"type": "end", "text": {"ja": "{{t}}度ですね"}}}})");
    auto confirming = w.text("40.5", w.text("体温2").session);
    REQUIRE(confirming.session);
    auto once = w.text("ぽ", confirming.session);
    REQUIRE(once.session);
    CHECK(texts(once.messages) == std::vector<std::string>{"40.5℃でよろしいですか？"});
    auto twice = w.text("ぽ", once.session);
    CHECK_FALSE(twice.session);
    CHECK(texts(twice.messages) == std::vector<std::string>{"保健所にお電話ください"});
}
