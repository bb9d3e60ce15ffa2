#include "flows/value.hpp"

#include <cmath>
#include <limits>
#include <string>

#include <catch2/catch.hpp>

using sapo::flows::display;
using sapo::flows::to_json;
using sapo::flows::truthy;
using sapo::flows::Value;
using sapo::flows::value_from_json;
using sapo::flows::Variables;
using sapo::flows::variables_from_json;

TEST_CASE("truthy follows JsonLogic", "[flows][value]") {
    struct Row {
        Value v;
        bool expected;
    };

    const Row rows[] = {
        {Value{}, false},
        {Value(false), false},
        {Value(true), true},
        {Value(0), false},
        {Value(-0.0), false},
        {Value(std::nan("")), false},
        {Value(1), true},
        {Value(-0.25), true},
        {Value(""), false},
        {Value("0"), true},  // a non-empty string, even "0"
        {Value("false"), true},
        {Value(" "), true},
        {Value(Value::Array{}), false},
        {Value(Value::Array{Value(0)}), true},
        {Value(Value::Array{Value{}}), true},
    };
    for (const auto& row : rows) {
        INFO("value " << to_json(row.v));
        CHECK(truthy(row.v) == row.expected);
    }
}

TEST_CASE("display writes values as a person reads them", "[flows][value]") {
    CHECK(display(Value{}).empty());
    CHECK(display(Value(true)) == "true");
    CHECK(display(Value(false)) == "false");
    CHECK(display(Value(3)) == "3");
    CHECK(display(Value(-2)) == "-2");
    CHECK(display(Value(36.0)) == "36");
    CHECK(display(Value(36.5)) == "36.5");
    CHECK(display(Value(0.1)) == "0.1");
    CHECK(display(Value(0.1 + 0.2)) == "0.30000000000000004");
    CHECK(display(Value(-0.25)) == "-0.25");
    CHECK(display(Value(-0.0)) == "0");
    CHECK(display(Value(1000000)) == "1000000");
    CHECK(display(Value(1e20)) == "100000000000000000000");
    CHECK(display(Value(1e21)) == "1e+21");
    CHECK(display(Value(1.5e-7)) == "1.5e-7");
    CHECK(display(Value(0.000001)) == "0.000001");
    CHECK(display(Value(9007199254740993.0)) == "9007199254740992");
    CHECK(display(Value("息苦しい")) == "息苦しい");
    CHECK(
        display(Value(Value::Array{Value("発熱"), Value("咳"), Value(38.5)})) == "発熱、咳、38.5"
    );
    CHECK(display(Value(Value::Array{Value("a")})) == "a");
    CHECK(display(Value(Value::Array{})).empty());
    CHECK(
        display(Value(Value::Array{Value("a"), Value(Value::Array{Value(1), Value(2)})})) ==
        "a、1、2"
    );
}

