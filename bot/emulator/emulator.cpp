// emulator.hpp uses std::shared_ptr without including <memory> (reported to its owner).
#include <memory>

#include "bot/emulator/emulator.hpp"
#include "bot/random.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "bot/line/http_client.hpp"
#include "bot/line/message_rules.hpp"
#include "bot/metrics.hpp"

namespace sapo::emulator {
namespace {

// Emulator-only caps, far above what a chat page produces: they keep a long local run's memory
// bounded even if sapo sends without pause (LINE itself only forgets keys after 24 h).
constexpr std::size_t kMaxReplyTokens = 100000;
constexpr std::size_t kMaxRetryKeys = 100000;

/// LINE message ids are decimal strings.
std::string new_message_id() {
    std::string out;
    for (char c : random_hex(9)) out += static_cast<char>('0' + (static_cast<unsigned char>(c) % 10));
    if (out[0] == '0') out[0] = '1';
    return out;
}

void count(const char* endpoint, int status) {
    metrics::global()
        .counter(
            "sapo_line_requests_total",
            "LINE API calls by endpoint and status",
            {{"endpoint", endpoint}, {"status", std::to_string(status)}}
        )
        .inc();
}

/// A Result as HttpClient would hand it back for one attempt.
line::Result result_of(int status, std::string body) {
    line::Result r;
    r.status = status;
    r.ok = status >= 200 && status < 300;
    r.body = std::move(body);
    r.request_id = line::make_retry_key();  // X-Line-Request-Id: a random UUID
    r.attempts = 1;
    if (!r.ok) r.error = "LINE answered " + std::to_string(status);
    return r;
}

line::Result error_result(const line::ApiError& e) {
    line::Result r = result_of(e.status, e.body());
    r.error = "LINE answered " + std::to_string(e.status) + ": " + e.message;
    return r;
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer& w, const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

/// [{"id","quoteToken"}...] for `n` accepted messages.
std::string sent_messages(std::size_t n) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartArray();
    for (std::size_t i = 0; i < n; ++i) {
        w.StartObject();
        w.Key("id");
        put(w, new_message_id());
        w.Key("quoteToken");
        put(w, random_hex(16));
        w.EndObject();
    }
    w.EndArray();
    return buf.GetString();
}

/// The messages as the request body's "messages" array would carry them, checked as LINE checks
/// them. Each entry must be one JSON value; sapo hands them over pre-serialized.
std::optional<line::ApiError> check_messages(const std::vector<std::string>& messages) {
    rapidjson::Document array;
    array.SetArray();
    auto& alloc = array.GetAllocator();
    for (const auto& m : messages) {
        rapidjson::Document doc;
        doc.Parse<rapidjson::kParseValidateEncodingFlag>(m.data(), m.size());
        if (doc.HasParseError()) return line::ApiError{400, "The request body could not be parsed as JSON", {}};
        array.PushBack(rapidjson::Value(doc, alloc), alloc);
    }
    return line::validate_messages(array);
}

struct UserState {
    TestUser user;
    std::deque<ChatMessage> messages;
};

struct ReplyToken {
    std::string user_id;
    std::int64_t issued_ms = 0;
    bool used = false;
};

struct RetryKey {
    std::int64_t accepted_ms = 0;
    std::string sent_messages;  // repeated in the 409 body, as LINE does for push
};

}  // namespace

struct Emulator::Impl {
    Impl(const Clock& c, EmulatorOptions o) : clock(c), options(o) {}

    const Clock& clock;
    const EmulatorOptions options;

    mutable std::mutex mutex;
    std::uint64_t seq = 0;
    std::unordered_map<std::string, UserState> users;
    std::vector<std::string> order;  // user ids in creation order
    std::unordered_map<std::string, ReplyToken> tokens;
    std::deque<std::string> token_order;  // issue order, for the lazy sweep
    std::unordered_map<std::string, RetryKey> keys;
    std::deque<std::string> key_order;

