#include "bot/notify/fanout_runner.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "bot/line/rate_limiter.hpp"
#include "bot/log.hpp"
#include "bot/metrics.hpp"
#include "bot/notify/manager_notice.hpp"
#include "storage/errors.hpp"

namespace sapo::notify {
namespace {

metrics::Counter& batch_counter(const std::string& outcome) {
    return metrics::global().counter(
        "sapo_notification_batches_total", "Notification multicasts sent, by outcome (accepted, retry, failed)",
        {{"outcome", outcome}}
    );
}

storage::SendOutcome classify(const line::Result& r) {
    using Kind = storage::SendOutcome::Kind;
    storage::SendOutcome o;
    o.status = r.status;
    // the request LINE took: this one, or (409) an earlier send of the same batch
    o.request_id = r.accepted_request_id.empty() ? r.request_id : r.accepted_request_id;
    if (r.ok) {
        o.kind = Kind::accepted;  // 2xx, or 409: this retry key was accepted before
        return o;
    }
    o.error = r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error;
    if (o.error.size() > 500) o.error.resize(500);
    // no answer, LINE's trouble or its "slow down": the same key goes again later; any other 4xx
    // will not get better by repeating it
    o.kind = (r.status == 0 || r.status == 429 || r.status >= 500) ? Kind::retry_later : Kind::failed;
    return o;
}

}  // namespace

std::string notification_message_json(const std::string& text) {
    return "{\"type\":\"text\",\"text\":\"" + log::json_escape(text) + "\"}";
}

class FanoutRunner::Impl {
public:
    Impl(FanoutOptions o, StoreFactory f, line::Client& l)
        : options(o), make_store(std::move(f)), line(l), throttle(o.rate_per_s, 1.0) {}

    FanoutOptions options;
    StoreFactory make_store;
    line::Client& line;
    /// No burst: a fan-out starting must not take a second's worth of LINE's rate at once.
    line::RateLimiter throttle;
    std::vector<std::thread> threads;
    std::mutex mutex;
    std::condition_variable cv;
    std::uint64_t wakeups = 0;
    std::atomic<bool> stopping{false};

    std::int64_t retry_after_ms(int attempts) const {
        const auto base = options.retry_base.count();
        const auto shift = std::min(attempts - 1, 20);
        return std::min<std::int64_t>(options.retry_max.count(), base << std::max(0, shift));
    }

    storage::SendOutcome send(const storage::ClaimedBatch& b) {
        auto results = line.multicast(b.user_ids, b.messages.empty() ? std::vector<std::string>{notification_message_json(b.text)} : b.messages,
                                      b.retry_key);
        auto outcome = results.empty() ? storage::SendOutcome{storage::SendOutcome::Kind::failed, 0, "", "no result"}
                                       : classify(results.front());
        const char* label = outcome.kind == storage::SendOutcome::Kind::accepted      ? "accepted"
                            : outcome.kind == storage::SendOutcome::Kind::retry_later ? "retry"
                                                                                      : "failed";
        batch_counter(label).inc();
        if (outcome.kind != storage::SendOutcome::Kind::accepted) {
            log::warn(options.kind + " batch not accepted",
                      {{options.kind, std::to_string(b.notification_id)}, {"batch", std::to_string(b.batch_no)},
                       {"status", std::to_string(outcome.status)}, {"outcome", label}, {"error", outcome.error}});
        }
        return outcome;
    }

    void worker() {
        std::unique_ptr<storage::FanoutStore> store;
        std::uint64_t seen = 0;
        std::chrono::steady_clock::time_point last_bookkeeping;
        while (!stopping) {
            bool busy = false;
            try {
                if (!store) store = make_store();
                // paced before a batch is taken, not after: a batch only waiting for its turn
                // stays pending, so a cancel meanwhile stops it
                throttle.acquire();
                busy = store->send_next([this](const storage::ClaimedBatch& b) { return send(b); },
                                        [this](int attempts) { return retry_after_ms(attempts); }, options.max_attempts);
                // status bookkeeping (approved -> sending, and done once no batch is left), when
                // there is nothing to send and once a second while busy: not a query per batch
                const auto now = std::chrono::steady_clock::now();
                if (busy && now - last_bookkeeping < std::chrono::seconds(1)) continue;
                last_bookkeeping = now;
                store->start_approved();
                for (const auto& n : store->finish_settled(manager_sent_notice_json)) {
                    log::info("notification finished", {{"notification", std::to_string(n.id)}, {"status", n.status},
                                                         {"sent", std::to_string(n.sent)}, {"failed", std::to_string(n.failed)}});
                }
            } catch (const storage::StorageError& e) {
                log::warn("notification runner: database error", {{"error", e.what()}});
                store.reset();
            } catch (const std::exception& e) {
                log::error("notification runner: unexpected error", {{"error", e.what()}});
                store.reset();
            }
            if (busy) continue;
            std::unique_lock lock(mutex);
            cv.wait_for(lock, options.poll_interval, [&] { return stopping.load() || wakeups != seen; });
            seen = wakeups;
        }
    }
};

FanoutRunner::FanoutRunner(FanoutOptions options, StoreFactory make_store, line::Client& line)
    : impl_(std::make_unique<Impl>(options, std::move(make_store), line)) {}

FanoutRunner::~FanoutRunner() { stop(); }

void FanoutRunner::start() {
    if (!impl_->threads.empty()) return;
    for (int i = 0; i < std::max(1, impl_->options.workers); ++i) impl_->threads.emplace_back([this] { impl_->worker(); });
}

void FanoutRunner::stop() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
    }
    impl_->cv.notify_all();
    for (auto& t : impl_->threads) t.join();
    impl_->threads.clear();
}

void FanoutRunner::wake() {
    {
        std::lock_guard lock(impl_->mutex);
        ++impl_->wakeups;
    }
    impl_->cv.notify_all();
}

}  // namespace sapo::notify
