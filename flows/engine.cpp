#include "flows/engine.hpp"

#include <algorithm>
#include <cmath>

#include "flows/input_parsers.hpp"
#include "flows/loader.hpp"
#include "flows/normalize.hpp"
#include "flows/tokyo_time.hpp"

namespace sapo::flows {
namespace {

/// More automatic transitions than this in one step means the flow loops without asking.
constexpr int kMaxTransitionsPerStep = 100;

struct BuiltinText {
    const char* key;
    const char* ja;
    const char* en;
};

constexpr BuiltinText kTexts[] = {
    {"reask.choice", "下のボタンから選んでください。", "Please choose one of the buttons below."},
    {"reask.yes_no", "「はい」「いいえ」「わからない」のいずれかでお答えください。",
     "Please answer yes, no or not sure."},
    {"reask.number", "数字でお答えください。", "Please answer with a number."},
    {"reask.number_range", "{{min}}から{{max}}までの数字でお答えください。",
     "Please answer with a number from {{min}} to {{max}}."},
    {"reask.temperature", "体温を数字でお送りください（例: 36.5）。",
     "Please send your temperature as a number (e.g. 36.5)."},
    {"reask.temperature_range", "34.0〜42.0℃の範囲でお送りください（例: 36.5）。",
     "Please send a temperature between 34.0 and 42.0 °C (e.g. 36.5)."},
    {"reask.postal_code", "郵便番号を7桁の数字でお送りください（例: 231-0023）。",
     "Please send your 7-digit postal code (e.g. 231-0023)."},
    {"reask.date", "日付をお送りください（例: 11月21日、今日、昨日）。",
     "Please send a date (e.g. 11/21, today, yesterday)."},
    {"reask.text", "文字でお答えください。", "Please answer in text."},
    {"reask.text_too_long", "{{max}}文字以内でお送りください。", "Please keep it within {{max}} characters."},
    {"confirm", "{{value}}でよろしいですか？", "Is {{value}} right?"},
    {"yes", "はい", "Yes"},
    {"no", "いいえ", "No"},
    {"unknown", "わからない", "Not sure"},
    {"skip", "スキップ", "Skip"},
    {"gave_up",
     "うまくお答えを受け取れませんでした。ご不便をおかけして申し訳ありません。\n"
     "お困りのときは、お電話でご相談ください: {{call_center_phone}}\n"
     "命に関わる緊急のときは、迷わず119番へ。\n"
     "「メニュー」と送ると最初に戻ります。",
     "Sorry, we could not understand the answer.\n"
     "If you need help, please call us: {{call_center_phone}}\n"
     "In a life-threatening emergency, call 119 at once.\n"
     "Send \"menu\" to start again."},
    {"gave_up_no_phone",
     "うまくお答えを受け取れませんでした。ご不便をおかけして申し訳ありません。\n"
     "お困りのときは、お住まいの地域の保健所にご相談ください。\n"
     "命に関わる緊急のときは、迷わず119番へ。\n"
     "「メニュー」と送ると最初に戻ります。",
     "Sorry, we could not understand the answer.\n"
     "If you need help, please contact your local public health centre.\n"
     "In a life-threatening emergency, call 119 at once.\n"
     "Send \"menu\" to start again."},
    {"cancelled", "中止しました。", "Cancelled."},
    {"stale_button", "このボタンは前のメッセージのもので、いまは使えません。",
     "That button belongs to an earlier message and no longer works."},
    {"stale_button_resume", "このボタンは前のメッセージのもので、いまは使えません。いまの質問にお答えください。",
     "That button belongs to an earlier message and no longer works. Please answer the current question."},
    {"resume", "前回の続きから再開します。", "Let's continue where you stopped."},
    {"timed_out", "前回の会話は時間がたったため終了しました。", "Your earlier conversation ended because some time has passed."},
    {"not_text", "文字かボタンでお送りください。", "Please send text or tap a button."},
    {"flow_error",
     "申し訳ありません、この会話を続けられなくなりました。「メニュー」と送ると最初に戻ります。\n"
     "命に関わる緊急のときは、迷わず119番へ。",
     "Sorry, this conversation cannot go on. Send \"menu\" to start again.\n"
     "In a life-threatening emergency, call 119 at once."},
};

bool is_english(std::string_view language) { return language.substr(0, 2) == "en"; }

const Choice* chosen(const Node& n, std::string_view text) {
    auto typed = normalize_compact(text);
    for (const auto& c : n.choices) {
        for (const auto& l : c.labels_normalized) {
            if (l == typed) return &c;
        }
        for (const auto& s : c.synonyms_normalized) {
            if (s == typed) return &c;
        }
    }
    return nullptr;
}

/// `s` without spaces (ASCII, U+3000) and line breaks at either end.
std::string trim_spaces(std::string_view s) {
    auto is_space_at = [&](std::size_t i, bool from_end) -> std::size_t {
        static constexpr std::string_view kIdeographic = "\u3000";
        if (from_end) {
            if (i >= 1 && std::string_view(" \t\r\n").find(s[i - 1]) != std::string_view::npos) return 1;
            if (i >= 3 && s.substr(i - 3, 3) == kIdeographic) return 3;
        } else {
            if (i < s.size() && std::string_view(" \t\r\n").find(s[i]) != std::string_view::npos) return 1;
            if (s.substr(i, 3) == kIdeographic) return 3;
        }
        return 0;
    };
    std::size_t begin = 0, end = s.size();
    while (std::size_t k = is_space_at(begin, false)) begin += k;
    while (end > begin) {
        std::size_t k = is_space_at(end, true);
        if (!k) break;
        end -= k;
    }
    return std::string(s.substr(begin, end - begin));
}

/// Everything one step needs, and what it produced so far.
class Run {
public:
    Run(const Flow& flow, const StepContext& context, const Clock& clock)
        : flow_(flow), context_(context), now_ms_(clock.now_ms()) {}

