#include "flows/logic.hpp"

#include <charconv>
#include <cmath>
#include <cstddef>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

// Semantics, where this subset chooses among JavaScript's rules (jsonlogic.com is JavaScript):
//
// - `var`: the lookup gets the whole dotted path ("profile.language"). The default (second
//   operand) is used when the lookup gives null; the lookup can't tell "unknown" from "null", so
//   a stored null also takes the default. The path may be an operation that yields text (or a
//   number, read as its digits); anything else reads as null. An empty literal name is refused
//   when parsing (JsonLogic would return the whole data, which we have no use for).
// - `==` / `!=` (loose): values of the same kind compare as themselves (arrays element by element,
//   where JavaScript would compare identities). Between a number, a string and a boolean, both
//   sides become numbers: true is 1, false is 0, a string is read as a decimal number ("3",
//   " 3.0 ", "1e3"). Unlike JavaScript, a string that is empty, blank or not a number equals no
//   number or boolean ("" == 0 and "" == false are false). null equals only null; an array equals
//   only an array.
// - `<`, `<=`, `>`, `>=`: two strings compare by code point (UTF-8 byte order); two numbers, or a
//   number and a numeric string, compare as numbers. Anything else (null, booleans, arrays,
//   non-numeric strings against numbers, NaN) is incomparable and the comparison is false, so a
//   variable nobody has set never passes {"<": [{"var":"temp"}, 37]}. (JavaScript would read
//   null as 0.) The 3-operand form of `<` and `<=` is "between": a < b && b < c.
// - `and` / `or` return the operand that decided, as JavaScript's && and || do.
// - `in`: with text on the right, whether the left (text, or a number or boolean written out) is
//   part of it; an empty left side is part of any text, as in JavaScript. With an array on the
//   right, whether an element is strictly equal to the left (same kind, same value: "3" is not
//   in [3]). Anything else on the right gives false.
// - `missing`: the names (written out, or one array of them) whose lookup is null or "".

namespace sapo::flows {

namespace {

enum class Op { var, eq, ne, lt, le, gt, ge, and_, or_, not_, in, missing, unknown };

Op op_code(std::string_view op) noexcept {
    // Character by character rather than string comparisons: this runs at every node evaluated.
    switch (op.size()) {
        case 1:
            switch (op[0]) {
                case '<':
                    return Op::lt;
                case '>':
                    return Op::gt;
                case '!':
                    return Op::not_;
                default:
                    return Op::unknown;
            }
        case 2:
            if (op[1] == '=') {
                switch (op[0]) {
                    case '=':
                        return Op::eq;
                    case '!':
                        return Op::ne;
                    case '<':
                        return Op::le;
                    case '>':
                        return Op::ge;
                    default:
                        return Op::unknown;
                }
            }
            if (op[0] == 'o' && op[1] == 'r')
                return Op::or_;
            if (op[0] == 'i' && op[1] == 'n')
                return Op::in;
            return Op::unknown;
        case 3:
            if (op[0] == 'v' && op[1] == 'a' && op[2] == 'r')
                return Op::var;
            if (op[0] == 'a' && op[1] == 'n' && op[2] == 'd')
                return Op::and_;
            return Op::unknown;
        case 7:
            return op == "missing" ? Op::missing : Op::unknown;
        default:
            return Op::unknown;
    }
}

constexpr const char* kAllowedOps = "var, ==, !=, <, <=, >, >=, and, or, !, in, missing";

/// Expressions nested deeper than this are refused: no real condition comes close, and it keeps
/// parsing and evaluation (both recursive) far from the stack's limit.
constexpr int kMaxDepth = 64;

constexpr unsigned kParseFlags = rapidjson::kParseFullPrecisionFlag |
                                 rapidjson::kParseValidateEncodingFlag |
                                 rapidjson::kParseIterativeFlag;

// --- parsing ---------------------------------------------------------------------------------

std::string quoted(std::string_view s) {
    std::string out = "\"";
    out += s;
    out += '"';
    return out;
}

std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

/// An operand as a person would recognise it in a problem sentence.
std::string describe(const Logic& l) {
    switch (l.kind) {
        case Logic::Kind::literal:
            if (l.literal.is_null())
                return "null";
            if (l.literal.is_string())
                return quoted(l.literal.as_string());
            return display(l.literal);
        case Logic::Kind::array:
            return "a list";
        case Logic::Kind::operation:
            return "a " + quoted(l.op) + " operation";
    }
    return "something else";
}

bool is_name(const Logic& l) {
    return l.kind == Logic::Kind::literal && l.literal.is_string() &&
           !l.literal.as_string().empty();
}

class Parser {
public:
    explicit Parser(std::vector<std::string>& problems) : problems_(problems) {}

