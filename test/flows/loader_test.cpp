#include "flows/loader.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "flow_test_support.hpp"

using namespace flowtest;

namespace {

LoadResult load(const std::string& json) { return load_flow(json, registry()); }

/// Whether some problem belongs to `node` ("" = the flow as a whole) and mentions `phrase`.
bool has_problem(const LoadResult& r, const std::string& node, const std::string& phrase) {
    for (const auto& p : r.problems) {
        if (p.node == node && contains(p.message, phrase)) return true;
    }
    return false;
}

/// A flow document around `nodes` (the inside of "nodes": {...}) starting at `start`.
std::string flow_doc(const std::string& nodes, const std::string& start = "hello", const std::string& extra = "") {
    return R"({"schema_version": 1, "id": "t", "start": ")" + start + "\"," + extra + R"( "nodes": {)" + nodes + "}}";
}

const char* kEnd = R"("bye": {"type": "end"})";

/// `count` choices with values c1.. and labels 選択肢1..
std::string choices(int count) {
    std::string out;
    for (int i = 1; i <= count; ++i) {
        if (i > 1) out += ",";
        out += R"({"value": "c)" + std::to_string(i) + R"(", "label": {"ja": "選択肢)" + std::to_string(i) + R"("}})";
    }
    return out;
}

std::string choice_ask(const std::string& choices_json, const std::string& extra = "") {
    return R"("q": {"type": "ask", "text": {"ja": "どれ？"}, "input": "choice", "var": "pick", "choices": [)" +
           choices_json + "]," + extra + R"( "next": "bye"}, )" + kEnd;
}

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

}  // namespace

TEST_CASE("a minimal flow loads and is built as written", "[unit][flows][loader]") {
    auto r = load(flow_doc(R"("hello": {"type": "message", "text": {"ja": "こんにちは", "en": "Hello"}, "next": "bye"}, )" +
                           std::string(kEnd)));
    INFO(all_problems(r));
    REQUIRE(r.problems.empty());
    REQUIRE(r.flow);
    CHECK(r.id == "t");
    CHECK(r.flow->id == "t");
    CHECK(r.flow->start == "hello");
    CHECK(r.flow->timeout_minutes == 30);
    CHECK(r.flow->max_invalid == 3);
    REQUIRE(r.flow->nodes.size() == 2);
    CHECK(r.flow->nodes[0].id == "hello");
    CHECK(r.flow->nodes[0].type == NodeType::message);
    CHECK(r.flow->nodes[0].next == "bye");
    CHECK(r.flow->nodes[0].text.get("en") == "Hello");
    CHECK(r.flow->nodes[1].type == NodeType::end);
}

TEST_CASE("the document as a whole: JSON and the top-level fields", "[unit][flows][loader]") {
    const std::string nodes = R"("hello": {"type": "message", "text": {"ja": "こんにちは"}, "next": "bye"}, )" + std::string(kEnd);

    SECTION("not JSON") {
        auto r = load(R"({"schema_version": 1, "id": "t", "start": )");
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].node.empty());
        CHECK(contains(r.problems[0].message, "this is not valid JSON"));
        CHECK(r.id.empty());
    }
    SECTION("a JSON array instead of an object") {
        auto r = load("[1, 2]");
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "", "must be a JSON object"));
    }
    SECTION("missing schema_version") {
        auto r = load(R"({"id": "t", "start": "hello", "nodes": {)" + nodes + "}}");
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "", "\"schema_version\" is missing"));
        CHECK(r.id == "t");  // still read, for messages about the file
    }
    SECTION("schema_version 2") {
        auto r = load(R"({"schema_version": 2, "id": "t", "start": "hello", "nodes": {)" + nodes + "}}");
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "", "\"schema_version\" must be 1"));
    }
    SECTION("missing id") {
        auto r = load(R"({"schema_version": 1, "start": "hello", "nodes": {)" + nodes + "}}");
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "", "\"id\" is missing"));
        CHECK(r.id.empty());
    }
    SECTION("an id with capitals") {
        auto r = load(R"({"schema_version": 1, "id": "Main-Menu", "start": "hello", "nodes": {)" + nodes + "}}");
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "", "the id \"Main-Menu\" may only use a-z, 0-9 and _"));
    }
    SECTION("missing start") {
        auto r = load(R"({"schema_version": 1, "id": "t", "nodes": {)" + nodes + "}}");
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "", "\"start\" is missing"));
    }
    SECTION("missing nodes") {
        auto r = load(R"({"schema_version": 1, "id": "t", "start": "hello"})");
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "", "\"nodes\" must be an object of node id -> node, with at least one node"));
    }
    SECTION("empty nodes") {
        auto r = load(R"({"schema_version": 1, "id": "t", "start": "hello", "nodes": {}})");
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "", "\"nodes\" must be an object"));
    }
    SECTION("an unknown top-level field") {
        auto r = load(R"({"schema_version": 1, "id": "t", "strat": "x", "start": "hello", "nodes": {)" + nodes + "}}");
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "", "unknown field \"strat\" at the top of the flow"));
    }
    SECTION("start is not a node") {
        auto r = load(flow_doc(nodes, "helo"));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "", "\"start\" names \"helo\", which is not a node"));
    }
    SECTION("on_invalid is not a node") {
        auto r = load(flow_doc(nodes, "hello", R"( "on_invalid": "help",)"));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "", "\"on_invalid\" names \"help\", which is not a node"));
    }
}

