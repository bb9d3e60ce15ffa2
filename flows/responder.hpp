#pragma once
/// @file
/// @brief What the dispatcher asks of the conversation engine: given an event (and what sapo
/// knows of the user), what to say. Pure: no I/O, so every answer is testable without a network.

#include <string>
#include <vector>

#include "flows/event.hpp"

namespace sapo::flows {

struct UserContext {
    std::string language = "ja";  ///< from the LINE profile; Japanese when unknown
};

struct Response {
    /// LINE message objects as JSON, at most 5 (LINE's limit per reply).
    std::vector<std::string> messages;
    /// When the reply token has expired or was used, push instead of dropping the messages.
    bool must_arrive = false;
};

class Responder {
public:
    virtual ~Responder() = default;
    virtual Response respond(const InboundEvent& event, const UserContext& user) const = 0;
};

/// Until the conversation engine lands: follow -> a welcome text, a text message -> an
/// acknowledgement; everything else gets no answer.
class PlaceholderResponder final : public Responder {
public:
    Response respond(const InboundEvent& event, const UserContext& user) const override;
};

/// A LINE text message object as JSON, with message-action quick replies (label = text sent).
std::string text_message(const std::string& text, const std::vector<std::string>& quick_replies = {});

}  // namespace sapo::flows
