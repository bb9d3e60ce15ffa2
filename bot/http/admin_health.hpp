#pragma once
/// @file
/// @brief The daily health report for health-centre operators: /admin/api/patients (register,
/// list, read, extend or end monitoring, a new enrollment code), /admin/api/health/reports (a
/// day's reports, JSON or CSV), /admin/api/health/missing (who to call), /admin/api/health/prompts
/// (run a slot now) and /admin/api/alerts (red flags, acknowledge). Reached through
/// AdminEndpoints (bearer token, X-Operator). LINE user ids are never shown.

#include <string>

#include "bot/health/scheduler.hpp"
#include "bot/http/server.hpp"
#include "flows/clock.hpp"
#include "storage/health_store.hpp"

namespace sapo::http {

struct AdminHealthSettings {
    int code_valid_days = 14;
    int missing_minute = 12 * 60;  ///< from then on today's no-answer list holds everyone missing
};

class AdminHealth {
public:
    AdminHealth(storage::HealthStore& store, health::HealthScheduler& scheduler, const Clock& clock,
                AdminHealthSettings settings)
        : store_(store), scheduler_(scheduler), clock_(clock), settings_(settings) {}

    /// `rest`: the path after /admin/api/patients ("" or "/{id}" or "/{id}/enrollment-code").
    Response patients(const Request& req, const std::string& rest, const std::string& actor);
    /// `rest`: the path after /admin/api/health/ ("reports", "reports.csv", "missing", "prompts").
    Response health(const Request& req, const std::string& rest);
    /// `rest`: the path after /admin/api/alerts ("" or "/{id}/ack").
    Response alerts(const Request& req, const std::string& rest, const std::string& actor);

private:
    Response create_patient(const Request& req, const std::string& actor);
    Response update_patient(const Request& req, std::int64_t id, const std::string& actor);
    Response reports(const Request& req, bool csv);
    Response missing(const Request& req);
    Response prompts(const Request& req);
    std::string today() const;

    storage::HealthStore& store_;
    health::HealthScheduler& scheduler_;
    const Clock& clock_;
    AdminHealthSettings settings_;
};

/// A day's reports as the health centre's CSV: a header row, then one row per patient (UTF-8 with
/// a byte-order mark, so spreadsheet programs read the Japanese correctly).
std::string day_reports_csv(const std::string& date, const std::vector<storage::DayReport>& reports);

}  // namespace sapo::http