    /// Drops reply tokens past their TTL (and the oldest beyond the cap). Tokens are swept in
    /// issue order, so this is amortised O(1) per token.
    void sweep_tokens(std::int64_t now) {
        const std::int64_t ttl = options.reply_token_ttl.count();
        while (!token_order.empty()) {
            auto it = tokens.find(token_order.front());
            const bool expired = it == tokens.end() || now - it->second.issued_ms >= ttl;
            if (!expired && tokens.size() < kMaxReplyTokens) break;
            if (it != tokens.end()) tokens.erase(it);
            token_order.pop_front();
        }
    }

    void sweep_keys(std::int64_t now) {
        const std::int64_t ttl = std::chrono::duration_cast<std::chrono::milliseconds>(options.retry_key_ttl).count();
        while (!key_order.empty()) {
            auto it = keys.find(key_order.front());
            const bool expired = it == keys.end() || now - it->second.accepted_ms >= ttl;
            if (!expired && keys.size() < kMaxRetryKeys) break;
            if (it != keys.end()) keys.erase(it);
            key_order.pop_front();
        }
    }

    UserState* find(const std::string& user_id) {
        auto it = users.find(user_id);
        return it == users.end() ? nullptr : &it->second;
    }

    const UserState* find(const std::string& user_id) const {
        auto it = users.find(user_id);
        return it == users.end() ? nullptr : &it->second;
    }

    void store(UserState& u, std::string from, std::string via, std::string json, std::int64_t now) {
        ChatMessage m;
        m.seq = ++seq;
        m.at_ms = now;
        m.user_id = u.user.user_id;
        m.from = std::move(from);
        m.via = std::move(via);
        m.json = std::move(json);
        u.messages.push_back(std::move(m));
        while (u.messages.size() > std::max<std::size_t>(options.max_messages_per_user, 1)) u.messages.pop_front();
    }

    void store_all(UserState& u, const std::string& via, const std::vector<std::string>& messages, std::int64_t now) {
        for (const auto& m : messages) store(u, "bot", via, m, now);
    }
};

Emulator::Emulator(const Clock& clock, EmulatorOptions options) : impl_(std::make_shared<Impl>(clock, options)) {}

// --- the LINE platform side --------------------------------------------------------------------

line::Result Emulator::reply(const std::string& reply_token, const std::vector<std::string>& messages) {
    // LINE checks the body before the token, and a refused body does not use the token up.
    if (auto error = check_messages(messages)) {
        count("reply", error->status);
        return error_result(*error);
    }
    const std::string sent = sent_messages(messages.size());
    {
        std::lock_guard lock(impl_->mutex);
        const std::int64_t now = impl_->clock.now_ms();
        auto it = impl_->tokens.find(reply_token);
        const bool valid = it != impl_->tokens.end() && !it->second.used &&
                           now - it->second.issued_ms < impl_->options.reply_token_ttl.count();
        UserState* u = valid ? impl_->find(it->second.user_id) : nullptr;
        if (u == nullptr) {
            count("reply", 400);
            return error_result(line::ApiError{400, "Invalid reply token", {}});
        }
        it->second.used = true;  // kept until it expires, so a second use is refused
        impl_->store_all(*u, "reply", messages, now);
    }
    count("reply", 200);
    return result_of(200, "{\"sentMessages\":" + sent + "}");
}

line::Result Emulator::push(
    const std::string& to,
    const std::vector<std::string>& messages,
    const std::string& retry_key
) {
    if (!retry_key.empty() && !line::is_uuid(retry_key)) {
        count("push", 400);
        return error_result(line::ApiError{400, "The value of the X-Line-Retry-Key header is invalid", {}});
    }
    std::string key = retry_key;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });

    std::lock_guard lock(impl_->mutex);
    const std::int64_t now = impl_->clock.now_ms();
    if (!key.empty()) {
        impl_->sweep_keys(now);
        if (auto it = impl_->keys.find(key); it != impl_->keys.end()) {
            count("push", 409);
            line::Result r = result_of(
                409,
                "{\"message\":\"The retry key is already accepted\",\"sentMessages\":" + it->second.sent_messages + "}"
            );
            r.ok = true;  // as HttpClient treats it: the earlier call went through
            r.error.clear();
            return r;
        }
    }
    std::optional<line::ApiError> error = line::validate_to_user(to);
    UserState* u = impl_->find(to);
    if (!error && u == nullptr) error = line::invalid_property("to");
    if (!error) error = check_messages(messages);
    if (error) {
        count("push", error->status);
        return error_result(*error);
    }
    const std::string sent = sent_messages(messages.size());
    if (!key.empty()) {
        impl_->keys[key] = RetryKey{now, sent};
        impl_->key_order.push_back(key);
    }
    // LINE answers 200 for a user who blocked the bot, but nothing reaches them.
    if (u->user.followed) impl_->store_all(*u, "push", messages, now);
    count("push", 200);
    return result_of(200, "{\"sentMessages\":" + sent + "}");
}

