#pragma once
/// @file
/// @brief A flow as the engine runs it: the JSON document of flows/README.md, checked and parsed
/// once (flows/loader.hpp), then only read. Plain structs, no JSON library types.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flows/logic.hpp"
#include "flows/value.hpp"

namespace sapo::flows {

/// A text in every language the flow provides; "ja" is required.
struct Localized {
    std::map<std::string, std::string, std::less<>> by_language;

    bool empty() const { return by_language.empty(); }
    /// The text for `language` ("en-US" uses "en"), else Japanese.
    const std::string& get(std::string_view language) const;
};

enum class NodeType { message, ask, branch, set, classify, effect, go_to, end };
enum class InputType { choice, yes_no, number, temperature, postal_code, date, text };

const char* node_type_name(NodeType t);
const char* input_type_name(InputType t);

struct Choice {
    std::string value;  ///< what is stored in the variable and carried in the postback data
    Localized label;    ///< the quick-reply label (at most 20 characters)
    std::vector<std::string> synonyms_normalized;  ///< typed alternatives, already normalize_compact()ed
    std::vector<std::string> labels_normalized;    ///< every language's label, normalize_compact()ed
};

struct Case {
    Logic condition;
    std::string next;
};

/// A row of a classify node's table: when `condition` holds, the outcome is `result`, and
/// `reason` says why in words the user reads.
struct Rule {
    Logic condition;
    std::string result;
    Localized reason;
};

/// A value a `set` node assigns: a JsonLogic expression or a literal.
struct Assignment {
    std::string var;
    Logic expression;
};

struct Node {
    std::string id;
    NodeType type = NodeType::message;
    std::string next;  ///< message, ask, set, effect

    // message / ask (question) / end (optional closing text)
    Localized text;
    std::string template_id;  ///< message: a template from templates/ instead of text
    std::map<std::string, std::string, std::less<>> template_params;  ///< may hold {{placeholders}}

    // ask
    InputType input = InputType::text;
    std::string var;
    std::vector<Choice> choices;
    Localized reask;  ///< empty: a built-in sentence that says what is expected
    std::optional<double> min, max;
    std::string units_csv;       ///< number: accepted unit words, normalised
    std::size_t max_length = 0;  ///< text: 0 = LINE's limit
    std::optional<double> confirm_at_or_above;  ///< temperature: ask "is that right?" first
    Localized confirm_text;  ///< that question, with {{value}}; empty: a built-in sentence
    bool skippable = false;
    bool reentrant = false;  ///< an old button of this node still works (menus)
    int max_invalid = 0;     ///< 0: the flow's

    // branch
    std::vector<Case> cases;
    std::string otherwise;

    // set
    std::vector<Assignment> assignments;

    // classify: `var` gets the first matching rule's result; `reasons_var` the reasons of every
    // matching rule with that result, in the user's language
    std::vector<Rule> rules;
    std::string reasons_var;

    // effect
    std::string effect;
    std::map<std::string, std::string, std::less<>> params;  ///< may hold {{placeholders}}
    std::string result_var;  ///< outputs land in "<result_var>.<name>"
    bool effect_waits = false;  ///< the effect has outputs: the flow pauses until they are in

    // goto
    std::string flow;
};

struct Triggers {
    std::vector<std::string> keywords_normalized;  ///< the whole message, normalize_compact()ed
    std::vector<std::string> prefixes_normalized;  ///< the message starts with it; the rest goes to trigger.rest
    /// A message that is one code-like word (9–16 letters and digits, both present) starts the
    /// flow, the word in trigger.rest: a check-in code sent on its own.
    bool codes = false;
    /// A message that is exactly this many digits (any width) starts the flow, the digits in
    /// trigger.rest: an enrollment code sent on its own. 0: off.
    int digits = 0;
};

struct Flow {
    int schema_version = 1;
    std::string id;
    int version = 0;  ///< given by the store when the flow is imported (0 outside the database)
    Localized title;
    std::string start;
    int timeout_minutes = 30;
    int max_invalid = 3;
    std::string on_invalid;  ///< node id; empty: offer help and the phone line, then end
    Triggers triggers;
    std::vector<Node> nodes;  ///< in document order
    std::map<std::string, std::size_t, std::less<>> index;  ///< node id -> position in nodes

    const Node* node(std::string_view id) const;
};

/// An effect the service knows how to apply (bot/dispatch/effects.cpp registers them).
struct EffectSpec {
    std::string name;
    std::string description;
    std::vector<std::string> required_params;
    /// Names the effect returns. An effect with outputs pauses the flow until its result is in,
    /// so the flow can branch on it; one without outputs is applied after the step.
    std::vector<std::string> outputs;
    /// The event's reply must reach the user even when its reply token can't be used (pushed
    /// instead): an emergency reply.
    bool reply_must_arrive = false;
};

/// A message template: a LINE message object per language, with {{placeholders}} in its strings.
struct Template {
    std::string id;
    std::map<std::string, std::string, std::less<>> message_json_by_language;  ///< "ja" required
    std::vector<std::string> placeholders;  ///< every {{name}} used, for the validator
};

/// What a flow may refer to besides itself.
struct Registry {
    std::map<std::string, EffectSpec, std::less<>> effects;
    std::map<std::string, Template, std::less<>> templates;
    /// Placeholder names always available (configuration such as call_center_phone, and the
    /// profile.* fields).
    std::vector<std::string> globals;
    /// Flow ids a goto may name; empty: goto targets are not checked (single-file validation).
    std::vector<std::string> flow_ids;
};

}  // namespace sapo::flows