TEST_CASE("node types and fields", "[unit][flows][loader]") {
    SECTION("unknown node type") {
        auto r = load(flow_doc(R"("hello": {"type": "question", "text": {"ja": "?"}})"));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "unknown node type \"question\"; use one of message, ask, branch"));
    }
    SECTION("a node without a type") {
        auto r = load(flow_doc(R"("hello": {"text": {"ja": "?"}})"));
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "the node has no \"type\""));
    }
    SECTION("a typo in a field name (\"nxt\")") {
        auto r = load(flow_doc(R"("hello": {"type": "message", "text": {"ja": "こんにちは"}, "nxt": "bye"}, )" + std::string(kEnd)));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        CHECK(has_problem(r, "hello", "unknown field \"nxt\" for a message node"));
        CHECK(has_problem(r, "hello", "\"next\" is missing"));
    }
    SECTION("missing next") {
        auto r = load(flow_doc(R"("hello": {"type": "message", "text": {"ja": "こんにちは"}}, )" + std::string(kEnd)));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        CHECK(has_problem(r, "hello", "\"next\" is missing: say which node comes after this message node"));
    }
    SECTION("a message with both text and template") {
        auto r = load(flow_doc(
            R"("hello": {"type": "message", "text": {"ja": "こんにちは"}, "template": "call_center", "next": "bye"}, )" +
            std::string(kEnd)
        ));
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "needs either \"text\" or \"template\""));
    }
    SECTION("a field of another node type (\"choices\" on a message)") {
        auto r = load(flow_doc(
            R"("hello": {"type": "message", "text": {"ja": "こんにちは"}, "choices": [], "next": "bye"}, )" + std::string(kEnd)
        ));
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "unknown field \"choices\" for a message node"));
    }
}

