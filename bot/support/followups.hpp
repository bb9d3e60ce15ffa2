#pragma once
/// @file
/// @brief The questionnaire's follow-up: a thread that, within the configured hours (Asia/Tokyo),
/// pushes "how are you now?" to everyone whose follow-up is due (outcomes B and C, after a few
/// days), with a button to answer again and one to stop (配信停止). Storage marks each sent in the
/// transaction that queues its push, so it goes once whatever the number of instances.

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "bot/periodic.hpp"
#include "flows/clock.hpp"
#include "flows/value.hpp"
#include "storage/support_store.hpp"

namespace sapo::support {

struct FollowupSettings {
    int open_minute = 9 * 60;  ///< follow-ups go out from…
    int close_minute = 20 * 60;  ///< …until (Asia/Tokyo)
    std::chrono::milliseconds interval{30000};
};

/// The follow-up's messages (templates/support/followup.json) per language, a JSON array each.
std::map<std::string, std::string> followup_messages(const flows::Variables& globals);

class FollowupJob {
public:
    FollowupJob(FollowupSettings settings, std::unique_ptr<storage::SupportStore> store, const Clock& clock,
                std::map<std::string, std::string> messages);
    ~FollowupJob();
    FollowupJob(const FollowupJob&) = delete;
    FollowupJob& operator=(const FollowupJob&) = delete;

    void start();
    void stop();
    /// Sends what is due now, if now is within the hours. Returns how many.
    int tick();

private:
    FollowupSettings settings_;
    std::unique_ptr<storage::SupportStore> store_;
    const Clock& clock_;
    std::map<std::string, std::string> messages_;
    Periodic thread_;
};

}  // namespace sapo::support