    StepResult start(const Variables& seed) {
        Session s;
        s.vars = seed;
        s.flow_id = flow_.id;
        s.version = flow_.version;
        s.started_ms = now_ms_;
        session_ = std::move(s);
        return advance(flow_.start);
    }

    StepResult feed(const Session& session, const UserInput& input) {
        session_ = session;
        const Node* node = flow_.node(session.node);
        if (!node) return fail("the session points to node \"" + session.node + "\", which this flow version lacks");
        switch (session.waiting) {
            case Session::Waiting::effect:
                if (input.kind != UserInput::Kind::effect_result || node->type != NodeType::effect) {
                    return fail("the flow waits for the outputs of an effect");
                }
                for (const auto& [name, value] : input.result) session_->vars[node->result_var + "." + name] = value;
                return advance(node->next);
            case Session::Waiting::confirm:
                return confirm(*node, input);
            case Session::Waiting::input:
                break;
        }
        if (node->type != NodeType::ask) return fail("the session waits at a node that asks nothing");
        return answer(*node, input);
    }

    /// What the session waits for, asked again: the question, or the confirmation.
    std::vector<OutMessage> again(const Node& n) {
        if (session_ && session_->waiting == Session::Waiting::confirm) return {confirmation(n)};
        return question(n);
    }

    std::vector<OutMessage> question(const Node& n) {
        OutMessage m;
        m.text = text(n.text);
        m.quick_replies = buttons(n);
        return {std::move(m)};
    }

    void adopt(const Session& s) { session_ = s; }

private:
    // --- lookups ---------------------------------------------------------------------------------

    Value lookup(std::string_view name) const {
        if (session_) {
            auto it = session_->vars.find(name);
            if (it != session_->vars.end()) return it->second;
        }
        if (context_.globals) {
            auto it = context_.globals->find(name);
            if (it != context_.globals->end()) return it->second;
        }
        return {};
    }

    std::string text(const Localized& l) const {
        return fill_placeholders(l.get(context_.language), [this](std::string_view n) { return lookup(n); });
    }

