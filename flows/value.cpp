#include "flows/value.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>

#include <rapidjson/document.h>

namespace sapo::flows {

namespace {

/// Arrays nested deeper than this are refused when parsing: no flow needs them, and it keeps the
/// recursive helpers (display, to_json, the destructor of Value) away from the stack's limit.
constexpr int kMaxDepth = 64;

/// Parsing: exact decimal -> double conversion, UTF-8 checked, no recursion inside RapidJSON.
constexpr unsigned kParseFlags = rapidjson::kParseFullPrecisionFlag |
                                 rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseIterativeFlag;

/// JavaScript's Number#toString, which is also what a person expects to read: whole numbers below
/// 1e21 in plain digits ("3", "-2", "1000000"), other numbers in the shortest form that reads back
/// as the same double ("36.5", "0.1"), scientific notation only for very large or very small
/// magnitudes ("1e+21", "1e-7"). -0 is "0". NaN and infinities (which JSON can't carry) read
/// "NaN", "Infinity", "-Infinity".
void append_number(std::string& out, double d) {
    if (std::isnan(d)) {
        out += "NaN";
        return;
    }
    if (std::isinf(d)) {
        out += d < 0 ? "-Infinity" : "Infinity";
        return;
    }
    if (d == 0) {  // also -0
        out += '0';
        return;
    }
    std::array<char, 64> buf{};
    double mag = std::fabs(d);
    std::to_chars_result r{};
    bool scientific = mag >= 1e21 || mag < 1e-6;
    if (!scientific) {
        r = std::to_chars(buf.data(), buf.data() + buf.size(), d, std::chars_format::fixed);
    } else {
        r = std::to_chars(buf.data(), buf.data() + buf.size(), d, std::chars_format::scientific);
    }
    if (r.ec != std::errc{}) {  // can't happen with 64 bytes; keep something readable anyway
        out += "NaN";
        return;
    }
    std::string_view s(buf.data(), static_cast<std::size_t>(r.ptr - buf.data()));
    if (!scientific) {
        out += s;
        return;
    }
    // "1e+21" stays; "1e-07" becomes "1e-7" (the exponent without leading zeros, as JS writes it).
    auto e = s.find('e');
    out += s.substr(0, e + 2);  // mantissa, 'e', sign
    std::string_view exp = s.substr(e + 2);
    while (exp.size() > 1 && exp.front() == '0')
        exp.remove_prefix(1);
    out += exp;
}

void append_hex4(std::string& out, unsigned v) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\u";
    out += kHex[(v >> 12) & 0xF];
    out += kHex[(v >> 8) & 0xF];
    out += kHex[(v >> 4) & 0xF];
    out += kHex[v & 0xF];
}

/// Length of the well-formed UTF-8 sequence starting at s[i], or 0 when it is not one
/// (overlong forms, surrogates and code points above U+10FFFF are not well-formed).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (i + n > s.size())
        return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi)
        return 0;
    for (std::size_t k = 2; k < n; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
            return 0;
    }
    return n;
}

/// A JSON string literal. Non-ASCII text is kept as UTF-8 (readable in the database); bytes that
/// are not valid UTF-8 become U+FFFD, so the output is always valid JSON that PostgreSQL accepts.
void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\b':
                    out += "\\b";
                    break;
                case '\f':
                    out += "\\f";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                default:
                    if (c < 0x20) {
                        append_hex4(out, c);
                    } else {
                        out += static_cast<char>(c);
                    }
            }
            ++i;
            continue;
        }
        std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    out += '"';
}

void append_json(std::string& out, const Value& v) {
    std::visit(
        [&out](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                out += "null";
            } else if constexpr (std::is_same_v<T, bool>) {
                out += x ? "true" : "false";
            } else if constexpr (std::is_same_v<T, double>) {
                if (std::isfinite(x)) {
                    append_number(out, x);
                } else {
                    out += "null";  // as JSON.stringify does
                }
            } else if constexpr (std::is_same_v<T, std::string>) {
                append_json_string(out, x);
            } else {
                out += '[';
                bool first = true;
                for (const auto& e : x) {
                    if (!first)
                        out += ',';
                    first = false;
                    append_json(out, e);
                }
                out += ']';
            }
        },
        v.v
    );
}

