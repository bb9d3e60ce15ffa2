#pragma once
/// @file
/// @brief Unit-test LINE client: records every call and answers from a script.

#include <optional>
#include <string>
#include <vector>

#include "bot/line/client.hpp"

namespace sapo::unit_test {

/// A LINE client that records every call and answers from a script.
class FakeClient final : public sapo::line::Client {
public:
    struct ReplyCall {
        std::string reply_token;
        std::vector<std::string> messages;
    };
    struct PushCall {
        std::string to;
        std::vector<std::string> messages;
        std::string retry_key;
    };

    sapo::line::Result reply_result = ok();
    sapo::line::Result push_result = ok();
    std::optional<sapo::line::Profile> profile;

    std::vector<ReplyCall> replies;
    std::vector<PushCall> pushes;
    std::vector<std::string> profile_requests;
    int other_calls = 0;

    static sapo::line::Result ok() {
        sapo::line::Result r;
        r.ok = true;
        r.status = 200;
        r.body = "{}";
        r.attempts = 1;
        return r;
    }

    static sapo::line::Result failed(int status, std::string body, std::string error) {
        sapo::line::Result r;
        r.ok = false;
        r.status = status;
        r.body = std::move(body);
        r.error = std::move(error);
        r.attempts = 1;
        return r;
    }

    sapo::line::Result reply(const std::string& reply_token, const std::vector<std::string>& messages) override {
        replies.push_back({reply_token, messages});
        return reply_result;
    }

    sapo::line::Result push(
        const std::string& to,
        const std::vector<std::string>& messages,
        const std::string& retry_key
    ) override {
        pushes.push_back({to, messages, retry_key});
        return push_result;
    }

    std::vector<sapo::line::Result> multicast(
        const std::vector<std::string>&,
        const std::vector<std::string>&,
        const std::string&
    ) override {
        ++other_calls;
        return {ok()};
    }

    std::optional<sapo::line::Profile> get_profile(const std::string& user_id) override {
        profile_requests.push_back(user_id);
        return profile;
    }

    sapo::line::Result show_loading(const std::string&, int) override {
        ++other_calls;
        return ok();
    }

    std::size_t total_calls() const {
        return replies.size() + pushes.size() + profile_requests.size() +
               static_cast<std::size_t>(other_calls);
    }
};

}  // namespace sapo::unit_test
