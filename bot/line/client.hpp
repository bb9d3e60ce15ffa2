#pragma once
/// @file
/// @brief The LINE Messaging API as sapo uses it. Calls block the calling (worker) thread and
/// are safe to make from many threads at once. Implementations: HttpClient (the real API or a
/// loopback fake), and test doubles.

#include <optional>
#include <string>
#include <vector>

namespace sapo::line {

/// Outcome of one API operation, after any retries.
struct Result {
    bool ok = false;       ///< 2xx, or 409 (the retry key was already accepted)
    int status = 0;        ///< last HTTP status; 0 when no response (connect error, timeout)
    std::string body;      ///< last response body
    std::string request_id;  ///< X-Line-Request-Id of the last attempt
    /// After a 409 (this retry key was accepted before): X-Line-Accepted-Request-Id, the id of
    /// the earlier request LINE took. Empty otherwise.
    std::string accepted_request_id;
    std::string error;     ///< human-readable reason when !ok
    int attempts = 0;
};

struct Profile {
    std::string user_id;
    std::string display_name;
    std::string language;  ///< may be empty
    std::string picture_url;
};

class Client {
public:
    virtual ~Client() = default;

    /// POST /v2/bot/message/reply. `messages` are LINE message objects as JSON (1..5).
    /// Never retried: a reply token is single-use and reply has no idempotency key.
    virtual Result reply(const std::string& reply_token, const std::vector<std::string>& messages) = 0;

    /// POST /v2/bot/message/push with an X-Line-Retry-Key. An empty `retry_key` means: create one
    /// before the first attempt. The same key is sent on every retry.
    virtual Result push(
        const std::string& to,
        const std::vector<std::string>& messages,
        const std::string& retry_key = ""
    ) = 0;

    /// POST /v2/bot/message/multicast, split into calls of at most 500 recipients, each with its
    /// own retry key. One Result per call, in order. A caller that must survive a restart (a
    /// notification batch) gives its persisted `retry_key` for a single call of <= 500.
    virtual std::vector<Result> multicast(
        const std::vector<std::string>& to,
        const std::vector<std::string>& messages,
        const std::string& retry_key = ""
    ) = 0;

    /// GET /v2/bot/profile/{userId}; nullopt when LINE has no profile for us (404) or fails.
    virtual std::optional<Profile> get_profile(const std::string& user_id) = 0;

    /// POST /v2/bot/chat/loading/start; seconds 5..60 in steps of 5.
    virtual Result show_loading(const std::string& user_id, int seconds) = 0;
};

/// True when LINE refused a reply because of its token (unknown, already used or expired): then
/// nothing was sent.
bool reply_token_rejected(const Result& result);

/// Sends a reply and, when LINE rejects the reply token (used, expired, unknown) or there is
/// none, and `must_arrive` is set, pushes the same messages to `user_id` instead. A reply that
/// timed out is not followed by a push: it has most likely arrived. `retry_key` (empty: a new
/// one) lets a caller that may repeat the whole call after a crash keep the push idempotent.
Result reply_or_push(
    Client& client,
    const std::string& reply_token,
    const std::string& user_id,
    const std::vector<std::string>& messages,
    bool must_arrive,
    const std::string& retry_key = ""
);

}  // namespace sapo::line
