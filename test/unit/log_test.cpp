#include "bot/log.hpp"

#include <string>

#include <rapidjson/document.h>
#include <catch2/catch.hpp>

using sapo::log::json_escape;
using sapo::log::Level;
using sapo::log::parse_level;

namespace {

/// Puts the escaped text in quotes, parses it as a JSON string and returns what it decodes to.
std::string round_trip(const std::string& s) {
    std::string literal = "\"" + json_escape(s) + "\"";
    rapidjson::Document d;
    d.Parse(literal.data(), literal.size());
    INFO("literal: " << literal);
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsString());
    return std::string(d.GetString(), d.GetStringLength());
}

}  // namespace

TEST_CASE("log: json_escape escapes quotes and backslashes", "[unit][log]") {
    CHECK(json_escape(R"(say "hi")") == R"(say \"hi\")");
    CHECK(json_escape(R"(C:\path\x)") == R"(C:\\path\\x)");
    CHECK(json_escape(R"(\")") == R"(\\\")");
    CHECK(json_escape("plain text 123") == "plain text 123");
    CHECK(json_escape("") == "");
}

TEST_CASE("log: json_escape escapes control characters", "[unit][log]") {
    CHECK(json_escape("a\nb") == "a\\nb");
    CHECK(json_escape("a\rb") == "a\\rb");
    CHECK(json_escape("a\tb") == "a\\tb");
    CHECK(json_escape(std::string("\x01", 1)) == "\\u0001");
    CHECK(json_escape(std::string("\x1f", 1)) == "\\u001f");
    CHECK(json_escape(std::string("\x08\x0c", 2)) != std::string("\x08\x0c", 2));
    CHECK(json_escape(std::string("a\0b", 3)) == "a\\u0000b");

    // Whatever form is chosen, no raw control character may remain.
    std::string all;
    for (int c = 0; c < 0x20; ++c) all += static_cast<char>(c);
    auto escaped = json_escape(all);
    for (char c : escaped) CHECK(static_cast<unsigned char>(c) >= 0x20);
}

TEST_CASE("log: json_escape output parses back to the input", "[unit][log]") {
    std::string all_controls;
    for (int c = 0; c < 0x20; ++c) all_controls += static_cast<char>(c);
    const std::string inputs[] = {
        "simple",
        "quote \" backslash \\ slash /",
        "line1\nline2\r\n\ttab",
        all_controls,
        "日本語のメッセージ「こんにちは」",
        "mixed: \"引用\"\n改行\\",
        "emoji 😷 and DEL \x7f",
    };
    for (const auto& s : inputs) {
        CAPTURE(s);
        CHECK(round_trip(s) == s);
    }
}

TEST_CASE("log: json_escape keeps UTF-8 Japanese intact", "[unit][log]") {
    const std::string ja = "友だち追加ありがとうございます。健康観察";
    CHECK(json_escape(ja) == ja);  // bytes passed through, not \u-escaped or mangled
    CHECK(json_escape("\"" + ja + "\"") == "\\\"" + ja + "\\\"");
}

TEST_CASE("log: parse_level accepts the level names", "[unit][log]") {
    Level out = Level::error;
    REQUIRE(parse_level("debug", out));
    CHECK(out == Level::debug);
    REQUIRE(parse_level("info", out));
    CHECK(out == Level::info);
    REQUIRE(parse_level("warn", out));
    CHECK(out == Level::warn);
    REQUIRE(parse_level("error", out));
    CHECK(out == Level::error);
    REQUIRE(parse_level("warning", out));
    CHECK(out == Level::warn);
}

TEST_CASE("log: parse_level refuses unknown names and leaves the output alone", "[unit][log]") {
    for (const char* name : {"", "verbose", "trace", "DEBUG", "Info", " info", "info ", "fatal"}) {
        CAPTURE(name);
        Level out = Level::warn;
        CHECK_FALSE(parse_level(name, out));
        CHECK(out == Level::warn);
    }
}

TEST_CASE("log: the level threshold", "[unit][log]") {
    struct Restore {
        ~Restore() { sapo::log::set_level(Level::info); }
    } restore;
    sapo::log::set_level(Level::warn);
    CHECK_FALSE(sapo::log::enabled(Level::debug));
    CHECK_FALSE(sapo::log::enabled(Level::info));
    CHECK(sapo::log::enabled(Level::warn));
    CHECK(sapo::log::enabled(Level::error));
    sapo::log::set_level(Level::debug);
    CHECK(sapo::log::enabled(Level::debug));
}
