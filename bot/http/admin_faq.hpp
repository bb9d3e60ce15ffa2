#pragma once
/// @file
/// @brief /admin/api/faq: read the FAQ, replace the whole set (PUT, checked first: 422 with
/// every problem), change one entry (PATCH), and /admin/api/faq/misses: the questions it could not
/// answer, similar ones grouped with counts. Reached through AdminEndpoints (bearer, audit).

#include <string>

#include "bot/http/server.hpp"
#include "storage/faq_store.hpp"

namespace sapo::http {

class AdminFaq {
public:
    explicit AdminFaq(storage::FaqStore& store) : store_(store) {}

    /// `rest` is the path after /admin/api/faq ("", "/misses" or "/{id}").
    Response handle(const Request& req, const std::string& rest, const std::string& actor);

private:
    Response replace(const Request& req, const std::string& actor);
    Response patch(const Request& req, const std::string& id, const std::string& actor);
    Response misses(const Request& req);

    storage::FaqStore& store_;
};

}  // namespace sapo::http
