#include "bot/http/dev_endpoints.hpp"

#include <boost/url/parse.hpp>
#include <openssl/rand.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <ctime>
#include <stdexcept>

#include "bot/emulator/chat_page.hpp"
#include "bot/log.hpp"
#include "bot/webhook/signature.hpp"

namespace sapo::http {

namespace bhttp = boost::beast::http;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

namespace {

constexpr std::int64_t kJstOffsetSeconds = 9 * 3600;

std::string random_token(std::size_t bytes, const char* alphabet, std::size_t alphabet_size) {
    std::string raw(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    std::string out;
    for (unsigned char c : raw) out += alphabet[c % alphabet_size];
    return out;
}

/// A ULID-shaped id, like LINE's webhookEventId.
std::string event_id() {
    static constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    return random_token(26, kCrockford, 32);
}

std::string jst_iso(std::int64_t ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000 + kJstOffsetSeconds);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+09:00", &tm);
    return buf;
}

/// "2026-11-22T09:00" (Asia/Tokyo) -> ms since the epoch; nullopt when malformed.
std::optional<std::int64_t> parse_jst(const std::string& text) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M", &tm);
    if (!end || (*end != '\0' && *end != ':')) return std::nullopt;
    return (static_cast<std::int64_t>(timegm(&tm)) - kJstOffsetSeconds) * 1000;
}

Response error(unsigned status, const std::string& message, const Request& req) {
    return json_response(status, "{\"message\":\"" + log::json_escape(message) + "\"}", req.version(), req.keep_alive());
}

std::string member(const rapidjson::Value& obj, const char* name) {
    auto it = obj.FindMember(name);
    if (it == obj.MemberEnd() || !it->value.IsString()) return "";
    return {it->value.GetString(), it->value.GetStringLength()};
}

void write_user(Writer& w, const emulator::TestUser& u) {
    w.StartObject();
    w.Key("user_id");
    w.String(u.user_id.c_str());
    w.Key("display_name");
    w.String(u.display_name.c_str());
    w.Key("language");
    w.String(u.language.c_str());
    w.Key("followed");
    w.Bool(u.followed);
    w.EndObject();
}

std::string query_param(const std::string& target, const std::string& name) {
    auto parsed = boost::urls::parse_origin_form(target);
    if (!parsed) return "";
    auto params = parsed->params();
    auto it = params.find(name);
    if (it == params.end() || !(*it).has_value) return "";
    return std::string((*it).value);
}

}  // namespace

bool DevEndpoints::handle(const Request& req, const std::string& path, const Respond& respond) {
    const auto method = req.method();
    if (path == "/dev/chat" || path == "/dev/chat/" || path == "/dev" || path == "/dev/") {
        Response res{bhttp::status::ok, req.version()};
        res.set(bhttp::field::content_type, "text/html; charset=utf-8");
        res.set(bhttp::field::cache_control, "no-store");
        res.keep_alive(req.keep_alive());
        res.body() = std::string(emulator::chat_page_html());
        res.prepare_payload();
        respond(std::move(res));
        return true;
    }
    if (path.rfind("/dev/", 0) != 0) return false;
    try {
        if (path == "/dev/api/users" && (method == bhttp::verb::get || method == bhttp::verb::post)) {
            respond(users(req));
        } else if (path == "/dev/api/send" && method == bhttp::verb::post) {
            respond(send(req));
        } else if (path == "/dev/api/messages" && method == bhttp::verb::get) {
            respond(messages(req));
        } else if (path == "/dev/clock" && (method == bhttp::verb::get || method == bhttp::verb::post)) {
            respond(clock(req));
        } else {
            respond(error(404, "not found", req));
        }
    } catch (const std::invalid_argument& e) {
        respond(error(422, e.what(), req));
    } catch (const std::length_error& e) {
        respond(error(422, e.what(), req));
    }
    return true;
}