TEST_CASE("effects and templates are checked against the registry", "[unit][flows][loader]") {
    SECTION("unknown effect") {
        auto r = load(flow_doc(R"("hello": {"type": "effect", "effect": "health.delete", "next": "bye"}, )" + std::string(kEnd)));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "unknown effect \"health.delete\"; this sapo knows: alert.raise, checkin.record, facility.join, facility.register, "
                                    "facility.staff_keyword, faq.answer, faq.hours, faq.miss, faq.show, health.begin, health.enrol, health.save, "
                                    "notification.request, notification.staff_facility, support.centre, support.save, support.stop, "
                                    "user.set_language"));
    }
    SECTION("an effect node without an effect") {
        auto r = load(flow_doc(R"("hello": {"type": "effect", "next": "bye"}, )" + std::string(kEnd)));
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "an effect node needs \"effect\""));
    }
    SECTION("missing required effect parameter") {
        auto r = load(flow_doc(
            R"("hello": {"type": "effect", "effect": "user.set_language", "params": {"lang": "en"}, "next": "bye"}, )" +
            std::string(kEnd)
        ));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "the effect \"user.set_language\" needs the parameter \"language\""));
    }
    SECTION("an effect with outputs is marked as waiting, result_var defaulting to the effect's name") {
        auto r = load(flow_doc(
            R"("hello": {"type": "effect", "effect": "user.set_language", "params": {"language": "en"}, "next": "bye"},
               "bye": {"type": "end", "text": {"ja": "{{user.set_language.language}}"}})"
        ));
        INFO(all_problems(r));
        REQUIRE(r.flow);
        CHECK(r.flow->nodes[0].effect_waits);
        CHECK(r.flow->nodes[0].result_var == "user.set_language");
    }
    SECTION("an effect without outputs does not wait") {
        auto r = load(flow_doc(R"("hello": {"type": "effect", "effect": "health.save", "next": "bye"}, )" + std::string(kEnd)));
        INFO(all_problems(r));
        REQUIRE(r.flow);
        CHECK_FALSE(r.flow->nodes[0].effect_waits);
        CHECK(r.flow->nodes[0].result_var.empty());
    }
    SECTION("unknown template") {
        auto r = load(flow_doc(R"("hello": {"type": "message", "template": "call_centre", "next": "bye"}, )" + std::string(kEnd)));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "unknown template \"call_centre\"; available: call_center"));
    }
    SECTION("a template placeholder without a param or source") {
        Registry reg = registry();
        std::vector<std::string> problems;
        auto t = load_template(R"({"id": "greet", "message": {"ja": {"type": "text", "text": "{{nickname}}さん"}}})", problems);
        REQUIRE(t);
        reg.templates["greet"] = *t;
        auto r = load_flow(flow_doc(R"("hello": {"type": "message", "template": "greet", "next": "bye"}, )" + std::string(kEnd)), reg);
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "the placeholder {{nickname}} has no source"));
        // with the param given, the same flow is fine
        auto ok = load_flow(
            flow_doc(R"("hello": {"type": "message", "template": "greet", "params": {"nickname": "さぽ"}, "next": "bye"}, )" +
                     std::string(kEnd)),
            reg
        );
        INFO(all_problems(ok));
        CHECK(ok.problems.empty());
    }
}

