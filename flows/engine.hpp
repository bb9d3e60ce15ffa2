#pragma once
/// @file
/// @brief One conversation step: `step(flow, session, input, context, clock)` returns the new
/// session, what to say and which effects to apply. Pure and deterministic: the same arguments
/// give the same result, no I/O, so every flow is testable and previewable without LINE or a
/// database (`sapo flows simulate`).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flows/clock.hpp"
#include "flows/model.hpp"
#include "flows/postback.hpp"
#include "flows/render.hpp"

namespace sapo::flows {

/// Where a conversation stands; persisted between events (storage sessions table).
struct Session {
    enum class Waiting { input, confirm, effect };

    std::string flow_id;
    int version = 0;
    std::string node;
    Variables vars;
    Waiting waiting = Waiting::input;
    int invalid_count = 0;
    Value pending;  ///< the answer waiting for "is that right?"
    std::int64_t started_ms = 0;
    std::int64_t updated_ms = 0;
    std::int64_t expires_ms = 0;
};

const char* waiting_name(Session::Waiting w);
std::optional<Session::Waiting> parse_waiting(std::string_view s);

/// An effect for the service to apply in the event's transaction.
struct Effect {
    std::string name;
    std::map<std::string, std::string, std::less<>> params;  ///< placeholders already filled
    std::string result_var;  ///< set when the flow waits for the effect's outputs
};

struct UserInput {
    enum class Kind { start, text, postback, other_message, effect_result };
    Kind kind = Kind::start;
    std::string text;
    PostbackData postback;
    Variables result;  ///< effect_result: the effect's outputs by name

    static UserInput start() { return {}; }
    static UserInput typed(std::string t) { return {Kind::text, std::move(t), {}, {}}; }
    static UserInput tapped(PostbackData d) { return {Kind::postback, {}, std::move(d), {}}; }
    static UserInput effect_done(Variables r) { return {Kind::effect_result, {}, {}, std::move(r)}; }
};

struct StepContext {
    std::string language = "ja";
    /// Placeholder values besides the session's variables: configuration (call_center_phone,
    /// emergency_phone) and the profile (profile.language).
    const Variables* globals = nullptr;
    /// Templates by id, for message nodes that name one.
    const std::map<std::string, Template, std::less<>>* templates = nullptr;
};

struct StepResult {
    std::optional<Session> session;  ///< nullopt: the conversation has ended
    std::vector<OutMessage> messages;
    std::vector<Effect> effects;
    bool awaiting_effect = false;  ///< the last effect's outputs are needed: step again with them
    std::string goto_flow;         ///< continue with this flow's newest published version
    bool gave_up = false;          ///< too many invalid answers, help was offered
    std::string error;             ///< the flow misbehaved (e.g. looped); the user got an apology
};

/// Starts `flow` (input.kind == start; only `session.vars` is used, as the starting variables,
/// e.g. the trigger's text) or feeds `input` to the node the
/// session waits at.
StepResult step(const Flow& flow, const Session& session, const UserInput& input, const StepContext& context, const Clock& clock);

/// The question of the ask node the session waits at, again (after a stale button, or when
/// the user comes back): its text and quick replies.
std::vector<OutMessage> repeat_question(const Flow& flow, const Session& session, const StepContext& context);

/// Whether typed `text` picks one of a choice node's choices (by label or synonym).
bool matches_choice(const Node& node, std::string_view text);

/// Built-in texts, localised (ja first, en beside).
std::string builtin_text(std::string_view key, std::string_view language);

}  // namespace sapo::flows
