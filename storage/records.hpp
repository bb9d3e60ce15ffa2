#pragma once
/// @file
/// @brief Rows as the service sees them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sapo::storage {

struct StoredEvent {
    std::int64_t id = 0;
    std::string webhook_event_id;
    std::string ordering_key;
    std::string event_type;
    std::string mode;
    std::string user_id;
    std::string reply_token;
    std::int64_t event_ts_ms = 0;
    std::string destination;
    std::string raw;  ///< the event object as JSON
    int attempts = 0;
};

struct UserRecord {
    std::string user_id;
    std::string follow_state;  ///< "followed", "unfollowed" or "unknown"
    std::string language;      ///< empty when not known yet
};

/// What handling an event decided; applied in the transaction that marks the event processed.
struct Decision {
    enum class Follow { unchanged, followed, unfollowed };
    Follow follow = Follow::unchanged;
    std::string language;  ///< set the user's language when not empty

    /// LINE message objects (JSON) to send; empty for no answer. At most 5 (one reply).
    std::vector<std::string> messages;
    /// Further batches of at most 5 that did not fit in the reply: pushed after it, in order.
    std::vector<std::vector<std::string>> more;
    std::string reply_token;  ///< reply with this token when not empty, else push
    std::string push_to;      ///< user to push to (and the fallback when the token is invalid)
    bool must_arrive = false;
};

/// A message batch waiting in the outbox.
struct OutboxItem {
    std::int64_t id = 0;
    std::int64_t event_id = 0;
    std::string user_id;
    std::string reply_token;
    std::vector<std::string> messages;
    bool must_arrive = false;
    std::string retry_key;
    std::int64_t age_ms = 0;  ///< since the outbox row was written
    /// Taken over from a sender that died: it may already have used the reply token.
    bool reclaimed = false;
};

}  // namespace sapo::storage