    std::string builtin(std::string_view key, const Variables& extra = {}) const {
        auto raw = builtin_text(key, context_.language);
        return fill_placeholders(raw, [&](std::string_view n) {
            auto it = extra.find(n);
            return it != extra.end() ? it->second : lookup(n);
        });
    }

    QuickReply button(const Node& n, const std::string& label, const std::string& value, const char* kind = "") const {
        PostbackData d{flow_.id, flow_.version, n.id, value, kind, ""};
        return {label, encode_postback(d), ""};
    }

    std::vector<QuickReply> buttons(const Node& n) const {
        std::vector<QuickReply> out;
        if (n.input == InputType::choice) {
            for (const auto& c : n.choices) out.push_back(button(n, c.label.get(context_.language), c.value));
        } else if (n.input == InputType::yes_no) {
            for (const char* v : {"yes", "no", "unknown"}) out.push_back(button(n, builtin(v), v));
        }
        if (n.skippable) out.push_back(button(n, builtin("skip"), "", "skip"));
        return out;
    }

    // --- running nodes ---------------------------------------------------------------------------

    StepResult advance(std::string node_id) {
        for (int transitions = 0; transitions < kMaxTransitionsPerStep; ++transitions) {
            const Node* n = flow_.node(node_id);
            if (!n) return fail("the flow points to node \"" + node_id + "\", which does not exist");
            session_->node = n->id;
            switch (n->type) {
                case NodeType::message:
                    say_message(*n);
                    node_id = n->next;
                    break;
                case NodeType::ask:
                    for (auto& m : question(*n)) result_.messages.push_back(std::move(m));
                    return wait(Session::Waiting::input);
                case NodeType::branch:
                    node_id = choose(*n);
                    break;
                case NodeType::set:
                    for (const auto& a : n->assignments) {
                        session_->vars[a.var] = evaluate(a.expression, [this](std::string_view p) { return lookup(p); });
                    }
                    node_id = n->next;
                    break;
                case NodeType::classify:
                    classify(*n);
                    node_id = n->next;
                    break;
                case NodeType::effect: {
                    Effect e;
                    e.name = n->effect;
                    for (const auto& [k, v] : n->params) {
                        e.params[k] = fill_placeholders(v, [this](std::string_view p) { return lookup(p); });
                    }
                    if (n->effect_waits) e.result_var = n->result_var;
                    result_.effects.push_back(std::move(e));
                    if (n->effect_waits) {
                        result_.awaiting_effect = true;
                        return wait(Session::Waiting::effect);
                    }
                    node_id = n->next;
                    break;
                }
                case NodeType::go_to:
                    result_.goto_flow = n->flow;
                    return finish();
                case NodeType::end:
                    if (!n->text.empty()) say(text(n->text));
                    return finish();
            }
        }
        return fail("the flow went through more than 100 nodes without asking anything (a loop?)");
    }

    /// The first matching rule decides; every matching rule with the same result gives its reason.
    void classify(const Node& n) {
        auto lookup_var = [this](std::string_view p) { return lookup(p); };
        std::optional<std::string> result;
        std::string reasons;
        // the reasons are written in the language the texts are picked in ("en-US" reads "en")
        const char* separator = context_.language.rfind("en", 0) == 0 ? ", " : "、";
        for (const auto& rule : n.rules) {
            if (result && rule.result != *result) continue;
            if (!truthy(evaluate(rule.condition, lookup_var))) continue;
            result = rule.result;
            if (!rule.reason.empty()) reasons += (reasons.empty() ? "" : separator) + text(rule.reason);
        }
        session_->vars[n.var] = result ? Value(*result) : Value{};
        if (!n.reasons_var.empty()) session_->vars[n.reasons_var] = Value(reasons);
    }

