#pragma once
/// @file
/// @brief The public pages of a facility, reached by its check-in code (which nobody can
/// guess): /facilities/{code}/qr.png (what LINE shows as an image message), /qr.svg and /poster
/// (the printable A4 poster). No token: posters are printed by facility staff and LINE fetches
/// the image itself.

#include <string>

#include "bot/facility/links.hpp"
#include "bot/http/server.hpp"
#include "storage/facility_store.hpp"

namespace sapo::http {

class FacilityPages {
public:
    FacilityPages(storage::FacilityStore& store, const facility::LinkMaker& links) : store_(store), links_(links) {}

    /// True when the path is under /facilities/ (then `respond` has been called).
    bool handle(const Request& req, const std::string& path, const Respond& respond);

private:
    Response page(const Request& req, const std::string& code, const std::string& what);

    storage::FacilityStore& store_;
    const facility::LinkMaker& links_;
};

}  // namespace sapo::http
