#include "bot/support/followups.hpp"

#include "bot/dispatch/flow_setup.hpp"
#include "bot/log.hpp"
#include "flows/tokyo_time.hpp"

namespace sapo::support {

std::map<std::string, std::string> followup_messages(const flows::Variables& globals) {
    return dispatch::shipped_message_json("support/followup.json", globals);
}

FollowupJob::FollowupJob(FollowupSettings settings, std::unique_ptr<storage::SupportStore> store, const Clock& clock,
                         std::map<std::string, std::string> messages)
    : settings_(settings),
      store_(std::move(store)),
      clock_(clock),
      messages_(std::move(messages)),
      thread_("questionnaire follow-ups", settings.interval, [this] { tick(); }) {}

FollowupJob::~FollowupJob() { stop(); }

int FollowupJob::tick() {
    const auto now = clock_.now_ms();
    const int minute = flows::tokyo_minute_of_day(now);
    if (minute < settings_.open_minute || minute >= settings_.close_minute) return 0;  // not at night
    const int sent = store_->send_due_followups(now, [this](const std::string& language) {
        auto it = messages_.find(language);
        return it != messages_.end() ? it->second : messages_.at("ja");
    });
    if (sent > 0) log::info("questionnaire follow-ups queued", {{"users", std::to_string(sent)}});
    return sent;
}

void FollowupJob::start() { thread_.start(); }

void FollowupJob::stop() { thread_.stop(); }

}  // namespace sapo::support
