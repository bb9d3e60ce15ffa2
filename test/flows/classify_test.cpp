// The classify node: what the loader refuses (with the problem texts operators read) and how the
// engine decides, the first matching rule's result and the reasons of every matching rule with
// that result, in rule order, in the user's language.

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

LoadResult load(const std::string& json) { return load_flow(json, registry()); }

/// A flow that starts at the classify node `c` (the inside of its object, without "type" and
/// "next") and ends at "bye".
std::string classify_only(const std::string& fields) {
    return R"({"schema_version": 1, "id": "t", "start": "c", "nodes": {
        "c": {"type": "classify", )" +
           fields + R"(, "next": "bye"},
        "bye": {"type": "end"}}})";
}

/// set `values` -> classify (var "outcome", `extra` fields, `rules`) -> a question that holds,
/// so the variables can be read from the session.
std::string classify_flow(const std::string& values, const std::string& rules,
                          const std::string& extra = R"("reasons_var": "why",)") {
    return R"({"schema_version": 1, "id": "cl", "start": "init", "nodes": {
        "init": {"type": "set", "values": )" +
           values + R"(, "next": "triage"},
        "triage": {"type": "classify", "var": "outcome", )" +
           extra + R"( "rules": [)" + rules + R"(], "next": "hold"},
        "hold": {"type": "ask", "text": {"ja": "ほかに？", "en": "Anything else?"}, "input": "text", "var": "rest", "next": "done"},
        "done": {"type": "end"}}})";
}

StepResult start(const Flow& f, const StepContext& c = context()) {
    Session s;
    return step(f, s, UserInput::start(), c, the_clock());
}

/// Runs `flow` to the holding question and returns its variables.
Variables vars_after(const std::string& json, const StepContext& c = context()) {
    Flow f = load_ok(json);
    auto r = start(f, c);
    INFO(serialize(r.messages) << r.error);
    CHECK(r.error.empty());
    REQUIRE(r.session);
    CHECK(r.session->node == "hold");
    return r.session->vars;
}

std::string var_text(const Variables& vars, const std::string& name) {
    auto it = vars.find(name);
    INFO("variable " << name << " in " << to_json(vars));
    REQUIRE(it != vars.end());
    REQUIRE(it->second.is_string());
    return it->second.as_string();
}

}  // namespace

// --- loading ---------------------------------------------------------------------------------------

TEST_CASE("classify: a good node loads as written", "[flows][classify]") {
    auto r = load(classify_only(R"("var": "outcome", "reasons_var": "why", "note": "the table", "rules": [
        {"if": {"==": [{"var": "trigger.text"}, "x"]}, "result": "A", "reason": {"ja": "エックス", "en": "an x"}, "note": "first"},
        {"if": true, "result": "C"}])"));
    INFO(all_problems(r));
    REQUIRE(r.problems.empty());
    REQUIRE(r.flow);
    const Node* n = r.flow->node("c");
    REQUIRE(n);
    CHECK(n->type == NodeType::classify);
    CHECK(std::string(node_type_name(n->type)) == "classify");
    CHECK(n->var == "outcome");
    CHECK(n->reasons_var == "why");
    CHECK(n->next == "bye");
    REQUIRE(n->rules.size() == 2);
    CHECK(n->rules[0].result == "A");
    CHECK(n->rules[0].reason.get("ja") == "エックス");
    CHECK(n->rules[0].reason.get("en") == "an x");
    CHECK(n->rules[1].result == "C");
    CHECK(n->rules[1].reason.empty());
}

TEST_CASE("classify: reasons_var may be left out", "[flows][classify]") {
    auto r = load(classify_only(R"("var": "outcome", "rules": [{"if": true, "result": "A"}])"));
    INFO(all_problems(r));
    REQUIRE(r.problems.empty());
    REQUIRE(r.flow);
    CHECK(r.flow->node("c")->reasons_var.empty());
}

TEST_CASE("classify: a result of 40 characters is accepted, 41 is too long", "[flows][classify]") {
    const std::string forty(40, 'x');
    auto ok = load(classify_only(R"("var": "outcome", "rules": [{"if": true, "result": ")" + forty + R"("}])"));
    INFO(all_problems(ok));
    REQUIRE(ok.problems.empty());
    CHECK(ok.flow->node("c")->rules.at(0).result == forty);

    auto long_one = load(classify_only(R"("var": "outcome", "rules": [{"if": true, "result": ")" + forty + R"(y"}])"));
    CHECK_FALSE(long_one.flow);
    CHECK(all_problems(long_one) ==
          "flow: node \"c\": rule 1 needs \"result\": the outcome as a short text such as \"A\"\n");
}

