#pragma once
/// @file
/// @brief The notification job runner: worker threads that take due batches from the database
/// (FOR UPDATE SKIP LOCKED, so any number of sapo instances share one notification), send each
/// as one multicast with the batch's stored X-Line-Retry-Key, and record the outcome. Paced by
/// its own throttle, so a fan-out never uses up the LINE rate that chatting users' replies need.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "bot/line/client.hpp"
#include "storage/fanout_store.hpp"

namespace sapo::notify {

struct FanoutOptions {
    int workers = 2;                ///< threads, each with its own database connection
    double rate_per_s = 100;        ///< multicasts per second from this instance (<= 0: unpaced)
    std::chrono::milliseconds poll_interval{1000};  ///< how often idle workers look for work
    int max_attempts = 10;          ///< sends of one batch (each with the client's own retries)
    std::chrono::milliseconds retry_base{2000};     ///< wait before the 2nd send; doubles after
    std::chrono::milliseconds retry_max{300000};
    /// What the batches are, in logs ("notification", "health_prompt_run").
    std::string kind = "notification";
};

/// The text LINE multicasts to a batch: one text message.
std::string notification_message_json(const std::string& text);

class FanoutRunner {
public:
    using StoreFactory = std::function<std::unique_ptr<storage::FanoutStore>()>;

    FanoutRunner(FanoutOptions options, StoreFactory make_store, line::Client& line);
    ~FanoutRunner();  ///< stops

    FanoutRunner(const FanoutRunner&) = delete;
    FanoutRunner& operator=(const FanoutRunner&) = delete;

    void start();
    /// Lets each worker finish the batch it is sending (its outcome is recorded), then joins.
    void stop();
    /// Looks for work now (after an approval) rather than at the next poll.
    void wake();

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sapo::notify