    Logic parse(const rapidjson::Value& j, int depth, std::string_view parent) {
        Logic l;
        if (depth > kMaxDepth) {
            if (!too_deep_) {
                too_deep_ = true;
                add("the condition is nested more than " + std::to_string(kMaxDepth) +
                    " levels deep; please simplify it");
            }
            return l;
        }
        switch (j.GetType()) {
            case rapidjson::kNullType:
                return l;
            case rapidjson::kFalseType:
                l.literal = false;
                return l;
            case rapidjson::kTrueType:
                l.literal = true;
                return l;
            case rapidjson::kNumberType:
                l.literal = j.GetDouble();
                return l;
            case rapidjson::kStringType:
                l.literal = std::string(j.GetString(), j.GetStringLength());
                return l;
            case rapidjson::kArrayType:
                l.kind = Logic::Kind::array;
                l.args.reserve(j.Size());
                for (const auto& e : j.GetArray())
                    l.args.push_back(parse(e, depth + 1, parent));
                return l;
            case rapidjson::kObjectType:
                return parse_object(j, depth, parent);
        }
        return l;
    }

private:
    void add(std::string problem) { problems_.push_back(std::move(problem)); }

    static std::string inside(std::string_view parent) {
        return parent.empty() ? std::string() : " inside " + quoted(parent);
    }

    Logic parse_object(const rapidjson::Value& j, int depth, std::string_view parent) {
        Logic l;
        rapidjson::SizeType n = j.MemberCount();
        if (n == 0) {
            add(parent.empty()
                    ? std::string(
                          "the condition is an empty {}; a condition must have exactly one "
                          "operation, for example {\"==\": [{\"var\": \"answer\"}, \"yes\"]}"
                      )
                    : "an empty {} was found inside " + quoted(parent) +
                          "; a condition must have exactly one operation, and {} is not allowed "
                          "as a value");
            return l;
        }
        if (n > 1) {
            std::string keys;
            for (const auto& m : j.GetObject()) {
                if (!keys.empty())
                    keys += ", ";
                keys += quoted(std::string_view(m.name.GetString(), m.name.GetStringLength()));
            }
            add("a condition must have exactly one operation, but one part" + inside(parent) +
                " has " + std::to_string(n) + " (" + keys +
                "); write each in its own {} and join them with \"and\" or \"or\"");
            // Still look inside, so that every problem is reported at once.
            for (const auto& m : j.GetObject()) {
                std::string_view key(m.name.GetString(), m.name.GetStringLength());
                parse_operands(m.value, depth, key);
            }
            return l;
        }
        const auto& m = *j.MemberBegin();
        l.kind = Logic::Kind::operation;
        l.op.assign(m.name.GetString(), m.name.GetStringLength());
        l.args = parse_operands(m.value, depth, l.op);
        check(l);
        return l;
    }

    /// `{"op": [a, b]}` has operands a and b; `{"op": a}` is short for `{"op": [a]}`.
    std::vector<Logic> parse_operands(const rapidjson::Value& v, int depth, std::string_view op) {
        std::vector<Logic> args;
        if (v.IsArray()) {
            args.reserve(v.Size());
            for (const auto& e : v.GetArray())
                args.push_back(parse(e, depth + 1, op));
        } else {
            args.push_back(parse(v, depth + 1, op));
        }
        return args;
    }

    void arity(const Logic& l, std::size_t want) {
        if (l.args.size() != want) {
            add(quoted(l.op) + " needs " + plural(want, "operand") + ", got " +
                std::to_string(l.args.size()));
        }
    }