    void say_message(const Node& n) {
        if (n.template_id.empty()) {
            say(text(n.text));
            return;
        }
        const Template* t = nullptr;
        if (context_.templates) {
            auto it = context_.templates->find(n.template_id);
            if (it != context_.templates->end()) t = &it->second;
        }
        if (!t) {
            // validated at load time; a template removed since then must not break the chat
            return;
        }
        OutMessage m;
        m.json = render_template(*t, context_.language, n.template_params, [this](std::string_view p) { return lookup(p); });
        result_.messages.push_back(std::move(m));
    }

    std::string choose(const Node& n) const {
        for (const auto& c : n.cases) {
            if (truthy(evaluate(c.condition, [this](std::string_view p) { return lookup(p); }))) return c.next;
        }
        return n.otherwise;
    }

    void say(std::string t, std::vector<QuickReply> q = {}) {
        OutMessage m;
        m.text = std::move(t);
        m.quick_replies = std::move(q);
        result_.messages.push_back(std::move(m));
    }

    StepResult wait(Session::Waiting w) {
        session_->waiting = w;
        session_->updated_ms = now_ms_;
        session_->expires_ms = now_ms_ + std::int64_t{flow_.timeout_minutes} * 60'000;
        result_.session = std::move(session_);
        return std::move(result_);
    }

    StepResult finish() {
        result_.session.reset();
        return std::move(result_);
    }

    StepResult fail(std::string why) {
        say(builtin("flow_error"));
        result_.error = std::move(why);
        result_.awaiting_effect = false;
        return finish();
    }

    // --- answers ---------------------------------------------------------------------------------

    static bool is_skip_word(std::string_view text) {
        static const std::vector<std::string> words = [] {
            std::vector<std::string> out;
            for (const char* w : {"スキップ", "skip", "とばす", "飛ばす", "パス", "pass"}) out.push_back(normalize_compact(w));
            return out;
        }();
        const auto typed = normalize_compact(text);
        return std::find(words.begin(), words.end(), typed) != words.end();
    }

    StepResult answer(const Node& n, const UserInput& input) {
        if (input.kind == UserInput::Kind::postback) {
            const auto& d = input.postback;
            if (d.kind == "skip" && n.skippable) return accept(n, Value{});
            if (d.kind.empty()) {
                if (n.input == InputType::choice) {
                    for (const auto& c : n.choices) {
                        if (c.value == d.value) return accept(n, Value(c.value));
                    }
                } else if (n.input == InputType::yes_no && (d.value == "yes" || d.value == "no" || d.value == "unknown")) {
                    return accept(n, Value(d.value));
                }
            }
            return invalid(n, "");
        }
        if (input.kind != UserInput::Kind::text) return invalid(n, "", /*count=*/false);

        const std::string& t = input.text;
        // the skip button's label typed instead of tapped (texts invite 「スキップ」 by name)
        if (n.skippable && is_skip_word(t)) return accept(n, Value{});
        switch (n.input) {
            case InputType::choice:
                if (auto c = chosen(n, t)) return accept(n, Value(c->value));
                return invalid(n, "reask.choice");
            case InputType::yes_no:
                if (auto v = parse_yes_no(t)) return accept(n, Value(yes_no_name(*v)));
                return invalid(n, "reask.yes_no");
            case InputType::number: {
                auto v = parse_number(t, n.units_csv);
                if (v && (!n.min || *v >= *n.min) && (!n.max || *v <= *n.max)) return accept(n, Value(*v));
                return invalid(n, n.min && n.max ? "reask.number_range" : "reask.number");
            }
            case InputType::temperature: {
                auto v = parse_temperature(t);
                if (v.status == Temperature::Status::ok) {
                    if (n.confirm_at_or_above && v.celsius >= *n.confirm_at_or_above) return ask_confirmation(n, Value(v.celsius));
                    return accept(n, Value(v.celsius));
                }
                return invalid(n, v.status == Temperature::Status::out_of_range ? "reask.temperature_range" : "reask.temperature");
            }
            case InputType::postal_code:
                if (auto v = parse_postal_code(t)) return accept(n, Value(*v));
                return invalid(n, "reask.postal_code");
            case InputType::date:
                if (auto v = parse_date(t, tokyo_date(now_ms_))) return accept(n, Value(iso_date(*v)));
                return invalid(n, "reask.date");
            case InputType::text: {
                std::size_t limit = n.max_length ? n.max_length : kMaxTextLength;
                auto trimmed = normalize(t).empty() ? std::string() : trim_spaces(t);
                if (!trimmed.empty() && text_length(trimmed) <= limit) return accept(n, Value(trimmed));
                return invalid(n, trimmed.empty() ? "reask.text" : "reask.text_too_long");
            }
        }
        return invalid(n, "reask.text");
    }

