#pragma once
/// @file
/// @brief /admin/api/questionnaire/summary (and summary.csv): the personal-support
/// questionnaire's consented answers counted by day, 3-digit postal area and outcome, small cells
/// suppressed (bot/support/summary). Never single answers, never users.

#include <string>

#include "bot/http/server.hpp"
#include "flows/clock.hpp"
#include "storage/support_store.hpp"

namespace sapo::http {

class AdminSupport {
public:
    AdminSupport(storage::SupportStore& store, const Clock& clock) : store_(store), clock_(clock) {}

    /// `rest`: the path after /admin/api/questionnaire/ ("summary" or "summary.csv").
    Response handle(const Request& req, const std::string& rest);

private:
    storage::SupportStore& store_;
    const Clock& clock_;
};

}  // namespace sapo::http
