#pragma once
/// @file
/// @brief The questionnaire's storage in memory, as an event's transaction would see it.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "storage/support_store.hpp"

namespace sapo::test {

class FakeSupportTx final : public storage::SupportTx {
public:
    struct Followup {
        std::string outcome;
        std::int64_t due_ms = 0;
        std::string status;
    };
    std::vector<storage::QuestionnaireAnswer> answers;
    std::map<std::string, Followup> followups;
    std::set<std::string> opted_out;

    void save_answer(const storage::QuestionnaireAnswer& a) override { answers.push_back(a); }
    bool schedule_followup(const std::string& user_id, const std::string& outcome, std::int64_t due_ms, std::int64_t) override {
        if (opted_out.count(user_id)) return false;
        followups[user_id] = {outcome, due_ms, "pending"};
        return true;
    }
    void drop_followup(const std::string& user_id) override {
        auto it = followups.find(user_id);
        if (it != followups.end() && it->second.status == "pending") followups.erase(it);
    }
    bool opt_out(const std::string& user_id, std::int64_t) override {
        opted_out.insert(user_id);
        auto it = followups.find(user_id);
        if (it == followups.end() || it->second.status != "pending") return false;
        it->second.status = "stopped";
        return true;
    }
};

}  // namespace sapo::test
