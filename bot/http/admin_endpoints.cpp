#include "bot/http/admin_endpoints.hpp"
#include "bot/http/admin_replies.hpp"

#include <boost/asio/post.hpp>

#include <openssl/crypto.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>

#include "bot/dispatch/flow_setup.hpp"
#include "bot/log.hpp"
#include "flows/loader.hpp"
#include "flows/value.hpp"
#include "storage/errors.hpp"

namespace sapo::http {

namespace bhttp = boost::beast::http;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using admin::message;
using admin::not_allowed;
using admin::reply;
using admin::write_string;

namespace {

constexpr std::string_view kPrefix = "/admin/api/";


void write_problems(Writer& w, const std::vector<flows::Problem>& problems) {
    w.Key("problems");
    w.StartArray();
    for (const auto& p : problems) {
        w.StartObject();
        w.Key("node");
        if (p.node.empty()) w.Null();
        else write_string(w, p.node);
        w.Key("message");
        write_string(w, p.message);
        w.EndObject();
    }
    w.EndArray();
}

/// The operator's name for the audit log: printable, at most 64 bytes, cut between characters.
/// nullopt when the header is not UTF-8.
std::optional<std::string> operator_name(const Request& req) {
    auto h = req.find("X-Operator");
    std::string name = h == req.end() ? "" : std::string(h->value());
    if (!flows::is_valid_utf8(name)) return std::nullopt;
    std::string clean;
    for (char c : name) {
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) clean += c;
    }
    if (clean.size() > 64) {
        std::size_t cut = 64;
        while (cut > 0 && (static_cast<unsigned char>(clean[cut]) & 0xC0) == 0x80) --cut;
        clean.resize(cut);
    }
    return clean.empty() ? "admin-token" : "admin:" + clean;
}


bool valid_flow_id(const std::string& id) {
    if (id.empty() || id.size() > 40) return false;
    for (char c : id) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

}  // namespace

bool AdminEndpoints::handle(const Request& req, const std::string& path, const Respond& respond) {
    if (path.rfind(kPrefix, 0) != 0 && path != "/admin/api") return false;
    if (token_.empty()) {
        auto res = message(req, 401, "the admin API is off: start sapo with SAPO_ADMIN_TOKEN set");
        res.set(bhttp::field::www_authenticate, "Bearer");
        respond(std::move(res));
        return true;
    }
    auto auth = req.find(bhttp::field::authorization);
    std::string given = auth == req.end() ? "" : std::string(auth->value());
    const std::string expected = "Bearer " + token_;
    if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) {
        auto res = message(req, 401, "missing or wrong bearer token (Authorization: Bearer <SAPO_ADMIN_TOKEN>)");
        res.set(bhttp::field::www_authenticate, "Bearer");
        respond(std::move(res));
        return true;
    }
    if (!operator_name(req)) {
        respond(message(req, 400, "the X-Operator header must be UTF-8 text"));
        return true;
    }
    // Off the I/O thread: an approval freezing 100,000 recipients takes a second or two, and the
    // webhook must not wait behind it. One thread keeps operators' actions in arrival order.
    boost::asio::post(worker_, [this, req, path, respond] {
        try {
            respond(route(req, path));
        } catch (const storage::StorageError& e) {
            log::warn("admin API: database error", {{"path", path}, {"error", e.what()}});
            respond(message(req, 503, "the database is not available; try again"));
        } catch (const std::exception& e) {
            // never out of here: an exception on the worker would end the service
            log::error("admin API: unexpected error", {{"path", path}, {"error", e.what()}});
            respond(message(req, 500, "internal error; nothing was changed"));
        }
    });
    return true;
}

AdminEndpoints::~AdminEndpoints() { worker_.join(); }

Response AdminEndpoints::route(const Request& req, const std::string& path) {
    const auto method = req.method();
    auto rest = path.substr(std::min(path.size(), kPrefix.size()));
    if (facilities_ && (rest == "facilities" || rest.rfind("facilities/", 0) == 0)) {
        return facilities_->handle(req, rest.substr(10), *operator_name(req));
    }
    if (notifications_ && (rest == "notifications" || rest.rfind("notifications/", 0) == 0)) {
        return notifications_->handle(req, rest.substr(13), *operator_name(req));
    }
    if (notifications_ && rest == "notification-templates") return notifications_->templates(req);
    if (health_ && (rest == "patients" || rest.rfind("patients/", 0) == 0)) {
        return health_->patients(req, rest.substr(8), *operator_name(req));
    }
    if (health_ && rest.rfind("health/", 0) == 0) return health_->health(req, rest.substr(7));
    if (health_ && (rest == "alerts" || rest.rfind("alerts/", 0) == 0)) {
        return health_->alerts(req, rest.substr(6), *operator_name(req));
    }
    if (support_ && rest.rfind("questionnaire/", 0) == 0) return support_->handle(req, rest.substr(14));
    if (faq_ && (rest == "faq" || rest.rfind("faq/", 0) == 0)) return faq_->handle(req, rest.substr(3), *operator_name(req));
    if (rest == "flows") {
        if (method != bhttp::verb::get) return not_allowed(req, "GET");
        return list_flows(req);
    }
    if (rest.rfind("flows/", 0) == 0) {
        auto tail = rest.substr(6);
        auto slash = tail.find('/');
        auto id = tail.substr(0, slash);
        auto action = slash == std::string::npos ? "" : tail.substr(slash + 1);
        if (!valid_flow_id(id)) return message(req, 404, "no flow \"" + id + "\"");
        if (action == "draft") {
            if (method == bhttp::verb::get) return get_draft(req, id);
            if (method == bhttp::verb::put) return put_draft(req, id);
            return not_allowed(req, "GET, PUT");
        }
        if (action == "validate" || action == "publish") {
            if (method != bhttp::verb::post) return not_allowed(req, "POST");
            return action == "validate" ? validate(req, id) : publish(req, id);
        }
    }
    return message(req, 404, "not found");
}

