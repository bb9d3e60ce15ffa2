#pragma once
/// @file
/// @brief Small readers for RapidJSON request bodies, shared by the LINE message rules and the
/// fake LINE server of the tests.

#include <rapidjson/document.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace sapo::line::json {

/// The member `name` of an object, or nullptr (also when `obj` is not an object).
inline const rapidjson::Value* member(const rapidjson::Value& obj, const char* name) {
    if (!obj.IsObject()) return nullptr;
    auto it = obj.FindMember(name);
    return it == obj.MemberEnd() ? nullptr : &it->value;
}

/// A string value's bytes (the value must be a string).
inline std::string_view sv(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

/// "prefix[i]": a property path as LINE writes it in error details.
inline std::string idx(const std::string& prefix, std::size_t i) {
    return prefix + "[" + std::to_string(i) + "]";
}

}  // namespace sapo::line::json
