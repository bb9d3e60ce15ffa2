#include "bot/http/admin_facilities.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <map>

#include "bot/http/admin_replies.hpp"
#include "bot/log.hpp"
#include "bot/phone_number.hpp"
#include "flows/normalize.hpp"
#include "flows/value.hpp"

namespace sapo::http {

namespace bhttp = boost::beast::http;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using admin::message;
using admin::not_allowed;
using admin::parse_id;
using admin::reply;
using admin::write_string;

namespace {


bool has_control(const std::string& s) {
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) return true;
    }
    return false;
}


bool valid_user_id(const std::string& s) {
    if (s.size() != 33 || s[0] != 'U') return false;
    for (std::size_t i = 1; i < s.size(); ++i) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

/// Reads and checks the fields of a create (all required but phone and manager) or a patch
/// (all optional); one sentence per bad field.
struct FacilityInput {
    storage::FacilityPatch fields;
    std::map<std::string, std::string> errors;
};

FacilityInput read_input(const rapidjson::Document& doc, bool creating) {
    FacilityInput in;
    static const std::map<std::string, std::optional<std::string> storage::FacilityPatch::*> kFields{
        {"name", &storage::FacilityPatch::name},       {"kind", &storage::FacilityPatch::kind},
        {"address", &storage::FacilityPatch::address}, {"phone", &storage::FacilityPatch::phone},
        {"manager_user_id", &storage::FacilityPatch::manager_user_id},
    };
    for (const auto& m : doc.GetObject()) {
        std::string name = m.name.GetString();
        auto field = kFields.find(name);
        if (field == kFields.end()) {
            in.errors[name] = "unknown field; use name, kind, address, phone, manager_user_id";
            continue;
        }
        if (!m.value.IsString()) {
            in.errors[name] = "must be text";
            continue;
        }
        std::string v(m.value.GetString(), m.value.GetStringLength());
        if (!flows::is_valid_utf8(v) || has_control(v)) {
            in.errors[name] = "must be one line of text";
            continue;
        }
        in.fields.*(field->second) = v;
    }
    const auto& f = in.fields;
    auto check = [&](const char* name, const std::optional<std::string>& v, bool required, auto&& ok, const char* why) {
        if (in.errors.count(name)) return;
        if (!v) {
            if (required && creating) in.errors[name] = "is required";
            return;
        }
        if (!ok(*v)) in.errors[name] = why;
    };
    check("name", f.name, true, [](const std::string& v) { return !v.empty() && flows::label_length(v) <= 100; },
          "must be 1 to 100 characters");
    check("kind", f.kind, true, [](const std::string& v) {
        for (const auto& k : facility_kinds()) {
            if (k == v) return true;
        }
        return false;
    }, "must be one of 飲食店, 小売店, イベント, 公共施設, 宿泊施設, 医療・福祉, 教育, その他");
    check("address", f.address, false, [](const std::string& v) { return flows::label_length(v) <= 200; },
          "must be at most 200 characters");
    check("phone", f.phone, false, [](const std::string& v) { return v.empty() || is_phone_number(v); },
          "must be a phone number of digits and hyphens, e.g. 045-000-0000");
    check("manager_user_id", f.manager_user_id, false, [](const std::string& v) { return v.empty() || valid_user_id(v); },
          "must be a LINE user id (U followed by 32 hex digits)");
    return in;
}

Response invalid(const Request& req, const std::map<std::string, std::string>& errors) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("message");
    w.String("the facility is not valid; see errors");
    w.Key("errors");
    w.StartObject();
    for (const auto& [field, why] : errors) {
        write_string(w, field);
        write_string(w, why);
    }
    w.EndObject();
    w.EndObject();
    return reply(req, 422, buf.GetString());
}


/// The body as a JSON object; false for anything else, and for text that is not UTF-8 (a field
/// name would otherwise come back inside the 422's JSON).
bool parse_body(const Request& req, rapidjson::Document& doc) {
    doc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(req.body().data(), req.body().size());
    return !doc.HasParseError() && doc.IsObject();
}

}  // namespace

const std::vector<std::string>& facility_kinds() {
    static const std::vector<std::string> kinds{"飲食店", "小売店", "イベント", "公共施設", "宿泊施設", "医療・福祉", "教育", "その他"};
    return kinds;
}

