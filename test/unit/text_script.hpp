#pragma once
/// @file
/// @brief Unit-test helpers: read the text of a LINE text message object, and find where the
/// Japanese and the English parts of a bilingual text start.

#include <cctype>
#include <string>

#include <rapidjson/document.h>
#include <catch2/catch.hpp>

namespace sapo::unit_test {

/// The "text" of a LINE text message object (fails the test when it is not one).
inline std::string message_text(const std::string& json) {
    rapidjson::Document d;
    d.Parse(json.data(), json.size());
    INFO("message: " << json);
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsObject());
    REQUIRE(d.HasMember("type"));
    REQUIRE(d["type"].IsString());
    REQUIRE(std::string(d["type"].GetString()) == "text");
    REQUIRE(d.HasMember("text"));
    REQUIRE(d["text"].IsString());
    return std::string(d["text"].GetString(), d["text"].GetStringLength());
}

/// Byte offset of the first kana or kanji (UTF-8 lead bytes E3..E9: U+3000..U+9FFF), or npos.
inline std::size_t first_japanese(const std::string& text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto b = static_cast<unsigned char>(text[i]);
        if (b >= 0xE3 && b <= 0xE9) return i;
    }
    return std::string::npos;
}

/// Byte offset of the first word of ASCII letters (two or more) other than `ignore` (a name
/// such as "sapo" that both languages spell the same), or npos.
inline std::size_t first_latin(const std::string& text, const std::string& ignore = "") {
    std::size_t i = 0;
    while (i < text.size()) {
        auto is_letter = [&](std::size_t k) {
            auto b = static_cast<unsigned char>(text[k]);
            return b < 0x80 && std::isalpha(b) != 0;
        };
        if (!is_letter(i)) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && is_letter(j)) ++j;
        std::string word = text.substr(i, j - i);
        if (word.size() >= 2 && word != ignore) return i;
        i = j;
    }
    return std::string::npos;
}

}  // namespace sapo::unit_test
