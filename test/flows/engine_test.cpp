#include "flows/engine.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "flow_test_support.hpp"

using namespace flowtest;

namespace {

const FixedClock& the_clock() {
    static const FixedClock c(fixed_now_ms());
    return c;
}

StepResult start(const Flow& f, const StepContext& c = context(), const Variables& seed = {}) {
    Session s;
    s.vars = seed;
    return step(f, s, UserInput::start(), c, the_clock());
}

StepResult feed(const Flow& f, const StepResult& before, const UserInput& in, const StepContext& c = context()) {
    INFO("the previous step ended the session");
    REQUIRE(before.session);
    return step(f, *before.session, in, c, the_clock());
}

StepResult type(const Flow& f, const StepResult& before, const std::string& text, const StepContext& c = context()) {
    return feed(f, before, UserInput::typed(text), c);
}

PostbackData tap_data(const Flow& f, const std::string& node, const std::string& value, const std::string& kind = "") {
    return PostbackData{f.id, f.version, node, value, kind, ""};
}

/// A flow that asks one question ("q", with `fields`) and then holds at a second question, so
/// the stored answer can be read from the session.
Flow ask_flow(const std::string& fields, const std::string& extra_top = "") {
    return load_ok(
        R"({"schema_version": 1, "id": "ask_test", "start": "q",)" + extra_top + R"( "nodes": {
             "q": {"type": "ask", "text": {"ja": "質問", "en": "Question"}, )" + fields + R"(, "next": "hold"},
             "hold": {"type": "ask", "text": {"ja": "ほかに？", "en": "Anything else?"}, "input": "text", "var": "rest", "next": "done"},
             "done": {"type": "end"}}})"
    );
}

/// Answers the first question of an ask_flow with `text` and returns what was stored.
Value stored_after(const Flow& f, const std::string& text) {
    auto asked = start(f);
    auto r = type(f, asked, text);
    INFO("answer " << text << " -> " << serialize(r.messages));
    REQUIRE(r.session);
    REQUIRE(r.session->node == "hold");
    auto it = r.session->vars.find("v");
    REQUIRE(it != r.session->vars.end());
    return it->second;
}

/// Answers the first question with `text`, which must be refused; returns the re-ask message.
std::string reask_after(const Flow& f, const std::string& text, const StepContext& c = context()) {
    auto asked = start(f, c);
    auto r = type(f, asked, text, c);
    INFO("answer " << text << " -> " << serialize(r.messages));
    REQUIRE(r.session);
    CHECK(r.session->node == "q");
    CHECK(r.session->waiting == Session::Waiting::input);
    CHECK(r.session->invalid_count == 1);
    CHECK(r.session->vars.count("v") == 0);
    REQUIRE(r.messages.size() == 1);
    return r.messages[0].text;
}

const char* kFlowError =
    "申し訳ありません、この会話を続けられなくなりました。「メニュー」と送ると最初に戻ります。\n"
    "命に関わる緊急のときは、迷わず119番へ。";

const char* kGaveUpWithPhone =
    "うまくお答えを受け取れませんでした。ご不便をおかけして申し訳ありません。\n"
    "お困りのときは、お電話でご相談ください: 045-000-1111\n"
    "命に関わる緊急のときは、迷わず119番へ。\n"
    "「メニュー」と送ると最初に戻ります。";

const char* kGaveUpNoPhone =
    "うまくお答えを受け取れませんでした。ご不便をおかけして申し訳ありません。\n"
    "お困りのときは、お住まいの地域の保健所にご相談ください。\n"
    "命に関わる緊急のときは、迷わず119番へ。\n"
    "「メニュー」と送ると最初に戻ります。";

}  // namespace

// --- node types ------------------------------------------------------------------------------------

TEST_CASE("message nodes say their text and go on", "[unit][flows][engine]") {
    auto f = load_ok(R"({"schema_version": 1, "id": "msg", "start": "m1", "nodes": {
        "m1": {"type": "message", "text": {"ja": "一つ目"}, "next": "m2"},
        "m2": {"type": "message", "text": {"ja": "二つ目 {{call_center_phone}}"}, "next": "done"},
        "done": {"type": "end"}}})");
    auto r = start(f);
    CHECK(texts(r.messages) == std::vector<std::string>{"一つ目", "二つ目 045-000-1111"});
    CHECK(r.messages[0].quick_replies.empty());
    CHECK_FALSE(r.session);
    CHECK(r.effects.empty());
    CHECK_FALSE(r.awaiting_effect);
    CHECK(r.goto_flow.empty());
    CHECK(r.error.empty());
    CHECK_FALSE(r.gave_up);
}

TEST_CASE("a message node with a template renders it with its params", "[unit][flows][engine]") {
    auto f = load_ok(R"({"schema_version": 1, "id": "tpl", "start": "card", "nodes": {
        "card": {"type": "message", "template": "call_center", "next": "done"},
        "done": {"type": "end"}}})");
    auto r = start(f);
    REQUIRE(r.messages.size() == 1);
    CHECK_FALSE(r.messages[0].is_text());
    CHECK(r.messages[0].json == R"({"type":"text","text":"電話: 045-000-1111"})");
    auto en = start(f, context("en"));
    REQUIRE(en.messages.size() == 1);
    CHECK(en.messages[0].json == R"({"type":"text","text":"Phone: 045-000-1111"})");
}

