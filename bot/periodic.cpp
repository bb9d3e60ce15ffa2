#include "bot/periodic.hpp"

#include "bot/log.hpp"
#include "storage/errors.hpp"

namespace sapo {

Periodic::Periodic(std::string what, std::chrono::milliseconds interval, std::function<void()> job)
    : what_(std::move(what)), interval_(interval), job_(std::move(job)) {}

Periodic::~Periodic() { stop(); }

void Periodic::start() {
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            try {
                job_();
            } catch (const storage::StorageError& e) {
                log::warn(what_ + ": database error", {{"error", e.what()}});
            } catch (const std::exception& e) {
                log::error(what_ + ": unexpected error", {{"error", e.what()}});
            }
            lock.lock();
            cv_.wait_for(lock, interval_, [this] { return stopping_; });
        }
    });
}

void Periodic::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

}  // namespace sapo