TEST_CASE("links between nodes", "[unit][flows][loader]") {
    SECTION("dangling next") {
        auto r = load(flow_doc(R"("hello": {"type": "message", "text": {"ja": "こんにちは"}, "next": "by"}, )" + std::string(kEnd)));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        CHECK(has_problem(r, "hello", "\"next\" points to \"by\", which is not a node in this flow"));
    }
    SECTION("dangling else") {
        auto r = load(flow_doc(
            R"("hello": {"type": "branch", "cases": [{"if": {"==": [1, 1]}, "next": "bye"}], "else": "nowhere"}, )" +
            std::string(kEnd)
        ));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "\"else\" points to \"nowhere\", which is not a node in this flow"));
    }
    SECTION("dangling case next") {
        auto r = load(flow_doc(
            R"("hello": {"type": "branch", "cases": [{"if": {"==": [1, 1]}, "next": "bye"}, {"if": {"==": [1, 2]}, "next": "nowhere"}], "else": "bye"}, )" +
            std::string(kEnd)
        ));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "\"next of case 2\" points to \"nowhere\", which is not a node in this flow"));
    }
    SECTION("a branch without else") {
        auto r = load(flow_doc(R"("hello": {"type": "branch", "cases": [{"if": {"==": [1, 1]}, "next": "bye"}]}, )" + std::string(kEnd)));
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "a branch node needs \"else\""));
    }
    SECTION("unreachable node") {
        auto r = load(flow_doc(
            R"("hello": {"type": "message", "text": {"ja": "こんにちは"}, "next": "bye"}, "orphan": {"type": "end", "text": {"ja": "誰も来ない"}}, )" +
            std::string(kEnd)
        ));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "orphan", "nothing leads to this node from the start node \"hello\""));
    }
    SECTION("the on_invalid node counts as reachable from an ask") {
        auto r = load(flow_doc(
            R"("hello": {"type": "ask", "text": {"ja": "年齢は？"}, "input": "number", "var": "age", "next": "bye"},
               "help": {"type": "end", "text": {"ja": "お電話ください"}}, )" +
                std::string(kEnd),
            "hello", R"( "on_invalid": "help",)"
        ));
        INFO(all_problems(r));
        CHECK(r.problems.empty());
    }
    SECTION("a cycle of message nodes with no exit") {
        auto r = load(flow_doc(
            R"("a": {"type": "message", "text": {"ja": "A"}, "next": "b"}, "b": {"type": "message", "text": {"ja": "B"}, "next": "a"})",
            "a"
        ));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 2);
        CHECK(has_problem(r, "a", "can never reach an end or a goto"));
        CHECK(has_problem(r, "b", "can never reach an end or a goto"));
    }
    SECTION("a cycle that a branch can leave is fine") {
        auto r = load(flow_doc(
            R"("a": {"type": "message", "text": {"ja": "A"}, "next": "b"},
               "b": {"type": "branch", "cases": [{"if": {"==": [1, 2]}, "next": "a"}], "else": "bye"}, )" +
                std::string(kEnd),
            "a"
        ));
        INFO(all_problems(r));
        CHECK(r.problems.empty());
    }
    SECTION("goto targets are checked when the registry knows the flow ids") {
        const auto doc = flow_doc(R"("hello": {"type": "goto", "flow": "main_manu"})");
        auto checked = load_flow(doc, registry_with_flow_ids(shipped_flow_ids()));
        INFO(all_problems(checked));
        REQUIRE(checked.problems.size() == 1);
        CHECK(has_problem(checked, "hello", "goto names the flow \"main_manu\", which does not exist"));
        // single-file validation does not know the other flows
        CHECK(load(doc).problems.empty());
        CHECK(load_flow(flow_doc(R"("hello": {"type": "goto", "flow": "main_menu"})"), registry_with_flow_ids(shipped_flow_ids()))
                  .problems.empty());
    }
}

TEST_CASE("LINE's limits", "[unit][flows][loader]") {
    SECTION("13 choices are fine") {
        auto r = load(flow_doc(choice_ask(choices(13)), "q"));
        INFO(all_problems(r));
        CHECK(r.problems.empty());
    }
    SECTION("14 choices are too many") {
        auto r = load(flow_doc(choice_ask(choices(14)), "q"));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "q", "14 quick replies (choices), but LINE shows at most 13"));
    }
    SECTION("13 choices plus the skip button are too many") {
        auto r = load(flow_doc(choice_ask(choices(13), R"( "skippable": true,)"), "q"));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "q", "14 quick replies (choices plus the skip button), but LINE shows at most 13"));
    }
    SECTION("a Japanese label of 20 characters is fine, 21 is too long") {
        const std::string twenty = "あいうえおかきくけこさしすせそたちつてと";
        REQUIRE(label_length(twenty) == 20);
        auto ok = load(flow_doc(choice_ask(R"({"value": "a", "label": {"ja": ")" + twenty + R"("}})"), "q"));
        INFO(all_problems(ok));
        CHECK(ok.problems.empty());

        auto r = load(flow_doc(choice_ask(R"({"value": "a", "label": {"ja": ")" + twenty + R"(な"}})"), "q"));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "q", "the label of choice 1 \"" + twenty + "な\" (ja) is 21 characters; LINE shows at most 20"));
    }
    SECTION("text: 5,000 UTF-16 units are fine, 5,002 are not") {
        // U+1F600 is one character but two UTF-16 units
        const std::string emoji = "\U0001F600";
        auto ok = load(flow_doc(R"("hello": {"type": "message", "text": {"ja": ")" + repeat(emoji, 2500) + R"("}, "next": "bye"}, )" +
                                std::string(kEnd)));
        INFO(all_problems(ok));
        CHECK(ok.problems.empty());

        auto r = load(flow_doc(R"("hello": {"type": "message", "text": {"ja": ")" + repeat(emoji, 2501) + R"("}, "next": "bye"}, )" +
                               std::string(kEnd)));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "the text (ja) is 5,002 characters; LINE allows at most 5,000"));
    }
}

