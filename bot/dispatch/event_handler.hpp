#pragma once
/// @file
/// @brief What handling one stored event means: routing it to the conversation engine, keeping
/// the user's follow state and language, and sending what was decided.

#include <chrono>
#include <optional>
#include <string>

#include "bot/dispatch/effects.hpp"
#include "bot/dispatch/flow_catalog.hpp"
#include "bot/line/client.hpp"
#include "flows/clock.hpp"
#include "storage/conversation_store.hpp"
#include "storage/records.hpp"

namespace sapo::dispatch {

/// Shared by all dispatcher workers; decide() keeps no state between calls.
class EventHandler {
public:
    /// `globals` are the placeholders every flow may use (call_center_phone, emergency_phone).
    EventHandler(line::Client& line, FlowCatalog& flows, const EffectRegistry& effects, const Clock& clock,
                 flows::Variables globals)
        : line_(line), flows_(flows), effects_(effects), clock_(clock), globals_(std::move(globals)) {}

    /// Runs inside the event's transaction: the conversation's step, its effects and the new
    /// session are written through `store`. Throws when the event can't be handled (it is then
    /// retried, and marked failed after the configured attempts).
    storage::Decision decide(
        const storage::StoredEvent& event,
        const std::optional<storage::UserRecord>& user,
        storage::ConversationStore& store
    ) const;

private:
    line::Client& line_;
    FlowCatalog& flows_;
    const EffectRegistry& effects_;
    const Clock& clock_;
    const flows::Variables globals_;
};

/// The stored event as the engine sees it, re-read from its raw JSON.
flows::InboundEvent to_inbound(const storage::StoredEvent& event);

struct DeliveryOutcome {
    std::string status;  ///< "sent", "failed" or "expired"
    std::string error;
};

/// Sends an outbox item: reply while the token is young enough, else (or when LINE refuses the
/// token) push must-arrive messages with the item's own retry key, so that sending the same item
/// again after a crash is not delivered twice.
DeliveryOutcome deliver_outbox_item(
    line::Client& line,
    const storage::OutboxItem& item,
    std::chrono::milliseconds reply_token_max_age
);

}  // namespace sapo::dispatch
