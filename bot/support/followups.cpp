#include "bot/support/followups.hpp"

#include <stdexcept>

#include "bot/assets.hpp"
#include "bot/log.hpp"
#include "flows/loader.hpp"
#include "flows/render.hpp"
#include "flows/tokyo_time.hpp"
#include "storage/errors.hpp"

namespace sapo::support {

std::map<std::string, std::string> followup_messages(const flows::Variables& globals) {
    for (const auto& file : assets::shipped_templates()) {
        if (file.path != "support/followup.json") continue;
        std::vector<std::string> problems;
        auto t = flows::load_template(file.content, problems);
        if (!t) throw std::runtime_error("templates/support/followup.json: " + (problems.empty() ? "unreadable" : problems.front()));
        auto lookup = [&globals](std::string_view name) {
            auto it = globals.find(name);
            return it == globals.end() ? flows::Value{} : it->second;
        };
        std::map<std::string, std::string> out;
        for (const char* language : {"ja", "en"}) out[language] = "[" + flows::render_template(*t, language, {}, lookup) + "]";
        return out;
    }
    throw std::runtime_error("templates/support/followup.json is not built into this sapo");
}

FollowupJob::FollowupJob(FollowupSettings settings, std::unique_ptr<storage::SupportStore> store, const Clock& clock,
                         std::map<std::string, std::string> messages)
    : settings_(settings), store_(std::move(store)), clock_(clock), messages_(std::move(messages)) {}

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

void FollowupJob::start() {
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            lock.unlock();
            try {
                tick();
            } catch (const storage::StorageError& e) {
                log::warn("questionnaire follow-ups: database error", {{"error", e.what()}});
            } catch (const std::exception& e) {
                log::error("questionnaire follow-ups: unexpected error", {{"error", e.what()}});
            }
            lock.lock();
            cv_.wait_for(lock, settings_.interval, [this] { return stopping_; });
        }
    });
}

void FollowupJob::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

}  // namespace sapo::support