    StepResult accept(const Node& n, Value v) {
        session_->vars[n.var] = std::move(v);
        session_->invalid_count = 0;
        session_->pending = Value{};
        return advance(n.next);
    }

    /// "Is 40.5℃ right?" with yes/no buttons, for the value waiting in the session.
    OutMessage confirmation(const Node& n) const {
        Variables extra{{"value", Value(display(session_->pending) + (n.input == InputType::temperature ? "℃" : ""))}};
        OutMessage m;
        m.text = n.confirm_text.empty() ? builtin("confirm", extra)
                                        : fill_placeholders(n.confirm_text.get(context_.language), [&](std::string_view p) {
                                              auto it = extra.find(p);
                                              return it != extra.end() ? it->second : lookup(p);
                                          });
        m.quick_replies = {button(n, builtin("yes"), "yes", "confirm"), button(n, builtin("no"), "no", "confirm")};
        return m;
    }

    StepResult ask_confirmation(const Node& n, Value v) {
        session_->pending = std::move(v);
        result_.messages.push_back(confirmation(n));
        return wait(Session::Waiting::confirm);
    }

    StepResult confirm(const Node& n, const UserInput& input) {
        std::optional<YesNo> said;
        if (input.kind == UserInput::Kind::postback && input.postback.kind == "confirm") {
            said = input.postback.value == "yes" ? YesNo::yes : YesNo::no;
        } else if (input.kind == UserInput::Kind::text) {
            said = parse_yes_no(input.text);
        }
        if (said == YesNo::yes) return accept(n, session_->pending);
        if (said == YesNo::no) {
            session_->pending = Value{};
            for (auto& m : question(n)) result_.messages.push_back(std::move(m));
            return wait(Session::Waiting::input);
        }
        if (input.kind == UserInput::Kind::text && !said) {
            // a corrected reading ("no, 37.0") is an answer to the question itself
            auto reading = parse_temperature(input.text);
            if (n.input == InputType::temperature && reading.status == Temperature::Status::ok) {
                // the same reading typed again is a yes, not a new answer to confirm (no loop)
                if (session_->pending.is_number() && session_->pending.as_number() == reading.celsius) {
                    return accept(n, session_->pending);
                }
                session_->pending = Value{};
                return answer(n, input);
            }
        }
        // neither: ask the confirmation again (it counts as an invalid answer)
        if (++session_->invalid_count >= max_invalid(n)) return too_many_invalid();
        return ask_confirmation(n, session_->pending);
    }

    int max_invalid(const Node& n) const { return n.max_invalid > 0 ? n.max_invalid : flow_.max_invalid; }

    StepResult invalid(const Node& n, std::string_view reask_key, bool count = true) {
        if (count && ++session_->invalid_count >= max_invalid(n)) return too_many_invalid();
        Variables extra;
        if (n.min) extra["min"] = Value(*n.min);
        if (n.max) extra["max"] = Value(*n.max);
        if (n.input == InputType::text) {
            extra["max"] = Value(static_cast<double>(n.max_length ? n.max_length : kMaxTextLength));
        }
        std::string reask = !n.reask.empty() ? text(n.reask)
                            : reask_key.empty() ? builtin(n.input == InputType::choice ? "reask.choice" : "reask.text")
                                                : builtin(reask_key, extra);
        // the reminder, then the question again with its buttons
        OutMessage m;
        m.text = reask + "\n\n" + text(n.text);
        m.quick_replies = buttons(n);
        result_.messages.push_back(std::move(m));
        return wait(Session::Waiting::input);
    }

