#pragma once
/// @file
/// @brief What the engine, loader, conversation and random-sequence tests share: a registry built
/// by hand (flows/ knows nothing of bot/), a clock the test sets, the shipped flow files, and
/// helpers that serialise results so they can be compared.

#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "flows/clock.hpp"
#include "flows/conversation.hpp"
#include "flows/engine.hpp"
#include "flows/loader.hpp"
#include "flows/memory_source.hpp"
#include "flows/model.hpp"
#include "flows/normalize.hpp"
#include "flows/render.hpp"
#include "flows/tokyo_time.hpp"
#include "flows/value.hpp"

namespace flowtest {

using namespace sapo::flows;

/// A clock that only moves when the test says so.
class FixedClock final : public sapo::Clock {
public:
    explicit FixedClock(std::int64_t ms) : ms_(ms) {}
    time_point now() const override { return time_point(std::chrono::milliseconds(ms_)); }
    void set_ms(std::int64_t ms) { ms_ = ms; }
    void advance_minutes(std::int64_t minutes) { ms_ += minutes * 60'000; }

private:
    std::int64_t ms_;
};

/// 2026-11-20 15:30 UTC = 2026-11-21 00:30 in Tokyo: the UTC date and the Tokyo date differ, so
/// a date computed in the wrong time zone shows.
inline std::int64_t fixed_now_ms() {
    return days_from_civil(CivilDate{2026, 11, 20}) * 86'400'000 + (15 * 60 + 30) * 60'000;
}

/// A small stand-in for templates/call_center.json.
inline constexpr const char* kCallCenterTemplate = R"({
  "id": "call_center",
  "message": {
    "ja": {"type": "text", "text": "電話: {{call_center_phone}}"},
    "en": {"type": "text", "text": "Phone: {{call_center_phone}}"}
  }
})";

/// A small stand-in for templates/facility_qr.json.
inline constexpr const char* kFacilityQrTemplate = R"({
  "id": "facility_qr",
  "message": {"ja": {"type": "image", "originalContentUrl": "{{qr_png_url}}", "previewImageUrl": "{{qr_png_url}}"}}
})";

/// A small stand-in for templates/health_emergency.json.
inline constexpr const char* kHealthEmergencyTemplate = R"({
  "id": "health_emergency",
  "message": {
    "ja": {"type": "text", "text": "緊急連絡先: {{emergency_phone}}"},
    "en": {"type": "text", "text": "Emergency: {{emergency_phone}}"}
  }
})";

inline const Registry& registry() {
    static const Registry r = [] {
        Registry reg;
        reg.effects["user.set_language"] = EffectSpec{"user.set_language", "Sets the user's language", {"language"}, {"language"}};
        // the health effects as bot/health/effects.cpp declares them
        reg.effects["health.save"] = EffectSpec{"health.save", "Saves a health report", {}, {}};  // "run" left optional for the small test flows
        reg.effects["health.enrol"] =
            EffectSpec{"health.enrol", "", {"code"}, {"status", "from", "to", "attempts_left", "locked_minutes"}};
        reg.effects["health.begin"] = EffectSpec{"health.begin", "", {}, {"status", "from", "to", "date", "oximeter", "run"}};
        reg.effects["alert.raise"] = EffectSpec{"alert.raise", "", {"run", "reason"}, {}};
        // the questionnaire effects as bot/support/effects.cpp declares them
        reg.effects["support.centre"] = EffectSpec{
            "support.centre", "", {"postal_code"},
            {"status", "centre", "name", "phone", "hours", "url", "open_now", "area", "line24_name", "line24_phone"}};
        reg.effects["support.save"] = EffectSpec{"support.save", "", {"outcome", "consent"}, {"followup", "followup_days"}};
        reg.effects["support.stop"] = EffectSpec{"support.stop", "", {}, {"status"}};
        // the facility effects as bot/facility/effects.cpp declares them
        reg.effects["checkin.record"] =
            EffectSpec{"checkin.record", "", {"code"}, {"status", "facility", "facility_id", "time"}};
        reg.effects["facility.register"] = EffectSpec{
            "facility.register", "", {"name", "kind", "address", "phone"},
            {"status", "facility_id", "name", "code", "checkin_text", "checkin_url", "qr_png_url", "qr_image", "poster_url"}};
        reg.effects["facility.staff_keyword"] =
            EffectSpec{"facility.staff_keyword", "", {}, {"status", "facility", "keyword", "facilities"}};
        reg.effects["facility.join"] = EffectSpec{"facility.join", "", {"keyword"}, {"status", "facility"}};
        // the notification effects as bot/notify/effects.cpp declares them
        reg.effects["notification.staff_facility"] =
            EffectSpec{"notification.staff_facility", "", {}, {"status", "facility", "facility_id", "role"}};
        reg.effects["notification.request"] = EffectSpec{
            "notification.request", "", {"date", "from_hour", "to_hour", "template"}, {"status", "notification_id"}};
        // the FAQ effects as bot/faq/effects.cpp declares them
        reg.effects["faq.answer"] = EffectSpec{
            "faq.answer", "", {"question"}, {"status", "urgent", "entry_id", "question", "answer", "choices", "c1", "c2", "c3"}};
        reg.effects["faq.show"] = EffectSpec{"faq.show", "", {"id"}, {"status", "entry_id", "question", "answer"}};
        reg.effects["faq.miss"] = EffectSpec{"faq.miss", "", {"reason", "question"}, {}};
        reg.effects["faq.hours"] = EffectSpec{"faq.hours", "", {}, {"open_now", "hours", "next_open"}};
        std::vector<std::string> problems;
        auto t = load_template(kCallCenterTemplate, problems);
        if (t) reg.templates[t->id] = *t;
        auto qr = load_template(kFacilityQrTemplate, problems);
        if (qr) reg.templates[qr->id] = *qr;
        auto emergency = load_template(kHealthEmergencyTemplate, problems);
        if (emergency) reg.templates[emergency->id] = *emergency;
        for (const char* id : {"support_centre", "support_line24"}) {
            auto stand_in = load_template(std::string(R"({"id": ")") + id + R"(", "message": {"ja": {"type": "text", "text": ")" +
                                              id + R"(: {{centre.name}} {{centre.phone}} {{centre.line24_phone}}"}}})",
                                          problems);
            if (stand_in) reg.templates[stand_in->id] = *stand_in;
        }
        reg.globals = {"call_center_phone", "emergency_phone", "profile.language", "health_fever_alert", "health_spo2_alert",
                       "health_morning"};
        return reg;
    }();
    return r;
}

