#pragma once
/// @file
/// @brief /admin/api/facilities: register facilities and hand out their check-in code, QR code
/// and poster; change and close them. Reached through AdminEndpoints (bearer token, audit).

#include <string>

#include "bot/facility/links.hpp"
#include "bot/http/server.hpp"
#include "storage/facility_store.hpp"

namespace sapo::http {

class AdminFacilities {
public:
    /// `line_basic_id_set`: whether check-in URLs can be made (the bot's basic id is configured).
    AdminFacilities(storage::FacilityStore& store, const facility::LinkMaker& links, bool line_basic_id_set)
        : store_(store), links_(links), basic_id_set_(line_basic_id_set) {}

    /// `rest` is the path after /admin/api/facilities ("" or "/{id}" or "/{id}/close").
    Response handle(const Request& req, const std::string& rest, const std::string& actor);

private:
    Response create(const Request& req, const std::string& actor);
    Response list(const Request& req);
    Response one(const Request& req, std::int64_t id);
    Response patch(const Request& req, std::int64_t id, const std::string& actor);
    Response close(const Request& req, std::int64_t id, const std::string& actor);
    std::string facility_json(const storage::FacilityRecord& f) const;

    storage::FacilityStore& store_;
    const facility::LinkMaker& links_;
    bool basic_id_set_;
};

/// The kinds of facility operators and managers choose from.
const std::vector<std::string>& facility_kinds();

}  // namespace sapo::http
