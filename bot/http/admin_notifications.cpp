#include "bot/http/admin_notifications.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <map>

#include "bot/http/admin_replies.hpp"
#include "bot/log.hpp"

namespace sapo::http {

namespace bhttp = boost::beast::http;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using admin::message;
using admin::not_allowed;
using admin::parse_id;
using admin::reply;
using admin::write_string;

namespace {


/// `key: {"ja": ja, "en": en}`: every user-facing text comes in both languages.
void write_texts(Writer& w, const char* key, const std::string& ja, const std::string& en) {
    w.Key(key);
    w.StartObject();
    w.Key("ja");
    write_string(w, ja);
    w.Key("en");
    write_string(w, en);
    w.EndObject();
}

void write_or_null(Writer& w, const std::string& s) {
    if (s.empty()) w.Null();
    else write_string(w, s);
}


/// 422 with one sentence per field (several problems of one field joined).
Response invalid(const Request& req, const std::vector<notify::DraftProblem>& problems) {
    std::map<std::string, std::string> errors;
    for (const auto& p : problems) {
        auto& e = errors[p.field];
        e += (e.empty() ? "" : "; ") + p.message;
    }
    return admin::invalid_fields(req, "the notification", errors);
}

/// Reads the create body; problems for anything malformed.
notify::DraftRequest read_request(const rapidjson::Document& doc, std::vector<notify::DraftProblem>& problems) {
    notify::DraftRequest r;
    static const std::map<std::string, std::string notify::DraftRequest::*> kText{
        {"date", &notify::DraftRequest::date}, {"from", &notify::DraftRequest::from},
        {"to", &notify::DraftRequest::to}, {"template", &notify::DraftRequest::template_id}};
    for (const auto& m : doc.GetObject()) {
        const std::string name = m.name.GetString();
        if (name == "facility_id") {
            if (!m.value.IsInt64() || m.value.GetInt64() <= 0) problems.push_back({name, "facility_id must be a facility's id (a positive integer)"});
            else r.facility_id = m.value.GetInt64();
        } else if (name == "params") {
            if (!m.value.IsObject()) {
                problems.push_back({name, "params must be an object of text values, e.g. {\"phone\": \"03-1234-5678\"}"});
                continue;
            }
            for (const auto& p : m.value.GetObject()) {
                if (!p.value.IsString()) problems.push_back({std::string("params.") + p.name.GetString(), "must be text"});
                else r.params[p.name.GetString()] = std::string(p.value.GetString(), p.value.GetStringLength());
            }
        } else if (auto f = kText.find(name); f != kText.end()) {
            if (!m.value.IsString()) problems.push_back({name, name + " must be text"});
            else r.*(f->second) = std::string(m.value.GetString(), m.value.GetStringLength());
        } else {
            problems.push_back({name, "unknown field; use facility_id, date, from, to, template, params"});
        }
    }
    for (const char* required : {"facility_id", "date", "from", "to", "template"}) {
        if (!doc.HasMember(required)) problems.push_back({required, std::string(required) + " is required"});
    }
    return r;
}

}  // namespace

std::string notification_json(const storage::NotificationRecord& n, std::optional<std::int64_t> targets) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("id");
    w.Int64(n.id);
    w.Key("facility");
    w.StartObject();
    w.Key("id");
    w.Int64(n.facility_id);
    w.Key("name");
    write_string(w, n.facility_name);
    w.EndObject();
    for (auto [key, value] : {std::pair<const char*, const std::string*>{"date", &n.window_date}, {"from", &n.window_from},
                              {"to", &n.window_to}, {"template", &n.template_id}, {"status", &n.status},
                              {"requested_by", &n.requested_by}}) {
        w.Key(key);
        write_string(w, *value);
    }
    w.Key("params");
    w.RawValue(n.params_json.data(), n.params_json.size(), rapidjson::kObjectType);
    w.Key("requested_in_line");
    w.Bool(n.requested_in_line);
    w.Key("approved_by");
    write_or_null(w, n.approved_by);
    w.Key("cancelled_by");
    write_or_null(w, n.cancelled_by);
    w.Key("targets");
    if (targets) w.Int64(*targets);
    else w.Null();
    w.Key("targets_frozen");
    w.Bool(n.targets.has_value());
    w.Key("sent");
    w.Int64(n.sent);
    w.Key("failed");
    w.Int64(n.failed);
    w.Key("batches");
    w.StartObject();
    for (auto [key, value] : {std::pair<const char*, int>{"total", n.batches.total}, {"pending", n.batches.pending},
                              {"accepted", n.batches.accepted}, {"failed", n.batches.failed},
                              {"cancelled", n.batches.cancelled}}) {
        w.Key(key);
        w.Int(value);
    }
    w.EndObject();
    write_texts(w, "preview", n.text_ja, n.text_en);
    w.Key("created_at");
    write_string(w, n.created_at);
    w.Key("approved_at");
    write_or_null(w, n.approved_at);
    w.Key("finished_at");
    write_or_null(w, n.finished_at);
    w.EndObject();
    return buf.GetString();
}

