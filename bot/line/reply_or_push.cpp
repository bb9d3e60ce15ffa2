#include <algorithm>
#include <cctype>
#include <string>

#include <rapidjson/document.h>

#include "bot/line/client.hpp"

namespace sapo::line {

/// LINE answers 400 {"message":"Invalid reply token"} for a token that is unknown, already
/// used or expired; matching "reply token" also covers wordings like "The reply token is
/// expired" without mistaking other 400s (bad message objects) for it.
bool reply_token_rejected(const Result& r) {
    if (r.ok || r.status != 400) return false;
    rapidjson::Document doc;
    doc.Parse(r.body.data(), r.body.size());
    if (doc.HasParseError() || !doc.IsObject()) return false;
    auto it = doc.FindMember("message");
    if (it == doc.MemberEnd() || !it->value.IsString()) return false;
    std::string message(it->value.GetString(), it->value.GetStringLength());
    std::transform(message.begin(), message.end(), message.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return message.find("reply token") != std::string::npos;
}

Result reply_or_push(
    Client& client,
    const std::string& reply_token,
    const std::string& user_id,
    const std::vector<std::string>& messages,
    bool must_arrive,
    const std::string& retry_key
) {
    const bool can_push = must_arrive && !user_id.empty();
    if (reply_token.empty()) {
        if (can_push) return client.push(user_id, messages, retry_key);
        Result r;
        r.error = must_arrive ? "no reply token and no user id to push to" : "no reply token";
        return r;
    }
    Result replied = client.reply(reply_token, messages);
    // Only a rejected token proves nothing was sent; after a timeout the reply may have arrived,
    // and pushing then would say everything twice.
    if (!can_push || !reply_token_rejected(replied)) return replied;
    return client.push(user_id, messages, retry_key);
}

}  // namespace sapo::line
