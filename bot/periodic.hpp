#pragma once
/// @file
/// @brief A background thread that runs a job at start and then every interval until stopped;
/// a database error or any other exception is logged and the job runs again next time.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace sapo {

class Periodic {
public:
    /// `what` names the job in logs ("health scheduler").
    Periodic(std::string what, std::chrono::milliseconds interval, std::function<void()> job);
    ~Periodic();  ///< stops
    Periodic(const Periodic&) = delete;
    Periodic& operator=(const Periodic&) = delete;

    void start();
    /// Lets a run in progress finish, then joins.
    void stop();

private:
    std::string what_;
    std::chrono::milliseconds interval_;
    std::function<void()> job_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
};

}  // namespace sapo