TEST_CASE("an ask node waits with its question and buttons", "[unit][flows][engine]") {
    auto f = ask_flow(
        R"("input": "choice", "var": "v", "choices": [{"value": "a", "label": {"ja": "エー", "en": "A"}}, {"value": "b", "label": {"ja": "ビー", "en": "B"}}])",
        R"( "timeout_minutes": 45,)"
    );
    auto r = start(f);
    REQUIRE(r.session);
    CHECK(r.session->flow_id == "ask_test");
    CHECK(r.session->version == 1);
    CHECK(r.session->node == "q");
    CHECK(r.session->waiting == Session::Waiting::input);
    CHECK(r.session->invalid_count == 0);
    CHECK(r.session->started_ms == fixed_now_ms());
    CHECK(r.session->updated_ms == fixed_now_ms());
    CHECK(r.session->expires_ms == fixed_now_ms() + 45 * 60'000);
    REQUIRE(r.messages.size() == 1);
    CHECK(r.messages[0].text == "質問");
    CHECK(labels(r.messages[0]) == std::vector<std::string>{"エー", "ビー"});
    CHECK(r.messages[0].quick_replies[0].postback_data == "f=ask_test&v=1&n=q&c=a");
    CHECK(r.messages[0].quick_replies[1].postback_data == "f=ask_test&v=1&n=q&c=b");
    CHECK(r.messages[0].quick_replies[0].text.empty());
}

TEST_CASE("branch: the first matching case wins, else when none matches", "[unit][flows][engine]") {
    auto f = load_ok(R"({"schema_version": 1, "id": "br", "start": "ask_x", "nodes": {
        "ask_x": {"type": "ask", "text": {"ja": "数は？"}, "input": "number", "var": "x", "next": "route"},
        "route": {"type": "branch", "cases": [
            {"if": {">=": [{"var": "x"}, 5]}, "next": "medium"},
            {"if": {">=": [{"var": "x"}, 10]}, "next": "big"}], "else": "small"},
        "big": {"type": "end", "text": {"ja": "大"}},
        "medium": {"type": "end", "text": {"ja": "中"}},
        "small": {"type": "end", "text": {"ja": "小"}}}})");
    struct Row {
        const char* answer;
        const char* said;
    };
    // 12 matches both cases: the first in the list decides, not the more specific one
    for (const Row& row : {Row{"12", "中"}, Row{"7", "中"}, Row{"5", "中"}, Row{"4.9", "小"}, Row{"-3", "小"}}) {
        INFO(row.answer);
        auto r = type(f, start(f), row.answer);
        CHECK(texts(r.messages) == std::vector<std::string>{row.said});
        CHECK_FALSE(r.session);
    }
}

TEST_CASE("set assigns JsonLogic results and literals", "[unit][flows][engine]") {
    auto f = load_ok(R"({"schema_version": 1, "id": "set_test", "start": "age", "nodes": {
        "age": {"type": "ask", "text": {"ja": "年齢は？"}, "input": "number", "var": "age", "next": "calc"},
        "calc": {"type": "set", "values": {
            "adult": {">=": [{"var": "age"}, 18]},
            "copy": {"var": "age"},
            "label": "固定",
            "n": 3,
            "list": ["a", "b"],
            "nothing": null}, "next": "hold"},
        "hold": {"type": "ask", "text": {"ja": "ほかに？"}, "input": "text", "var": "rest", "next": "done"},
        "done": {"type": "end"}}})");
    auto adult = type(f, start(f), "20");
    REQUIRE(adult.session);
    const auto& v = adult.session->vars;
    CHECK(v.at("adult") == Value(true));
    CHECK(v.at("copy") == Value(20));
    CHECK(v.at("label") == Value("固定"));
    CHECK(v.at("n") == Value(3));
    CHECK(v.at("list") == Value(Value::Array{Value("a"), Value("b")}));
    CHECK(v.count("nothing") == 1);
    CHECK(v.at("nothing").is_null());
    auto minor = type(f, start(f), "17");
    REQUIRE(minor.session);
    CHECK(minor.session->vars.at("adult") == Value(false));
}

TEST_CASE("an effect without outputs is emitted with filled params and the flow goes on", "[unit][flows][engine]") {
    auto f = load_ok(R"({"schema_version": 1, "id": "fx", "start": "temp", "nodes": {
        "temp": {"type": "ask", "text": {"ja": "体温は？"}, "input": "temperature", "var": "t", "next": "save"},
        "save": {"type": "effect", "effect": "health.save",
                 "params": {"temp": "{{t}}", "fixed": "x", "phone": "{{call_center_phone}}", "count": 2}, "next": "done"},
        "done": {"type": "end", "text": {"ja": "保存しました"}}}})");
    auto r = type(f, start(f), "36.8");
    REQUIRE(r.effects.size() == 1);
    CHECK(r.effects[0].name == "health.save");
    CHECK(r.effects[0].params == std::map<std::string, std::string, std::less<>>{
                                     {"count", "2"}, {"fixed", "x"}, {"phone", "045-000-1111"}, {"temp", "36.8"}});
    CHECK(r.effects[0].result_var.empty());
    CHECK_FALSE(r.awaiting_effect);
    CHECK(texts(r.messages) == std::vector<std::string>{"保存しました"});
    CHECK_FALSE(r.session);
}