TEST_CASE("conditions", "[unit][flows][loader]") {
    auto branch = [](const std::string& condition) {
        return flow_doc(
            R"("hello": {"type": "branch", "cases": [{"if": )" + condition + R"(, "next": "bye"}], "else": "bye"}, )" + std::string(kEnd)
        );
    };
    SECTION("an operation that is not allowed") {
        auto r = load(branch(R"({"+": [1, 2]})"));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "the condition of case 1 is not valid"));
        CHECK(has_problem(r, "hello", "\"+\""));
        CHECK(has_problem(r, "hello", "not allowed"));
    }
    SECTION("wrong number of operands") {
        auto r = load(branch(R"({"==": [1]})"));
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "the condition of case 1 is not valid: \"==\" needs 2 operands, got 1"));
    }
    SECTION("two operations in one object") {
        auto r = load(branch(R"({"==": [1, 1], "<": [1, 2]})"));
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "exactly one operation"));
    }
    SECTION("reading a variable nothing fills") {
        auto r = load(branch(R"({"==": [{"var": "fever"}, "yes"]})"));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "the condition reads \"fever\", which no ask, set or effect in this flow fills"));
    }
    SECTION("reading globals, trigger.* and variables an ask fills is fine") {
        auto r = load(flow_doc(
            R"("hello": {"type": "ask", "text": {"ja": "熱は？"}, "input": "yes_no", "var": "fever", "next": "check"},
               "check": {"type": "branch", "cases": [
                   {"if": {"==": [{"var": "fever"}, "yes"]}, "next": "bye"},
                   {"if": {"missing": ["call_center_phone", "profile.language"]}, "next": "bye"},
                   {"if": {"in": ["help", {"var": "trigger.text"}]}, "next": "bye"}], "else": "bye"}, )" +
            std::string(kEnd)
        ));
        INFO(all_problems(r));
        CHECK(r.problems.empty());
    }
    SECTION("a set node's value is a condition too") {
        auto r = load(flow_doc(R"("hello": {"type": "set", "values": {"x": {"map": [[1], 2]}}, "next": "bye"}, )" + std::string(kEnd)));
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "the value of \"x\" is not valid"));
        CHECK(has_problem(r, "hello", "\"map\""));
    }
}

