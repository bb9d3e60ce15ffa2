#pragma once
/// @file
/// @brief The health report's storage in memory, as an event's transaction would see it: for
/// the decide and effect tests, which need no database.

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "storage/health_tx.hpp"

namespace sapo::test {

class FakeHealthTx final : public storage::HealthTx {
public:
    struct Linked {
        std::int64_t patient_id;
        std::string user_id;
    };
    struct Alert {
        std::int64_t patient_id;
        std::string run, reason, detail;
    };
    struct Push {
        std::string to, messages;
    };

    std::map<std::int64_t, storage::PatientRecord> patients;
    std::map<std::int64_t, std::string> user_of;  ///< patient id -> LINE user
    std::vector<std::pair<std::string, std::pair<std::int64_t, bool>>> attempts;  ///< user -> (ms, ok)
    std::vector<Alert> alerts;
    std::vector<Push> pushes;
    std::vector<storage::NewReport> reports;

    storage::PatientRecord& add_patient(std::int64_t id, const std::string& code, const std::string& from,
                                        const std::string& to) {
        storage::PatientRecord p;
        p.id = id;
        p.label = "P-" + std::to_string(id);
        p.monitoring_from = from;
        p.monitoring_to = to;
        p.enrollment_code = code;
        return patients[id] = p;
    }

    std::optional<storage::PatientRecord> patient_of(const std::string& user_id) override {
        for (auto it = user_of.rbegin(); it != user_of.rend(); ++it) {
            if (it->second == user_id && !patients.at(it->first).ended_ms) return patients.at(it->first);
        }
        return std::nullopt;
    }
    std::vector<std::int64_t> failed_attempts(const std::string& user_id, std::int64_t since_ms) override {
        std::vector<std::int64_t> out;
        for (const auto& [u, a] : attempts) {
            if (u == user_id && !a.second && a.first >= since_ms) out.push_back(a.first);
        }
        std::sort(out.begin(), out.end());
        return out;
    }
    void record_attempt(const std::string& user_id, std::int64_t at_ms, bool ok) override {
        attempts.push_back({user_id, {at_ms, ok}});
    }
    std::optional<storage::PatientRecord> patient_by_code(const std::string& code) override {
        for (const auto& [id, p] : patients) {
            if (p.enrollment_code == code) return p;
        }
        return std::nullopt;
    }
    void link(std::int64_t patient_id, const std::string& user_id, std::int64_t at_ms, const std::string& today) override {
        for (auto& [id, u] : user_of) {
            if (u == user_id && patients.at(id).monitoring_to < today) patients.at(id).ended_ms = at_ms;
        }
        user_of[patient_id] = user_id;
        auto& p = patients.at(patient_id);
        p.enrolled = true;
        p.enrolled_ms = at_ms;
        p.enrollment_code.reset();
    }
    bool raise_alert(std::int64_t patient_id, const std::string& run, const std::string& reason, const std::string& detail,
                     std::int64_t) override {
        for (const auto& a : alerts) {
            if (a.patient_id == patient_id && a.run == run && a.reason == reason) return false;
        }
        alerts.push_back({patient_id, run, reason, detail});
        return true;
    }
    void queue_push(const std::string& to, const std::string& messages_json) override { pushes.push_back({to, messages_json}); }
    std::int64_t save_report(const storage::NewReport& report) override {
        reports.push_back(report);
        return static_cast<std::int64_t>(reports.size());
    }
};

}  // namespace sapo::test