Response DevEndpoints::users(const Request& req) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    if (req.method() == bhttp::verb::post) {
        rapidjson::Document doc;
        doc.Parse(req.body().c_str());
        if (doc.HasParseError() || !doc.IsObject()) throw std::invalid_argument("body must be a JSON object");
        auto user = emulator_.create_user(member(doc, "display_name"), member(doc, "language"));
        w.StartObject();
        w.Key("user");
        write_user(w, user);
        w.EndObject();
        return json_response(201, buf.GetString(), req.version(), req.keep_alive());
    }
    w.StartObject();
    w.Key("users");
    w.StartArray();
    for (const auto& u : emulator_.users()) write_user(w, u);
    w.EndArray();
    w.EndObject();
    return json_response(200, buf.GetString(), req.version(), req.keep_alive());
}

std::pair<std::string, std::string> DevEndpoints::signed_event(
    const std::string& user_id,
    const std::string& type,
    const std::string& text,
    const std::string& data,
    const std::string& params_json
) {
    auto user = emulator_.user(user_id);
    if (!user) throw std::invalid_argument("unknown test user " + user_id);
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("destination");
    w.String(destination_.c_str());
    w.Key("events");
    w.StartArray();
    w.StartObject();
    w.Key("type");
    w.String(type == "text" ? "message" : type.c_str());
    w.Key("mode");
    w.String("active");
    w.Key("timestamp");
    w.Int64(clock_.now_ms());
    w.Key("source");
    w.StartObject();
    w.Key("type");
    w.String("user");
    w.Key("userId");
    w.String(user_id.c_str());
    w.EndObject();
    w.Key("webhookEventId");
    w.String(event_id().c_str());
    w.Key("deliveryContext");
    w.StartObject();
    w.Key("isRedelivery");
    w.Bool(false);
    w.EndObject();
    std::string shown;  // what the conversation shows on the user's side
    if (type != "unfollow") {
        w.Key("replyToken");
        w.String(emulator_.issue_reply_token(user_id).c_str());
    }
    if (type == "text") {
        if (text.empty()) throw std::invalid_argument("text must not be empty");
        if (text.size() > 20000) throw std::invalid_argument("text is too long");
        w.Key("message");
        w.StartObject();
        w.Key("id");
        w.String(random_token(18, "0123456789", 10).c_str());
        w.Key("type");
        w.String("text");
        w.Key("quoteToken");
        w.String(random_token(24, "abcdefghijklmnopqrstuvwxyz0123456789", 36).c_str());
        w.Key("text");
        w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
        w.EndObject();
        shown = "{\"text\":\"" + log::json_escape(text) + "\"}";
    } else if (type == "postback") {
        if (data.empty() || data.size() > 300) throw std::invalid_argument("postback data must be 1..300 characters");
        w.Key("postback");
        w.StartObject();
        w.Key("data");
        w.String(data.c_str(), static_cast<rapidjson::SizeType>(data.size()));
        if (!params_json.empty()) {
            w.Key("params");
            w.RawValue(params_json.c_str(), params_json.size(), rapidjson::kObjectType);
        }
        w.EndObject();
        shown = "{\"data\":\"" + log::json_escape(data) + "\"" + (params_json.empty() ? "" : ",\"params\":" + params_json) + "}";
    } else if (type == "follow") {
        w.Key("follow");
        w.StartObject();
        w.Key("isUnblocked");
        w.Bool(false);
        w.EndObject();
        emulator_.set_followed(user_id, true);
        shown = "{}";
    } else if (type == "unfollow") {
        emulator_.set_followed(user_id, false);
        shown = "{}";
    } else {
        throw std::invalid_argument("type must be follow, unfollow, text or postback");
    }
    w.EndObject();
    w.EndArray();
    w.EndObject();
    emulator_.record_user_message(user_id, type, shown);
    std::string body(buf.GetString(), buf.GetSize());
    return {body, webhook::sign(secret_, body)};
}