TEST_CASE("classify: the loader's problems, word for word", "[flows][classify]") {
    struct Case {
        const char* name;
        std::string fields;
        std::string problems;
    };
    const std::string kRulesNeeded =
        "flow: node \"c\": a classify node needs \"rules\": a list of {\"if\": condition, \"result\": \"A\", \"reason\": "
        "{\"ja\": …}}\n";
    const std::string kResultNeeded = "flow: node \"c\": rule 1 needs \"result\": the outcome as a short text such as \"A\"\n";
    const std::vector<Case> cases{
        {"no var", R"("rules": [{"if": true, "result": "A"}])",
         "flow: node \"c\": a classify node needs \"var\": the variable that gets the outcome\n"},
        {"no rules", R"("var": "outcome")", kRulesNeeded},
        {"empty rules", R"("var": "outcome", "rules": [])", kRulesNeeded},
        {"rules not a list", R"("var": "outcome", "rules": {"if": true, "result": "A"})", kRulesNeeded},
        {"no var and no rules", R"("reasons_var": "why")",
         "flow: node \"c\": a classify node needs \"var\": the variable that gets the outcome\n" + kRulesNeeded},
        {"a rule that is not an object", R"("var": "outcome", "rules": [{"if": true, "result": "A"}, "B"])",
         "flow: node \"c\": rule 2 must be an object such as {\"if\": …, \"result\": \"A\"}\n"},
        {"a rule without if", R"("var": "outcome", "rules": [{"result": "A"}])",
         "flow: node \"c\": rule 1 needs \"if\": the condition\n"},
        {"a rule without result", R"("var": "outcome", "rules": [{"if": true}])", kResultNeeded},
        {"an empty result", R"("var": "outcome", "rules": [{"if": true, "result": ""}])", kResultNeeded},
        {"a result that is not text", R"("var": "outcome", "rules": [{"if": true, "result": 1}])", kResultNeeded},
        {"an unknown rule field", R"("var": "outcome", "rules": [{"if": true, "result": "A", "then": "B"}])",
         "flow: node \"c\": unknown field \"then\" in rule 1; use if, result, reason\n"},
        {"a reason without ja", R"("var": "outcome", "rules": [{"if": true, "result": "A", "reason": {"en": "why"}}])",
         "flow: node \"c\": the reason of rule 1 has no Japanese (\"ja\") version\n"},
        {"a reason that is text", R"("var": "outcome", "rules": [{"if": true, "result": "A", "reason": "なぜ"}])",
         "flow: node \"c\": the reason of rule 1 must be an object of language -> text, e.g. {\"ja\": \"…\", \"en\": \"…\"}\n"},
        {"an empty reason", R"("var": "outcome", "rules": [{"if": true, "result": "A", "reason": {"ja": ""}}])",
         "flow: node \"c\": the reason of rule 1 (ja) is empty\n"},
        {"a condition outside the subset", R"("var": "outcome", "rules": [{"if": {"+": [1, 2]}, "result": "A"}])",
         "flow: node \"c\": rule 1 is not valid: the condition uses \"+\", which is not allowed; use one of: var, ==, !=, "
         "<, <=, >, >=, and, or, !, in, missing\n"},
        {"a condition reading nothing", R"("var": "outcome", "rules": [{"if": {">=": [{"var": "temperature"}, 38.5]}, "result": "A"}])",
         "flow: node \"c\": the condition reads \"temperature\", which no ask, set or effect in this flow fills\n"},
        {"a reason with a placeholder nothing fills",
         R"("var": "outcome", "rules": [{"if": true, "result": "A", "reason": {"ja": "{{nothing}}がある"}}])",
         "flow: node \"c\": the placeholder {{nothing}} has no source: no ask, set or effect in this flow fills it, and it "
         "is not a known setting\n"},
        {"a bad var name", R"("var": "Outcome", "rules": [{"if": true, "result": "A"}])",
         "flow: node \"c\": the variable name \"Outcome\" may only use a-z, 0-9, _ and .\n"},
        {"a bad reasons_var name", R"("var": "outcome", "reasons_var": "the why", "rules": [{"if": true, "result": "A"}])",
         "flow: node \"c\": the variable name \"the why\" may only use a-z, 0-9, _ and .\n"},
        {"reasons_var not text", R"("var": "outcome", "reasons_var": 1, "rules": [{"if": true, "result": "A"}])",
         "flow: node \"c\": \"reasons_var\" must be text (in double quotes)\n"},
        {"a field of another node type", R"("var": "outcome", "cases": [], "rules": [{"if": true, "result": "A"}])",
         "flow: node \"c\": unknown field \"cases\" for a classify node\n"},
        {"every broken rule at once",
         R"("var": "outcome", "rules": [{"result": "A"}, {"if": true}, {"if": true, "result": "B", "else": "C"}])",
         "flow: node \"c\": rule 1 needs \"if\": the condition\n"
         "flow: node \"c\": rule 2 needs \"result\": the outcome as a short text such as \"A\"\n"
         "flow: node \"c\": unknown field \"else\" in rule 3; use if, result, reason\n"},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        auto r = load(classify_only(c.fields));
        CHECK_FALSE(r.flow);
        CHECK(all_problems(r) == c.problems);
    }
}