    void check(const Logic& l) {
        std::size_t n = l.args.size();
        switch (op_code(l.op)) {
            case Op::var:
                if (n == 0 || n > 2) {
                    add("\"var\" needs the name of a variable and, if wanted, a default value "
                        "(1 or 2 operands), got " +
                        std::to_string(n));
                }
                if (n >= 1) {
                    const Logic& name = l.args[0];
                    if (name.kind == Logic::Kind::literal && name.literal.is_string() &&
                        name.literal.as_string().empty()) {
                        add("\"var\" needs the name of a variable, but the name is empty "
                            "(write it like {\"var\": \"temperature\"})");
                    } else if (name.kind != Logic::Kind::operation && !is_name(name)) {
                        add("\"var\" needs the name of a variable as text, but got " +
                            describe(name) + " (write it like {\"var\": \"temperature\"})");
                    }
                }
                return;
            case Op::eq:
            case Op::ne:
            case Op::gt:
            case Op::ge:
            case Op::in:
                arity(l, 2);
                return;
            case Op::lt:
            case Op::le:
                if (n != 2 && n != 3) {
                    add(quoted(l.op) + " needs 2 operands (or 3, to test \"between\"), got " +
                        std::to_string(n));
                }
                return;
            case Op::and_:
            case Op::or_:
                if (n == 0)
                    add(quoted(l.op) + " needs at least 1 operand, got 0");
                return;
            case Op::not_:
                arity(l, 1);
                return;
            case Op::missing: {
                const std::vector<Logic>* names = &l.args;
                if (n == 1 && l.args[0].kind == Logic::Kind::array)
                    names = &l.args[0].args;
                if (names->empty()) {
                    add("\"missing\" needs at least one variable name");
                    return;
                }
                for (const auto& name : *names) {
                    if (!is_name(name)) {
                        add("\"missing\" needs the names of variables written as text, but got " +
                            describe(name));
                    }
                }
                return;
            }
            case Op::unknown: {
                std::string p = "the condition uses " + quoted(l.op) + ", which is not allowed";
                if (l.op == "===")
                    p += " (use \"==\" instead)";
                if (l.op == "!==")
                    p += " (use \"!=\" instead)";
                add(p + "; use one of: " + kAllowedOps);
                return;
            }
        }
    }

    std::vector<std::string>& problems_;
    bool too_deep_ = false;
};

// --- evaluation ------------------------------------------------------------------------------

/// A string read as a decimal number, as JavaScript's Number() does for ordinary inputs
/// (surrounding blanks allowed, "+3", ".5", "1e3"); empty, blank or other text gives nothing.
std::optional<double> to_number(std::string_view s) {
    auto blank = [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    };
    while (!s.empty() && blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && blank(s.back()))
        s.remove_suffix(1);
    if (!s.empty() && s.front() == '+')
        s.remove_prefix(1);
    std::size_t lead = (!s.empty() && s.front() == '-') ? 1 : 0;
    // Digits or a point must follow the sign: refuses "inf", "nan" and hex, which from_chars takes.
    if (s.size() <= lead || !((s[lead] >= '0' && s[lead] <= '9') || s[lead] == '.')) {
        return std::nullopt;
    }
    double d = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), d);
    if (r.ec != std::errc{} || r.ptr != s.data() + s.size())
        return std::nullopt;
    return d;
}

/// Number, boolean or numeric string as a number, for loose equality.
std::optional<double> loose_number(const Value& v) {
    if (v.is_number())
        return v.as_number();
    if (v.is_bool())
        return v.as_bool() ? 1.0 : 0.0;
    if (v.is_string())
        return to_number(v.as_string());
    return std::nullopt;
}

bool loose_equal(const Value& a, const Value& b) {
    if (a.v.index() == b.v.index())
        return a == b;
    if (a.is_null() || b.is_null() || a.is_array() || b.is_array())
        return false;
    auto x = loose_number(a);
    auto y = loose_number(b);
    return x && y && *x == *y;
}