/// The registry plus the shipped flow ids, so goto targets are checked.
inline Registry registry_with_flow_ids(std::vector<std::string> ids) {
    Registry r = registry();
    r.flow_ids = std::move(ids);
    return r;
}

inline const Variables& globals_with_phone() {
    static const Variables g{
        {"call_center_phone", Value("045-000-1111")},
        {"emergency_phone", Value("119")},
        {"profile.language", Value("ja")},
        {"health_fever_alert", Value(39.0)},
        {"health_spo2_alert", Value(93.0)},
        {"health_morning", Value("9:00")},
    };
    return g;
}

inline const Variables& globals_without_phone() {
    static const Variables g{{"emergency_phone", Value("119")}, {"profile.language", Value("ja")}};
    return g;
}

inline StepContext context(const std::string& language = "ja", const Variables* globals = &globals_with_phone()) {
    StepContext c;
    c.language = language;
    c.globals = globals;
    c.templates = &registry().templates;
    return c;
}

inline std::string all_problems(const LoadResult& r) {
    std::string out;
    for (const auto& p : r.problems) out += format_problem("flow", p) + "\n";
    return out;
}

/// Loads a flow that must be valid.
inline Flow load_ok(std::string_view json, const Registry& reg = registry(), int version = 1) {
    auto r = load_flow(json, reg);
    INFO(all_problems(r));
    REQUIRE(r.problems.empty());
    REQUIRE(r.flow);
    Flow f = *r.flow;
    f.version = version;
    return f;
}

inline std::string read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    INFO("reading " << path);
    REQUIRE(in.good());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Every shipped flow, for validation.
inline const std::vector<std::string>& shipped_flow_ids() {
    static const std::vector<std::string> ids{"welcome",        "main_menu",     "language",
                                              "checkin",        "facility_register", "facility_staff",
                                              "facility_join",  "notification_request", "faq",
                                              "health_enrol",   "health_report", "personal_support", "support_stop"};
    return ids;
}

inline std::string shipped_flow_path(const std::string& id) {
    return std::string(SAPO_FIXTURES_DIR "/../../flows/definitions/") + id + ".json";
}

/// The shipped flows, validated against the test registry, as version 1; without `faq`, whose
/// effects need a FAQ set (the routing tests publish their own stand-in when they need one).
inline std::vector<Flow> shipped_flows() {
    std::vector<Flow> out;
    auto reg = registry_with_flow_ids(shipped_flow_ids());
    for (const auto& id : shipped_flow_ids()) {
        if (id != "faq") out.push_back(load_ok(read_text_file(shipped_flow_path(id)), reg, 1));
    }
    return out;
}

inline std::string serialize(const std::vector<OutMessage>& messages) {
    std::string out;
    for (const auto& m : messages) out += to_line_json(m) + "\n";
    return out;
}