TEST_CASE("an effect with outputs pauses until its result is in", "[unit][flows][engine]") {
    auto make = [](const std::string& result_var_field, const std::string& var) {
        return load_ok(R"({"schema_version": 1, "id": "fx_wait", "start": "lang", "nodes": {
            "lang": {"type": "set", "values": {"lang": "en"}, "next": "save"},
            "save": {"type": "effect", "effect": "user.set_language", "params": {"language": "{{lang}}"},)" +
                       result_var_field + R"( "next": "said"},
            "said": {"type": "message", "text": {"ja": "結果: {{)" + var + R"(}}"}, "next": "hold"},
            "hold": {"type": "ask", "text": {"ja": "ほかに？"}, "input": "text", "var": "rest", "next": "done"},
            "done": {"type": "end"}}})");
    };
    SECTION("with result_var") {
        auto f = make(R"( "result_var": "r",)", "r.language");
        auto paused = start(f);
        CHECK(paused.awaiting_effect);
        CHECK(paused.messages.empty());
        REQUIRE(paused.effects.size() == 1);
        CHECK(paused.effects[0].name == "user.set_language");
        CHECK(paused.effects[0].params == std::map<std::string, std::string, std::less<>>{{"language", "en"}});
        CHECK(paused.effects[0].result_var == "r");
        REQUIRE(paused.session);
        CHECK(paused.session->node == "save");
        CHECK(paused.session->waiting == Session::Waiting::effect);

        auto done = feed(f, paused, UserInput::effect_done({{"language", Value("en-US")}}));
        CHECK_FALSE(done.awaiting_effect);
        CHECK(done.effects.empty());  // not emitted twice
        CHECK(texts(done.messages) == std::vector<std::string>{"結果: en-US", "ほかに？"});
        REQUIRE(done.session);
        CHECK(done.session->node == "hold");
        CHECK(done.session->vars.at("r.language") == Value("en-US"));
        CHECK(done.session->waiting == Session::Waiting::input);
    }
    SECTION("result_var defaults to the effect's name") {
        auto f = make("", "user.set_language.language");
        auto paused = start(f);
        REQUIRE(paused.effects.size() == 1);
        CHECK(paused.effects[0].result_var == "user.set_language");
        auto done = feed(f, paused, UserInput::effect_done({{"language", Value("ja")}}));
        REQUIRE(done.session);
        CHECK(done.session->vars.at("user.set_language.language") == Value("ja"));
        CHECK(texts(done.messages) == std::vector<std::string>{"結果: ja", "ほかに？"});
    }
    SECTION("anything but the effect's result while waiting is an error") {
        auto f = make(R"( "result_var": "r",)", "r.language");
        auto paused = start(f);
        auto r = type(f, paused, "はい");
        CHECK_FALSE(r.error.empty());
        CHECK(texts(r.messages) == std::vector<std::string>{kFlowError});
        CHECK_FALSE(r.session);
        CHECK_FALSE(r.awaiting_effect);
    }
}

TEST_CASE("goto hands over to another flow and ends this one", "[unit][flows][engine]") {
    auto f = load_ok(R"({"schema_version": 1, "id": "jump", "start": "say", "nodes": {
        "say": {"type": "message", "text": {"ja": "移ります"}, "next": "go"},
        "go": {"type": "goto", "flow": "main_menu"}}})");
    auto r = start(f);
    CHECK(r.goto_flow == "main_menu");
    CHECK_FALSE(r.session);
    CHECK(texts(r.messages) == std::vector<std::string>{"移ります"});
    CHECK(r.error.empty());
}

TEST_CASE("end with and without text", "[unit][flows][engine]") {
    auto with_text = load_ok(R"({"schema_version": 1, "id": "e1", "start": "done", "nodes": {
        "done": {"type": "end", "text": {"ja": "終わりです", "en": "The end"}}}})");
    auto r = start(with_text);
    CHECK(texts(r.messages) == std::vector<std::string>{"終わりです"});
    CHECK_FALSE(r.session);
    CHECK(texts(start(with_text, context("en")).messages) == std::vector<std::string>{"The end"});

    auto silent = load_ok(R"({"schema_version": 1, "id": "e2", "start": "done", "nodes": {"done": {"type": "end"}}})");
    auto s = start(silent);
    CHECK(s.messages.empty());
    CHECK_FALSE(s.session);
    CHECK(s.error.empty());
}

// --- input types -----------------------------------------------------------------------------------

