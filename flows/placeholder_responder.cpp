#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "flows/responder.hpp"

namespace sapo::flows {

std::string text_message(const std::string& text, const std::vector<std::string>& quick_replies) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("type");
    w.String("text");
    w.Key("text");
    w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
    if (!quick_replies.empty()) {
        w.Key("quickReply");
        w.StartObject();
        w.Key("items");
        w.StartArray();
        for (const auto& label : quick_replies) {
            w.StartObject();
            w.Key("type");
            w.String("action");
            w.Key("action");
            w.StartObject();
            w.Key("type");
            w.String("message");
            w.Key("label");
            w.String(label.c_str(), static_cast<rapidjson::SizeType>(label.size()));
            w.Key("text");
            w.String(label.c_str(), static_cast<rapidjson::SizeType>(label.size()));
            w.EndObject();
            w.EndObject();
        }
        w.EndArray();
        w.EndObject();
    }
    w.EndObject();
    return buf.GetString();
}

Response PlaceholderResponder::respond(const InboundEvent& event, const UserContext& user) const {
    Response r;
    if (event.mode == "standby") return r;
    bool en = user.language.rfind("en", 0) == 0;  // "en", "en-US", ...
    if (event.type == "follow") {
        r.must_arrive = true;
        r.messages.push_back(text_message(
            en ? "Thank you for adding sapo as a friend.\n"
                 "sapo helps you with check-ins at facilities, health questions and daily "
                 "health reports during the emergency.\n"
                 "(友だち追加ありがとうございます。)"
               : "友だち追加ありがとうございます。\n"
                 "sapo は、施設のチェックイン、健康に関するご相談、毎日の健康観察をお手伝いします。\n"
                 "(Thank you for adding sapo as a friend.)",
            // The main menu; the conversation engine gives each item its flow.
            en ? std::vector<std::string>{"Check in", "Health advice", "Daily health report", "FAQ"}
               : std::vector<std::string>{"チェックイン", "健康相談", "健康観察", "よくある質問"}
        ));
    } else if (event.type == "message" && event.message_type == "text") {
        r.messages.push_back(text_message(
            en ? "Thank you for your message. We have received it.\n(メッセージを受け付けました。)"
               : "メッセージを受け付けました。ありがとうございます。\n(Thank you, we have received "
                 "your message.)"
        ));
    }
    return r;
}

}  // namespace sapo::flows
