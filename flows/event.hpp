#pragma once
/// @file
/// @brief A LINE webhook event as the rest of sapo sees it: the fields that routing and the
/// conversation engine use, plus the event's own JSON so nothing LINE sent is lost.

#include <cstdint>
#include <string>

namespace sapo::flows {

struct InboundEvent {
    std::string event_id;     ///< webhookEventId, or "derived:<sha256>" for old bodies without one
    std::string type;         ///< "message", "follow", ... or whatever new type LINE sends
    std::string mode;         ///< "active" or "standby" (standby events are never answered)
    std::int64_t timestamp_ms = 0;
    std::string source_type;  ///< "user", "group", "room" or unknown
    std::string user_id;
    std::string group_id;     ///< groupId or roomId
    std::string reply_token;
    std::string message_type;  ///< for message events: "text", "image", ...
    std::string text;          ///< text message body (never logged at info level)
    std::string postback_data;
    bool redelivery = false;
    std::string raw;  ///< the event object as JSON

    /// Events with the same key are handled strictly in timestamp order: the user, else the
    /// group or room, else the event itself.
    std::string ordering_key() const {
        if (!user_id.empty()) return user_id;
        if (!group_id.empty()) return group_id;
        return event_id;
    }
};

}  // namespace sapo::flows