TEST_CASE("choice: by postback, label in any language, synonym, any width or kana", "[unit][flows][engine]") {
    auto f = ask_flow(R"("input": "choice", "var": "v", "choices": [
        {"value": "apple", "label": {"ja": "りんご", "en": "Apple"}, "synonyms": ["ringo", "林檎"]},
        {"value": "camera", "label": {"ja": "カメラ", "en": "Camera"}},
        {"value": "other", "label": {"ja": "その他", "en": "Other"}}])");
    struct Row {
        const char* typed;
        const char* value;
    };
    const Row rows[] = {
        {"りんご", "apple"},  {"Apple", "apple"},   {"apple", "apple"},   {"ＡＰＰＬＥ", "apple"}, {"APPLE。", "apple"},
        {"ringo", "apple"},   {"ＲＩＮＧＯ", "apple"}, {"林檎", "apple"},   {"リンゴ", "apple"},     {"ｶﾒﾗ", "camera"},
        {"かめら", "camera"}, {"カメラ", "camera"}, {"ｶﾒﾗ!", "camera"}, {" Camera ", "camera"}, {"その他", "other"},
        {"OTHER", "other"},
    };
    for (const auto& row : rows) {
        INFO(row.typed);
        CHECK(stored_after(f, row.typed) == Value(row.value));
    }
    // a label in English works in a Japanese conversation and the other way round
    auto en = start(f, context("en"));
    CHECK(labels(en.messages.at(0)) == std::vector<std::string>{"Apple", "Camera", "Other"});
    auto by_ja_label = type(f, en, "りんご", context("en"));
    REQUIRE(by_ja_label.session);
    CHECK(by_ja_label.session->vars.at("v") == Value("apple"));

    SECTION("by postback") {
        auto r = feed(f, start(f), UserInput::tapped(tap_data(f, "q", "other")));
        REQUIRE(r.session);
        CHECK(r.session->node == "hold");
        CHECK(r.session->vars.at("v") == Value("other"));
    }
    SECTION("a postback with a value that is not a choice is refused") {
        auto r = feed(f, start(f), UserInput::tapped(tap_data(f, "q", "banana")));
        REQUIRE(r.session);
        CHECK(r.session->node == "q");
        CHECK(r.session->invalid_count == 1);
        REQUIRE(r.messages.size() == 1);
        CHECK(r.messages[0].text == "下のボタンから選んでください。\n\n質問");
        CHECK(labels(r.messages[0]) == std::vector<std::string>{"りんご", "カメラ", "その他"});
    }
    SECTION("typed text that is no choice is refused") {
        CHECK(reask_after(f, "バナナ") == "下のボタンから選んでください。\n\n質問");
        CHECK(reask_after(f, "りん") == "下のボタンから選んでください。\n\n質問");
    }
    SECTION("matches_choice") {
        const Node* q = f.node("q");
        REQUIRE(q);
        CHECK(matches_choice(*q, "ｶﾒﾗ"));
        CHECK(matches_choice(*q, "林檎"));
        CHECK_FALSE(matches_choice(*q, "バナナ"));
        CHECK_FALSE(matches_choice(*q, ""));
    }
}

TEST_CASE("yes_no: the ways people answer, and the buttons", "[unit][flows][engine]") {
    auto f = ask_flow(R"("input": "yes_no", "var": "v")");
    struct Row {
        const char* typed;
        const char* value;
    };
    const Row rows[] = {
        {"はい", "yes"},       {"いいえ", "no"},     {"わからない", "unknown"}, {"ある", "yes"}, {"ない", "no"},
        {"あり", "yes"},       {"なし", "no"},       {"不明", "unknown"},       {"ﾊｲ", "yes"},  {"ｲｲｴ", "no"},
        {"ハイ", "yes"},       {"はい。", "yes"},    {"ありません", "no"},      {"YES", "yes"}, {"no", "no"},
    };
    for (const auto& row : rows) {
        INFO(row.typed);
        CHECK(stored_after(f, row.typed) == Value(row.value));
    }
    auto asked = start(f);
    REQUIRE(asked.messages.size() == 1);
    CHECK(labels(asked.messages[0]) == std::vector<std::string>{"はい", "いいえ", "わからない"});
    CHECK(asked.messages[0].quick_replies[1].postback_data == "f=ask_test&v=1&n=q&c=no");
    CHECK(labels(start(f, context("en")).messages.at(0)) == std::vector<std::string>{"Yes", "No", "Not sure"});

    for (const char* value : {"yes", "no", "unknown"}) {
        INFO(value);
        auto r = feed(f, asked, UserInput::tapped(tap_data(f, "q", value)));
        REQUIRE(r.session);
        CHECK(r.session->vars.at("v") == Value(value));
    }
    CHECK(reask_after(f, "たぶん") == "「はい」「いいえ」「わからない」のいずれかでお答えください。\n\n質問");
    auto forged = feed(f, asked, UserInput::tapped(tap_data(f, "q", "maybe")));
    REQUIRE(forged.session);
    CHECK(forged.session->node == "q");
    CHECK(forged.session->vars.count("v") == 0);
}

TEST_CASE("number: range and units", "[unit][flows][engine]") {
    auto f = ask_flow(R"("input": "number", "var": "v", "min": 0, "max": 120, "units": ["歳", "才"])");
    CHECK(stored_after(f, "35歳") == Value(35));
    CHECK(stored_after(f, "35") == Value(35));
    CHECK(stored_after(f, "３５才") == Value(35));
    CHECK(stored_after(f, "0") == Value(0));
    CHECK(stored_after(f, "120") == Value(120));
    CHECK(stored_after(f, "36.5") == Value(36.5));
    CHECK(reask_after(f, "121") == "0から120までの数字でお答えください。\n\n質問");
    CHECK(reask_after(f, "-1") == "0から120までの数字でお答えください。\n\n質問");
    CHECK(reask_after(f, "たくさん") == "0から120までの数字でお答えください。\n\n質問");
    CHECK(reask_after(f, "121", context("en")) == "Please answer with a number from 0 to 120.\n\nQuestion");

    auto open = ask_flow(R"("input": "number", "var": "v")");
    CHECK(stored_after(open, "-12.5") == Value(-12.5));
    CHECK(reask_after(open, "35歳") == "数字でお答えください。\n\n質問");  // no units accepted here
    CHECK(reask_after(open, "abc") == "数字でお答えください。\n\n質問");
}