Response DevEndpoints::send(const Request& req) {
    rapidjson::Document doc;
    doc.Parse(req.body().c_str());
    if (doc.HasParseError() || !doc.IsObject()) throw std::invalid_argument("body must be a JSON object");
    std::string params;
    if (auto it = doc.FindMember("params"); it != doc.MemberEnd() && it->value.IsObject()) {
        rapidjson::StringBuffer pb;
        Writer pw(pb);
        for (auto& m : it->value.GetObject()) {
            if (!m.value.IsString()) throw std::invalid_argument("params values must be strings");
        }
        it->value.Accept(pw);
        params.assign(pb.GetString(), pb.GetSize());
    }
    auto [body, signature] = signed_event(member(doc, "user_id"), member(doc, "type"), member(doc, "text"), member(doc, "data"), params);
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("body");
    w.String(body.c_str(), static_cast<rapidjson::SizeType>(body.size()));
    w.Key("signature");
    w.String(signature.c_str());
    w.EndObject();
    return json_response(200, buf.GetString(), req.version(), req.keep_alive());
}

Response DevEndpoints::messages(const Request& req) {
    auto target = std::string(req.target());
    auto user_id = query_param(target, "user_id");
    auto after_text = query_param(target, "after");
    std::uint64_t after = 0;
    if (!after_text.empty()) {
        try {
            after = std::stoull(after_text);
        } catch (const std::exception&) {
            throw std::invalid_argument("after must be a number");
        }
    }
    if (!emulator_.user(user_id)) throw std::invalid_argument("unknown test user " + user_id);
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("messages");
    w.StartArray();
    for (const auto& m : emulator_.messages(user_id, after)) {
        w.StartObject();
        w.Key("seq");
        w.Uint64(m.seq);
        w.Key("at_ms");
        w.Int64(m.at_ms);
        w.Key("from");
        w.String(m.from.c_str());
        w.Key("via");
        w.String(m.via.c_str());
        w.Key("message");
        w.RawValue(m.json.c_str(), m.json.size(), rapidjson::kObjectType);
        w.EndObject();
    }
    w.EndArray();
    w.Key("now_ms");
    w.Int64(clock_.now_ms());
    w.EndObject();
    return json_response(200, buf.GetString(), req.version(), req.keep_alive());
}

Response DevEndpoints::clock(const Request& req) {
    if (req.method() == bhttp::verb::post) {
        rapidjson::Document doc;
        doc.Parse(req.body().c_str());
        if (doc.HasParseError() || !doc.IsObject()) throw std::invalid_argument("body must be a JSON object");
        if (auto it = doc.FindMember("advance_minutes"); it != doc.MemberEnd()) {
            if (!it->value.IsInt64() || it->value.GetInt64() <= 0 || it->value.GetInt64() > 60 * 24 * 366) {
                throw std::invalid_argument("advance_minutes must be a whole number of minutes, 1 to 527040");
            }
            clock_.advance(std::chrono::minutes(it->value.GetInt64()));
        } else if (auto to = member(doc, "to"); !to.empty()) {
            auto target = parse_jst(to);
            if (!target) throw std::invalid_argument("to must look like 2026-11-22T09:00 (Asia/Tokyo)");
            if (*target <= clock_.now_ms()) throw std::invalid_argument("time only moves forward: " + to + " is not in the future");
            clock_.advance_to(Clock::time_point(std::chrono::milliseconds(*target)));
        } else {
            throw std::invalid_argument("give advance_minutes or to");
        }
        log::info("local clock moved", {{"now", jst_iso(clock_.now_ms())}});
    }
    std::string body = "{\"now\":\"" + jst_iso(clock_.now_ms()) + "\",\"offset_ms\":" + std::to_string(clock_.offset().count()) + "}";
    return json_response(200, body, req.version(), req.keep_alive());
}

}  // namespace sapo::http
