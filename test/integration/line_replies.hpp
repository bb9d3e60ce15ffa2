#pragma once
// What the end-to-end tests read back from the fake LINE API: a reply's messages and their
// quick-reply buttons, and a helper that posts one event and waits for the reply to its token.

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "test/integration/service_fixture.hpp"

namespace sapo::test {

struct Button {
    std::string type;  ///< "postback" or "message"
    std::string label;
    std::string data;
    std::string display_text;
};

struct Message {
    std::string type;
    std::string text;
    std::vector<Button> buttons;
    std::string original_url;  ///< image messages
    std::string preview_url;
};

struct Reply {
    std::string token;
    std::vector<Message> messages;
    std::string raw;

    /// All message texts joined, for "contains" checks.
    std::string all_text() const {
        std::string out;
        for (const auto& m : messages) out += m.text + "\n";
        return out;
    }
};

/// The string member `key` of `v`, "" when absent.
inline std::string str(const rapidjson::Value& v, const char* key) {
    if (!v.IsObject()) return "";
    auto it = v.FindMember(key);
    return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

inline Reply parse_reply(const line::RecordedRequest& r) {
    Reply out;
    out.raw = r.body;
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    if (d.HasParseError() || !d.IsObject()) return out;
    out.token = str(d, "replyToken");
    if (!d.HasMember("messages") || !d["messages"].IsArray()) return out;
    for (const auto& m : d["messages"].GetArray()) {
        Message msg;
        msg.type = str(m, "type");
        msg.text = str(m, "text");
        msg.original_url = str(m, "originalContentUrl");
        msg.preview_url = str(m, "previewImageUrl");
        if (m.IsObject() && m.HasMember("quickReply")) {
            for (const auto& item : m["quickReply"]["items"].GetArray()) {
                const auto& a = item["action"];
                msg.buttons.push_back({str(a, "type"), str(a, "label"), str(a, "data"), str(a, "displayText")});
            }
        }
        out.messages.push_back(std::move(msg));
    }
    return out;
}

inline std::string postback_event(const std::string& user_id, const std::string& event_id, const std::string& reply_token,
                                  long long ts, const std::string& data) {
    return R"({"type":"postback","mode":"active","timestamp":)" + std::to_string(ts) +
           R"(,"source":{"type":"user","userId":")" + user_id + R"("},"replyToken":")" + reply_token +
           R"(","webhookEventId":")" + event_id + R"(","deliveryContext":{"isRedelivery":false},"postback":{"data":")" +
           data + R"("}})";
}

/// Posts one event (signed) with its own reply token `token` and returns the one reply LINE
/// accepted for exactly that token.
inline Reply exchange(line::FakeLineServer& line, SapoProcess& sapo, const std::string& event_json, const std::string& token) {
    line.add_reply_token(token);
    auto r = post_webhook(sapo.port(), callback_body(event_json), kSecret);
    REQUIRE(r.status == 200);
    const std::string needle = "\"replyToken\":\"" + token + "\"";
    bool answered = line.wait_for(
        [&](const std::vector<line::RecordedRequest>& all) {
            for (const auto& q : all) {
                if (q.path == line::FakeLineServer::kReplyPath && q.accepted() && q.body.find(needle) != std::string::npos) {
                    return true;
                }
            }
            return false;
        },
        std::chrono::seconds(10)
    );
    INFO("sapo log:\n" << sapo.log());
    REQUIRE(answered);
    std::vector<line::RecordedRequest> with_token;
    for (const auto& q : line.requests(line::FakeLineServer::kReplyPath)) {
        if (q.body.find(needle) != std::string::npos) with_token.push_back(q);
    }
    REQUIRE(with_token.size() == 1);
    auto reply = parse_reply(with_token.front());
    CHECK(reply.token == token);
    REQUIRE_FALSE(reply.messages.empty());
    return reply;
}

}  // namespace sapo::test