TEST_CASE("temperature: the ways it is typed, range, confirmation", "[unit][flows][engine]") {
    auto f = ask_flow(R"("input": "temperature", "var": "v")");
    CHECK(stored_after(f, "36度5分") == Value(36.5));
    CHECK(stored_after(f, "365") == Value(36.5));
    CHECK(stored_after(f, "36.5℃") == Value(36.5));
    CHECK(stored_after(f, "３７．２") == Value(37.2));
    CHECK(stored_after(f, "38") == Value(38));
    CHECK(reask_after(f, "45") == "34.0〜42.0℃の範囲でお送りください（例: 36.5）。\n\n質問");
    CHECK(reask_after(f, "33.9") == "34.0〜42.0℃の範囲でお送りください（例: 36.5）。\n\n質問");
    CHECK(reask_after(f, "あつい") == "体温を数字でお送りください（例: 36.5）。\n\n質問");

    auto c = ask_flow(R"("input": "temperature", "var": "v", "confirm_at_or_above": 40)");
    CHECK(stored_after(c, "39.9") == Value(39.9));  // below the threshold: no question

    auto asked = start(c);
    auto confirming = type(c, asked, "40.5");
    REQUIRE(confirming.session);
    CHECK(confirming.session->node == "q");
    CHECK(confirming.session->waiting == Session::Waiting::confirm);
    CHECK(confirming.session->pending == Value(40.5));
    CHECK(confirming.session->vars.count("v") == 0);
    REQUIRE(confirming.messages.size() == 1);
    CHECK(confirming.messages[0].text == "40.5℃でよろしいですか？");
    CHECK(labels(confirming.messages[0]) == std::vector<std::string>{"はい", "いいえ"});
    CHECK(confirming.messages[0].quick_replies[0].postback_data == "f=ask_test&v=1&n=q&c=yes&k=confirm");
    CHECK(confirming.messages[0].quick_replies[1].postback_data == "f=ask_test&v=1&n=q&c=no&k=confirm");

    SECTION("はい stores it") {
        auto r = type(c, confirming, "はい");
        REQUIRE(r.session);
        CHECK(r.session->node == "hold");
        CHECK(r.session->vars.at("v") == Value(40.5));
        CHECK(r.session->pending.is_null());
        CHECK(texts(r.messages) == std::vector<std::string>{"ほかに？"});
    }
    SECTION("the yes button stores it") {
        auto r = feed(c, confirming, UserInput::tapped(tap_data(c, "q", "yes", "confirm")));
        REQUIRE(r.session);
        CHECK(r.session->vars.at("v") == Value(40.5));
    }
    SECTION("いいえ asks the question again") {
        auto r = type(c, confirming, "いいえ");
        REQUIRE(r.session);
        CHECK(r.session->node == "q");
        CHECK(r.session->waiting == Session::Waiting::input);
        CHECK(r.session->pending.is_null());
        CHECK(r.session->vars.count("v") == 0);
        CHECK(texts(r.messages) == std::vector<std::string>{"質問"});
        auto again = type(c, r, "36.9");
        REQUIRE(again.session);
        CHECK(again.session->vars.at("v") == Value(36.9));
    }
    SECTION("something else asks the confirmation again") {
        auto r = type(c, confirming, "えっと");
        REQUIRE(r.session);
        CHECK(r.session->waiting == Session::Waiting::confirm);
        CHECK(r.session->invalid_count == 1);
        CHECK(texts(r.messages) == std::vector<std::string>{"40.5℃でよろしいですか？"});
    }
    SECTION("exactly the threshold asks too") {
        auto r = type(c, asked, "40.0");
        REQUIRE(r.session);
        CHECK(r.session->waiting == Session::Waiting::confirm);
        CHECK(texts(r.messages) == std::vector<std::string>{"40℃でよろしいですか？"});
    }
    SECTION("a confirmation text of the flow") {
        auto own = ask_flow(
            R"("input": "temperature", "var": "v", "confirm_at_or_above": 40, "confirm_text": {"ja": "{{value}}で合っていますか？", "en": "{{value}}, right?"})"
        );
        CHECK(texts(type(own, start(own), "41").messages) == std::vector<std::string>{"41℃で合っていますか？"});
        CHECK(texts(type(own, start(own, context("en")), "41", context("en")).messages) ==
              std::vector<std::string>{"41℃, right?"});
    }
}

TEST_CASE("postal code", "[unit][flows][engine]") {
    auto f = ask_flow(R"("input": "postal_code", "var": "v")");
    CHECK(stored_after(f, "〒231-0023") == Value("2310023"));
    CHECK(stored_after(f, "2310023") == Value("2310023"));
    CHECK(stored_after(f, "２３１－００２３") == Value("2310023"));
    CHECK(reask_after(f, "231") == "郵便番号を7桁の数字でお送りください（例: 231-0023）。\n\n質問");
}

