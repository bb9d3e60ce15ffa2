#include "bot/dispatch/dispatcher.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "bot/dispatch/event_handler.hpp"
#include "bot/log.hpp"
#include "bot/metrics.hpp"
#include "flows/normalize.hpp"
#include "storage/errors.hpp"

namespace sapo::dispatch {

namespace {

/// One worker's queue of keys; a key is queued at most once at a time.
struct KeyQueue {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<std::string> keys;
    std::unordered_set<std::string> queued;
};

metrics::Counter& handled_counter(const std::string& outcome) {
    return metrics::global().counter(
        "sapo_events_handled_total", "Events handled by the dispatcher, by outcome", {{"outcome", outcome}}
    );
}

}  // namespace

struct Dispatcher::Impl {
    DispatcherOptions options;
    RepositoryFactory make_repository;
    line::Client& line;
    const EventHandler& handler;

    std::vector<std::unique_ptr<KeyQueue>> queues;
    std::vector<std::thread> threads;
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> depth{0};

    std::mutex sweep_mutex;
    std::condition_variable sweep_cv;

    metrics::Histogram& latency = metrics::global().histogram(
        "sapo_event_handling_seconds",
        "Time to handle one event: transaction plus sending its messages",
        metrics::latency_buckets()
    );

    Impl(DispatcherOptions o, RepositoryFactory f, line::Client& l, const EventHandler& h)
        : options(o), make_repository(std::move(f)), line(l), handler(h) {
        for (int i = 0; i < options.workers; ++i) queues.push_back(std::make_unique<KeyQueue>());
    }

    KeyQueue& queue_for(const std::string& key) {
        return *queues[std::hash<std::string>{}(key) % queues.size()];
    }

    void enqueue(const std::string& key) {
        auto& q = queue_for(key);
        {
            std::lock_guard lock(q.mutex);
            if (!q.queued.insert(key).second) return;
            q.keys.push_back(key);
        }
        depth++;
        q.cv.notify_one();
    }

    void worker(KeyQueue& q) {
        // ICU builds its katakana transliterator on a thread's first use (~10 ms): not in
        // somebody's conversation.
        flows::normalize("ア");
        auto repo = make_repository();
        for (;;) {
            std::vector<std::string> keys;
            {
                std::unique_lock lock(q.mutex);
                q.cv.wait(lock, [&] { return stopping || !q.keys.empty(); });
                if (q.keys.empty()) return;  // stopping and drained
                // Several keys at once: their events are handled in one transaction.
                while (!q.keys.empty() && keys.size() < static_cast<std::size_t>(options.batch_size)) {
                    keys.push_back(std::move(q.keys.front()));
                    q.keys.pop_front();
                    // Removed before handling: a notification arriving meanwhile queues the key
                    // again, so an event committed after our last look is never left behind.
                    q.queued.erase(keys.back());
                }
            }
            depth -= keys.size();
            drain_keys(*repo, std::move(keys));
        }
    }

    /// Handles the keys' pending events, oldest first within each key, until none is left.
    void drain_keys(storage::Repository& repo, std::vector<std::string> keys) {
        while (!keys.empty()) {
            auto started = std::chrono::steady_clock::now();
            std::vector<storage::Handled> handled;
            try {
                handled = repo.handle_batch(
                    keys,
                    [&](const storage::StoredEvent& e, const std::optional<storage::UserRecord>& u,
                        storage::ConversationStore& store) { return handler.decide(e, u, store); },
                    options.max_attempts
                );
            } catch (const storage::StorageError& e) {
                // The sweeper brings the keys back once the database answers again.
                log::warn("event handling deferred", {{"keys", std::to_string(keys.size())}, {"error", e.what()}});
                handled_counter("deferred").inc(keys.size());
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                return;
            }
            // a key that had an event may have more
            std::vector<std::string> again;
            std::vector<storage::Repository::Delivery> deliveries;  // recorded together, after the sends
            int retry_attempt = 0;
            for (auto& h : handled) {
                again.push_back(h.event.ordering_key);
                if (h.failed) {
                    handled_counter(h.gave_up ? "failed" : "retry").inc();
                    log::warn(
                        h.gave_up ? "event failed, giving up" : "event handler failed, will retry",
                        {{"event_id", h.event.webhook_event_id},
                         {"type", h.event.event_type},
                         {"attempt", std::to_string(h.event.attempts + 1)},
                         {"error", h.error}}
                    );
                    if (!h.gave_up) retry_attempt = std::max(retry_attempt, h.event.attempts + 1);
                    continue;
                }
                handled_counter("processed").inc();
                log::debug("event processed", {{"event_id", h.event.webhook_event_id}, {"type", h.event.event_type}});
                // What did not fit in the reply follows it, and only if the reply went out: a
                // continuation without its beginning would confuse more than it helps.
                bool delivered = true;
                for (const auto& item : h.outbox) {
                    if (delivered) {
                        auto outcome = deliver_outbox_item(line, item, options.reply_token_max_age);
                        delivered = outcome.status == "sent";
                        deliveries.push_back({item.id, outcome.status, outcome.error});
                    } else {
                        deliveries.push_back({item.id, "expired", "the messages before it were not delivered"});
                    }
                }
            }
            try {
                repo.finish_outbox_many(deliveries);
            } catch (const storage::StorageError& e) {
                // Left 'sending': reclaimed later, and a repeated push carries the same retry key.
                log::warn("could not record deliveries", {{"count", std::to_string(deliveries.size())}, {"error", e.what()}});
            }
            if (!handled.empty()) {
                auto each = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() /
                            static_cast<double>(handled.size());
                for (std::size_t i = 0; i < handled.size(); ++i) latency.observe(each);
            }
            if (retry_attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50 * retry_attempt));
            keys = std::move(again);
        }
    }

