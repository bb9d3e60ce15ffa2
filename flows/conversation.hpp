#pragma once
/// @file
/// @brief Routing a webhook event to the right flow: follow -> welcome, cancel words -> main menu,
/// a postback -> the node its data names (old buttons answered politely), text -> the waiting
/// question, else a keyword trigger, else the FAQ flow (when published), else the main menu.
/// Pure like the engine: flows come from a FlowSource, time from a Clock.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flows/engine.hpp"
#include "flows/event.hpp"

namespace sapo::flows {

inline constexpr const char* kWelcomeFlow = "welcome";
inline constexpr const char* kMainMenuFlow = "main_menu";
inline constexpr const char* kFaqFlow = "faq";

/// Published flows (what new conversations use) and any version a conversation started on.
class FlowSource {
public:
    virtual ~FlowSource() = default;
    virtual std::shared_ptr<const Flow> published(std::string_view id) const = 0;
    virtual std::shared_ptr<const Flow> version(std::string_view id, int version) const = 0;
    /// Every published flow, for keyword triggers.
    virtual std::vector<std::shared_ptr<const Flow>> all_published() const = 0;
};

struct Outcome {
    std::optional<Session> session;  ///< the session to keep; nullopt: none (ended or never begun)
    std::vector<OutMessage> messages;
    std::vector<Effect> effects;  ///< in order; apply them all, in the event's transaction
    /// The last effect's outputs are needed to go on: apply the effects, then call resume().
    bool awaiting_effect = false;
    bool must_arrive = false;  ///< push when the reply token can't be used (the welcome)
    std::string route;  ///< how the event was routed, for logs and tests ("follow", "answer", "stale", ...)
    std::string error;  ///< a flow misbehaved (logged; the user got an apology)
};

class Conversation {
public:
    Conversation(const FlowSource& flows, const Clock& clock) : flows_(flows), clock_(clock) {}

    /// `session` is the user's stored session, if any (an expired one is treated as ended).
    Outcome handle(const InboundEvent& event, const std::optional<Session>& session, StepContext context) const;

    /// Continues after the effects of `so_far` were applied; `result` holds the awaited outputs.
    /// An effect may switch the conversation's language by returning "language".
    Outcome resume(Outcome so_far, const Variables& result, StepContext context) const;

    /// Applies the outcome's effects in order with `apply`, resuming the flow each time it waits
    /// for an effect's outputs, until it no longer waits. `context.language` follows an effect
    /// that returns "language". A flow still waiting after 20 rounds is stopped with an apology
    /// (the effects so far stay applied). `apply` may throw: the event then fails as a whole.
    using ApplyEffect = std::function<Variables(const Effect&)>;
    Outcome complete(Outcome outcome, const ApplyEffect& apply, StepContext& context) const;

    /// Whether `text` is one of the words that always cancel and return to the main menu.
    static bool is_cancel_word(std::string_view text);

private:
    Outcome start(std::string_view flow_id, Outcome out, const StepContext& context, const Variables& vars = {}) const;
    Outcome continue_with(const Flow& flow, const Session& session, const UserInput& input, Outcome out,
                          const StepContext& context) const;
    Outcome merge(StepResult r, Outcome out, const StepContext& context) const;
    Outcome on_text(const InboundEvent& event, const std::optional<Session>& session, Outcome out,
                    const StepContext& context) const;
    Outcome on_postback(const InboundEvent& event, const std::optional<Session>& session, Outcome out,
                        const StepContext& context) const;
    Outcome menu(Outcome out, const StepContext& context) const;

    const FlowSource& flows_;
    const Clock& clock_;
};

}  // namespace sapo::flows