TEST_CASE("date: relative to the Tokyo date of the clock", "[unit][flows][engine]") {
    // the clock is 2026-11-20 15:30 UTC, already 2026-11-21 in Tokyo
    auto f = ask_flow(R"("input": "date", "var": "v")");
    CHECK(stored_after(f, "今日") == Value("2026-11-21"));
    CHECK(stored_after(f, "きょう") == Value("2026-11-21"));
    CHECK(stored_after(f, "昨日") == Value("2026-11-20"));
    CHECK(stored_after(f, "明日") == Value("2026-11-22"));
    CHECK(stored_after(f, "11月3日") == Value("2026-11-03"));
    CHECK(stored_after(f, "2025/12/31") == Value("2025-12-31"));
    CHECK(reask_after(f, "2/30") == "日付をお送りください（例: 11月21日、今日、昨日）。\n\n質問");

    // one minute before Tokyo midnight it is still the 20th
    const FixedClock before_midnight(fixed_now_ms() - 31 * 60'000);
    auto asked = step(f, Session{}, UserInput::start(), context(), before_midnight);
    REQUIRE(asked.session);
    auto r = step(f, *asked.session, UserInput::typed("今日"), context(), before_midnight);
    REQUIRE(r.session);
    CHECK(r.session->vars.at("v") == Value("2026-11-20"));
}

TEST_CASE("text: any text up to max_length", "[unit][flows][engine]") {
    auto f = ask_flow(R"("input": "text", "var": "v", "max_length": 10)");
    CHECK(stored_after(f, "あいうえおかきくけこ") == Value("あいうえおかきくけこ"));
    CHECK(stored_after(f, "熱があります") == Value("熱があります"));
    CHECK(reask_after(f, "あいうえおかきくけこさ") == "10文字以内でお送りください。\n\n質問");
    CHECK(reask_after(f, "") == "文字でお答えください。\n\n質問");
    CHECK(reask_after(f, "\u3000 ") == "文字でお答えください。\n\n質問");
    CHECK(reask_after(f, "あいうえおかきくけこさ", context("en")) == "Please keep it within 10 characters.\n\nQuestion");
    // spaces and line breaks around the answer are not kept (nor counted)
    CHECK(stored_after(f, "\u3000 熱があります\n") == Value("熱があります"));
    CHECK(stored_after(f, " あいうえおかきくけこ\u3000") == Value("あいうえおかきくけこ"));
}

// --- invalid answers ---------------------------------------------------------------------------------

TEST_CASE("invalid answers: re-ask, then give up after max_invalid", "[unit][flows][engine]") {
    SECTION("the node's own re-ask text") {
        auto f = ask_flow(R"("input": "yes_no", "var": "v", "reask": {"ja": "もう一度どうぞ。", "en": "Once more."})");
        auto asked = start(f);
        auto r = type(f, asked, "???");
        REQUIRE(r.messages.size() == 1);
        CHECK(r.messages[0].text == "もう一度どうぞ。\n\n質問");
        CHECK(labels(r.messages[0]) == std::vector<std::string>{"はい", "いいえ", "わからない"});
    }
    SECTION("three invalid answers (the default) with a phone number") {
        auto f = ask_flow(R"("input": "number", "var": "v")");
        auto r1 = type(f, start(f), "a");
        REQUIRE(r1.session);
        CHECK(r1.session->invalid_count == 1);
        auto r2 = type(f, r1, "b");
        REQUIRE(r2.session);
        CHECK(r2.session->invalid_count == 2);
        CHECK_FALSE(r2.gave_up);
        auto r3 = type(f, r2, "c");
        CHECK(r3.gave_up);
        CHECK_FALSE(r3.session);
        CHECK(texts(r3.messages) == std::vector<std::string>{kGaveUpWithPhone});
        CHECK(r3.error.empty());
    }
    SECTION("a valid answer resets the count") {
        auto f = load_ok(R"({"schema_version": 1, "id": "two", "start": "a", "nodes": {
            "a": {"type": "ask", "text": {"ja": "A?"}, "input": "number", "var": "a", "next": "b"},
            "b": {"type": "ask", "text": {"ja": "B?"}, "input": "number", "var": "b", "next": "done"},
            "done": {"type": "end"}}})");
        auto r = type(f, type(f, start(f), "x"), "y");
        REQUIRE(r.session);
        CHECK(r.session->invalid_count == 2);
        r = type(f, r, "1");
        REQUIRE(r.session);
        CHECK(r.session->node == "b");
        CHECK(r.session->invalid_count == 0);
        r = type(f, type(f, r, "x"), "y");
        REQUIRE(r.session);  // two more invalid answers at b do not give up yet
        CHECK(r.session->invalid_count == 2);
    }
    SECTION("without a phone number: the public health centre") {
        auto f = ask_flow(R"("input": "number", "var": "v")");
        const auto c = context("ja", &globals_without_phone());
        auto r = type(f, type(f, type(f, start(f, c), "a", c), "b", c), "c", c);
        CHECK(r.gave_up);
        CHECK_FALSE(r.session);
        CHECK(texts(r.messages) == std::vector<std::string>{kGaveUpNoPhone});
        const Variables empty_phone{{"call_center_phone", Value("")}};
        const auto e = context("ja", &empty_phone);
        auto r2 = type(f, type(f, type(f, start(f, e), "a", e), "b", e), "c", e);
        CHECK(texts(r2.messages) == std::vector<std::string>{kGaveUpNoPhone});
    }
    SECTION("in English") {
        auto f = ask_flow(R"("input": "number", "var": "v")");
        const auto c = context("en");
        auto r = type(f, type(f, type(f, start(f, c), "a", c), "b", c), "c", c);
        REQUIRE(r.messages.size() == 1);
        CHECK(r.messages[0].text ==
              "Sorry, we could not understand the answer.\nIf you need help, please call us: 045-000-1111\n"
              "In a life-threatening emergency, call 119 at once.\nSend \"menu\" to start again.");
    }
    SECTION("the node's max_invalid overrides the flow's") {
        auto f = ask_flow(R"("input": "number", "var": "v", "max_invalid": 1)");
        auto r = type(f, start(f), "a");
        CHECK(r.gave_up);
        CHECK_FALSE(r.session);
        CHECK(texts(r.messages) == std::vector<std::string>{kGaveUpWithPhone});
    }
    SECTION("the flow's max_invalid") {
        auto f = ask_flow(R"("input": "number", "var": "v")", R"( "max_invalid": 2,)");
        auto r1 = type(f, start(f), "a");
        CHECK_FALSE(r1.gave_up);
        auto r2 = type(f, r1, "b");
        CHECK(r2.gave_up);
        CHECK_FALSE(r2.session);
    }
    SECTION("the flow's on_invalid node instead of the built-in help") {
        auto f = load_ok(R"({"schema_version": 1, "id": "oi", "start": "q", "on_invalid": "help", "nodes": {
            "q": {"type": "ask", "text": {"ja": "質問"}, "input": "number", "var": "v", "next": "done"},
            "help": {"type": "message", "text": {"ja": "お手伝いします"}, "next": "phone"},
            "phone": {"type": "ask", "text": {"ja": "電話しますか？"}, "input": "yes_no", "var": "call", "next": "done"},
            "done": {"type": "end"}}})");
        auto r = type(f, type(f, type(f, start(f), "a"), "b"), "c");
        CHECK(r.gave_up);
        CHECK(texts(r.messages) == std::vector<std::string>{"お手伝いします", "電話しますか？"});
        REQUIRE(r.session);
        CHECK(r.session->node == "phone");
        CHECK(r.session->invalid_count == 0);
    }
    SECTION("a message that is not text is not counted") {
        auto f = ask_flow(R"("input": "number", "var": "v", "max_invalid": 1)");
        UserInput sticker;
        sticker.kind = UserInput::Kind::other_message;
        auto r = feed(f, start(f), sticker);
        CHECK_FALSE(r.gave_up);
        REQUIRE(r.session);
        CHECK(r.session->invalid_count == 0);
        CHECK(texts(r.messages) == std::vector<std::string>{"文字でお答えください。\n\n質問"});
    }
}