std::string AdminFacilities::facility_json(const storage::FacilityRecord& f) const {
    auto l = links_.links(f.id);
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("id");
    w.Int64(f.id);
    for (auto [key, value] : {std::pair<const char*, const std::string*>{"name", &f.name}, {"kind", &f.kind},
                              {"address", &f.address}, {"phone", &f.phone}, {"status", &f.status},
                              {"created_at", &f.created_at}, {"updated_at", &f.updated_at}}) {
        w.Key(key);
        write_string(w, *value);
    }
    w.Key("manager_user_id");
    if (f.manager_user_id.empty()) w.Null();
    else write_string(w, f.manager_user_id);
    w.Key("closed_at");
    if (f.closed_at.empty()) w.Null();
    else write_string(w, f.closed_at);
    for (auto [key, value] : {std::pair<const char*, const std::string*>{"code", &l.code}, {"checkin_text", &l.checkin_text},
                              {"checkin_url", &l.checkin_url}, {"qr_svg_url", &l.qr_svg_url},
                              {"qr_png_url", &l.qr_png_url}, {"poster_url", &l.poster_url}}) {
        w.Key(key);
        write_string(w, *value);
    }
    w.EndObject();
    return buf.GetString();
}

Response AdminFacilities::handle(const Request& req, const std::string& rest, const std::string& actor) {
    const auto method = req.method();
    if (rest.empty()) {
        if (method == bhttp::verb::get) return list(req);
        if (method == bhttp::verb::post) return create(req, actor);
        return not_allowed(req, "GET, POST");
    }
    auto parts = rest.substr(1);
    auto slash = parts.find('/');
    auto id = parse_id(parts.substr(0, slash));
    if (!id) return message(req, 404, "no facility \"" + parts.substr(0, slash) + "\"");
    auto action = slash == std::string::npos ? "" : parts.substr(slash + 1);
    if (action.empty()) {
        if (method == bhttp::verb::get) return one(req, *id);
        if (method == bhttp::verb::patch) return patch(req, *id, actor);
        return not_allowed(req, "GET, PATCH");
    }
    if (action == "close") {
        if (method != bhttp::verb::post) return not_allowed(req, "POST");
        return close(req, *id, actor);
    }
    return message(req, 404, "not found");
}

Response AdminFacilities::create(const Request& req, const std::string& actor) {
    if (!basic_id_set_) {
        return message(req, 503, "the bot's LINE basic id is not configured (SAPO_LINE_BASIC_ID, e.g. @123abcde): "
                                 "check-in QR codes can't be made without it");
    }
    rapidjson::Document doc;
    if (!parse_body(req, doc)) return message(req, 400, "the body must be a UTF-8 JSON object");
    auto in = read_input(doc, true);
    if (!in.errors.empty()) return invalid(req, in.errors);
    storage::NewFacility f{*in.fields.name, *in.fields.kind, in.fields.address.value_or(""), in.fields.phone.value_or(""),
                           in.fields.manager_user_id.value_or("")};
    auto created = store_.create(f, actor);
    log::info("facility registered", {{"facility_id", std::to_string(created.id)}, {"by", actor}});
    auto res = reply(req, 201, facility_json(created));
    res.set(bhttp::field::location, "/admin/api/facilities/" + std::to_string(created.id));
    return res;
}

Response AdminFacilities::list(const Request& req) {
    std::string body = "{\"facilities\":[";
    bool first = true;
    for (const auto& f : store_.list()) {
        body += (first ? "" : ",") + facility_json(f);
        first = false;
    }
    return reply(req, 200, body + "]}");
}

Response AdminFacilities::one(const Request& req, std::int64_t id) {
    auto f = store_.get(id);
    if (!f) return message(req, 404, "no facility " + std::to_string(id));
    return reply(req, 200, facility_json(*f));
}

Response AdminFacilities::patch(const Request& req, std::int64_t id, const std::string& actor) {
    rapidjson::Document doc;
    if (!parse_body(req, doc)) return message(req, 400, "the body must be a UTF-8 JSON object");
    auto in = read_input(doc, false);
    if (!in.errors.empty()) return invalid(req, in.errors);
    auto f = store_.update(id, in.fields, actor);
    if (!f) return message(req, 404, "no facility " + std::to_string(id));
    return reply(req, 200, facility_json(*f));
}

Response AdminFacilities::close(const Request& req, std::int64_t id, const std::string& actor) {
    auto f = store_.close(id, actor);
    if (!f) return message(req, 404, "no facility " + std::to_string(id));
    log::info("facility closed", {{"facility_id", std::to_string(id)}, {"by", actor}});
    return reply(req, 200, facility_json(*f));
}

}  // namespace sapo::http