TEST_CASE("classify: a classify node without next", "[flows][classify]") {
    auto r = load(R"({"schema_version": 1, "id": "t", "start": "c", "nodes": {
        "c": {"type": "classify", "var": "outcome", "rules": [{"if": true, "result": "A"}]}}})");
    CHECK_FALSE(r.flow);
    CHECK(all_problems(r) ==
          "flow: node \"c\": \"next\" is missing: say which node comes after this classify node\n"
          "flow: node \"c\": from this node the conversation can never reach an end or a goto (it would loop forever)\n");
}

TEST_CASE("classify: var and reasons_var fill later placeholders and conditions", "[flows][classify]") {
    auto r = load(R"({"schema_version": 1, "id": "t", "start": "c", "nodes": {
        "c": {"type": "classify", "var": "outcome", "reasons_var": "why", "rules": [{"if": true, "result": "A"}], "next": "route"},
        "route": {"type": "branch", "cases": [{"if": {"==": [{"var": "outcome"}, "A"]}, "next": "say"}], "else": "bye"},
        "say": {"type": "message", "text": {"ja": "{{outcome}}: {{why}}"}, "next": "bye"},
        "bye": {"type": "end"}}})");
    INFO(all_problems(r));
    CHECK(r.problems.empty());
    CHECK(r.flow);

    auto without = load(R"({"schema_version": 1, "id": "t", "start": "c", "nodes": {
        "c": {"type": "classify", "var": "outcome", "rules": [{"if": true, "result": "A"}], "next": "say"},
        "say": {"type": "message", "text": {"ja": "{{outcome}}: {{why}}"}, "next": "bye"},
        "bye": {"type": "end"}}})");
    CHECK_FALSE(without.flow);
    CHECK(all_problems(without) ==
          "flow: node \"say\": the placeholder {{why}} has no source: no ask, set or effect in this flow fills it, and it is "
          "not a known setting\n");
}

TEST_CASE("classify: the unknown node type message lists classify among the types", "[flows][classify]") {
    // kNodeTypes once left classify out of this list.
    auto typo = load(R"({"schema_version": 1, "id": "t", "start": "c", "nodes": {"c": {"type": "clasify"}}})");
    REQUIRE(typo.problems.size() == 1);
    CHECK(typo.problems[0].node == "c");
    CHECK(typo.problems[0].message ==
          "unknown node type \"clasify\"; use one of message, ask, branch, set, classify, effect, goto, end");
}

// --- running ---------------------------------------------------------------------------------------