TEST_CASE("skippable: the skip button stores null", "[unit][flows][engine]") {
    auto f = ask_flow(R"("input": "postal_code", "var": "v", "skippable": true)");
    auto asked = start(f);
    REQUIRE(asked.messages.size() == 1);
    CHECK(labels(asked.messages[0]) == std::vector<std::string>{"スキップ"});
    CHECK(asked.messages[0].quick_replies[0].postback_data == "f=ask_test&v=1&n=q&c=&k=skip");
    CHECK(labels(start(f, context("en")).messages.at(0)) == std::vector<std::string>{"Skip"});

    auto r = feed(f, asked, UserInput::tapped(tap_data(f, "q", "", "skip")));
    REQUIRE(r.session);
    CHECK(r.session->node == "hold");
    REQUIRE(r.session->vars.count("v") == 1);
    CHECK(r.session->vars.at("v").is_null());

    auto choice = ask_flow(
        R"("input": "choice", "var": "v", "skippable": true, "choices": [{"value": "a", "label": {"ja": "エー"}}])"
    );
    CHECK(labels(start(choice).messages.at(0)) == std::vector<std::string>{"エー", "スキップ"});

    // a forged skip on a node that cannot be skipped is an invalid answer
    auto strict = ask_flow(R"("input": "postal_code", "var": "v")");
    auto forged = feed(strict, start(strict), UserInput::tapped(tap_data(strict, "q", "", "skip")));
    REQUIRE(forged.session);
    CHECK(forged.session->node == "q");
    CHECK(forged.session->invalid_count == 1);
    CHECK(forged.session->vars.count("v") == 0);
}

// --- language and placeholders -------------------------------------------------------------------------

TEST_CASE("the conversation's language picks the text, Japanese otherwise", "[unit][flows][engine]") {
    auto f = load_ok(R"({"schema_version": 1, "id": "lang", "start": "both", "nodes": {
        "both": {"type": "message", "text": {"ja": "こんにちは", "en": "Hello"}, "next": "only_ja"},
        "only_ja": {"type": "message", "text": {"ja": "日本語だけ"}, "next": "done"},
        "done": {"type": "end"}}})");
    CHECK(texts(start(f, context("ja")).messages) == std::vector<std::string>{"こんにちは", "日本語だけ"});
    CHECK(texts(start(f, context("en")).messages) == std::vector<std::string>{"Hello", "日本語だけ"});
    CHECK(texts(start(f, context("en-US")).messages) == std::vector<std::string>{"Hello", "日本語だけ"});
    CHECK(texts(start(f, context("ko")).messages) == std::vector<std::string>{"こんにちは", "日本語だけ"});
    CHECK(texts(start(f, context("")).messages) == std::vector<std::string>{"こんにちは", "日本語だけ"});
}