void append_display(std::string& out, const Value& v) {
    std::visit(
        [&out](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                // null reads as nothing
            } else if constexpr (std::is_same_v<T, bool>) {
                out += x ? "true" : "false";
            } else if constexpr (std::is_same_v<T, double>) {
                append_number(out, x);
            } else if constexpr (std::is_same_v<T, std::string>) {
                out += x;
            } else {
                bool first = true;
                for (const auto& e : x) {
                    if (!first)
                        out += "、";
                    first = false;
                    append_display(out, e);
                }
            }
        },
        v.v
    );
}

/// Converts a parsed JSON value; objects (anywhere) and nesting deeper than kMaxDepth refuse.
std::optional<Value> from_document(const rapidjson::Value& j, int depth) {
    switch (j.GetType()) {
        case rapidjson::kNullType:
            return Value{};
        case rapidjson::kFalseType:
            return Value(false);
        case rapidjson::kTrueType:
            return Value(true);
        case rapidjson::kNumberType:
            return Value(j.GetDouble());
        case rapidjson::kStringType:
            return Value(std::string(j.GetString(), j.GetStringLength()));
        case rapidjson::kArrayType: {
            if (depth >= kMaxDepth)
                return std::nullopt;
            Value::Array a;
            a.reserve(j.Size());
            for (const auto& e : j.GetArray()) {
                auto x = from_document(e, depth + 1);
                if (!x)
                    return std::nullopt;
                a.push_back(std::move(*x));
            }
            return Value(std::move(a));
        }
        case rapidjson::kObjectType:
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

bool truthy(const Value& v) {
    return std::visit(
        [](const auto& x) -> bool {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return false;
            } else if constexpr (std::is_same_v<T, bool>) {
                return x;
            } else if constexpr (std::is_same_v<T, double>) {
                return x != 0 && !std::isnan(x);  // NaN is falsy, as in JavaScript
            } else {
                return !x.empty();  // "" and []
            }
        },
        v.v
    );
}

std::string display(const Value& v) {
    if (v.is_string())
        return v.as_string();
    std::string out;
    append_display(out, v);
    return out;
}

std::string to_json(const Value& v) {
    std::string out;
    append_json(out, v);
    return out;
}

std::string to_json(const Variables& vars) {
    std::string out = "{";
    bool first = true;
    for (const auto& [name, value] : vars) {
        if (!first)
            out += ',';
        first = false;
        append_json_string(out, name);
        out += ':';
        append_json(out, value);
    }
    out += '}';
    return out;
}

bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string json_escape(std::string_view s) {
    std::string quoted;
    append_json_string(quoted, s);
    return quoted.substr(1, quoted.size() - 2);
}

std::optional<Value> value_from_json(std::string_view json) {
    if (json.empty())
        return std::nullopt;
    rapidjson::Document doc;
    doc.Parse<kParseFlags>(json.data(), json.size());
    if (doc.HasParseError())
        return std::nullopt;
    return from_document(doc, 0);
}

std::optional<Variables> variables_from_json(std::string_view json) {
    if (json.empty())
        return std::nullopt;
    rapidjson::Document doc;
    doc.Parse<kParseFlags>(json.data(), json.size());
    if (doc.HasParseError() || !doc.IsObject())
        return std::nullopt;
    Variables vars;
    for (const auto& m : doc.GetObject()) {
        auto v = from_document(m.value, 1);
        if (!v)
            continue;  // an object (or something holding one): not representable, dropped
        // A repeated name: the last one wins, as in JavaScript's JSON.parse.
        vars.insert_or_assign(
            std::string(m.name.GetString(), m.name.GetStringLength()), std::move(*v)
        );
    }
    return vars;
}

}  // namespace sapo::flows