TEST_CASE("texts and placeholders", "[unit][flows][loader]") {
    SECTION("missing Japanese text") {
        auto r = load(flow_doc(R"("hello": {"type": "message", "text": {"en": "Hello"}, "next": "bye"}, )" + std::string(kEnd)));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "the text has no Japanese (\"ja\") version"));
    }
    SECTION("a choice label without Japanese") {
        auto r = load(flow_doc(choice_ask(R"({"value": "a", "label": {"en": "Apple"}})"), "q"));
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "q", "the label of choice 1 has no Japanese (\"ja\") version"));
    }
    SECTION("an empty text") {
        auto r = load(flow_doc(R"("hello": {"type": "message", "text": {"ja": ""}, "next": "bye"}, )" + std::string(kEnd)));
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "the text (ja) is empty"));
    }
    SECTION("placeholder with no source") {
        auto r = load(flow_doc(R"("hello": {"type": "message", "text": {"ja": "{{nickname}}さん、こんにちは"}, "next": "bye"}, )" +
                               std::string(kEnd)));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "hello", "the placeholder {{nickname}} has no source"));
    }
    SECTION("the same missing placeholder in a second language is reported once") {
        auto r = load(flow_doc(
            R"("hello": {"type": "message", "text": {"ja": "{{nickname}}さん", "en": "Hi {{nickname}}"}, "next": "bye"}, )" + std::string(kEnd)
        ));
        INFO(all_problems(r));
        CHECK(r.problems.size() == 1);
    }
    SECTION("placeholders from an ask, a set, an effect's outputs, globals and the trigger are fine") {
        auto r = load(flow_doc(
            R"("hello": {"type": "ask", "text": {"ja": "お名前は？ {{trigger.text}}"}, "input": "text", "var": "name", "next": "s"},
               "s": {"type": "set", "values": {"greeting": "こんにちは"}, "next": "e"},
               "e": {"type": "effect", "effect": "user.set_language", "params": {"language": "{{profile.language}}"}, "result_var": "r", "next": "bye"},
               "bye": {"type": "end", "text": {"ja": "{{greeting}} {{name}} {{r.language}} {{call_center_phone}}"}})"
        ));
        INFO(all_problems(r));
        CHECK(r.problems.empty());
    }
    SECTION("{{value}} is allowed in a confirmation text only") {
        auto ok = load(flow_doc(
            R"("q": {"type": "ask", "text": {"ja": "体温は？"}, "input": "temperature", "var": "t", "confirm_at_or_above": 40,
                     "confirm_text": {"ja": "{{value}}で合っていますか？"}, "next": "bye"}, )" + std::string(kEnd),
            "q"
        ));
        INFO(all_problems(ok));
        CHECK(ok.problems.empty());
        auto bad = load(flow_doc(R"("q": {"type": "ask", "text": {"ja": "{{value}}？"}, "input": "temperature", "var": "t", "next": "bye"}, )" +
                                     std::string(kEnd),
                                 "q"));
        INFO(all_problems(bad));
        REQUIRE(bad.problems.size() == 1);
        CHECK(has_problem(bad, "q", "the placeholder {{value}} has no source"));
    }
}

TEST_CASE("ask nodes", "[unit][flows][loader]") {
    SECTION("duplicate choice values") {
        auto r = load(flow_doc(
            choice_ask(R"({"value": "a", "label": {"ja": "はい"}}, {"value": "a", "label": {"ja": "いいえ"}})"), "q"
        ));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "q", "choice 2 repeats the value \"a\""));
    }
    SECTION("a choice ask without choices") {
        auto r = load(flow_doc(R"("q": {"type": "ask", "text": {"ja": "どれ？"}, "input": "choice", "var": "pick", "next": "bye"}, )" +
                                   std::string(kEnd),
                               "q"));
        INFO(all_problems(r));
        CHECK_FALSE(r.flow);
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "q", "a choice question needs \"choices\""));
    }
    SECTION("choices on a question that is not a choice") {
        auto r = load(flow_doc(
            R"("q": {"type": "ask", "text": {"ja": "熱は？"}, "input": "yes_no", "var": "fever", "choices": [{"value": "a", "label": {"ja": "A"}}], "next": "bye"}, )" +
                std::string(kEnd),
            "q"
        ));
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "q", "\"choices\" only belong to a question with \"input\": \"choice\""));
    }
    SECTION("unknown input type") {
        auto r = load(flow_doc(R"("q": {"type": "ask", "text": {"ja": "?"}, "input": "email", "var": "mail", "next": "bye"}, )" +
                                   std::string(kEnd),
                               "q"));
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "q", "unknown input \"email\""));
    }
    SECTION("an ask without var") {
        auto r = load(flow_doc(R"("q": {"type": "ask", "text": {"ja": "?"}, "input": "text", "next": "bye"}, )" + std::string(kEnd), "q"));
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "q", "an ask node needs \"var\""));
    }
    SECTION("min above max") {
        auto r = load(flow_doc(
            R"("q": {"type": "ask", "text": {"ja": "?"}, "input": "number", "var": "n", "min": 10, "max": 1, "next": "bye"}, )" + std::string(kEnd),
            "q"
        ));
        INFO(all_problems(r));
        REQUIRE(r.problems.size() == 1);
        CHECK(has_problem(r, "q", "\"min\" is larger than \"max\""));
    }
    SECTION("the fields of an ask are read") {
        auto r = load(flow_doc(
            R"("q": {"type": "ask", "text": {"ja": "年齢は？"}, "input": "number", "var": "age", "min": 0, "max": 120,
                     "units": ["歳", "才"], "max_invalid": 2, "skippable": true, "next": "bye"}, )" + std::string(kEnd),
            "q"
        ));
        INFO(all_problems(r));
        REQUIRE(r.flow);
        const Node& q = r.flow->nodes[0];
        CHECK(q.input == InputType::number);
        CHECK(q.var == "age");
        CHECK(q.min == 0.0);
        CHECK(q.max == 120.0);
        CHECK(q.units_csv == "歳,才");
        CHECK(q.max_invalid == 2);
        CHECK(q.skippable);
        CHECK_FALSE(q.reentrant);
    }
}

