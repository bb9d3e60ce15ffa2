#include "flows/conversation.hpp"

#include <algorithm>
#include <array>

#include "flows/normalize.hpp"

namespace sapo::flows {
namespace {

/// More gotos than this in one event means flows send each other in circles.
constexpr int kMaxGotos = 8;

/// Effects with outputs in one event before the flow is taken to be looping.
constexpr int kMaxEffectRounds = 20;

void say(Outcome& out, std::string text) {
    OutMessage m;
    m.text = std::move(text);
    out.messages.push_back(std::move(m));
}

/// One word of 9–16 ASCII letters and digits with both present (already normalize_compact()ed).
bool looks_like_code(const std::string& typed) {
    if (typed.size() < 9 || typed.size() > 16) return false;
    bool letter = false, digit = false;
    for (char c : typed) {
        if (c >= '0' && c <= '9') digit = true;
        else if (c >= 'a' && c <= 'z') letter = true;
        else return false;
    }
    return letter && digit;
}

}  // namespace

bool Conversation::is_cancel_word(std::string_view text) {
    // compared after normalize_compact: width, case and katakana/hiragana do not matter
    static const std::array<std::string, 12> kWords = [] {
        std::array<const char*, 12> raw{"やめる",   "やめます", "キャンセル", "メニュー", "中止",   "終了",
                                        "もどる",   "戻る",     "cancel",     "menu",     "stop",   "最初から"};
        std::array<std::string, 12> out;
        for (std::size_t i = 0; i < raw.size(); ++i) out[i] = normalize_compact(raw[i]);
        return out;
    }();
    auto typed = normalize_compact(text);
    for (const auto& w : kWords) {
        if (w == typed) return true;
    }
    return false;
}

Outcome Conversation::handle(const InboundEvent& event, const std::optional<Session>& stored, StepContext context) const {
    Outcome out;
    std::optional<Session> session = stored;
    bool timed_out = false;
    if (session && session->expires_ms <= clock_.now_ms()) {
        session.reset();
        // Someone who only left the menu open was not in the middle of anything.
        const Node* n = nullptr;
        if (auto flow = flows_.version(stored->flow_id, stored->version)) n = flow->node(stored->node);
        timed_out = !(n && n->reentrant);
    }
    if (event.type == "follow") {
        out.route = "follow";
        out.must_arrive = true;
        return start(kWelcomeFlow, std::move(out), context);
    }
    if (event.type == "unfollow") {
        out.route = "unfollow";
        return out;
    }
    if (event.type == "postback") {
        auto data = decode_postback(event.postback_data);
        if (timed_out && data && data->flow == stored->flow_id && data->version == stored->version &&
            data->node == stored->node) {
            // An answer to the question that has expired: say so rather than take it for a new
            // one. (Other buttons, e.g. the menu's, work as always.)
            out.route = "timed_out";
            say(out, builtin_text("timed_out", context.language));
            return menu(std::move(out), context);
        }
        return on_postback(event, session, std::move(out), context);
    }
    if (event.type == "message") {
        if (event.message_type == "text" && is_cancel_word(event.text)) {
            out.route = "cancel";
            if (session && session->flow_id != kMainMenuFlow) say(out, builtin_text("cancelled", context.language));
            return menu(std::move(out), context);
        }
        if (timed_out) say(out, builtin_text("timed_out", context.language));
        if (event.message_type != "text") {
            if (session) {
                auto flow = flows_.version(session->flow_id, session->version);
                if (flow) {
                    out.route = "not_text";
                    say(out, builtin_text("not_text", context.language));
                    out.session = session;
                    for (auto& m : repeat_question(*flow, *session, context)) out.messages.push_back(std::move(m));
                    return out;
                }
            }
            out.route = "not_text";
            say(out, builtin_text("not_text", context.language));
            return menu(std::move(out), context);
        }
        return on_text(event, session, std::move(out), context);
    }
    // join, leave, beacon, ... : nothing to say; the session stays as it was
    out.route = "ignored";
    out.session = stored;
    return out;
}

Outcome Conversation::on_text(const InboundEvent& event, const std::optional<Session>& session, Outcome out,
                              const StepContext& context) const {
    if (session && session->waiting != Session::Waiting::effect) {
        if (auto flow = flows_.version(session->flow_id, session->version)) {
            const Node* n = flow->node(session->node);
            // A menu does not hold on to text that picks none of its items: that text may be a
            // keyword or a question for the FAQ.
            const bool menu_miss = n && n->reentrant && n->input == InputType::choice &&
                                   session->waiting == Session::Waiting::input && !matches_choice(*n, event.text);
            // The flow's own keyword while it waits ("健康観察" half way through the report) is
            // not an answer, unless it is one of the question's choices (the language flow's
            // "English"): the conversation goes on from its question.
            const auto typed_now = normalize_compact(event.text);
            const auto& own = flow->triggers.keywords_normalized;
            const bool picks_choice = n && n->input == InputType::choice && matches_choice(*n, event.text);
            if (!menu_miss && !picks_choice && std::find(own.begin(), own.end(), typed_now) != own.end()) {
                auto again = repeat_question(*flow, *session, context);
                if (!again.empty()) {
                    out.route = "resume";
                    say(out, builtin_text("resume", context.language));
                    for (auto& m : again) out.messages.push_back(std::move(m));
                    out.session = session;
                    return out;
                }
            }
            if (!menu_miss) {
                out.route = "answer";
                return continue_with(*flow, *session, UserInput::typed(event.text), std::move(out), context);
            }
        }
    }
    auto typed = normalize_compact(event.text);
    for (const auto& flow : flows_.all_published()) {
        for (const auto& k : flow->triggers.keywords_normalized) {
            if (k == typed) {
                out.route = "keyword";
                return start(flow->id, std::move(out), context, {{"trigger.text", Value(event.text)}});
            }
        }
    }
    // the longest prefix wins: "enroll 1234567" is "enroll" + the code, not "enrol" + "l1234567"
    const Flow* prefixed = nullptr;
    std::size_t prefix_length = 0;
    for (const auto& flow : flows_.all_published()) {
        for (const auto& p : flow->triggers.prefixes_normalized) {
            if (p.size() > prefix_length && typed.rfind(p, 0) == 0) {
                prefixed = flow.get();
                prefix_length = p.size();
            }
        }
    }
    if (prefixed) {
        // the rest after the prefix, spaces removed (e.g. the code in "チェックイン AB12")
        auto rest = typed.substr(prefix_length);
        out.route = "keyword";
        return start(prefixed->id, std::move(out), context, {{"trigger.text", Value(event.text)}, {"trigger.rest", Value(rest)}});
    }
    if (looks_like_code(typed)) {
        for (const auto& flow : flows_.all_published()) {
            if (!flow->triggers.codes) continue;
            out.route = "keyword";
            return start(flow->id, std::move(out), context, {{"trigger.text", Value(event.text)}, {"trigger.rest", Value(typed)}});
        }
    }
    if (!typed.empty() && typed.size() <= 16 &&
        typed.find_first_not_of("0123456789") == std::string::npos) {
        for (const auto& flow : flows_.all_published()) {
            if (flow->triggers.digits != static_cast<int>(typed.size())) continue;
            out.route = "keyword";
            return start(flow->id, std::move(out), context, {{"trigger.text", Value(event.text)}, {"trigger.rest", Value(typed)}});
        }
    }
    if (flows_.published(kFaqFlow)) {
        out.route = "faq";
        return start(kFaqFlow, std::move(out), context, {{"trigger.text", Value(event.text)}});
    }
    out.route = "menu";
    return menu(std::move(out), context);
}

Outcome Conversation::on_postback(const InboundEvent& event, const std::optional<Session>& session, Outcome out,
                                  const StepContext& context) const {
    auto data = decode_postback(event.postback_data);
    if (data && !data->open_flow.empty() && flows_.published(data->open_flow)) {
        // The flow is already under way (a report half answered when the reminder's button is
        // tapped): carry on from its question instead of starting over.
        if (session && session->flow_id == data->open_flow && session->waiting != Session::Waiting::effect) {
            if (auto flow = flows_.version(session->flow_id, session->version)) {
                auto again = repeat_question(*flow, *session, context);
                if (!again.empty()) {
                    out.route = "resume";
                    say(out, builtin_text("resume", context.language));
                    for (auto& m : again) out.messages.push_back(std::move(m));
                    out.session = session;
                    return out;
                }
            }
        }
        out.route = "open";
        return start(data->open_flow, std::move(out), context);
    }
    if (data && data->open_flow.empty()) {
        // the answer to the question the session waits at
        if (session && session->flow_id == data->flow && session->version == data->version && session->node == data->node &&
            ((session->waiting == Session::Waiting::input && data->kind != "confirm") ||
             (session->waiting == Session::Waiting::confirm && data->kind == "confirm"))) {
            if (auto flow = flows_.version(session->flow_id, session->version)) {
                out.route = "answer";
                return continue_with(*flow, *session, UserInput::tapped(*data), std::move(out), context);
            }
        }
        // a button of a menu-like node keeps working from any old message
        for (auto flow : {flows_.published(data->flow), flows_.version(data->flow, data->version)}) {
            if (!flow) continue;
            const Node* n = flow->node(data->node);
            if (!n || n->type != NodeType::ask || !n->reentrant) continue;
            Session fresh;
            fresh.flow_id = flow->id;
            fresh.version = flow->version;
            fresh.node = n->id;
            fresh.started_ms = clock_.now_ms();
            out.route = "reentrant";
            return continue_with(*flow, fresh, UserInput::tapped(*data), std::move(out), context);
        }
    }
    out.route = "stale";
    if (session && session->waiting != Session::Waiting::effect) {
        if (auto flow = flows_.version(session->flow_id, session->version)) {
            auto again = repeat_question(*flow, *session, context);
            if (!again.empty()) {
                say(out, builtin_text("stale_button_resume", context.language));
                for (auto& m : again) out.messages.push_back(std::move(m));
                out.session = session;
                return out;
            }
        }
    }
    say(out, builtin_text("stale_button", context.language));
    return menu(std::move(out), context);
}

Outcome Conversation::menu(Outcome out, const StepContext& context) const {
    if (flows_.published(kMainMenuFlow)) return start(kMainMenuFlow, std::move(out), context);
    out.session.reset();
    return out;
}

Outcome Conversation::start(std::string_view flow_id, Outcome out, const StepContext& context, const Variables& vars) const {
    auto flow = flows_.published(flow_id);
    if (!flow) {
        out.error = "no published flow \"" + std::string(flow_id) + "\"";
        say(out, builtin_text("flow_error", context.language));
        out.session.reset();
        return out;
    }
    Session seed;
    seed.vars = vars;
    auto r = step(*flow, seed, UserInput::start(), context, clock_);
    return merge(std::move(r), std::move(out), context);
}

Outcome Conversation::continue_with(const Flow& flow, const Session& session, const UserInput& input, Outcome out,
                                    const StepContext& context) const {
    return merge(step(flow, session, input, context, clock_), std::move(out), context);
}

Outcome Conversation::merge(StepResult r, Outcome out, const StepContext& context) const {
    for (int gotos = 0;; ++gotos) {
        for (auto& m : r.messages) out.messages.push_back(std::move(m));
        for (auto& e : r.effects) out.effects.push_back(std::move(e));
        if (!r.error.empty()) out.error = r.error;
        out.session = std::move(r.session);
        out.awaiting_effect = r.awaiting_effect;
        if (r.goto_flow.empty() || r.awaiting_effect) return out;
        if (gotos >= kMaxGotos) {
            out.error = "more than " + std::to_string(kMaxGotos) + " gotos in one step";
            say(out, builtin_text("flow_error", context.language));
            out.session.reset();
            return out;
        }
        auto next = flows_.published(r.goto_flow);
        if (!next) {
            out.error = "goto to the unpublished flow \"" + r.goto_flow + "\"";
            say(out, builtin_text("flow_error", context.language));
            out.session.reset();
            return out;
        }
        r = step(*next, Session{}, UserInput::start(), context, clock_);
    }
}

Outcome Conversation::complete(Outcome outcome, const ApplyEffect& apply, StepContext& context) const {
    std::size_t applied = 0;
    for (int round = 0;; ++round) {
        Variables last;
        for (; applied < outcome.effects.size(); ++applied) last = apply(outcome.effects[applied]);
        if (!outcome.awaiting_effect) return outcome;
        if (round >= kMaxEffectRounds) {
            outcome.error = "more than " + std::to_string(kMaxEffectRounds) + " effects with outputs in one event";
            outcome.awaiting_effect = false;
            outcome.session.reset();
            say(outcome, builtin_text("flow_error", context.language));
            return outcome;
        }
        auto lang = last.find("language");
        if (lang != last.end() && lang->second.is_string() && !lang->second.as_string().empty()) {
            context.language = lang->second.as_string();
        }
        outcome = resume(std::move(outcome), last, context);
    }
}

Outcome Conversation::resume(Outcome so_far, const Variables& result, StepContext context) const {
    if (!so_far.awaiting_effect || !so_far.session) return so_far;
    auto lang = result.find("language");
    if (lang != result.end() && lang->second.is_string() && !lang->second.as_string().empty()) {
        context.language = lang->second.as_string();
    }
    auto flow = flows_.version(so_far.session->flow_id, so_far.session->version);
    if (!flow) {
        so_far.error = "the flow of the session is gone";
        so_far.awaiting_effect = false;
        so_far.session.reset();
        return so_far;
    }
    auto session = *so_far.session;
    so_far.awaiting_effect = false;
    return continue_with(*flow, session, UserInput::effect_done(result), std::move(so_far), context);
}

}  // namespace sapo::flows
