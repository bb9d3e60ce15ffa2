#pragma once
/// @file
/// @brief POST /webhook: verify the signature over the raw bytes, parse, commit the events, and
/// only then answer 200. Every other outcome stores nothing or tells LINE to redeliver.

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "bot/http/server.hpp"
#include "storage/event_writer.hpp"

namespace sapo::http {

class WebhookEndpoint {
public:
    /// `on_committed` gets the ordering keys of newly stored events (the dispatcher's notify).
    WebhookEndpoint(
        boost::asio::io_context& ioc,
        std::string channel_secret,
        storage::EventWriter& writer,
        std::function<void(const std::vector<std::string>&)> on_committed,
        std::chrono::milliseconds store_timeout
    );

    /// 200 once committed; 401 bad or missing signature; 400 malformed body; 503 when the
    /// database did not commit within the store timeout (LINE then redelivers).
    void handle(Request&& req, Respond respond);

private:
    boost::asio::io_context& ioc_;
    std::string secret_;
    storage::EventWriter& writer_;
    std::function<void(const std::vector<std::string>&)> on_committed_;
    std::chrono::milliseconds store_timeout_;
};

}  // namespace sapo::http