    /// Sends an outbox item and records the outcome; true when it was sent.
    bool deliver(storage::Repository& repo, const storage::OutboxItem& item) {
        auto outcome = deliver_outbox_item(line, item, options.reply_token_max_age);
        finish(repo, item.id, outcome.status, outcome.error);
        return outcome.status == "sent";
    }

    void finish(storage::Repository& repo, std::int64_t id, const std::string& status, const std::string& error) {
        try {
            repo.finish_outbox(id, status, error);
        } catch (const storage::StorageError& e) {
            // Left 'sending': reclaimed later, and a repeated push carries the same retry key.
            log::warn("could not record a delivery", {{"outbox_id", std::to_string(id)}, {"error", e.what()}});
        }
    }

    void sweeper() {
        auto repo = make_repository();
        for (;;) {
            try {
                for (const auto& key : repo->pending_keys(1000)) enqueue(key);
                if (int purged = repo->purge_expired_sessions(1000)) {
                    log::info("expired sessions deleted", {{"count", std::to_string(purged)}});
                }
                for (const auto& item : repo->reclaim_outbox(options.outbox_reclaim_after, 100)) {
                    log::info("resending an outbox item", {{"outbox_id", std::to_string(item.id)}});
                    deliver(*repo, item);
                }
            } catch (const storage::StorageError& e) {
                log::warn("sweep failed", {{"error", e.what()}});
            }
            std::unique_lock lock(sweep_mutex);
            if (sweep_cv.wait_for(lock, options.sweep_interval, [&] { return stopping.load(); })) return;
        }
    }
};

Dispatcher::Dispatcher(
    DispatcherOptions options,
    RepositoryFactory make_repository,
    line::Client& line,
    const EventHandler& handler
)
    : impl_(std::make_unique<Impl>(options, std::move(make_repository), line, handler)) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
    for (auto& q : impl_->queues) {
        impl_->threads.emplace_back([this, qp = q.get()] { impl_->worker(*qp); });
    }
    impl_->threads.emplace_back([this] { impl_->sweeper(); });
    metrics::global().gauge(
        "sapo_dispatch_queue_depth", "Keys with new events waiting for a worker", [this] {
            return static_cast<double>(impl_->depth.load());
        }
    );
}

void Dispatcher::notify(const std::vector<std::string>& keys) {
    for (const auto& k : keys) impl_->enqueue(k);
}

void Dispatcher::stop() {
    if (impl_->stopping.exchange(true)) return;
    for (auto& q : impl_->queues) {
        std::lock_guard lock(q->mutex);
        q->cv.notify_all();
    }
    {
        std::lock_guard lock(impl_->sweep_mutex);
        impl_->sweep_cv.notify_all();
    }
    for (auto& t : impl_->threads) t.join();
    impl_->threads.clear();
    metrics::global().gauge("sapo_dispatch_queue_depth", "Keys with new events waiting for a worker", [] {
        return 0.0;
    });
}

std::size_t Dispatcher::queue_depth() const { return impl_->depth.load(); }

}  // namespace sapo::dispatch