TEST_CASE("classify: the first matching rule decides the result", "[flows][classify]") {
    auto vars = vars_after(classify_flow(R"({"breathing": "no", "fever": "yes", "cough": "yes"})", R"(
        {"if": {"==": [{"var": "breathing"}, "yes"]}, "result": "A", "reason": {"ja": "息苦しい"}},
        {"if": {"==": [{"var": "cough"}, "yes"]}, "result": "B", "reason": {"ja": "せき"}},
        {"if": {"==": [{"var": "fever"}, "yes"]}, "result": "A", "reason": {"ja": "熱"}},
        {"if": true, "result": "C", "reason": {"ja": "なし"}})"));
    CHECK(var_text(vars, "outcome") == "B");
    CHECK(var_text(vars, "why") == "せき");
}

TEST_CASE("classify: reasons come only from matching rules with the same result, in rule order", "[flows][classify]") {
    auto vars = vars_after(classify_flow(R"({"x": 1})", R"(
        {"if": false, "result": "B", "reason": {"ja": "前のB"}},
        {"if": true, "result": "A", "reason": {"ja": "ず"}},
        {"if": true, "result": "B", "reason": {"ja": "後のB"}},
        {"if": false, "result": "A", "reason": {"ja": "合わないA"}},
        {"if": true, "result": "A", "reason": {"ja": "あ"}},
        {"if": {"==": [{"var": "x"}, 1]}, "result": "A", "reason": {"ja": "ん"}},
        {"if": true, "result": "C", "reason": {"ja": "C"}})"));
    CHECK(var_text(vars, "outcome") == "A");
    CHECK(var_text(vars, "why") == "ず、あ、ん");
}

TEST_CASE("classify: a rule without a reason adds none and no separator", "[flows][classify]") {
    SECTION("the first matching rule has no reason") {
        auto vars = vars_after(classify_flow(R"({"x": 1})", R"(
            {"if": true, "result": "A"},
            {"if": true, "result": "A", "reason": {"ja": "二つ目"}},
            {"if": true, "result": "A"},
            {"if": true, "result": "A", "reason": {"ja": "四つ目"}})"));
        CHECK(var_text(vars, "outcome") == "A");
        CHECK(var_text(vars, "why") == "二つ目、四つ目");
    }
    SECTION("no matching rule has a reason") {
        auto vars = vars_after(classify_flow(R"({"x": 1})", R"(
            {"if": true, "result": "A"},
            {"if": false, "result": "A", "reason": {"ja": "合わない"}})"));
        CHECK(var_text(vars, "outcome") == "A");
        CHECK(var_text(vars, "why") == "");
    }
}

TEST_CASE("classify: no rule holding gives a null result and no reasons", "[flows][classify]") {
    // outcome had a value before: the classify replaces it with null
    auto vars = vars_after(classify_flow(R"({"outcome": "X", "why": "old"})", R"(
        {"if": false, "result": "A", "reason": {"ja": "いいえ"}},
        {"if": {"==": [{"var": "outcome"}, "Y"]}, "result": "B", "reason": {"ja": "Yのとき"}})"));
    REQUIRE(vars.count("outcome") == 1);
    CHECK(vars.at("outcome").is_null());
    CHECK(var_text(vars, "why") == "");
}

TEST_CASE("classify: without reasons_var only the result is set", "[flows][classify]") {
    auto vars = vars_after(classify_flow(R"({"x": 1})", R"({"if": true, "result": "A", "reason": {"ja": "理由"}})", ""));
    CHECK(to_json(vars) == R"({"outcome":"A","x":1})");
}

TEST_CASE("classify: conditions read the variables set earlier, and an earlier classify's result", "[flows][classify]") {
    const std::string json = R"({"schema_version": 1, "id": "cl", "start": "init", "nodes": {
        "init": {"type": "set", "values": {"temperature": 38.5, "days": 2, "age": "65_74"}, "next": "first"},
        "first": {"type": "classify", "var": "fever_level", "rules": [
            {"if": {">=": [{"var": "temperature"}, 38.5]}, "result": "high"},
            {"if": {">=": [{"var": "temperature"}, 37.5]}, "result": "mild"}], "next": "second"},
        "second": {"type": "classify", "var": "outcome", "reasons_var": "why", "rules": [
            {"if": {"and": [{"==": [{"var": "fever_level"}, "mild"]}, {">=": [{"var": "days"}, 2]}]}, "result": "A", "reason": {"ja": "微熱が続く"}},
            {"if": {"==": [{"var": "fever_level"}, "high"]}, "result": "A", "reason": {"ja": "高熱"}},
            {"if": {"in": [{"var": "age"}, ["65_74", "75_plus"]]}, "result": "A", "reason": {"ja": "65歳以上"}},
            {"if": {"<": [{"var": "days"}, 2]}, "result": "A", "reason": {"ja": "2日未満"}}], "next": "hold"},
        "hold": {"type": "ask", "text": {"ja": "ほかに？"}, "input": "text", "var": "rest", "next": "done"},
        "done": {"type": "end"}}})";
    auto vars = vars_after(json);
    CHECK(var_text(vars, "fever_level") == "high");
    CHECK(var_text(vars, "outcome") == "A");
    CHECK(var_text(vars, "why") == "高熱、65歳以上");
}

TEST_CASE("classify: conditions may be any truthy value", "[flows][classify]") {
    auto vars = vars_after(classify_flow(R"({"n": 3, "empty": ""})", R"(
        {"if": {"var": "empty"}, "result": "E", "reason": {"ja": "空"}},
        {"if": {"var": "n"}, "result": "N", "reason": {"ja": "数"}})"));
    CHECK(var_text(vars, "outcome") == "N");
    CHECK(var_text(vars, "why") == "数");
}

TEST_CASE("classify: placeholders in a reason are filled", "[flows][classify]") {
    auto vars = vars_after(classify_flow(R"({"temperature": 38.5, "days": 4})", R"(
        {"if": true, "result": "A", "reason": {"ja": "{{temperature}}℃の熱", "en": "a fever of {{temperature}} °C"}},
        {"if": true, "result": "A", "reason": {"ja": "{{ days }}日続いている", "en": "for {{days}} days"}})"));
    CHECK(var_text(vars, "why") == "38.5℃の熱、4日続いている");
}

TEST_CASE("classify: the reasons in the user's language, joined for that language", "[flows][classify]") {
    const std::string json = classify_flow(R"({"x": 1})", R"(
        {"if": true, "result": "A", "reason": {"ja": "息苦しさがある", "en": "shortness of breath"}},
        {"if": true, "result": "A", "reason": {"ja": "強いだるさがある"}},
        {"if": true, "result": "A", "reason": {"ja": "高い熱", "en": "a high fever"}})");
    SECTION("ja") { CHECK(var_text(vars_after(json, context("ja")), "why") == "息苦しさがある、強いだるさがある、高い熱"); }
    SECTION("en, with the Japanese reason where there is no English") {
        CHECK(var_text(vars_after(json, context("en")), "why") == "shortness of breath, 強いだるさがある, a high fever");
    }
    SECTION("a language the flow has no text for reads Japanese") {
        CHECK(var_text(vars_after(json, context("ko")), "why") == "息苦しさがある、強いだるさがある、高い熱");
    }
}

TEST_CASE("classify: en-US joins the English reasons with a comma", "[flows][classify]") {
    // The separator once compared the language with "en" exactly, while Localized::get and
    // builtin_text take "en-US" as English: "shortness of breath、a high fever".
    const std::string json = classify_flow(R"({"x": 1})", R"(
        {"if": true, "result": "A", "reason": {"ja": "息苦しさがある", "en": "shortness of breath"}},
        {"if": true, "result": "A", "reason": {"ja": "高い熱", "en": "a high fever"}})");
    auto why = var_text(vars_after(json, context("en-US")), "why");
    INFO(why);
    CHECK(why == "shortness of breath, a high fever");
}

TEST_CASE("classify: the result and the reasons in a message and a branch after it", "[flows][classify]") {
    Flow f = load_ok(R"({"schema_version": 1, "id": "cl", "start": "init", "nodes": {
        "init": {"type": "set", "values": {"cough": "yes"}, "next": "triage"},
        "triage": {"type": "classify", "var": "outcome", "reasons_var": "why", "rules": [
            {"if": {"==": [{"var": "cough"}, "yes"]}, "result": "B", "reason": {"ja": "せきがある", "en": "a cough"}},
            {"if": true, "result": "C"}], "next": "route"},
        "route": {"type": "branch", "cases": [{"if": {"==": [{"var": "outcome"}, "B"]}, "next": "b"}], "else": "other"},
        "b": {"type": "end", "text": {"ja": "【結果{{outcome}}】理由: {{why}}", "en": "[Result {{outcome}}] Why: {{why}}"}},
        "other": {"type": "end", "text": {"ja": "その他"}}}})");
    auto ja = start(f);
    CHECK(ja.error.empty());
    CHECK_FALSE(ja.session);
    CHECK(texts(ja.messages) == std::vector<std::string>{"【結果B】理由: せきがある"});
    auto en = start(f, context("en"));
    CHECK(texts(en.messages) == std::vector<std::string>{"[Result B] Why: a cough"});
}
