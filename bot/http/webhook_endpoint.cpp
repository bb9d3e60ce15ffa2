#include "bot/http/webhook_endpoint.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <unordered_map>

#include "bot/log.hpp"
#include "bot/metrics.hpp"
#include "bot/webhook/parse.hpp"
#include "bot/webhook/signature.hpp"

namespace sapo::http {

namespace asio = boost::asio;

namespace {

metrics::Counter& requests(unsigned status) {
    static auto& r200 = metrics::global().counter(
        "sapo_webhook_requests_total", "Webhook requests by response status", {{"status", "200"}}
    );
    if (status == 200) return r200;  // the hot path skips the registry lookup
    return metrics::global().counter(
        "sapo_webhook_requests_total",
        "Webhook requests by response status",
        {{"status", std::to_string(status)}}
    );
}

metrics::Counter& events_of_type(const std::string& type) {
    // Per I/O thread: every event of every request comes here, and the registry lookup takes a
    // lock and builds the label string; counters live as long as the registry.
    thread_local std::unordered_map<std::string, metrics::Counter*> known;
    auto& slot = known[type];
    if (!slot) {
        slot = &metrics::global().counter(
            "sapo_webhook_events_total", "Webhook events received, by event type", {{"type", type}}
        );
    }
    return *slot;
}

/// A short id per request for the logs: the process's start time and a sequence number, so ids
/// from two instances don't collide and need no randomness on the hot path.
std::string next_request_id() {
    static const auto prefix = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count() % 100000
    );
    static std::atomic<std::uint64_t> sequence{0};
    return prefix + "-" + std::to_string(++sequence);
}

std::string message_body(const std::string& message) {
    return "{\"message\":\"" + log::json_escape(message) + "\"}";
}

/// One request waiting for its commit; whoever comes first (commit or deadline) answers.
struct PendingCommit {
    PendingCommit(asio::io_context& ioc, Respond r, unsigned v, bool k, std::string id)
        : timer(asio::make_strand(ioc)), respond(std::move(r)), version(v), keep_alive(k), request_id(std::move(id)) {}

    asio::steady_timer timer;
    Respond respond;
    unsigned version;
    bool keep_alive;
    std::string request_id;
    std::atomic<bool> answered{false};

    bool claim() { return !answered.exchange(true); }
};

}  // namespace

WebhookEndpoint::WebhookEndpoint(
    asio::io_context& ioc,
    std::string channel_secret,
    storage::EventWriter& writer,
    std::function<void(const std::vector<std::string>&)> on_committed,
    std::chrono::milliseconds store_timeout
)
    : ioc_(ioc),
      secret_(std::move(channel_secret)),
      writer_(writer),
      on_committed_(std::move(on_committed)),
      store_timeout_(store_timeout) {}

void WebhookEndpoint::handle(Request&& req, Respond respond) {
    const auto version = req.version();
    const bool keep_alive = req.keep_alive();
    const auto request_id = next_request_id();
    auto answer = [&](unsigned status, const std::string& message) {
        requests(status).inc();
        respond(json_response(status, message.empty() ? "{}" : message_body(message), version, keep_alive));
    };

    // Beast looks header names up case-insensitively; LINE may change the case without notice.
    auto signature = req["x-line-signature"];
    if (signature.empty()) {
        log::warn("webhook rejected: no x-line-signature header", {{"request_id", request_id}});
        return answer(401, "missing x-line-signature header");
    }
    if (!webhook::verify_signature(secret_, req.body(), signature)) {
        log::warn("webhook rejected: signature does not match", {{"request_id", request_id}});
        return answer(401, "invalid signature");
    }
    auto parsed = webhook::parse_callback(req.body());
    if (!parsed.ok) {
        log::warn("webhook rejected: malformed body", {{"request_id", request_id}, {"error", parsed.error}});
        return answer(400, parsed.error);
    }
    auto& events = parsed.callback.events;
    if (events.empty()) return answer(200, "");  // LINE's Verify button
    for (const auto& e : events) events_of_type(e.type).inc();

    auto pending = std::make_shared<PendingCommit>(ioc_, std::move(respond), version, keep_alive, request_id);
    pending->timer.expires_after(store_timeout_);
    pending->timer.async_wait([pending](boost::system::error_code ec) {
        if (ec || !pending->claim()) return;
        log::warn("webhook answered 503: the database did not commit in time", {{"request_id", pending->request_id}});
        requests(503).inc();
        pending->respond(json_response(
            503, message_body("storage unavailable, please redeliver"), pending->version, pending->keep_alive
        ));
    });
    writer_.submit(
        std::move(parsed.callback.destination),
        std::move(events),
        [pending, on_committed = on_committed_](storage::StoreOutcome outcome) {
            // Committed events are dispatched even when the deadline already answered 503:
            // they are durable, and LINE's redelivery will be deduplicated.
            if (outcome.ok && !outcome.new_keys.empty()) on_committed(outcome.new_keys);
            if (!pending->claim()) return;
            asio::post(pending->timer.get_executor(), [pending] { pending->timer.cancel(); });
            if (outcome.ok) {
                if (log::enabled(log::Level::debug)) {
                    log::debug(
                        "webhook stored",
                        {{"request_id", pending->request_id},
                         {"new", std::to_string(outcome.inserted)},
                         {"duplicates", std::to_string(outcome.duplicates)}}
                    );
                }
                requests(200).inc();
                pending->respond(json_response(200, "{}", pending->version, pending->keep_alive));
            } else {
                log::warn("webhook answered 503: events not stored", {{"request_id", pending->request_id}, {"error", outcome.error}});
                requests(503).inc();
                pending->respond(json_response(
                    503, message_body("storage unavailable, please redeliver"), pending->version, pending->keep_alive
                ));
            }
        }
    );
}

}  // namespace sapo::http
