#pragma once
/// @file
/// @brief What handling one stored event means: routing it to the conversation engine, keeping
/// the user's follow state and language, and sending what was decided.

#include <chrono>
#include <optional>
#include <string>

#include "bot/line/client.hpp"
#include "flows/responder.hpp"
#include "storage/records.hpp"

namespace sapo::dispatch {

class EventHandler {
public:
    EventHandler(line::Client& line, const flows::Responder& responder)
        : line_(line), responder_(responder) {}

    /// Runs inside the event's transaction. Throws when the event can't be handled (it is then
    /// retried, and marked failed after the configured attempts).
    storage::Decision decide(const storage::StoredEvent& event, const std::optional<storage::UserRecord>& user);

private:
    line::Client& line_;
    const flows::Responder& responder_;
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