/// -1, 0 or 1; nullopt when the two can't be ordered.
std::optional<int> compare(const Value& a, const Value& b) {
    if (a.is_string() && b.is_string()) {
        int c = a.as_string().compare(b.as_string());
        return (c > 0) - (c < 0);
    }
    std::optional<double> x, y;
    if (a.is_number())
        x = a.as_number();
    else if (a.is_string() && b.is_number())
        x = to_number(a.as_string());
    if (b.is_number())
        y = b.as_number();
    else if (b.is_string() && a.is_number())
        y = to_number(b.as_string());
    if (!x || !y || std::isnan(*x) || std::isnan(*y))
        return std::nullopt;
    return (*x > *y) - (*x < *y);
}

const Value& set_bool(Value& out, bool b) {
    out.v.emplace<bool>(b);
    return out;
}

const Value& set_null(Value& out) {
    out.v.emplace<std::monostate>();
    return out;
}

/// Evaluates `l`. The result is either a literal inside `l` or `out`; `out` is the caller's, so
/// literals are never copied and most steps allocate nothing.
const Value& eval(const Logic& l, const VarLookup& lookup, Value& out);

const Value& eval_var(const Logic& l, const VarLookup& lookup, Value& out) {
    if (l.args.empty())
        return set_null(out);
    const Logic& name = l.args[0];
    if (name.kind == Logic::Kind::literal && name.literal.is_string()) {
        const std::string& path = name.literal.as_string();
        if (path.empty())
            set_null(out);
        else
            out = lookup(path);
    } else {
        Value tmp;
        const Value& p = eval(name, lookup, tmp);
        if (p.is_string() && !p.as_string().empty())
            out = lookup(p.as_string());
        else if (p.is_number())
            out = lookup(display(p));
        else
            set_null(out);
    }
    if (out.is_null() && l.args.size() >= 2)
        return eval(l.args[1], lookup, out);
    return out;
}

bool ordered(const Logic& l, const VarLookup& lookup, bool (*holds)(int)) {
    if (l.args.size() < 2)
        return false;
    Value ta, tb;
    const Value& a = eval(l.args[0], lookup, ta);
    const Value& b = eval(l.args[1], lookup, tb);
    auto c = compare(a, b);
    if (!c || !holds(*c))
        return false;
    if (l.args.size() < 3)
        return true;
    Value tc;
    const Value& cv = eval(l.args[2], lookup, tc);
    auto c2 = compare(b, cv);
    return c2 && holds(*c2);
}

bool eval_in(const Logic& l, const VarLookup& lookup) {
    if (l.args.size() < 2)
        return false;
    Value tn;
    const Value& needle = eval(l.args[0], lookup, tn);
    const Logic& hay_logic = l.args[1];
    if (hay_logic.kind == Logic::Kind::array) {  // a list written in the condition: no copy
        for (const auto& e : hay_logic.args) {
            Value te;
            if (eval(e, lookup, te) == needle)
                return true;
        }
        return false;
    }
    Value th;
    const Value& hay = eval(hay_logic, lookup, th);
    if (hay.is_array()) {
        for (const auto& e : hay.as_array()) {
            if (e == needle)
                return true;
        }
        return false;
    }
    if (!hay.is_string())
        return false;
    if (needle.is_string())
        return hay.as_string().find(needle.as_string()) != std::string::npos;
    if (needle.is_number() || needle.is_bool()) {
        return hay.as_string().find(display(needle)) != std::string::npos;
    }
    return false;
}

const Value& eval_missing(const Logic& l, const VarLookup& lookup, Value& out) {
    const std::vector<Logic>* names = &l.args;
    if (l.args.size() == 1 && l.args[0].kind == Logic::Kind::array)
        names = &l.args[0].args;
    Value::Array result;
    for (const auto& n : *names) {
        Value tn;
        const Value& name = eval(n, lookup, tn);
        if (!name.is_string())
            continue;
        Value v = name.as_string().empty() ? Value{} : lookup(name.as_string());
        if (v.is_null() || (v.is_string() && v.as_string().empty()))
            result.push_back(name);
    }
    out = Value(std::move(result));
    return out;
}

