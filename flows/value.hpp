#pragma once
/// @file
/// @brief The values a conversation remembers (session variables, JsonLogic operands): JSON's
/// null, boolean, number, string and array. Objects are not needed by any flow, so they are not
/// representable: that keeps session state flat and easy to show to an operator.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sapo::flows {

struct Value {
    using Array = std::vector<Value>;
    std::variant<std::monostate, bool, double, std::string, Array> v;

    Value() = default;
    Value(bool b) : v(b) {}                      // NOLINT: implicit on purpose, like JSON literals
    Value(double d) : v(d) {}                    // NOLINT
    Value(int i) : v(static_cast<double>(i)) {}  // NOLINT
    Value(std::string s) : v(std::move(s)) {}    // NOLINT
    Value(const char* s) : v(std::string(s)) {}  // NOLINT
    Value(Array a) : v(std::move(a)) {}          // NOLINT

    bool is_null() const { return std::holds_alternative<std::monostate>(v); }
    bool is_bool() const { return std::holds_alternative<bool>(v); }
    bool is_number() const { return std::holds_alternative<double>(v); }
    bool is_string() const { return std::holds_alternative<std::string>(v); }
    bool is_array() const { return std::holds_alternative<Array>(v); }
    const std::string& as_string() const { return std::get<std::string>(v); }
    double as_number() const { return std::get<double>(v); }
    bool as_bool() const { return std::get<bool>(v); }
    const Array& as_array() const { return std::get<Array>(v); }

    friend bool operator==(const Value&, const Value&) = default;
};

/// Session variables by name.
using Variables = std::map<std::string, Value, std::less<>>;

/// JsonLogic truthiness: false, null, 0, "" and [] are false; everything else is true.
bool truthy(const Value& v);

/// The value as a person reads it inside a message: strings as they are, whole numbers without a
/// decimal point (36 -> "36", 36.5 -> "36.5"), true/false, arrays joined with "、", null as "".
std::string display(const Value& v);

/// Compact JSON; whole numbers without ".0" (so 3 round-trips as 3).
std::string to_json(const Value& v);
std::string to_json(const Variables& vars);

/// Whether `s` is well-formed UTF-8 (no overlong forms or surrogates: what PostgreSQL accepts).
bool is_valid_utf8(std::string_view s);

/// `s` as the inside of a JSON string literal: quotes, backslashes and control characters
/// escaped, bytes that are not UTF-8 replaced with U+FFFD (so the result is always valid JSON).
std::string json_escape(std::string_view s);

/// Parses JSON into a Value. Objects are refused (nullopt), as is malformed JSON.
std::optional<Value> value_from_json(std::string_view json);
/// Parses a JSON object of name -> value (as stored in sessions.variables). Members whose value
/// is an object are dropped; malformed JSON gives nullopt.
std::optional<Variables> variables_from_json(std::string_view json);

}  // namespace sapo::flows
