#pragma once
/// @file
/// @brief The notification job runner's storage: take one due batch (FOR UPDATE SKIP LOCKED,
/// so any number of runners in any number of sapo instances share the work and never take the
/// same batch), keep it locked while it is sent, record the outcome. A crash mid-send rolls the
/// transaction back, which frees the batch at once for the next runner, who sends it again with
/// the same retry key. One connection per store; one store per runner thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sapo::storage {

/// A batch taken for sending.
struct ClaimedBatch {
    std::int64_t notification_id = 0;
    int batch_no = 0;
    std::string retry_key;
    std::string language;  ///< "ja" | "en"
    std::string text;      ///< the notification's text in that language
    /// LINE message objects (JSON) to send instead of one text message of `text`.
    std::vector<std::string> messages;
    int attempts = 0;      ///< sends before this one
    std::vector<std::string> user_ids;
};

/// What became of one send.
struct SendOutcome {
    enum class Kind { accepted, retry_later, failed } kind = Kind::failed;
    int status = 0;          ///< LINE's HTTP status, 0 without an answer
    std::string request_id;
    std::string error;
};

/// A notification whose batches are all settled, now done or failed.
struct FinishedNotification {
    std::int64_t id = 0;
    std::string status;      ///< done | failed
    std::string facility_name;
    std::string window_date;
    std::string window_from;
    std::string window_to;
    std::int64_t sent = 0;
    std::int64_t failed = 0;
    std::optional<std::string> manager_user;  ///< the LINE user who asked for it
    std::string manager_language = "ja";
};

class FanoutStore {
public:
    virtual ~FanoutStore() = default;

    /// Moves approved notifications to sending.
    virtual void start_approved() = 0;

    /// Takes the next due batch of a notification that is approved or sending, calls `send`
    /// with it while the batch stays locked, records the outcome, commits. A batch whose send
    /// is to be retried gets `retry_after_ms` more wait; after `max_attempts` sends it fails. A
    /// notification cancelled during the send has its unaccepted batch cancelled. Returns false
    /// when no batch was due.
    virtual bool send_next(const std::function<SendOutcome(const ClaimedBatch&)>& send,
                           const std::function<std::int64_t(int attempts)>& retry_after_ms, int max_attempts) = 0;

    /// Marks sending notifications with no pending batch done (or failed when a batch failed).
    /// For each one asked for from LINE, `manager_notice` gives the LINE messages (a JSON array)
    /// queued in the outbox for that user in the same transaction. Returns what it finished.
    virtual std::vector<FinishedNotification> finish_settled(
        const std::function<std::string(const FinishedNotification&)>& manager_notice
    ) = 0;
};

std::unique_ptr<FanoutStore> make_pg_fanout_store(const std::string& database_url);

}  // namespace sapo::storage