std::vector<line::Result> Emulator::multicast(
    const std::vector<std::string>& to,
    const std::vector<std::string>& messages,
    const std::string& retry_key
) {
    std::vector<line::Result> results;
    std::string key = retry_key;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    if (!key.empty() && (!line::is_uuid(key) || to.size() > line::kMulticastChunk)) {
        count("multicast", 400);
        results.push_back(error_result(line::ApiError{400, "The value of the X-Line-Retry-Key header is invalid", {}}));
        return results;
    }
    if (!key.empty()) {
        std::lock_guard lock(impl_->mutex);
        impl_->sweep_keys(impl_->clock.now_ms());
        if (impl_->keys.count(key) != 0) {
            count("multicast", 409);
            line::Result r = result_of(409, "{\"message\":\"The retry key is already accepted\"}");
            r.ok = true;  // as HttpClient treats it: the earlier call went through
            r.error.clear();
            results.push_back(r);
            return results;
        }
    }
    if (to.empty()) {
        count("multicast", 400);
        results.push_back(error_result(line::invalid_body({{"Size must be between 1 and 500", "to"}})));
        return results;
    }
    const auto message_error = check_messages(messages);
    for (std::size_t start = 0; start < to.size(); start += line::kMulticastChunk) {
        const std::size_t end = std::min(to.size(), start + line::kMulticastChunk);
        std::lock_guard lock(impl_->mutex);
        line::ErrorDetails details;
        for (std::size_t i = start; i < end; ++i) {
            if (!line::is_user_id(to[i]) || impl_->find(to[i]) == nullptr) {
                details.emplace_back(
                    "The property, 'to', in the request body is invalid",
                    "to[" + std::to_string(i - start) + "]"
                );
            }
        }
        if (message_error && details.empty()) {
            count("multicast", message_error->status);
            results.push_back(error_result(*message_error));
            continue;
        }
        if (message_error) details.insert(details.end(), message_error->details.begin(), message_error->details.end());
        if (!details.empty()) {
            count("multicast", 400);
            results.push_back(error_result(line::invalid_body(std::move(details))));
            continue;
        }
        const std::int64_t now = impl_->clock.now_ms();
        for (std::size_t i = start; i < end; ++i) {
            UserState* u = impl_->find(to[i]);
            if (u->user.followed) impl_->store_all(*u, "multicast", messages, now);
        }
        if (!key.empty()) {
            impl_->keys[key] = RetryKey{now, sent_messages(messages.size())};
            impl_->key_order.push_back(key);
        }
        count("multicast", 200);
        results.push_back(result_of(200, "{}"));
    }
    return results;
}

std::optional<line::Profile> Emulator::get_profile(const std::string& user_id) {
    std::optional<line::Profile> profile;
    {
        std::lock_guard lock(impl_->mutex);
        if (const UserState* u = impl_->find(user_id)) {
            profile = line::Profile{u->user.user_id, u->user.display_name, u->user.language, ""};
        }
    }
    count("profile", profile ? 200 : 404);
    return profile;
}