TEST_CASE("placeholders are filled from the session's variables, then the globals", "[unit][flows][engine]") {
    auto f = load_ok(R"({"schema_version": 1, "id": "ph", "start": "name", "nodes": {
        "name": {"type": "set", "values": {"name": "花子", "temp": 36.5, "n": 3}, "next": "say"},
        "say": {"type": "message", "text": {"ja": "{{name}}さん {{ temp }}度 {{n}}回 {{call_center_phone}} {{profile.language}} {{trigger.text}}."}, "next": "override"},
        "override": {"type": "set", "values": {"call_center_phone": "0120-000-000"}, "next": "again"},
        "again": {"type": "message", "text": {"ja": "電話 {{call_center_phone}}"}, "next": "done"},
        "done": {"type": "end"}}})");
    auto r = start(f, context(), {{"trigger.text", Value("健康観察")}});
    CHECK(texts(r.messages) == std::vector<std::string>{"花子さん 36.5度 3回 045-000-1111 ja 健康観察.", "電話 0120-000-000"});
    // without globals, what has no value becomes empty
    auto bare = start(f, context("ja", nullptr));
    CHECK(texts(bare.messages) == std::vector<std::string>{"花子さん 36.5度 3回   .", "電話 0120-000-000"});
}

// --- robustness -----------------------------------------------------------------------------------------

TEST_CASE("a branch cycle without a question is stopped with an apology", "[unit][flows][engine]") {
    auto f = load_ok(R"({"schema_version": 1, "id": "loop", "start": "a", "nodes": {
        "a": {"type": "branch", "cases": [{"if": {"==": [1, 1]}, "next": "b"}], "else": "done"},
        "b": {"type": "branch", "cases": [{"if": {"==": [1, 1]}, "next": "a"}], "else": "done"},
        "done": {"type": "end"}}})");
    auto r = start(f);
    CHECK(contains(r.error, "more than 100 nodes"));
    CHECK(texts(r.messages) == std::vector<std::string>{kFlowError});
    CHECK_FALSE(r.session);
    CHECK_FALSE(r.awaiting_effect);
    CHECK(texts(start(f, context("en")).messages) ==
          std::vector<std::string>{"Sorry, this conversation cannot go on. Send \"menu\" to start again.\n"
                                   "In a life-threatening emergency, call 119 at once."});
}

TEST_CASE("a session at a node the flow lacks ends with an apology", "[unit][flows][engine]") {
    auto f = ask_flow(R"("input": "number", "var": "v")");
    Session s;
    s.flow_id = f.id;
    s.version = 1;
    s.node = "gone";
    auto r = step(f, s, UserInput::typed("1"), context(), the_clock());
    CHECK(contains(r.error, "\"gone\""));
    CHECK(texts(r.messages) == std::vector<std::string>{kFlowError});
    CHECK_FALSE(r.session);
}

TEST_CASE("repeat_question gives the waiting question again", "[unit][flows][engine]") {
    auto f = ask_flow(R"("input": "yes_no", "var": "v")");
    auto asked = start(f);
    REQUIRE(asked.session);
    auto again = repeat_question(f, *asked.session, context());
    REQUIRE(again.size() == 1);
    CHECK(again[0].text == "質問");
    CHECK(labels(again[0]) == std::vector<std::string>{"はい", "いいえ", "わからない"});
    CHECK(serialize(again) == serialize(asked.messages));
    Session elsewhere = *asked.session;
    elsewhere.node = "nope";
    CHECK(repeat_question(f, elsewhere, context()).empty());
}

TEST_CASE("step is deterministic", "[unit][flows][engine]") {
    auto f = load_ok(R"({"schema_version": 1, "id": "det", "start": "pick", "nodes": {
        "pick": {"type": "ask", "text": {"ja": "どれ？"}, "input": "choice", "var": "pick", "skippable": true,
                 "choices": [{"value": "a", "label": {"ja": "エー"}}, {"value": "b", "label": {"ja": "ビー"}}], "next": "temp"},
        "temp": {"type": "ask", "text": {"ja": "体温は？"}, "input": "temperature", "var": "t", "confirm_at_or_above": 40, "next": "when"},
        "when": {"type": "ask", "text": {"ja": "いつ？"}, "input": "date", "var": "d", "next": "save"},
        "save": {"type": "effect", "effect": "user.set_language", "params": {"language": "{{pick}}"}, "result_var": "r", "next": "log"},
        "log": {"type": "effect", "effect": "health.save", "params": {"t": "{{t}}", "d": "{{d}}"}, "next": "done"},
        "done": {"type": "end", "text": {"ja": "{{pick}} {{t}} {{d}} {{r.language}}"}}}})");
    auto run = [&] {
        std::string log;
        auto record = [&](const StepResult& r) {
            log += serialize(r.messages) + serialize(r.session) + "\n" + serialize(r.effects) +
                   (r.awaiting_effect ? "awaiting\n" : "") + r.error + r.goto_flow + "\n";
        };
        auto r = start(f);
        record(r);
        for (const UserInput& in :
             {UserInput::typed("シー"), UserInput::tapped(tap_data(f, "pick", "b")), UserInput::typed("41"),
              UserInput::typed("いいえ"), UserInput::typed("36度8分"), UserInput::typed("昨日")}) {
            r = feed(f, r, in);
            record(r);
        }
        r = feed(f, r, UserInput::effect_done({{"language", Value("en")}}));
        record(r);
        return log;
    };
    const auto first = run();
    const auto second = run();
    CHECK(first == second);
    CHECK(contains(first, "b 36.8 2026-11-20 en"));
    CHECK(contains(first, "health.save() d=2026-11-20 t=36.8"));
}
