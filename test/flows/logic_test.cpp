#include "flows/logic.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using sapo::flows::collect_vars;
using sapo::flows::evaluate;
using sapo::flows::Logic;
using sapo::flows::parse_logic;
using sapo::flows::to_json;
using sapo::flows::truthy;
using sapo::flows::Value;
using sapo::flows::Variables;
using sapo::flows::VarLookup;

namespace {

/// The variables every table below reads. Dotted names are stored under their full path: the
/// evaluator hands the lookup the whole path.
const Variables& data() {
    static const Variables vars{
        {"temp", 39},
        {"temp_text", "38.5"},
        {"breath", "yes"},
        {"message", "少し息苦しいです"},
        {"empty", ""},
        {"zero", 0},
        {"nothing", Value{}},
        {"yes", true},
        {"no", false},
        {"symptoms", Value::Array{Value("発熱"), Value("咳")}},
        {"none", Value::Array{}},
        {"profile.language", "ja"},
        {"name_of_var", "temp"},
    };
    return vars;
}

Value lookup_in(const Variables& vars, std::string_view path) {
    auto it = vars.find(path);
    return it == vars.end() ? Value{} : it->second;
}

const VarLookup& lookup() {
    static const VarLookup l = [](std::string_view path) { return lookup_in(data(), path); };
    return l;
}

Logic parse_ok(const std::string& json) {
    std::vector<std::string> problems;
    auto l = parse_logic(json, problems);
    INFO("condition " << json);
    for (const auto& p : problems)
        INFO("problem: " << p);
    REQUIRE(problems.empty());
    REQUIRE(l);
    return *l;
}

Value eval_json(const std::string& json) {
    return evaluate(parse_ok(json), lookup());
}

std::vector<std::string> problems_of(const std::string& json) {
    std::vector<std::string> problems;
    auto l = parse_logic(json, problems);
    CHECK_FALSE(l);
    return problems;
}

bool mentions(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("every operation, true and false", "[flows][logic]") {
    struct Row {
        const char* json;
        Value expected;
    };

    const Row rows[] = {
        // ==, != (loose between numbers, numeric strings and booleans)
        {R"({"==":[{"var":"breath"},"yes"]})", true},
        {R"({"==":[{"var":"breath"},"no"]})", false},
        {R"({"==":[{"var":"temp"},39]})", true},
        {R"({"==":[{"var":"temp"},"39"]})", true},
        {R"({"==":["3",3]})", true},
        {R"({"==":[" 3.0 ",3]})", true},
        {R"({"==":["3",4]})", false},
        {R"({"==":["abc",0]})", false},
        {R"({"==":["",0]})", false},
        {R"({"==":[true,1]})", true},
        {R"({"==":[false,0]})", true},
        {R"({"==":[true,"1"]})", true},
        {R"({"==":[true,"yes"]})", false},
        {R"({"==":[null,null]})", true},
        {R"({"==":[null,0]})", false},
        {R"({"==":[null,""]})", false},
        {R"({"==":[{"var":"unknown"},null]})", true},
        {R"({"==":["a","a"]})", true},
        {R"({"==":["a","A"]})", false},
        {R"({"==":[[1,2],[1,2]]})", true},
        {R"({"==":[[1,2],[2,1]]})", false},
        {R"({"==":[["a"],"a"]})", false},
        {R"({"!=":[{"var":"breath"},"no"]})", true},
        {R"({"!=":[{"var":"breath"},"yes"]})", false},
        {R"({"!=":["3",3]})", false},
        {R"({"!=":[null,0]})", true},
        // <, <=, >, >=
        {R"({">=":[{"var":"temp"},39]})", true},
        {R"({">=":[{"var":"temp"},39.5]})", false},
        {R"({">":[{"var":"temp"},38]})", true},
        {R"({">":[{"var":"temp"},39]})", false},
        {R"({"<":[{"var":"temp"},40]})", true},
        {R"({"<":[{"var":"temp"},39]})", false},
        {R"({"<=":[{"var":"temp"},39]})", true},
        {R"({"<=":[{"var":"temp"},38.9]})", false},
        {R"({">":[{"var":"temp_text"},38]})", true},  // numeric string against a number
        {R"({"<":[{"var":"temp_text"},38]})", false},
        {R"({"<":["a","b"]})", true},  // two strings: by code point
        {R"({"<":["b","a"]})", false},
        {R"({"<":["10","9"]})", true},  // ... even when they look like numbers
        {R"({"<":["あ","い"]})", true},
        {R"({"<":[{"var":"nothing"},37]})", false},  // null is not comparable
        {R"({">=":[{"var":"nothing"},0]})", false},
        {R"({"<":[{"var":"unknown"},37]})", false},
        {R"({"<":["abc",37]})", false},  // non-numeric string vs number
        {R"({">=":["abc",37]})", false},
        {R"({"<":[false,true]})", false},  // booleans are not comparable
        {R"({"<":[[1],[2]]})", false},     // nor are arrays
        // between
        {R"({"<":[36,{"var":"temp"},40]})", true},
        {R"({"<":[39,{"var":"temp"},40]})", false},
        {R"({"<":[36,{"var":"temp"},39]})", false},
        {R"({"<=":[39,{"var":"temp"},39]})", true},
        {R"({"<=":[36,{"var":"temp"},38.9]})", false},
        {R"({"<=":[39.1,{"var":"temp"},40]})", false},
        {R"({"<":[36,{"var":"nothing"},40]})", false},
        // !
        {R"({"!":[{"var":"yes"}]})", false},
        {R"({"!":{"var":"no"}})", true},
        {R"({"!":{"var":"empty"}})", true},
        {R"({"!":{"var":"nothing"}})", true},
        {R"({"!":{"var":"zero"}})", true},
        {R"({"!":{"var":"none"}})", true},
        {R"({"!":{"var":"symptoms"}})", false},
        {R"({"!":[[]]})", true},
        {R"({"!":"0"})", false},
        // in: substring
        {R"({"in":["息苦しい",{"var":"message"}]})", true},
        {R"({"in":["苦しい",{"var":"message"}]})", true},
        {R"({"in":["胸が痛い",{"var":"message"}]})", false},
        {R"({"in":["少し息苦しいです",{"var":"message"}]})", true},
        {R"({"in":["少し息苦しいですね",{"var":"message"}]})", false},
        {R"({"in":["Spring","Springfield"]})", true},
        {R"({"in":["spring","Springfield"]})", false},
        {R"({"in":[38,"38.5"]})", true},  // a number is looked for as written
        {R"({"in":[{"var":"nothing"},"null"]})", false},
        {R"({"in":["",{"var":"message"}]})", true},  // as in JavaScript
        {R"({"in":["a",{"var":"nothing"}]})", false},
        {R"({"in":["3",3]})", false},
        // in: arrays
        {R"({"in":["発熱",{"var":"symptoms"}]})", true},
        {R"({"in":["頭痛",{"var":"symptoms"}]})", false},
        {R"({"in":["発",{"var":"symptoms"}]})", false},  // members, not substrings
        {R"({"in":[{"var":"breath"},["yes","maybe"]]})", true},
        {R"({"in":[{"var":"breath"},["no","maybe"]]})", false},
        {R"({"in":[3,[1,2,3]]})", true},
        {R"({"in":["3",[1,2,3]]})", false},  // strict membership
        {R"({"in":[{"var":"temp"},[38,{"var":"temp"}]]})", true},
        {R"({"in":["a",{"var":"none"}]})", false},
        {R"({"in":["a",[]]})", false},
    };
    for (const auto& row : rows) {
        INFO("condition " << row.json);
        CHECK(eval_json(row.json) == row.expected);
    }
}

TEST_CASE("and / or return the operand that decided", "[flows][logic]") {
    struct Row {
        const char* json;
        Value expected;
    };

    const Row rows[] = {
        {R"({"and":[true,true]})", true},
        {R"({"and":[true,false]})", false},
        {R"({"and":[false,true]})", false},
        {R"({"and":[1,"a",3]})", 3},
        {R"({"and":[1,"",3]})", ""},
        {R"({"and":[1,0,3]})", 0},
        {R"({"and":[{"var":"breath"}]})", "yes"},
        {R"({"and":{"var":"nothing"}})", Value{}},
        {R"({"or":[false,true]})", true},
        {R"({"or":[false,false]})", false},
        {R"({"or":[0,"",{"var":"breath"},"later"]})", "yes"},
        {R"({"or":[0,"",null]})", Value{}},
        {R"({"or":[{"var":"nothing"},"default"]})", "default"},
        {R"({"or":[{"var":"symptoms"},"x"]})", Value::Array{Value("発熱"), Value("咳")}},
        {R"({"or":[false,[1,{"var":"temp"}]]})", Value::Array{Value(1), Value(39)}},
        // nested and / or / !
        {R"({"and":[{">=":[{"var":"temp"},39]},{"==":[{"var":"breath"},"yes"]}]})", true},
        {R"({"and":[{">=":[{"var":"temp"},40]},{"==":[{"var":"breath"},"yes"]}]})", false},
        {R"({"or":[{">=":[{"var":"temp"},40]},{"in":["息苦しい",{"var":"message"}]}]})", true},
        {R"({"or":[{">=":[{"var":"temp"},40]},{"in":["咳",{"var":"message"}]}]})", false},
        {R"({"and":[{"or":[false,{"var":"yes"}]},{"!":{"and":[true,{"var":"no"}]}}]})", true},
        {R"({"and":[{"or":[false,{"var":"no"}]},{"!":{"and":[true,{"var":"no"}]}}]})", false},
        {R"({"!":{"or":[{"var":"empty"},{"var":"zero"},{"var":"nothing"}]}})", true},
        {R"({"!":[{"!":[{"var":"breath"}]}]})", true},
    };
    for (const auto& row : rows) {
        INFO("condition " << row.json);
        CHECK(eval_json(row.json) == row.expected);
    }
}

TEST_CASE("and / or stop at the deciding operand", "[flows][logic]") {
    std::vector<std::string> asked;
    VarLookup counting = [&asked](std::string_view path) {
        asked.emplace_back(path);
        return lookup_in(data(), path);
    };
    evaluate(parse_ok(R"({"and":[{"var":"no"},{"var":"temp"}]})"), counting);
    CHECK(asked == std::vector<std::string>{"no"});
    asked.clear();
    evaluate(parse_ok(R"({"or":[{"var":"yes"},{"var":"temp"}]})"), counting);
    CHECK(asked == std::vector<std::string>{"yes"});
    asked.clear();
    evaluate(parse_ok(R"({"var":["breath",{"var":"temp"}]})"), counting);
    CHECK(asked == std::vector<std::string>{"breath"});  // the default only when needed
}

TEST_CASE("var: dotted paths, defaults, computed names", "[flows][logic]") {
    std::vector<std::string> asked;
    VarLookup recording = [&asked](std::string_view path) {
        asked.emplace_back(path);
        return lookup_in(data(), path);
    };
    CHECK(evaluate(parse_ok(R"({"var":"profile.language"})"), recording) == Value("ja"));
    CHECK(asked == std::vector<std::string>{"profile.language"});

    CHECK(eval_json(R"({"var":"temp"})") == Value(39));
    CHECK(eval_json(R"({"var":["temp"]})") == Value(39));
    CHECK(eval_json(R"({"var":"unknown"})") == Value{});
    CHECK(eval_json(R"({"var":["unknown","ja"]})") == Value("ja"));
    CHECK(eval_json(R"({"var":["profile.language","en"]})") == Value("ja"));
    CHECK(eval_json(R"({"var":["nothing",0]})") == Value(0));   // null takes the default
    CHECK(eval_json(R"({"var":["empty","x"]})") == Value(""));  // "" does not
    CHECK(eval_json(R"({"var":["zero",5]})") == Value(0));
    CHECK(eval_json(R"({"var":["unknown",{"var":"breath"}]})") == Value("yes"));
    CHECK(eval_json(R"({"var":["unknown",[1,2]]})") == Value(Value::Array{Value(1), Value(2)}));
    CHECK(eval_json(R"({"var":{"var":"name_of_var"}})") == Value(39));
    CHECK(eval_json(R"({"var":{"var":"nothing"}})") == Value{});
    CHECK(
        eval_json(R"({"==":[{"var":["unknown","ja"]},{"var":"profile.language"}]})") == Value(true)
    );
}

TEST_CASE("missing lists the names without a value", "[flows][logic]") {
    using A = Value::Array;
    CHECK(eval_json(R"({"missing":["temp","breath"]})") == Value(A{}));
    CHECK(
        eval_json(R"({"missing":["temp","unknown","empty","nothing","zero","no"]})") ==
        Value(A{Value("unknown"), Value("empty"), Value("nothing")})
    );
    CHECK(eval_json(R"({"missing":"unknown"})") == Value(A{Value("unknown")}));
    CHECK(
        eval_json(R"({"missing":[["unknown","temp","profile.language","a.b"]]})") ==
        Value(A{Value("unknown"), Value("a.b")})
    );
    CHECK(eval_json(R"({"!":{"missing":["temp","breath"]}})") == Value(true));
    CHECK(eval_json(R"({"!":{"missing":["temp","x"]}})") == Value(false));
}

TEST_CASE("literals evaluate to themselves", "[flows][logic]") {
    CHECK(eval_json("true") == Value(true));
    CHECK(eval_json("null") == Value{});
    CHECK(eval_json("36.5") == Value(36.5));
    CHECK(eval_json(R"("はい")") == Value("はい"));
    CHECK(
        eval_json(R"([1,"a",{"var":"breath"}])") ==
        Value(Value::Array{Value(1), Value("a"), Value("yes")})
    );
    Logic l = parse_ok(R"({"in":[{"var":"x"},["a","b"]]})");
    REQUIRE(l.kind == Logic::Kind::operation);
    CHECK(l.op == "in");
    REQUIRE(l.args.size() == 2);
    CHECK(l.args[0].kind == Logic::Kind::operation);
    CHECK(l.args[1].kind == Logic::Kind::array);
    CHECK(l.args[1].args.size() == 2);
}

TEST_CASE("problems name the operation and are all reported", "[flows][logic]") {
    struct Row {
        const char* json;
        std::vector<std::string> parts;  // each must appear in the (single) problem
    };

    const Row rows[] = {
        {R"({"+":[1,2]})",
         {"\"+\"", "not allowed", "var, ==, !=, <, <=, >, >=, and, or, !, in, missing"}},
        {R"({"if":[true,"a","b"]})", {"\"if\"", "not allowed"}},
        {R"({"map":[[1,2],"x"]})", {"\"map\"", "not allowed"}},
        {R"({"===":[1,1]})", {"\"===\"", "\"==\" instead"}},
        {R"({"!==":[1,1]})", {"\"!==\"", "\"!=\" instead"}},
        {R"({"==":[1,2,3]})", {"\"==\" needs 2 operands, got 3"}},
        {R"({"==":[1]})", {"\"==\" needs 2 operands, got 1"}},
        {R"({"!=":1})", {"\"!=\" needs 2 operands, got 1"}},
        {R"({">":[1,2,3]})", {"\">\" needs 2 operands, got 3"}},
        {R"({">=":[]})", {"\">=\" needs 2 operands, got 0"}},
        {R"({"<":[1]})", {"\"<\" needs 2 operands (or 3", "got 1"}},
        {R"({"<=":[1,2,3,4]})", {"\"<=\" needs 2 operands (or 3", "got 4"}},
        {R"({"in":["a"]})", {"\"in\" needs 2 operands, got 1"}},
        {R"({"!":[]})", {"\"!\" needs 1 operand, got 0"}},
        {R"({"!":[true,false]})", {"\"!\" needs 1 operand, got 2"}},
        {R"({"and":[]})", {"\"and\" needs at least 1 operand, got 0"}},
        {R"({"or":[]})", {"\"or\" needs at least 1 operand, got 0"}},
        {R"({"var":[]})", {"\"var\"", "got 0"}},
        {R"({"var":["a",1,2]})", {"\"var\"", "got 3"}},
        {R"({"var":""})", {"\"var\" needs the name of a variable", "empty"}},
        {R"({"var":[""]})", {"\"var\" needs the name of a variable", "empty"}},
        {R"({"var":3})", {"\"var\" needs the name of a variable as text", "got 3"}},
        {R"({"var":null})", {"\"var\" needs the name of a variable as text", "got null"}},
        {R"({"var":[["a"]]})", {"\"var\"", "got a list"}},
        {R"({"missing":[]})", {"\"missing\" needs at least one variable name"}},
        {R"({"missing":[[]]})", {"\"missing\" needs at least one variable name"}},
        {R"({"missing":["a",3]})", {"\"missing\"", "got 3"}},
        {R"({"missing":[{"var":"a"}]})", {"\"missing\"", "got a \"var\" operation"}},
        {R"({"missing":[""]})", {"\"missing\"", "got \"\""}},
        {R"({"==":[1,2],"<":[1,2]})", {"exactly one operation", "has 2", "\"==\"", "\"<\""}},
        {R"({"and":[{"==":[1,1],"!=":[1,2]}]})",
         {"exactly one operation", "inside \"and\"", "\"==\"", "\"!=\""}},
        {R"({})", {"empty {}", "exactly one operation"}},
        {R"({"==":[{"var":"x"},{}]})", {"empty {}", "inside \"==\""}},
        {R"({"in":["a",[{}]]})", {"empty {}", "inside \"in\""}},
        {R"({"==":[{"var":"x"},{"name":"山田"}]})", {"\"name\"", "not allowed"}},
        {R"({"==":[{"var":"x"},{"name":"山田","age":3}]})",
         {"exactly one operation", "\"name\"", "\"age\""}},
        {R"({"==":[1,1)", {"not valid JSON"}},
        {R"({"==":[1,1]} x)", {"not valid JSON"}},
        {"", {"empty"}},
        {"  ", {"empty"}},
    };
    for (const auto& row : rows) {
        INFO("condition " << row.json);
        auto problems = problems_of(row.json);
        REQUIRE(problems.size() == 1);
        INFO("problem: " << problems[0]);
        for (const auto& part : row.parts)
            CHECK(mentions(problems[0], part));
    }
}

TEST_CASE("every problem in a condition is reported", "[flows][logic]") {
    std::vector<std::string> problems{"earlier problem"};
    auto l = parse_logic(
        R"({"and":[{"+":[1,{"var":""}]},{"==":[1]},{"or":[{"if":[]},{"in":["a",{}]}]},{"a":1,"b":{"map":[]}}]})",
        problems
    );
    CHECK_FALSE(l);
    REQUIRE(problems.size() == 8);
    CHECK(problems[0] == "earlier problem");  // appended, never cleared
    CHECK(mentions(problems[1], "\"var\""));  // inner problems come first
    CHECK(mentions(problems[2], "\"+\""));
    CHECK(mentions(problems[3], "\"==\" needs 2 operands, got 1"));
    CHECK(mentions(problems[4], "\"if\""));
    CHECK(mentions(problems[5], "inside \"in\""));
    CHECK(mentions(problems[6], "exactly one operation"));
    CHECK(mentions(problems[7], "\"map\""));
}

TEST_CASE("very deep conditions are refused", "[flows][logic]") {
    std::string deep;
    for (int i = 0; i < 200; ++i)
        deep += R"({"!":)";
    deep += "true";
    for (int i = 0; i < 200; ++i)
        deep += "}";
    auto problems = problems_of(deep);
    REQUIRE(problems.size() == 1);
    CHECK(mentions(problems[0], "nested"));

    std::string ok;
    for (int i = 0; i < 30; ++i)
        ok += R"({"!":)";
    ok += "true";
    for (int i = 0; i < 30; ++i)
        ok += "}";
    CHECK(eval_json(ok) == Value(true));
}

TEST_CASE("collect_vars lists every variable read", "[flows][logic]") {
    std::vector<std::string> vars{"already"};
    collect_vars(
        parse_ok(R"({"and":[{">=":[{"var":"temp"},39]},{"==":[{"var":["breath","no"]},"yes"]},)"
                 R"({"!":{"missing":["a","profile.language"]}},{"missing":[["b","c"]]},)"
                 R"({"in":[{"var":"x"},[{"var":"y"},"z"]]},{"var":["u",{"var":"v"}]},)"
                 R"({"var":{"var":"w"}},{"==":["temp","temp"]}]})"),
        vars
    );
    CHECK(
        vars ==
        std::vector<std::string>{
            "already", "temp", "breath", "a", "profile.language", "b", "c", "x", "y", "u", "v", "w"}
    );
    std::vector<std::string> none;
    collect_vars(parse_ok("true"), none);
    CHECK(none.empty());
}

// Hidden: run with `test_flows "[benchmark]"` to see the figure.
TEST_CASE("evaluation is fast", "[.][benchmark]") {
    Logic l = parse_ok(R"({"and":[{">=":[{"var":"temp"},39]},{"==":[{"var":"breath"},"yes"]}]})");
    Variables vars{{"temp", 39}, {"breath", "yes"}};
    VarLookup lk = [&vars](std::string_view path) { return lookup_in(vars, path); };
    constexpr int kRounds = 200000;
    int hits = 0;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRounds; ++i)
        hits += truthy(evaluate(l, lk)) ? 1 : 0;
    auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start);
    CHECK(hits == kRounds);
    WARN("typical condition: " << ns.count() / kRounds << " ns per evaluation");
}