line::Result Emulator::show_loading(const std::string& user_id, int seconds) {
    line::ErrorDetails details;
    bool known = false;
    {
        std::lock_guard lock(impl_->mutex);
        known = impl_->find(user_id) != nullptr;
    }
    if (!known) details.emplace_back("The property, 'chatId', in the request body is invalid", "chatId");
    if (!line::valid_loading_seconds(seconds)) {
        details.emplace_back("must be a multiple of 5 between 5 and 60", "loadingSeconds");
    }
    if (!details.empty()) {
        count("loading", 400);
        return error_result(line::invalid_body(std::move(details)));
    }
    count("loading", 202);
    return result_of(202, "{}");
}

// --- the test-user side ------------------------------------------------------------------------

TestUser Emulator::create_user(const std::string& display_name, const std::string& language) {
    if (display_name.empty()) throw std::invalid_argument("create_user: display name is empty");
    if (language != "ja" && language != "en") throw std::invalid_argument("create_user: language must be ja or en");
    std::lock_guard lock(impl_->mutex);
    if (impl_->users.size() >= impl_->options.max_users) {
        throw std::length_error("create_user: at most " + std::to_string(impl_->options.max_users) + " test users");
    }
    TestUser user;
    do {
        user.user_id = "U" + random_hex(16);
    } while (impl_->users.count(user.user_id) != 0);
    user.display_name = display_name;
    user.language = language;
    impl_->users.emplace(user.user_id, UserState{user, {}});
    impl_->order.push_back(user.user_id);
    return user;
}

std::vector<TestUser> Emulator::users() const {
    std::lock_guard lock(impl_->mutex);
    std::vector<TestUser> out;
    out.reserve(impl_->order.size());
    for (const auto& id : impl_->order) out.push_back(impl_->users.at(id).user);
    return out;
}

std::optional<TestUser> Emulator::user(const std::string& user_id) const {
    std::lock_guard lock(impl_->mutex);
    if (const UserState* u = impl_->find(user_id)) return u->user;
    return std::nullopt;
}

void Emulator::set_followed(const std::string& user_id, bool followed) {
    std::lock_guard lock(impl_->mutex);
    UserState* u = impl_->find(user_id);
    if (u == nullptr) throw std::invalid_argument("set_followed: unknown test user");
    u->user.followed = followed;
}

std::string Emulator::issue_reply_token(const std::string& user_id) {
    std::lock_guard lock(impl_->mutex);
    if (impl_->find(user_id) == nullptr) throw std::invalid_argument("issue_reply_token: unknown test user");
    const std::int64_t now = impl_->clock.now_ms();
    impl_->sweep_tokens(now);
    std::string token;
    do {
        token = random_hex(16);
    } while (impl_->tokens.count(token) != 0);
    impl_->tokens.emplace(token, ReplyToken{user_id, now, false});
    impl_->token_order.push_back(token);
    return token;
}

void Emulator::record_user_message(const std::string& user_id, const std::string& via, const std::string& json) {
    std::lock_guard lock(impl_->mutex);
    UserState* u = impl_->find(user_id);
    if (u == nullptr) throw std::invalid_argument("record_user_message: unknown test user");
    impl_->store(*u, "user", via, json, impl_->clock.now_ms());
}

std::vector<ChatMessage> Emulator::messages(const std::string& user_id, std::uint64_t after_seq) const {
    std::lock_guard lock(impl_->mutex);
    std::vector<ChatMessage> out;
    const UserState* u = impl_->find(user_id);
    if (u == nullptr) return out;
    // Kept in seq order, so the newer ones are a suffix.
    auto first = std::partition_point(u->messages.begin(), u->messages.end(), [&](const ChatMessage& m) {
        return m.seq <= after_seq;
    });
    out.assign(first, u->messages.end());
    return out;
}

}  // namespace sapo::emulator