TEST_CASE("every problem is reported, not only the first", "[unit][flows][loader]") {
    auto r = load(flow_doc(
        R"("hello": {"type": "message", "text": {"en": "Hello"}, "next": "save"},
           "save": {"type": "effect", "effect": "health.delete", "next": "card"},
           "card": {"type": "message", "template": "nope", "next": "q"},
           "q": {"type": "ask", "text": {"ja": "どれ？"}, "input": "choice", "var": "pick", "colour": "red",
                 "choices": [{"value": "a", "label": {"ja": "A"}}, {"value": "a", "label": {"ja": "B"}}], "next": "check"},
           "check": {"type": "branch", "cases": [{"if": {"+": [1, 1]}, "next": "bye"}], "else": "nowhere"}, )" +
        std::string(kEnd)
    ));
    INFO(all_problems(r));
    CHECK_FALSE(r.flow);
    CHECK(r.problems.size() >= 6);
    CHECK(has_problem(r, "hello", "no Japanese"));
    CHECK(has_problem(r, "save", "unknown effect \"health.delete\""));
    CHECK(has_problem(r, "card", "unknown template \"nope\""));
    CHECK(has_problem(r, "q", "unknown field \"colour\" for a ask node"));
    CHECK(has_problem(r, "q", "choice 2 repeats the value \"a\""));
    CHECK(has_problem(r, "check", "\"+\""));
    CHECK(has_problem(r, "check", "\"else\" points to \"nowhere\""));
}

TEST_CASE("the shipped flows load without problems", "[unit][flows][loader]") {
    const auto reg = registry_with_flow_ids(shipped_flow_ids());
    for (const auto& id : shipped_flow_ids()) {
        const auto path = shipped_flow_path(id);
        INFO(path);
        auto r = load_flow(read_text_file(path), reg);
        std::string lines;
        for (const auto& p : r.problems) lines += format_problem(path, p) + "\n";
        INFO(lines);
        CHECK(r.problems.empty());
        REQUIRE(r.flow);
        CHECK(r.flow->id == id);
        CHECK(r.id == id);
        CHECK(r.flow->node(r.flow->start) != nullptr);
    }
    // and the shipped template loads as well
    std::vector<std::string> problems;
    auto t = load_template(read_text_file(SAPO_FIXTURES_DIR "/../../templates/call_center.json"), problems);
    INFO(problems.size());
    REQUIRE(t);
    CHECK(problems.empty());
    CHECK(t->id == "call_center");
    CHECK(t->placeholders == std::vector<std::string>{"call_center_phone"});
    CHECK(t->message_json_by_language.count("ja") == 1);
    CHECK(t->message_json_by_language.count("en") == 1);
}

TEST_CASE("the shipped flows need the registry's effects, templates and flows", "[unit][flows][loader]") {
    // personal_support uses the support_centre template; language uses user.set_language
    Registry bare;
    bare.globals = registry().globals;
    auto support = load_flow(read_text_file(shipped_flow_path("personal_support")), bare);
    CHECK(has_problem(support, "centre_a", "unknown template \"support_centre\""));
    auto language = load_flow(read_text_file(shipped_flow_path("language")), bare);
    CHECK(has_problem(language, "save", "unknown effect \"user.set_language\"; this sapo knows: (none)"));
    auto welcome = load_flow(read_text_file(shipped_flow_path("welcome")), registry_with_flow_ids({"language"}));
    CHECK(has_problem(welcome, "to_menu", "goto names the flow \"main_menu\", which does not exist"));
}