    /// The flow's on_invalid route, else help and the phone line.
    StepResult too_many_invalid() {
        if (!flow_.on_invalid.empty()) {
            session_->invalid_count = 0;
            session_->pending = Value{};
            result_.gave_up = true;
            return advance(flow_.on_invalid);
        }
        return give_up();
    }

    StepResult give_up() {
        result_.gave_up = true;
        auto phone = lookup("call_center_phone");
        say(builtin(display(phone).empty() ? "gave_up_no_phone" : "gave_up"));
        return finish();
    }

    const Flow& flow_;
    const StepContext& context_;
    std::int64_t now_ms_;
    std::optional<Session> session_;
    StepResult result_;
};

}  // namespace

bool matches_choice(const Node& node, std::string_view text) { return chosen(node, text) != nullptr; }

const char* waiting_name(Session::Waiting w) {
    switch (w) {
        case Session::Waiting::input: return "input";
        case Session::Waiting::confirm: return "confirm";
        case Session::Waiting::effect: return "effect";
    }
    return "input";
}

std::optional<Session::Waiting> parse_waiting(std::string_view s) {
    if (s == "input") return Session::Waiting::input;
    if (s == "confirm") return Session::Waiting::confirm;
    if (s == "effect") return Session::Waiting::effect;
    return std::nullopt;
}

std::string builtin_text(std::string_view key, std::string_view language) {
    for (const auto& t : kTexts) {
        if (key == t.key) return is_english(language) ? t.en : t.ja;
    }
    return std::string(key);
}

StepResult step(const Flow& flow, const Session& session, const UserInput& input, const StepContext& context, const Clock& clock) {
    Run run(flow, context, clock);
    if (input.kind == UserInput::Kind::start) return run.start(session.vars);
    return run.feed(session, input);
}

std::vector<OutMessage> repeat_question(const Flow& flow, const Session& session, const StepContext& context) {
    const Node* n = flow.node(session.node);
    if (!n || n->type != NodeType::ask || session.waiting == Session::Waiting::effect) return {};
    struct NoClock final : Clock {
        time_point now() const override { return {}; }
    } no_clock;
    Run run(flow, context, no_clock);
    run.adopt(session);
    return run.again(*n);
}

const std::string& Localized::get(std::string_view language) const {
    static const std::string kEmpty;
    auto lang = language.substr(0, language.find('-'));
    auto it = by_language.find(lang);
    if (it == by_language.end()) it = by_language.find("ja");
    if (it == by_language.end()) return by_language.empty() ? kEmpty : by_language.begin()->second;
    return it->second;
}

const char* node_type_name(NodeType t) {
    switch (t) {
        case NodeType::message: return "message";
        case NodeType::ask: return "ask";
        case NodeType::branch: return "branch";
        case NodeType::set: return "set";
        case NodeType::classify: return "classify";
        case NodeType::effect: return "effect";
        case NodeType::go_to: return "goto";
        case NodeType::end: return "end";
    }
    return "?";
}

const char* input_type_name(InputType t) {
    switch (t) {
        case InputType::choice: return "choice";
        case InputType::yes_no: return "yes_no";
        case InputType::number: return "number";
        case InputType::temperature: return "temperature";
        case InputType::postal_code: return "postal_code";
        case InputType::date: return "date";
        case InputType::text: return "text";
    }
    return "?";
}

const Node* Flow::node(std::string_view node_id) const {
    auto it = index.find(node_id);
    if (it != index.end()) return &nodes[it->second];
    if (index.size() == nodes.size()) return nullptr;
    for (const auto& n : nodes) {  // a Flow built by hand, without its index
        if (n.id == node_id) return &n;
    }
    return nullptr;
}

}  // namespace sapo::flows