TEST_CASE("to_json writes compact JSON", "[flows][value]") {
    CHECK(to_json(Value{}) == "null");
    CHECK(to_json(Value(true)) == "true");
    CHECK(to_json(Value(false)) == "false");
    CHECK(to_json(Value(3)) == "3");
    CHECK(to_json(Value(-2)) == "-2");
    CHECK(to_json(Value(36.5)) == "36.5");
    CHECK(to_json(Value(-0.25)) == "-0.25");
    CHECK(to_json(Value(1e21)) == "1e+21");
    CHECK(to_json(Value(std::numeric_limits<double>::infinity())) == "null");
    CHECK(to_json(Value(std::nan(""))) == "null");
    CHECK(to_json(Value("a\"b\\c\n\t\x01/")) == R"("a\"b\\c\n\t\u0001/")");
    CHECK(to_json(Value("体温は36.5度")) == "\"体温は36.5度\"");
    CHECK(to_json(Value(std::string("a\0b", 3))) == R"("a\u0000b")");
    // Bytes that are not UTF-8 are replaced, so that the output is always valid JSON.
    CHECK(
        to_json(Value("a\xFF"
                      "b")) ==
        "\"a\xEF\xBF\xBD"
        "b\""
    );
    CHECK(to_json(Value("\xE6\x81")) == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // truncated sequence
    CHECK(
        to_json(Value("\xED\xA0\x80")) ==  // a lone surrogate
        "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""
    );
    CHECK(to_json(Value("😀")) == "\"😀\"");
    CHECK(
        to_json(Value(Value::Array{Value(1), Value("x"), Value{}, Value(Value::Array{})})) ==
        R"([1,"x",null,[]])"
    );

    Variables vars{{"temp", 36.5}, {"name", "山田"}, {"count", 3}, {"ok", true}, {"none", Value{}}};
    CHECK(to_json(vars) == R"({"count":3,"name":"山田","none":null,"ok":true,"temp":36.5})");
    CHECK(to_json(Variables{}) == "{}");
}

TEST_CASE("value_from_json reads JSON values and refuses objects", "[flows][value]") {
    CHECK(value_from_json("null") == Value{});
    CHECK(value_from_json("true") == Value(true));
    CHECK(value_from_json(" 3 ") == Value(3));
    CHECK(value_from_json("-0.25") == Value(-0.25));
    CHECK(value_from_json("1e21") == Value(1e21));
    CHECK(value_from_json("18446744073709551616") == Value(18446744073709551616.0));
    CHECK(value_from_json(R"("\u606f\u82e6\u3057\u3044")") == Value("息苦しい"));
    CHECK(value_from_json(R"("\ud83d\ude00")") == Value("😀"));
    CHECK(value_from_json(R"("a\u0000b")") == Value(std::string("a\0b", 3)));
    CHECK(
        value_from_json(R"([1,"a",[true,null]])") ==
        Value(Value::Array{Value(1), Value("a"), Value(Value::Array{Value(true), Value{}})})
    );

    CHECK_FALSE(value_from_json(R"({"a":1})"));
    CHECK_FALSE(value_from_json(R"([1,{"a":1}])"));
    CHECK_FALSE(value_from_json(""));
    CHECK_FALSE(value_from_json("   "));
    CHECK_FALSE(value_from_json("[1,2"));
    CHECK_FALSE(value_from_json("1 2"));
    CHECK_FALSE(value_from_json("tru"));
    CHECK_FALSE(value_from_json("'a'"));
    CHECK_FALSE(value_from_json("NaN"));
    CHECK_FALSE(value_from_json("[1,]"));
    CHECK_FALSE(value_from_json("\"\xFF\""));  // not UTF-8
    CHECK_FALSE(value_from_json("\"a\nb\""));  // raw control character in a string
}

TEST_CASE("value_from_json refuses very deep nesting", "[flows][value]") {
    std::string ok = std::string(64, '[') + std::string(64, ']');
    CHECK(value_from_json(ok));
    std::string deep = std::string(100000, '[') + std::string(100000, ']');
    CHECK_FALSE(value_from_json(deep));
}

TEST_CASE("Variables round-trip through JSON", "[flows][value]") {
    Variables vars{
        {"temp", 36.5},
        {"count", 3},
        {"delta", -0.25},
        {"big", 1e21},
        {"tiny", 1.5e-7},
        {"third", 1.0 / 3.0},
        {"name", "山田 花子"},
        {"symptoms", Value::Array{Value("発熱"), Value("息苦しい"), Value(38.5)}},
        {"quote", "he said \"はい\"\\\n改行\t/"},
        {"ctrl", std::string("\x01\x1f\0end", 6)},
        {"emoji", "😀"},
        {"empty", ""},
        {"flag", false},
        {"nothing", Value{}},
        {"日本語の名前", "値"},
        {"", "empty name"},
    };
    std::string json = to_json(vars);
    auto back = variables_from_json(json);
    REQUIRE(back);
    CHECK(*back == vars);
    CHECK(to_json(*back) == json);
    CHECK(json.find("\"count\":3,") != std::string::npos);
    CHECK(json.find("\"big\":1e+21") != std::string::npos);
    CHECK(json.find("\"temp\":36.5") != std::string::npos);
    CHECK(json.find("\"delta\":-0.25") != std::string::npos);

    for (const auto& [name, value] : vars) {
        INFO("variable " << name);
        auto v = value_from_json(to_json(value));
        REQUIRE(v);
        CHECK(*v == value);
    }
}

TEST_CASE("variables_from_json drops objects and refuses what is not an object", "[flows][value]") {
    auto vars = variables_from_json(
        R"({"a":1,"obj":{"x":1},"arr":[{"x":1}],"b":"x","a2":[1,2],"dup":1,"dup":2})"
    );
    REQUIRE(vars);
    CHECK(
        *vars ==
        Variables{{"a", 1}, {"b", "x"}, {"a2", Value::Array{Value(1), Value(2)}}, {"dup", 2}}
    );
    CHECK(variables_from_json("{}") == Variables{});
    CHECK(variables_from_json(" { } ") == Variables{});

    CHECK_FALSE(variables_from_json("[]"));
    CHECK_FALSE(variables_from_json("3"));
    CHECK_FALSE(variables_from_json("null"));
    CHECK_FALSE(variables_from_json(""));
    CHECK_FALSE(variables_from_json(R"({"a":1)"));
    CHECK_FALSE(variables_from_json(R"({"a":1,})"));
    CHECK_FALSE(variables_from_json(R"({a:1})"));
    CHECK_FALSE(variables_from_json(R"({"a":1} x)"));
}
