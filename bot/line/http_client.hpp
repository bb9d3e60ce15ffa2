#pragma once
/// @file
/// @brief The LINE Messaging API over HTTPS (Boost.Beast + OpenSSL), with retries, idempotency
/// keys, a keep-alive connection pool and a client-side rate limit.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/line/client.hpp"

namespace sapo::line {

struct HttpClientOptions {
    /// "https://api.line.me" in production. "http://" is accepted only for a loopback host
    /// (127.0.0.0/8, localhost, ::1), for tests and local fakes. A path prefix is kept.
    std::string base_url;
    /// Channel access token, sent as "Authorization: Bearer ..."; never logged.
    std::string access_token;
    /// Deadline of one attempt: resolve, connect, TLS handshake, write and read together.
    std::chrono::milliseconds timeout{5000};
    /// Attempts per operation, the first one included (>= 1).
    int max_attempts = 4;
    /// Backoff before retry n (n = 0, 1, ...): with cap = min(backoff_max, base * 2^n), a wait
    /// drawn from [0, cap] (full jitter) after 5xx or a timeout, and from [cap, max(cap,
    /// min(2 * cap, backoff_max))] after 429, which asks us to slow down.
    std::chrono::milliseconds backoff_base{200};
    std::chrono::milliseconds backoff_max{5000};
    /// Client-side throttle over all endpoints (LINE's limit for reply, push, multicast and
    /// profile); loading/start is further held to min(this, 100) per second. <= 0 disables both.
    double rate_limit_per_s = 2000;
    /// Idle keep-alive connections kept for reuse (0 = a new connection per request).
    int pool_size = 16;
};

/// Production Client. Thread-safe: any number of threads may call at once; each call blocks its
/// caller while the I/O runs on the client's own thread.
///
/// Retry policy: 5xx, 429 (with a longer backoff), timeouts and connection failures are retried
/// up to max_attempts; other 4xx never. push and multicast carry an X-Line-Retry-Key created
/// before the first attempt and reused on every retry, and a 409 (key already accepted) counts
/// as success. reply has no idempotency key, so it is retried only when no byte of the request
/// was sent.
class HttpClient final : public Client {
public:
    /// Throws std::invalid_argument for an unusable base_url (not http/https, no host, plain
    /// http to a non-loopback host) or out-of-range options.
    explicit HttpClient(HttpClientOptions options);

    /// Cancels calls in flight (they return ok=false, "client is shutting down"), waits for
    /// the calling threads to leave, closes all connections and joins the I/O thread.
    ~HttpClient() override;

    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    Result reply(const std::string& reply_token, const std::vector<std::string>& messages) override;

    Result push(
        const std::string& to,
        const std::vector<std::string>& messages,
        const std::string& retry_key = ""
    ) override;

    std::vector<Result> multicast(
        const std::vector<std::string>& to,
        const std::vector<std::string>& messages,
        const std::string& retry_key = ""
    ) override;

    std::optional<Profile> get_profile(const std::string& user_id) override;

    /// Returns ok=false without calling LINE when `seconds` is not 5..60 in steps of 5.
    Result show_loading(const std::string& user_id, int seconds) override;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

/// A new random (version 4) UUID from OpenSSL's CSPRNG, lower-case, for X-Line-Retry-Key.
/// Callers that must survive a restart (notification batches) persist it and pass it to push.
/// Throws std::runtime_error if the CSPRNG fails.
std::string make_retry_key();

/// True for a UUID in the canonical 8-4-4-4-12 hex form (any version, either case).
bool is_uuid(std::string_view s);

/// Maximum recipients of one multicast call.
inline constexpr std::size_t kMulticastChunk = 500;

}  // namespace sapo::line