inline std::string serialize(const std::optional<Session>& s) {
    if (!s) return "(none)";
    std::ostringstream o;
    o << s->flow_id << "@" << s->version << "/" << s->node << " waiting=" << waiting_name(s->waiting)
      << " invalid=" << s->invalid_count << " pending=" << to_json(s->pending) << " vars=" << to_json(s->vars)
      << " started=" << s->started_ms << " updated=" << s->updated_ms << " expires=" << s->expires_ms;
    return o.str();
}

inline std::string serialize(const std::vector<Effect>& effects) {
    std::string out;
    for (const auto& e : effects) {
        out += e.name + "(" + e.result_var + ")";
        for (const auto& [k, v] : e.params) out += " " + k + "=" + v;
        out += "\n";
    }
    return out;
}

/// The texts of the messages, in order ("" for template messages).
inline std::vector<std::string> texts(const std::vector<OutMessage>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back(m.text);
    return out;
}

inline std::vector<std::string> labels(const OutMessage& m) {
    std::vector<std::string> out;
    for (const auto& q : m.quick_replies) out.push_back(q.label);
    return out;
}

inline bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

/// Parses LINE JSON; strict about UTF-8.
inline bool parse_json(const std::string& json, rapidjson::Document& doc) {
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.c_str(), json.size());
    return !doc.HasParseError();
}

inline InboundEvent text_event(std::string text) {
    InboundEvent e;
    e.type = "message";
    e.message_type = "text";
    e.source_type = "user";
    e.user_id = "U0123";
    e.text = std::move(text);
    return e;
}

inline InboundEvent postback_event(std::string data) {
    InboundEvent e;
    e.type = "postback";
    e.source_type = "user";
    e.user_id = "U0123";
    e.postback_data = std::move(data);
    return e;
}

inline InboundEvent typed_event(std::string type, std::string message_type = "") {
    InboundEvent e;
    e.type = std::move(type);
    e.message_type = std::move(message_type);
    e.source_type = "user";
    e.user_id = "U0123";
    return e;
}

/// The shipped flows in memory and one user's conversation with them: each event is handled and
/// its effects applied with scripted outputs (scripted_outputs), as the service does in the
/// event's transaction. Tests of one flow derive from it and script that flow's effects.
struct ShippedChat {
    MemoryFlowSource source;
    FixedClock clock{fixed_now_ms()};
    Conversation conversation{source, clock};
    std::string language = "ja";
    std::vector<Effect> applied;  ///< every effect applied, over all events
    std::optional<Session> session;
    Outcome last;

    ShippedChat() {
        for (auto& f : shipped_flows()) source.publish(std::move(f));
    }
    virtual ~ShippedChat() = default;
    ShippedChat(const ShippedChat&) = delete;  // the conversation refers to this source and clock
    ShippedChat& operator=(const ShippedChat&) = delete;

    /// The outputs an applied effect gives back; none by default.
    virtual Variables scripted_outputs(const Effect&) { return {}; }

    Outcome send(const InboundEvent& e) {
        StepContext c = context(language);
        auto out = conversation.handle(e, session, c);
        out = conversation.complete(
            std::move(out),
            [this](const Effect& effect) -> Variables {
                applied.push_back(effect);
                return scripted_outputs(effect);
            },
            c
        );
        session = out.session;
        last = out;
        return out;
    }
    Outcome text(const std::string& t) { return send(text_event(t)); }
    Outcome postback(const std::string& data) { return send(postback_event(data)); }
    /// Taps the quick reply labelled `label` of the previous reply.
    Outcome tap(const std::string& label) { return postback(button(label)); }

    /// The quick reply labels of the last message with any.
    std::vector<std::string> buttons() const {
        for (auto it = last.messages.rbegin(); it != last.messages.rend(); ++it) {
            if (!it->quick_replies.empty()) return labels(*it);
        }
        return {};
    }

    bool has_button(const std::string& label) const {
        for (const auto& l : buttons()) {
            if (l == label) return true;
        }
        return false;
    }

    std::string button(const std::string& label) const {
        for (auto it = last.messages.rbegin(); it != last.messages.rend(); ++it) {
            if (it->quick_replies.empty()) continue;
            for (const auto& q : it->quick_replies) {
                if (q.label == label) return q.postback_data;
            }
            break;
        }
        FAIL("no button " << label << " in " << serialize(last.messages));
        return "";
    }

    /// The text of a node of a shipped flow, in the chat's language.
    std::string question_of(const std::string& flow, const std::string& node) const {
        auto f = source.published(flow);
        REQUIRE(f);
        const Node* n = f->node(node);
        REQUIRE(n);
        return n->text.get(language);
    }

    std::vector<Effect> applied_named(const std::string& name) const {
        std::vector<Effect> out;
        for (const auto& e : applied) {
            if (e.name == name) out.push_back(e);
        }
        return out;
    }
};

}  // namespace flowtest