Response AdminEndpoints::list_flows(const Request& req) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("flows");
    w.StartArray();
    for (const auto& f : flows_.list()) {
        w.StartObject();
        w.Key("id");
        write_string(w, f.flow_id);
        w.Key("published_version");
        if (f.published_version) w.Int(f.published_version);
        else w.Null();
        w.Key("draft_version");
        if (f.draft_version) w.Int(f.draft_version);
        else w.Null();
        w.Key("updated_at");
        write_string(w, f.updated_at);
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return reply(req, 200, buf.GetString());
}

Response AdminEndpoints::get_draft(const Request& req, const std::string& id) {
    auto draft = flows_.draft(id);
    if (!draft) return message(req, 404, "flow \"" + id + "\" has no draft");
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("id");
    write_string(w, id);
    w.Key("version");
    w.Int(draft->version);
    w.Key("status");
    w.String("draft");
    w.Key("updated_by");
    write_string(w, draft->created_by);
    w.Key("updated_at");
    write_string(w, draft->updated_at);
    w.Key("definition");
    // stored only after it parsed as JSON, so it can be embedded as it is
    w.RawValue(draft->definition.data(), draft->definition.size(), rapidjson::kObjectType);
    w.EndObject();
    return reply(req, 200, buf.GetString());
}

Response AdminEndpoints::put_draft(const Request& req, const std::string& id) {
    const auto& body = req.body();
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
    if (doc.HasParseError() && doc.GetParseError() == rapidjson::kParseErrorStringInvalidEncoding) {
        return message(req, 400, "the body is not UTF-8 text");
    }
    if (doc.HasParseError() || !doc.IsObject()) {
        return message(req, 400, "the body must be the flow as a JSON object (see flows/README.md)");
    }
    auto doc_id = doc.FindMember("id");
    if (doc_id == doc.MemberEnd() || !doc_id->value.IsString() || id != doc_id->value.GetString()) {
        return message(req, 422, "the flow's \"id\" must be \"" + id + "\", as in the URL");
    }
    auto result = flows_.put_draft(id, body, *operator_name(req), "flow.draft.put");
    // Saved even when invalid (a draft is work in progress); the problems come back at once.
    auto loaded = flows::load_flow(body, dispatch::make_flow_registry(effects_, dispatch::published_flow_ids(flows_, id)));
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("id");
    write_string(w, id);
    w.Key("version");
    w.Int(result.version);
    w.Key("changed");
    w.Bool(result.changed);
    w.Key("valid");
    w.Bool(loaded.problems.empty());
    write_problems(w, loaded.problems);
    w.EndObject();
    return reply(req, 200, buf.GetString());
}

Response AdminEndpoints::validate(const Request& req, const std::string& id) {
    std::string definition = req.body();
    if (definition.find_first_not_of(" \t\r\n") == std::string::npos) {
        auto draft = flows_.draft(id);
        if (!draft) return message(req, 404, "flow \"" + id + "\" has no draft; send the flow in the body to check it");
        definition = draft->definition;
    }
    auto loaded = flows::load_flow(definition, dispatch::make_flow_registry(effects_, dispatch::published_flow_ids(flows_, id)));
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("valid");
    w.Bool(loaded.problems.empty());
    write_problems(w, loaded.problems);
    w.EndObject();
    return reply(req, loaded.problems.empty() ? 200 : 422, buf.GetString());
}

Response AdminEndpoints::publish(const Request& req, const std::string& id) {
    auto actor = *operator_name(req);
    auto r = dispatch::publish_draft(flows_, effects_, id, actor);
    switch (r.status) {
        case dispatch::PublishResult::Status::no_draft:
            return message(req, 404, "flow \"" + id + "\" has no draft to publish");
        case dispatch::PublishResult::Status::conflict:
            return message(req, 409, "the draft changed while publishing; check it and publish again");
        case dispatch::PublishResult::Status::invalid: {
            rapidjson::StringBuffer buf;
            Writer w(buf);
            w.StartObject();
            w.Key("message");
            write_string(w, "version " + std::to_string(r.version) + " of \"" + id + "\" is not valid; nothing was published");
            write_problems(w, r.problems);
            w.EndObject();
            return reply(req, 422, buf.GetString());
        }
        case dispatch::PublishResult::Status::published:
            break;
    }
    if (on_publish_) on_publish_();
    log::info("flow published", {{"flow", id}, {"version", std::to_string(r.version)}, {"by", actor}});
    return reply(req, 200, "{\"id\":\"" + id + "\",\"version\":" + std::to_string(r.version) + ",\"status\":\"published\"}");
}

}  // namespace sapo::http