Response AdminNotifications::templates(const Request& req) {
    if (req.method() != bhttp::verb::get) return not_allowed(req, "GET");
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("templates");
    w.StartArray();
    for (const auto& [id, t] : notify::shipped_notification_templates()) {
        w.StartObject();
        w.Key("id");
        write_string(w, id);
        write_texts(w, "title", t.title_ja, t.title_en);
        w.Key("source");
        write_string(w, t.source);
        w.Key("params");
        w.StartArray();
        for (const auto& p : t.params) {
            w.StartObject();
            w.Key("name");
            write_string(w, p.name);
            w.Key("default");
            write_string(w, p.default_value);
            write_texts(w, "description", p.description_ja, p.description_en);
            w.EndObject();
        }
        w.EndArray();
        write_texts(w, "text", t.text_ja, t.text_en);
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return reply(req, 200, buf.GetString());
}

Response AdminNotifications::handle(const Request& req, const std::string& rest, const std::string& actor) {
    const auto method = req.method();
    if (rest.empty()) {
        if (method == bhttp::verb::get) return list(req);
        if (method == bhttp::verb::post) return create(req, actor);
        return not_allowed(req, "GET, POST");
    }
    auto parts = rest.substr(1);
    auto slash = parts.find('/');
    auto id = parse_id(parts.substr(0, slash));
    if (!id) return message(req, 404, "no notification \"" + parts.substr(0, slash) + "\"");
    auto action = slash == std::string::npos ? "" : parts.substr(slash + 1);
    if (action.empty()) {
        if (method != bhttp::verb::get) return not_allowed(req, "GET");
        auto n = service_.get(*id);
        if (!n) return message(req, 404, "no notification " + std::to_string(*id));
        return reply(req, 200, notification_json(*n, service_.targets(*n)));
    }
    if (action != "approve" && action != "cancel") return message(req, 404, "not found");
    if (method != bhttp::verb::post) return not_allowed(req, "POST");
    auto result = action == "approve" ? service_.approve(*id, actor) : service_.cancel(*id, actor);
    using Kind = notify::ActionResult::Kind;
    if (result.kind == Kind::not_found) return message(req, 404, result.message);
    if (result.kind == Kind::forbidden) return message(req, 403, result.message);
    if (result.kind == Kind::conflict) return message(req, 409, result.message);
    log::info(action == "approve" ? "notification approved" : "notification cancelled",
              {{"notification", std::to_string(*id)}, {"by", actor}});
    if (action == "approve" && on_approved_) on_approved_();
    return reply(req, 200, notification_json(*result.record, service_.targets(*result.record)));
}

Response AdminNotifications::create(const Request& req, const std::string& actor) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(req.body().data(), req.body().size());
    if (doc.HasParseError() && doc.GetParseError() == rapidjson::kParseErrorStringInvalidEncoding) {
        return message(req, 400, "the body is not UTF-8 text");
    }
    if (doc.HasParseError() || !doc.IsObject()) return message(req, 400, "the body must be a JSON object");
    std::vector<notify::DraftProblem> problems;
    auto request = read_request(doc, problems);
    if (!problems.empty()) return invalid(req, problems);
    request.requested_by = actor;
    auto result = service_.create(request);
    if (!result.problems.empty()) return invalid(req, result.problems);
    log::info("notification drafted", {{"notification", std::to_string(result.record->id)}, {"by", actor},
                                       {"targets", std::to_string(result.targets)}});
    auto res = reply(req, 201, notification_json(*result.record, result.targets));
    res.set(bhttp::field::location, "/admin/api/notifications/" + std::to_string(result.record->id));
    return res;
}

Response AdminNotifications::list(const Request& req) {
    std::string body = "{\"notifications\":[";
    bool first = true;
    for (const auto& n : service_.list(200)) {
        // the list shows the frozen count (null for a draft, whose live count is on GET /{id})
        std::optional<std::int64_t> targets;
        if (n.targets) targets = *n.targets;
        body += (first ? "" : ",") + notification_json(n, targets);
        first = false;
    }
    return reply(req, 200, body + "]}");
}

}  // namespace sapo::http
