#pragma once
// A running sapo on a fresh database, talking to a fake LINE API: what the end-to-end tests
// share. Bodies are built here so each test reads as the story it tells.

#include <map>
#include <memory>
#include <string>

#include "test/support/fake_line_server.hpp"
#include "test/support/harness.hpp"

namespace sapo::test {

inline constexpr const char* kSecret = "integration-secret";

inline std::map<std::string, std::string> service_env(
    const std::string& database_url,
    const line::FakeLineServer& line,
    std::map<std::string, std::string> extra = {}
) {
    std::map<std::string, std::string> env{
        {"DATABASE_URL", database_url},
        {"LINE_CHANNEL_SECRET", kSecret},
        {"LINE_CHANNEL_ACCESS_TOKEN", line.access_token()},
        {"LINE_API_BASE_URL", line.base_url()},
        {"SAPO_SWEEP_INTERVAL_MS", "200"},
        {"SAPO_OUTBOX_RECLAIM_MS", "1000"},
        {"SAPO_LINE_BACKOFF_BASE_MS", "10"},
    };
    for (auto& [k, v] : extra) env[k] = v;
    return env;
}

/// One event wrapped in a callback body. `fields` is the event's JSON members after "type".
inline std::string callback_body(const std::string& events_json) {
    return R"({"destination":"Uffffffffffffffffffffffffffffffff","events":[)" + events_json + "]}";
}

inline std::string follow_event(
    const std::string& user,
    const std::string& event_id,
    const std::string& reply_token,
    long long ts,
    bool redelivery = false
) {
    return R"({"type":"follow","mode":"active","timestamp":)" + std::to_string(ts) +
           R"(,"source":{"type":"user","userId":")" + user + R"("},"replyToken":")" + reply_token +
           R"(","webhookEventId":")" + event_id + R"(","deliveryContext":{"isRedelivery":)" +
           (redelivery ? "true" : "false") + R"(},"follow":{"isUnblocked":false}})";
}

inline std::string text_event(
    const std::string& user,
    const std::string& event_id,
    const std::string& reply_token,
    long long ts,
    const std::string& text,
    bool redelivery = false
) {
    return R"({"type":"message","mode":"active","timestamp":)" + std::to_string(ts) +
           R"(,"source":{"type":"user","userId":")" + user + R"("},"replyToken":")" + reply_token +
           R"(","webhookEventId":")" + event_id + R"(","deliveryContext":{"isRedelivery":)" +
           (redelivery ? "true" : "false") + R"(},"message":{"id":"1","type":"text","quoteToken":"q","text":")" +
           text + R"("}})";
}

/// A fake LINE API, a fresh database and a sapo serving on them: the fixture of the end-to-end
/// tests. Without SAPO_TEST_DATABASE_URL it fails loudly rather than letting a test pass unseen.
struct RunningService {
    line::FakeLineServer line;
    TempDatabase db;
    SapoProcess sapo;

    RunningService() : sapo({"serve"}, service_env(db.url(), line)) { sapo.start_serving(); }
};

/// A LINE-shaped user id for test number n.
inline std::string user(unsigned n) { return line::FakeLineServer::user_id(n); }

}  // namespace sapo::test