TEST_CASE("placeholders_in lists the names in order", "[unit][flows][loader]") {
    CHECK(placeholders_in("{{a}} and {{ b }} and {{c.d}}") == std::vector<std::string>{"a", "b", "c.d"});
    CHECK(placeholders_in("{{a}}{{a}}") == std::vector<std::string>{"a", "a"});
    CHECK(placeholders_in("no placeholders") == std::vector<std::string>{});
    CHECK(placeholders_in("{{}} and {{   }}") == std::vector<std::string>{});
    CHECK(placeholders_in("{{unclosed") == std::vector<std::string>{});
    CHECK(placeholders_in("熱は{{temp}}度、{{name}}さん") == std::vector<std::string>{"temp", "name"});
}

TEST_CASE("load_template", "[unit][flows][loader]") {
    SECTION("a good template") {
        std::vector<std::string> problems;
        auto t = load_template(
            R"({"id": "card", "message": {"ja": {"type": "text", "text": "{{name}}さん {{phone}} {{name}}"}, "en": {"type": "text", "text": "{{phone}}"}}})",
            problems
        );
        REQUIRE(t);
        CHECK(problems.empty());
        CHECK(t->id == "card");
        // every name once, in the order of the document (ja first here) and of appearance
        CHECK(t->placeholders == std::vector<std::string>{"name", "phone"});
        CHECK(t->message_json_by_language.at("en") == R"({"type":"text","text":"{{phone}}"})");
    }
    SECTION("not JSON") {
        std::vector<std::string> problems;
        CHECK_FALSE(load_template("{\"id\": ", problems));
        REQUIRE(problems.size() == 1);
        CHECK(contains(problems[0], "must be a JSON object"));
    }
    SECTION("a bad id") {
        std::vector<std::string> problems;
        CHECK_FALSE(load_template(R"({"id": "Call-Center", "message": {"ja": {"type": "text", "text": "x"}}})", problems));
        REQUIRE(problems.size() == 1);
        CHECK(contains(problems[0], "needs an \"id\""));
    }
    SECTION("no Japanese message") {
        std::vector<std::string> problems;
        CHECK_FALSE(load_template(R"({"id": "card", "message": {"en": {"type": "text", "text": "x"}}})", problems));
        REQUIRE(problems.size() == 1);
        CHECK(contains(problems[0], "template \"card\" has no Japanese (\"ja\") message"));
    }
    SECTION("a message that is not a LINE message object") {
        std::vector<std::string> problems;
        CHECK_FALSE(load_template(R"({"id": "card", "message": {"ja": "text"}})", problems));
        REQUIRE(problems.size() == 2);
        CHECK(contains(problems[0], "the ja message must be a LINE message object"));
        CHECK(contains(problems[1], "no Japanese"));
    }
    SECTION("message missing") {
        std::vector<std::string> problems;
        CHECK_FALSE(load_template(R"({"id": "card"})", problems));
        REQUIRE(problems.size() == 1);
        CHECK(contains(problems[0], "template \"card\": \"message\" must be"));
    }
}

TEST_CASE("format_problem", "[unit][flows][loader]") {
    CHECK(format_problem("flows/definitions/x.json", Problem{"q", "boom"}) == "flows/definitions/x.json: node \"q\": boom");
    CHECK(format_problem("flows/definitions/x.json", Problem{"", "boom"}) == "flows/definitions/x.json: boom");
    CHECK(format_problem("", Problem{"", "boom"}) == ": boom");
}

// Typos inside a choice ("synonym" for "synonyms") and a case are reported like node fields: a
// misspelt synonym list would otherwise silently never match.
TEST_CASE("an unknown field inside a choice is reported", "[unit][flows][loader]") {
    auto r = load(flow_doc(choice_ask(R"({"value": "a", "label": {"ja": "はい"}, "synonym": ["うん"]})"), "q"));
    INFO(all_problems(r));
    CHECK_FALSE(r.flow);
    CHECK(has_problem(r, "q", "\"synonym\""));
}
