#pragma once
/// @file
/// @brief Local mode's stand-in for the LINE platform: a line::Client that checks every call as
/// LINE does (limits, reply tokens, retry keys) and answers with LINE's status codes and error
/// body, and keeps what it accepted per test user for the chat page. Thread-safe.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "bot/line/client.hpp"
#include "flows/clock.hpp"

namespace sapo::emulator {

struct TestUser {
    std::string user_id;       ///< "U" + 32 hex, like LINE's
    std::string display_name;
    std::string language;      ///< "ja" or "en"
    bool followed = false;
};

/// One message in a test user's conversation, either side.
struct ChatMessage {
    std::uint64_t seq = 0;     ///< increases across all users; the page polls "after seq"
    std::int64_t at_ms = 0;    ///< clock time when accepted
    std::string user_id;
    std::string from;          ///< "bot" or "user"
    std::string via;           ///< bot: "reply", "push", "multicast"; user: "text", "postback", "follow", "unfollow"
    std::string json;          ///< bot: the LINE message object; user: {"text": ...} or {"data": ...}
};

struct EmulatorOptions {
    std::size_t max_messages_per_user = 500;  ///< older ones are dropped
    std::size_t max_users = 1000;
    std::chrono::milliseconds reply_token_ttl{60000};
    std::chrono::hours retry_key_ttl{24};
};

class Emulator final : public line::Client {
public:
    explicit Emulator(const Clock& clock, EmulatorOptions options = {});

    // --- the LINE platform side (what sapo calls) ----------------------------------------------
    line::Result reply(const std::string& reply_token, const std::vector<std::string>& messages) override;
    line::Result push(
        const std::string& to,
        const std::vector<std::string>& messages,
        const std::string& retry_key = ""
    ) override;
    /// With a `retry_key` (one call of <= 500): a key already accepted answers 409, as LINE does.
    std::vector<line::Result> multicast(
        const std::vector<std::string>& to,
        const std::vector<std::string>& messages,
        const std::string& retry_key = ""
    ) override;
    std::optional<line::Profile> get_profile(const std::string& user_id) override;
    line::Result show_loading(const std::string& user_id, int seconds) override;

    // --- the test-user side (what the chat page drives) ----------------------------------------
    /// Creates a test user; throws std::invalid_argument for an empty name or a language other
    /// than ja/en, std::length_error past max_users.
    TestUser create_user(const std::string& display_name, const std::string& language);
    std::vector<TestUser> users() const;
    std::optional<TestUser> user(const std::string& user_id) const;
    void set_followed(const std::string& user_id, bool followed);

    /// A fresh reply token for an event the page is about to send; valid once, for reply_token_ttl.
    std::string issue_reply_token(const std::string& user_id);

    /// Records what the user sent (shown in the conversation).
    void record_user_message(const std::string& user_id, const std::string& via, const std::string& json);

    /// The user's conversation after `after_seq` (0: all that is kept), oldest first.
    std::vector<ChatMessage> messages(const std::string& user_id, std::uint64_t after_seq = 0) const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace sapo::emulator
