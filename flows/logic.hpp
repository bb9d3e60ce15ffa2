#pragma once
/// @file
/// @brief Conditions as data: a JsonLogic (jsonlogic.com) subset, parsed once when a flow is
/// loaded and evaluated without allocation-heavy JSON trees on every step.
///
/// Supported operations, exactly: var, ==, !=, <, <=, >, >=, and, or, !, in, missing.
/// Anything else is a validation problem, reported in words an operator understands.
/// `==`/`!=` follow JsonLogic's loose equality for number/string pairs ("3" == 3); `<` etc. take
/// 2 operands (3 for the "between" form of < and <=); `in` tests a substring or an array member;
/// `var` takes a dotted path ("profile.language") and an optional default; `missing` returns the
/// array of listed names whose value is null or "".

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flows/value.hpp"

namespace sapo::flows {

struct Logic {
    enum class Kind { literal, array, operation };
    Kind kind = Kind::literal;
    Value literal;              ///< Kind::literal
    std::string op;             ///< Kind::operation: "var", "==", ...
    std::vector<Logic> args;    ///< Kind::array elements, or the operation's operands
};

/// Looks a variable path up; null when unknown.
using VarLookup = std::function<Value(std::string_view path)>;

/// Parses a JsonLogic expression given as JSON text. On failure returns nullopt and appends one
/// plain sentence per problem to `problems` (e.g. `the condition uses "+", which is not allowed;
/// use one of: var, ==, !=, <, <=, >, >=, and, or, !, in, missing`).
std::optional<Logic> parse_logic(std::string_view json, std::vector<std::string>& problems);

/// Evaluates an expression. Never throws for well-formed expressions; comparisons between
/// incomparable values are false.
Value evaluate(const Logic& logic, const VarLookup& lookup);

/// Every variable path the expression reads (var operands that are literal strings, and the
/// names listed in missing), in order of appearance, for the validator's "no source" check.
void collect_vars(const Logic& logic, std::vector<std::string>& out);

}  // namespace sapo::flows
