#include "flows/loader.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <set>

#include "flows/normalize.hpp"
#include "flows/postback.hpp"

namespace sapo::flows {
namespace {

using JsonValue = rapidjson::Value;

constexpr const char* kNodeTypes = "message, ask, branch, set, classify, effect, goto, end";
constexpr const char* kInputTypes = "choice, yes_no, number, temperature, postal_code, date, text";

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string to_json_text(const JsonValue& v) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    return {buf.GetString(), buf.GetSize()};
}

/// Whether `v` nests arrays/objects more than `limit` deep (walked without recursion, so that
/// absurd input can't exhaust the stack).
bool nested_deeper_than(const JsonValue& v, int limit) {
    std::vector<std::pair<const JsonValue*, int>> todo{{&v, 0}};
    while (!todo.empty()) {
        auto [node, depth] = todo.back();
        todo.pop_back();
        if (depth > limit) return true;
        if (node->IsArray()) {
            for (const auto& e : node->GetArray()) todo.emplace_back(&e, depth + 1);
        } else if (node->IsObject()) {
            for (const auto& m : node->GetObject()) todo.emplace_back(&m.value, depth + 1);
        }
    }
    return false;
}

std::string with_commas(std::size_t n) {
    auto s = std::to_string(n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return s;
}

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
    return out;
}

/// The node-level fields each type accepts; anything else is most likely a typo worth reporting.
const std::set<std::string, std::less<>>& allowed_fields(NodeType t) {
    static const std::map<NodeType, std::set<std::string, std::less<>>> fields{
        {NodeType::message, {"type", "text", "template", "params", "next", "note"}},
        {NodeType::ask,
         {"type", "text", "input", "var", "choices", "reask", "min", "max", "units", "max_length",
          "confirm_at_or_above", "confirm_text", "skippable", "reentrant", "max_invalid", "next", "note"}},
        {NodeType::branch, {"type", "cases", "else", "note"}},
        {NodeType::set, {"type", "values", "next", "note"}},
        {NodeType::classify, {"type", "var", "reasons_var", "rules", "next", "note"}},
        {NodeType::effect, {"type", "effect", "params", "result_var", "next", "note"}},
        {NodeType::go_to, {"type", "flow", "note"}},
        {NodeType::end, {"type", "text", "note"}},
    };
    return fields.at(t);
}

std::optional<NodeType> parse_node_type(std::string_view s) {
    if (s == "message") return NodeType::message;
    if (s == "ask") return NodeType::ask;
    if (s == "branch") return NodeType::branch;
    if (s == "set") return NodeType::set;
    if (s == "classify") return NodeType::classify;
    if (s == "effect") return NodeType::effect;
    if (s == "goto") return NodeType::go_to;
    if (s == "end") return NodeType::end;
    return std::nullopt;
}

std::optional<InputType> parse_input_type(std::string_view s) {
    if (s == "choice") return InputType::choice;
    if (s == "yes_no") return InputType::yes_no;
    if (s == "number") return InputType::number;
    if (s == "temperature") return InputType::temperature;
    if (s == "postal_code") return InputType::postal_code;
    if (s == "date") return InputType::date;
    if (s == "text") return InputType::text;
    return std::nullopt;
}

/// Characters (code points) of UTF-8 text, for limits people count in characters.
std::size_t utf8_length(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool valid_identifier(std::string_view s, std::size_t max_len, bool allow_dot) {
    if (s.empty() || s.size() > max_len) return false;
    return std::all_of(s.begin(), s.end(), [&](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (allow_dot && c == '.');
    });
}

/// Validates and builds one flow; every check appends to `problems` and goes on.
class FlowReader {
public:
    FlowReader(const Registry& registry, std::vector<Problem>& problems) : registry_(registry), problems_(problems) {}

    Flow read(const JsonValue& doc) {
        Flow f;
        if (!doc.IsObject()) {
            flow_problem("the document must be a JSON object with \"id\", \"start\" and \"nodes\"");
            return f;
        }
        static const std::set<std::string, std::less<>> kFlowFields{
            "schema_version", "id", "title", "start", "timeout_minutes", "max_invalid", "on_invalid", "triggers",
            "nodes", "note", "$schema"};
        for (const auto& m : doc.GetObject()) {
            if (!kFlowFields.count(m.name.GetString())) {
                flow_problem("unknown field " + quoted(m.name.GetString()) + " at the top of the flow");
            }
        }
        if (auto v = member(doc, "schema_version")) {
            if (!v->IsInt() || v->GetInt() != 1) flow_problem("\"schema_version\" must be 1 (the only format this sapo reads)");
        } else {
            flow_problem("\"schema_version\" is missing; write \"schema_version\": 1");
        }
        f.id = string_field(doc, "id", "");
        if (f.id.empty()) {
            flow_problem("\"id\" is missing: every flow needs a name such as \"welcome\"");
        } else if (!valid_identifier(f.id, 40, false)) {
            flow_problem("the id " + quoted(f.id) + " may only use a-z, 0-9 and _ (at most 40 characters)");
        }
        if (auto t = member(doc, "title")) f.title = localized(*t, "", "the title", false);
        f.start = string_field(doc, "start", "");
        if (f.start.empty()) flow_problem("\"start\" is missing: name the node the conversation begins with");
        f.timeout_minutes = int_field(doc, "timeout_minutes", 30, 1, 7 * 24 * 60, "");
        f.max_invalid = int_field(doc, "max_invalid", 3, 1, 10, "");
        f.on_invalid = string_field(doc, "on_invalid", "");
        if (auto t = member(doc, "triggers")) read_triggers(*t, f.triggers);

        auto nodes = member(doc, "nodes");
        if (!nodes || !nodes->IsObject() || nodes->MemberCount() == 0) {
            flow_problem("\"nodes\" must be an object of node id -> node, with at least one node");
            return f;
        }
        std::set<std::string, std::less<>> seen;
        for (const auto& m : nodes->GetObject()) {
            std::string id = m.name.GetString();
            if (!seen.insert(id).second) {
                problem(id, "this node id is used twice; each node needs its own id");
                continue;
            }
            if (!valid_identifier(id, 60, false)) {
                problem(id, "a node id may only use a-z, 0-9 and _ (at most 60 characters)");
            }
            if (auto n = read_node(id, m.value, f)) {
                f.index.emplace(n->id, f.nodes.size());
                f.nodes.push_back(std::move(*n));
            }
        }
        check_graph(f);
        check_sources(f);
        return f;
    }

private:
    void flow_problem(std::string message) { problems_.push_back({"", std::move(message)}); }
    void problem(const std::string& node, std::string message) { problems_.push_back({node, std::move(message)}); }

    static const JsonValue* member(const JsonValue& obj, const char* name) {
        auto it = obj.FindMember(name);
        return it == obj.MemberEnd() ? nullptr : &it->value;
    }

    std::string string_field(const JsonValue& obj, const char* name, const std::string& node) {
        auto v = member(obj, name);
        if (!v) return "";
        if (!v->IsString()) {
            problem(node, quoted(name) + " must be text (in double quotes)");
            return "";
        }
        return {v->GetString(), v->GetStringLength()};
    }

    int int_field(const JsonValue& obj, const char* name, int fallback, int lo, int hi, const std::string& node) {
        auto v = member(obj, name);
        if (!v) return fallback;
        if (!v->IsInt() || v->GetInt() < lo || v->GetInt() > hi) {
            problem(node, quoted(name) + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
            return fallback;
        }
        return v->GetInt();
    }

    std::optional<double> number_field(const JsonValue& obj, const char* name, const std::string& node) {
        auto v = member(obj, name);
        if (!v) return std::nullopt;
        if (!v->IsNumber()) {
            problem(node, quoted(name) + " must be a number");
            return std::nullopt;
        }
        return v->GetDouble();
    }

    /// {"ja": "...", "en": "..."}; `label` texts are checked against LINE's label limit.
    Localized localized(const JsonValue& v, const std::string& node, const std::string& what, bool label) {
        Localized out;
        if (!v.IsObject()) {
            problem(node, what + " must be an object of language -> text, e.g. {\"ja\": \"…\", \"en\": \"…\"}");
            return out;
        }
        for (const auto& m : v.GetObject()) {
            std::string lang = m.name.GetString();
            if (!m.value.IsString()) {
                problem(node, what + " (" + lang + ") must be text");
                continue;
            }
            std::string text(m.value.GetString(), m.value.GetStringLength());
            if (text.empty()) problem(node, what + " (" + lang + ") is empty");
            if (label) {
                auto n = label_length(text);
                if (n > kMaxLabelLength) {
                    problem(
                        node, what + " " + quoted(text) + " (" + lang + ") is " + std::to_string(n) +
                                  " characters; LINE shows at most " + std::to_string(kMaxLabelLength)
                    );
                }
            } else {
                auto n = text_length(text);
                if (n > kMaxTextLength) {
                    problem(
                        node, what + " (" + lang + ") is " + with_commas(n) + " characters; LINE allows at most " +
                                  with_commas(kMaxTextLength)
                    );
                }
            }
            for (auto& p : placeholders_in(text)) used_placeholders_.push_back({node, std::move(p)});
            out.by_language[lang] = std::move(text);
        }
        if (!out.by_language.count("ja")) problem(node, what + " has no Japanese (\"ja\") version");
        return out;
    }

    void read_triggers(const JsonValue& v, Triggers& t) {
        if (!v.IsObject()) {
            flow_problem("\"triggers\" must be an object such as {\"keywords\": [\"健康観察\"]}");
            return;
        }
        for (const auto& m : v.GetObject()) {
            std::string name = m.name.GetString();
            if (name == "codes") {
                if (!m.value.IsBool()) flow_problem("the trigger \"codes\" must be true or false");
                else t.codes = m.value.GetBool();
                continue;
            }
            if (name == "digits") {
                if (!m.value.IsInt() || m.value.GetInt() < 4 || m.value.GetInt() > 16) {
                    flow_problem("the trigger \"digits\" must be a whole number from 4 to 16 (the length of the code)");
                } else {
                    t.digits = m.value.GetInt();
                }
                continue;
            }
            auto* list = name == "keywords" ? &t.keywords_normalized : name == "prefixes" ? &t.prefixes_normalized : nullptr;
            if (!list) {
                flow_problem("unknown trigger " + quoted(name) + "; use \"keywords\", \"prefixes\", \"codes\" or \"digits\"");
                continue;
            }
            if (!m.value.IsArray()) {
                flow_problem("the trigger " + quoted(name) + " must be a list of words");
                continue;
            }
            for (const auto& w : m.value.GetArray()) {
                if (!w.IsString() || normalize_compact(w.GetString()).empty()) {
                    flow_problem("the trigger " + quoted(name) + " has an empty or non-text entry");
                    continue;
                }
                list->push_back(normalize_compact(w.GetString()));
            }
        }
    }

    std::optional<Logic> condition(const JsonValue& v, const std::string& node, const std::string& what) {
        if (nested_deeper_than(v, 64)) {
            problem(node, what + " is nested more than 64 levels deep; write it more simply");
            return std::nullopt;
        }
        std::vector<std::string> why;
        auto logic = parse_logic(to_json_text(v), why);
        if (!logic) {
            for (const auto& w : why) problem(node, what + " is not valid: " + w);
            return std::nullopt;
        }
        std::vector<std::string> vars;
        collect_vars(*logic, vars);
        for (auto& var : vars) used_vars_.push_back({node, std::move(var)});
        return logic;
    }

    std::map<std::string, std::string, std::less<>> string_map(const JsonValue* v, const std::string& node, const char* what) {
        std::map<std::string, std::string, std::less<>> out;
        if (!v) return out;
        if (!v->IsObject()) {
            problem(node, quoted(what) + " must be an object of name -> text");
            return out;
        }
        for (const auto& m : v->GetObject()) {
            std::string value;
            if (m.value.IsString()) {
                value.assign(m.value.GetString(), m.value.GetStringLength());
            } else if (m.value.IsNumber() || m.value.IsBool()) {
                value = to_json_text(m.value);
            } else {
                problem(node, quoted(what) + ": " + quoted(m.name.GetString()) + " must be text, a number or true/false");
                continue;
            }
            for (auto& p : placeholders_in(value)) used_placeholders_.push_back({node, std::move(p)});
            out[m.name.GetString()] = std::move(value);
        }
        return out;
    }

    std::optional<Node> read_node(const std::string& id, const JsonValue& v, const Flow& flow) {
        Node stand_in;  // for a node too broken to read: links to it are not also reported as dangling
        stand_in.id = id;
        stand_in.type = NodeType::end;
        if (!v.IsObject()) {
            problem(id, "a node must be an object with a \"type\"");
            return stand_in;
        }
        auto type_text = string_field(v, "type", id);
        auto type = parse_node_type(type_text);
        if (!type) {
            problem(
                id, type_text.empty() ? std::string("the node has no \"type\"; use one of ") + kNodeTypes
                                      : "unknown node type " + quoted(type_text) + "; use one of " + kNodeTypes
            );
            return stand_in;
        }
        Node n;
        n.id = id;
        n.type = *type;
        const auto& allowed = allowed_fields(n.type);
        for (const auto& m : v.GetObject()) {
            if (!allowed.count(m.name.GetString())) {
                problem(id, "unknown field " + quoted(m.name.GetString()) + " for a " + type_text + " node");
            }
        }
        n.next = string_field(v, "next", id);
        const bool needs_next = n.type == NodeType::message || n.type == NodeType::ask || n.type == NodeType::set ||
                                n.type == NodeType::classify || n.type == NodeType::effect;
        if (needs_next && n.next.empty()) {
            problem(id, "\"next\" is missing: say which node comes after this " + type_text + " node");
        }
        if (auto t = member(v, "text")) n.text = localized(*t, id, "the text", false);

        switch (n.type) {
            case NodeType::message:
                n.template_id = string_field(v, "template", id);
                n.template_params = string_map(member(v, "params"), id, "params");
                if (n.text.empty() == n.template_id.empty()) {
                    problem(id, "a message node needs either \"text\" or \"template\" (one of them)");
                }
                if (!n.template_id.empty()) check_template(n);
                break;
            case NodeType::ask:
                read_ask(n, v, flow);
                break;
            case NodeType::branch:
                read_branch(n, v);
                break;
            case NodeType::set:
                read_set(n, v);
                break;
            case NodeType::classify:
                read_classify(n, v);
                break;
            case NodeType::effect:
                read_effect(n, v);
                break;
            case NodeType::go_to:
                n.flow = string_field(v, "flow", id);
                if (n.flow.empty()) {
                    problem(id, "a goto node needs \"flow\": the id of the flow to continue with");
                } else if (!registry_.flow_ids.empty() &&
                           std::find(registry_.flow_ids.begin(), registry_.flow_ids.end(), n.flow) ==
                               registry_.flow_ids.end()) {
                    problem(id, "goto names the flow " + quoted(n.flow) + ", which does not exist");
                }
                break;
            case NodeType::end:
                break;
        }
        return n;
    }

    void read_ask(Node& n, const JsonValue& v, const Flow& flow) {
        if (n.text.empty()) problem(n.id, "an ask node needs \"text\": the question to ask");
        auto input_text = string_field(v, "input", n.id);
        auto input = parse_input_type(input_text);
        if (!input) {
            problem(
                n.id, input_text.empty() ? std::string("an ask node needs \"input\": one of ") + kInputTypes
                                         : "unknown input " + quoted(input_text) + "; use one of " + kInputTypes
            );
        } else {
            n.input = *input;
        }
        n.var = string_field(v, "var", n.id);
        if (n.var.empty()) {
            problem(n.id, "an ask node needs \"var\": the name the answer is kept under");
        } else if (!valid_identifier(n.var, 60, true)) {
            problem(n.id, "the variable name " + quoted(n.var) + " may only use a-z, 0-9, _ and .");
        } else {
            sources_.insert(n.var);
        }
        if (auto r = member(v, "reask")) n.reask = localized(*r, n.id, "the re-ask text", false);
        n.min = number_field(v, "min", n.id);
        n.max = number_field(v, "max", n.id);
        if (n.min && n.max && *n.min > *n.max) problem(n.id, "\"min\" is larger than \"max\"");
        if (auto u = member(v, "units")) {
            if (!u->IsArray()) {
                problem(n.id, "\"units\" must be a list of words such as [\"歳\", \"才\"]");
            } else {
                for (const auto& w : u->GetArray()) {
                    if (!w.IsString()) continue;
                    // normalize(), not normalize_compact(): the latter drops punctuation, and "%" is a unit
                    n.units_csv += (n.units_csv.empty() ? "" : ",") + normalize(w.GetString());
                }
            }
        }
        n.max_length = static_cast<std::size_t>(int_field(v, "max_length", 0, 1, static_cast<int>(kMaxTextLength), n.id));
        n.confirm_at_or_above = number_field(v, "confirm_at_or_above", n.id);
        if (auto c = member(v, "confirm_text")) {
            auto before = used_placeholders_.size();
            n.confirm_text = localized(*c, n.id, "the confirmation text", false);
            // {{value}} is the answer being confirmed, filled by the engine
            used_placeholders_.erase(
                std::remove_if(
                    used_placeholders_.begin() + static_cast<std::ptrdiff_t>(before), used_placeholders_.end(),
                    [](const auto& p) { return p.second == "value"; }
                ),
                used_placeholders_.end()
            );
        }
        if (auto s = member(v, "skippable")) n.skippable = s->IsBool() && s->GetBool();
        if (auto r = member(v, "reentrant")) n.reentrant = r->IsBool() && r->GetBool();
        n.max_invalid = int_field(v, "max_invalid", 0, 1, 10, n.id);

        auto choices = member(v, "choices");
        if (n.input == InputType::choice) {
            if (!choices || !choices->IsArray() || choices->Empty()) {
                problem(n.id, "a choice question needs \"choices\": a list of {\"value\", \"label\"}");
            } else {
                read_choices(n, *choices, flow);
            }
        } else if (choices) {
            problem(n.id, "\"choices\" only belong to a question with \"input\": \"choice\"");
        }
        std::size_t buttons = n.input == InputType::choice ? n.choices.size() : n.input == InputType::yes_no ? 3 : 0;
        if (n.skippable) ++buttons;
        if (buttons > kMaxQuickReplies) {
            problem(
                n.id, std::to_string(buttons) + " quick replies (choices" + (n.skippable ? " plus the skip button" : "") +
                          "), but LINE shows at most " + std::to_string(kMaxQuickReplies)
            );
        }
    }

    void read_choices(Node& n, const JsonValue& list, const Flow& flow) {
        std::set<std::string> values;
        int index = 0;
        for (const auto& c : list.GetArray()) {
            ++index;
            const std::string where = "choice " + std::to_string(index);
            if (!c.IsObject()) {
                problem(n.id, where + " must be an object with \"value\" and \"label\"");
                continue;
            }
            for (const auto& m : c.GetObject()) {
                std::string_view field = m.name.GetString();
                if (field != "value" && field != "label" && field != "synonyms") {
                    problem(n.id, where + " has an unknown field " + quoted(field) + "; a choice has \"value\", \"label\" and \"synonyms\"");
                }
            }
            Choice choice;
            choice.value = string_field(c, "value", n.id);
            if (choice.value.empty()) {
                problem(n.id, where + " has no \"value\"");
            } else if (!values.insert(choice.value).second) {
                problem(n.id, where + " repeats the value " + quoted(choice.value));
            }
            if (auto l = member(c, "label")) {
                choice.label = localized(*l, n.id, "the label of " + where, true);
            } else {
                problem(n.id, where + " has no \"label\"");
            }
            for (const auto& [lang, text] : choice.label.by_language) {
                choice.labels_normalized.push_back(normalize_compact(text));
            }
            if (auto s = member(c, "synonyms")) {
                if (!s->IsArray()) {
                    problem(n.id, "the synonyms of " + where + " must be a list of words");
                } else {
                    for (const auto& w : s->GetArray()) {
                        if (w.IsString() && !normalize_compact(w.GetString()).empty()) {
                            choice.synonyms_normalized.push_back(normalize_compact(w.GetString()));
                        }
                    }
                }
            }
            PostbackData data{flow.id, 999999, n.id, choice.value, "", ""};
            if (encode_postback(data).size() > kMaxPostbackData) {
                problem(n.id, "the value of " + where + " is too long for a LINE button (" +
                                  std::to_string(kMaxPostbackData) + " characters with the flow and node ids)");
            }
            n.choices.push_back(std::move(choice));
        }
    }

    void read_branch(Node& n, const JsonValue& v) {
        auto cases = member(v, "cases");
        if (!cases || !cases->IsArray() || cases->Empty()) {
            problem(n.id, "a branch node needs \"cases\": a list of {\"if\": condition, \"next\": node}");
        } else {
            int index = 0;
            for (const auto& c : cases->GetArray()) {
                ++index;
                const std::string where = "case " + std::to_string(index);
                if (!c.IsObject() || !member(c, "if") || !member(c, "next")) {
                    problem(n.id, where + " must have \"if\" (a condition) and \"next\" (a node id)");
                    continue;
                }
                for (const auto& m : c.GetObject()) {
                    std::string_view field = m.name.GetString();
                    if (field != "if" && field != "next") {
                        problem(n.id, where + " has an unknown field " + quoted(field) + "; a case has \"if\" and \"next\"");
                    }
                }
                auto logic = condition(*member(c, "if"), n.id, "the condition of " + where);
                auto next = string_field(c, "next", n.id);
                if (logic) n.cases.push_back({std::move(*logic), next});
                else n.cases.push_back({Logic{}, next});
            }
        }
        n.otherwise = string_field(v, "else", n.id);
        if (n.otherwise.empty()) {
            problem(n.id, "a branch node needs \"else\": the node to go to when no case matches");
        }
    }

    void read_set(Node& n, const JsonValue& v) {
        auto values = member(v, "values");
        if (!values || !values->IsObject() || values->MemberCount() == 0) {
            problem(n.id, "a set node needs \"values\": an object of variable -> value or condition");
            return;
        }
        for (const auto& m : values->GetObject()) {
            std::string var = m.name.GetString();
            if (!valid_identifier(var, 60, true)) {
                problem(n.id, "the variable name " + quoted(var) + " may only use a-z, 0-9, _ and .");
            }
            sources_.insert(var);
            auto logic = condition(m.value, n.id, "the value of " + quoted(var));
            if (logic) n.assignments.push_back({var, std::move(*logic)});
        }
    }

    void read_classify(Node& n, const JsonValue& v) {
        n.var = string_field(v, "var", n.id);
        n.reasons_var = string_field(v, "reasons_var", n.id);
        for (const auto* name : {&n.var, &n.reasons_var}) {
            if (name->empty()) continue;
            if (!valid_identifier(*name, 60, true)) {
                problem(n.id, "the variable name " + quoted(*name) + " may only use a-z, 0-9, _ and .");
            }
            sources_.insert(*name);
        }
        if (n.var.empty()) problem(n.id, "a classify node needs \"var\": the variable that gets the outcome");
        auto rules = member(v, "rules");
        if (!rules || !rules->IsArray() || rules->Empty()) {
            problem(n.id, "a classify node needs \"rules\": a list of {\"if\": condition, \"result\": \"A\", \"reason\": {\"ja\": …}}");
            return;
        }
        int number = 0;
        for (const auto& r : rules->GetArray()) {
            const std::string which = "rule " + std::to_string(++number);
            if (!r.IsObject()) {
                problem(n.id, which + " must be an object such as {\"if\": …, \"result\": \"A\"}");
                continue;
            }
            for (const auto& m : r.GetObject()) {
                const std::string key = m.name.GetString();
                if (key != "if" && key != "result" && key != "reason" && key != "note") {
                    problem(n.id, "unknown field " + quoted(key) + " in " + which + "; use if, result, reason");
                }
            }
            Rule rule;
            auto cond = member(r, "if");
            if (!cond) {
                problem(n.id, which + " needs \"if\": the condition");
            } else if (auto logic = condition(*cond, n.id, which)) {
                rule.condition = std::move(*logic);
            }
            auto result = member(r, "result");
            if (!result || !result->IsString() || result->GetStringLength() == 0 ||
                utf8_length(std::string_view(result->GetString(), result->GetStringLength())) > 40) {
                problem(n.id, which + " needs \"result\": the outcome as a short text such as \"A\"");
            } else {
                rule.result = result->GetString();
            }
            if (auto reason = member(r, "reason")) rule.reason = localized(*reason, n.id, "the reason of " + which, false);
            n.rules.push_back(std::move(rule));
        }
    }

    void read_effect(Node& n, const JsonValue& v) {
        n.effect = string_field(v, "effect", n.id);
        n.params = string_map(member(v, "params"), n.id, "params");
        n.result_var = string_field(v, "result_var", n.id);
        auto spec = registry_.effects.find(n.effect);
        if (n.effect.empty()) {
            problem(n.id, "an effect node needs \"effect\": the name of the action, e.g. \"checkin.record\"");
            return;
        }
        if (spec == registry_.effects.end()) {
            std::vector<std::string> known;
            for (const auto& [name, s] : registry_.effects) known.push_back(name);
            problem(n.id, "unknown effect " + quoted(n.effect) + "; this sapo knows: " + (known.empty() ? "(none)" : join(known)));
            return;
        }
        for (const auto& p : spec->second.required_params) {
            if (!n.params.count(p)) problem(n.id, "the effect " + quoted(n.effect) + " needs the parameter " + quoted(p));
        }
        if (!spec->second.outputs.empty()) {
            n.effect_waits = true;
            if (n.result_var.empty()) n.result_var = n.effect;
            for (const auto& o : spec->second.outputs) sources_.insert(n.result_var + "." + o);
        }
    }

    void check_template(const Node& n) {
        auto t = registry_.templates.find(n.template_id);
        if (t == registry_.templates.end()) {
            std::vector<std::string> known;
            for (const auto& [id, tpl] : registry_.templates) known.push_back(id);
            problem(n.id, "unknown template " + quoted(n.template_id) + "; available: " + (known.empty() ? "(none)" : join(known)));
            return;
        }
        for (const auto& p : t->second.placeholders) {
            if (!n.template_params.count(p)) used_placeholders_.push_back({n.id, p});
        }
    }

    void check_graph(const Flow& f) {
        auto exists = [&](const std::string& id) { return f.node(id) != nullptr; };
        if (!f.start.empty() && !exists(f.start)) flow_problem("\"start\" names " + quoted(f.start) + ", which is not a node");
        if (!f.on_invalid.empty() && !exists(f.on_invalid)) {
            flow_problem("\"on_invalid\" names " + quoted(f.on_invalid) + ", which is not a node");
        }
        for (const auto& n : f.nodes) {
            for (const auto& [label, target] : edges(n)) {
                if (!target.empty() && !exists(target)) {
                    problem(n.id, quoted(label) + " points to " + quoted(target) + ", which is not a node in this flow");
                }
            }
        }
        // reachable from the start (an ask can also lead to on_invalid)
        std::set<std::string> reached;
        std::vector<std::string> todo;
        if (exists(f.start)) todo.push_back(f.start);
        while (!todo.empty()) {
            auto id = todo.back();
            todo.pop_back();
            if (!reached.insert(id).second) continue;
            const Node* n = f.node(id);
            for (const auto& [label, target] : edges(*n)) {
                if (exists(target)) todo.push_back(target);
            }
            if (n->type == NodeType::ask && exists(f.on_invalid)) todo.push_back(f.on_invalid);
        }
        // can finish: an end or goto is reachable (walking the edges backwards from them)
        std::map<std::string, std::vector<std::string>> incoming;
        for (const auto& n : f.nodes) {
            for (const auto& [label, target] : edges(n)) incoming[target].push_back(n.id);
        }
        std::set<std::string> finishing;
        std::vector<std::string> back;
        for (const auto& n : f.nodes) {
            if (n.type == NodeType::end || n.type == NodeType::go_to) back.push_back(n.id);
        }
        while (!back.empty()) {
            auto id = back.back();
            back.pop_back();
            if (!finishing.insert(id).second) continue;
            for (const auto& from : incoming[id]) back.push_back(from);
        }
        for (const auto& n : f.nodes) {
            if (exists(f.start) && !reached.count(n.id)) {
                problem(n.id, "nothing leads to this node from the start node " + quoted(f.start) + ", so nobody would ever see it");
            } else if (!finishing.count(n.id)) {
                problem(n.id, "from this node the conversation can never reach an end or a goto (it would loop forever)");
            }
        }
    }

    static std::vector<std::pair<std::string, std::string>> edges(const Node& n) {
        std::vector<std::pair<std::string, std::string>> out;
        if (!n.next.empty()) out.emplace_back("next", n.next);
        for (std::size_t i = 0; i < n.cases.size(); ++i) {
            if (!n.cases[i].next.empty()) out.emplace_back("next of case " + std::to_string(i + 1), n.cases[i].next);
        }
        if (!n.otherwise.empty()) out.emplace_back("else", n.otherwise);
        return out;
    }

    void check_sources(const Flow& f) {
        auto known = [&](const std::string& name) {
            if (sources_.count(name)) return true;
            if (name.rfind("trigger.", 0) == 0) return true;
            return std::find(registry_.globals.begin(), registry_.globals.end(), name) != registry_.globals.end();
        };
        std::set<std::pair<std::string, std::string>> reported;
        for (const auto& [node, name] : used_placeholders_) {
            if (known(name) || !reported.insert({node, name}).second) continue;
            problem(
                node, "the placeholder {{" + name +
                          "}} has no source: no ask, set or effect in this flow fills it, and it is not a known setting"
            );
        }
        for (const auto& [node, name] : used_vars_) {
            if (known(name) || !reported.insert({node, name}).second) continue;
            problem(node, "the condition reads " + quoted(name) + ", which no ask, set or effect in this flow fills");
        }
        (void)f;
    }

    const Registry& registry_;
    std::vector<Problem>& problems_;
    std::set<std::string> sources_;
    std::vector<std::pair<std::string, std::string>> used_placeholders_;  // (node, name)
    std::vector<std::pair<std::string, std::string>> used_vars_;
};

}  // namespace

std::vector<std::string> placeholders_in(std::string_view text) {
    std::vector<std::string> out;
    for (std::size_t pos = text.find("{{"); pos != std::string_view::npos; pos = text.find("{{", pos)) {
        auto close = text.find("}}", pos + 2);
        if (close == std::string_view::npos) break;
        auto name = text.substr(pos + 2, close - pos - 2);
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        if (!name.empty()) out.emplace_back(name);
        pos = close + 2;
    }
    return out;
}

LoadResult load_flow(std::string_view json, const Registry& registry) {
    LoadResult result;
    rapidjson::Document doc;
    // iterative (deeply nested input can't exhaust the stack) and strict about UTF-8
    doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
    if (doc.HasParseError()) {
        result.problems.push_back(
            {"", std::string("this is not valid JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
                     " (at character " + std::to_string(doc.GetErrorOffset()) + ")"}
        );
        return result;
    }
    FlowReader reader(registry, result.problems);
    Flow flow = reader.read(doc);
    result.id = flow.id;
    if (result.problems.empty()) result.flow = std::move(flow);
    return result;
}

std::string format_problem(std::string_view file, const Problem& p) {
    std::string out(file);
    out += ": ";
    if (!p.node.empty()) out += "node \"" + p.node + "\": ";
    return out + p.message;
}

std::optional<Template> load_template(std::string_view json, std::vector<std::string>& problems) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        problems.push_back("a template must be a JSON object with \"id\" and \"message\"");
        return std::nullopt;
    }
    Template t;
    auto id = doc.FindMember("id");
    if (id == doc.MemberEnd() || !id->value.IsString() || !valid_identifier(id->value.GetString(), 60, false)) {
        problems.push_back("a template needs an \"id\" of a-z, 0-9 and _");
        return std::nullopt;
    }
    t.id = id->value.GetString();
    auto message = doc.FindMember("message");
    if (message == doc.MemberEnd() || !message->value.IsObject()) {
        problems.push_back("template " + quoted(t.id) + ": \"message\" must be {\"ja\": {LINE message}, \"en\": {…}}");
        return std::nullopt;
    }
    std::set<std::string> seen;
    for (const auto& m : message->value.GetObject()) {
        if (!m.value.IsObject() || !m.value.HasMember("type")) {
            problems.push_back("template " + quoted(t.id) + ": the " + m.name.GetString() + " message must be a LINE message object");
            continue;
        }
        auto text = to_json_text(m.value);
        for (auto& p : placeholders_in(text)) {
            if (seen.insert(p).second) t.placeholders.push_back(p);
        }
        t.message_json_by_language[m.name.GetString()] = std::move(text);
    }
    if (!t.message_json_by_language.count("ja")) {
        problems.push_back("template " + quoted(t.id) + " has no Japanese (\"ja\") message");
        return std::nullopt;
    }
    return t;
}

}  // namespace sapo::flows