const Value& eval(const Logic& l, const VarLookup& lookup, Value& out) {
    switch (l.kind) {
        case Logic::Kind::literal:
            return l.literal;
        case Logic::Kind::array: {
            Value::Array a;
            a.reserve(l.args.size());
            for (const auto& e : l.args) {
                Value t;
                const Value& r = eval(e, lookup, t);
                a.push_back(&r == &t ? std::move(t) : r);
            }
            out = Value(std::move(a));
            return out;
        }
        case Logic::Kind::operation:
            break;
    }
    Op op = op_code(l.op);
    switch (op) {
        case Op::var:
            return eval_var(l, lookup, out);
        case Op::eq:
        case Op::ne: {
            if (l.args.size() < 2)
                return set_null(out);
            Value ta, tb;
            bool eq = loose_equal(eval(l.args[0], lookup, ta), eval(l.args[1], lookup, tb));
            return set_bool(out, op == Op::eq ? eq : !eq);
        }
        case Op::lt:
            return set_bool(out, ordered(l, lookup, [](int c) { return c < 0; }));
        case Op::le:
            return set_bool(out, ordered(l, lookup, [](int c) { return c <= 0; }));
        case Op::gt:
            return set_bool(out, ordered(l, lookup, [](int c) { return c > 0; }));
        case Op::ge:
            return set_bool(out, ordered(l, lookup, [](int c) { return c >= 0; }));
        case Op::and_:
        case Op::or_: {
            if (l.args.empty())
                return set_null(out);
            bool is_and = op == Op::and_;
            for (std::size_t i = 0;; ++i) {
                const Value& r = eval(l.args[i], lookup, out);
                if (i + 1 == l.args.size() || truthy(r) != is_and)
                    return r;
            }
        }
        case Op::not_: {
            if (l.args.empty())
                return set_bool(out, true);
            Value t;
            return set_bool(out, !truthy(eval(l.args[0], lookup, t)));
        }
        case Op::in:
            return set_bool(out, eval_in(l, lookup));
        case Op::missing:
            return eval_missing(l, lookup, out);
        case Op::unknown:
            break;
    }
    return set_null(out);
}

}  // namespace

std::optional<Logic> parse_logic(std::string_view json, std::vector<std::string>& problems) {
    if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        problems.emplace_back("the condition is empty");
        return std::nullopt;
    }
    rapidjson::Document doc;
    doc.Parse<kParseFlags>(json.data(), json.size());
    if (doc.HasParseError()) {
        problems.push_back(
            std::string("the condition is not valid JSON: ") +
            rapidjson::GetParseError_En(doc.GetParseError()) + " (at position " +
            std::to_string(doc.GetErrorOffset()) + ")"
        );
        return std::nullopt;
    }
    std::size_t before = problems.size();
    Parser parser(problems);
    Logic l = parser.parse(doc, 0, {});
    if (problems.size() != before)
        return std::nullopt;
    return l;
}

Value evaluate(const Logic& logic, const VarLookup& lookup) {
    Value out;
    const Value& r = eval(logic, lookup, out);
    if (&r == &out)
        return out;
    return r;
}

void collect_vars(const Logic& logic, std::vector<std::string>& out) {
    if (logic.kind == Logic::Kind::operation && !logic.args.empty()) {
        Op op = op_code(logic.op);
        if (op == Op::var && is_name(logic.args[0])) {
            out.push_back(logic.args[0].literal.as_string());
            for (std::size_t i = 1; i < logic.args.size(); ++i)
                collect_vars(logic.args[i], out);
            return;
        }
        if (op == Op::missing) {
            const std::vector<Logic>* names = &logic.args;
            if (logic.args.size() == 1 && logic.args[0].kind == Logic::Kind::array) {
                names = &logic.args[0].args;
            }
            for (const auto& n : *names) {
                if (is_name(n))
                    out.push_back(n.literal.as_string());
                else
                    collect_vars(n, out);
            }
            return;
        }
    }
    for (const auto& a : logic.args)
        collect_vars(a, out);
}

}  // namespace sapo::flows
