#pragma once
/// @file
/// @brief Local mode only: the chat page (/dev/chat), its API (/dev/api/...) and the clock
/// (/dev/clock). The page sends real signed webhooks through /webhook; this API only builds and
/// signs them, so everything behind /webhook runs exactly as in production.

#include <string>

#include "bot/emulator/emulator.hpp"
#include "bot/http/server.hpp"
#include "flows/clock.hpp"

namespace sapo::http {

class DevEndpoints {
public:
    DevEndpoints(emulator::Emulator& emulator, AdjustableClock& clock, std::string channel_secret, std::string destination)
        : emulator_(emulator), clock_(clock), secret_(std::move(channel_secret)), destination_(std::move(destination)) {}

    /// True when the path is one of ours (then `respond` has been or will be called).
    bool handle(const Request& req, const std::string& path, const Respond& respond);

    /// The webhook body and its signature for one action of a test user (what /dev/api/send
    /// returns); throws std::invalid_argument with a sentence for bad input.
    std::pair<std::string, std::string> signed_event(
        const std::string& user_id,
        const std::string& type,
        const std::string& text,
        const std::string& data,
        const std::string& params_json
    );

private:
    Response users(const Request& req);
    Response send(const Request& req);
    Response messages(const Request& req);
    Response clock(const Request& req);

    emulator::Emulator& emulator_;
    AdjustableClock& clock_;
    std::string secret_;
    std::string destination_;
};

}  // namespace sapo::http
