#pragma once
/// @file
/// @brief A fake LINE Messaging API: a real HTTP/1.1 server (Beast, keep-alive) on 127.0.0.1
/// that checks requests the way LINE does and answers with LINE's status codes, headers and
/// error bodies. For the LINE client's tests and for integration tests of the webhook service.
///
/// What it checks (BRIEF.md 2.x): "Authorization: Bearer <token>" (401); JSON Content-Type on
/// POST (415); a body that parses (400 "The request body could not be parsed as JSON"); body
/// over 2 MB (413); reply: known, unused replyToken (400 "Invalid reply token"), no
/// X-Line-Retry-Key; push/multicast: X-Line-Retry-Key is a UUID, a key already accepted gives
/// 409 with X-Line-Accepted-Request-Id; recipients are LINE ids ("U" + 32 hex; multicast 1..500);
/// messages 1..5 with a known type; text 1..5000 UTF-16 units; quickReply.items 1..13; action
/// labels <= 20 characters, postback data/displayText and message text <= 300, uri <= 1000.
/// Invalid bodies get 400 {"message":"The request body has N error(s)","details":[...]}.
/// Every response carries a fresh X-Line-Request-Id.
///
/// All public member functions are thread-safe.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bot/line/client.hpp"

namespace sapo::line {

/// One request as the fake received it, and what it answered.
struct RecordedRequest {
    std::string method;  ///< "GET", "POST", ...
    std::string target;  ///< as received, query included
    std::string path;    ///< target without the query
    std::map<std::string, std::string> headers;  ///< names in lower case
    std::string body;
    int status = 0;          ///< the status answered (injected failures included)
    std::string request_id;  ///< the X-Line-Request-Id answered
    std::size_t connection = 0;  ///< 1-based number of the TCP connection it came on
    std::chrono::steady_clock::time_point received_at;  ///< when the whole request was read
    /// The connection was closed instead of answering (drop_after_next): `status` is what LINE
    /// decided, which the client never saw.
    bool dropped = false;

    /// Value of a header by lower-case name; empty when absent.
    std::string header(const std::string& name) const;

    /// True when LINE would have accepted it (2xx). Accepted is not delivered to a phone, but it
    /// is as far as a test can see.
    bool accepted() const { return status >= 200 && status < 300; }
};

class FakeLineServer {
public:
    static constexpr const char* kDefaultToken = "test-channel-access-token";
    static constexpr const char* kReplyPath = "/v2/bot/message/reply";
    static constexpr const char* kPushPath = "/v2/bot/message/push";
    static constexpr const char* kMulticastPath = "/v2/bot/message/multicast";
    static constexpr const char* kLoadingPath = "/v2/bot/chat/loading/start";
    static constexpr const char* kProfilePrefix = "/v2/bot/profile/";

    /// Starts listening on 127.0.0.1 with an ephemeral port and serving on its own thread.
    /// Requests must carry "Authorization: Bearer <access_token>".
    explicit FakeLineServer(std::string access_token = kDefaultToken);

    /// Stops (see stop()).
    ~FakeLineServer();

    FakeLineServer(const FakeLineServer&) = delete;
    FakeLineServer& operator=(const FakeLineServer&) = delete;

    /// Closes the listener and every connection, cancels pending delays, joins the thread.
    /// Idempotent. Recorded requests stay readable.
    void stop();

    unsigned short port() const;

    /// "http://127.0.0.1:<port>", for HttpClientOptions::base_url or LINE_API_BASE_URL.
    std::string base_url() const;

    const std::string& access_token() const;

    // --- LINE's state --------------------------------------------------------------------------

    /// Makes `token` a valid, unused reply token (single use, as on LINE).
    void add_reply_token(const std::string& token);

    /// When on, any reply token not seen before is valid once (the webhook under test makes up
    /// no tokens, LINE does; this saves registering each one). Used tokens stay invalid.
    void accept_any_reply_token(bool on);

    /// GET /v2/bot/profile/{user_id} answers 200 with this profile; unknown ids get 404.
    void add_profile(const Profile& profile);

    /// When off, every response says "Connection: close" and the fake closes the connection.
    void set_keep_alive(bool on);

    // --- fault injection -----------------------------------------------------------------------

    /// The next `count` requests whose path matches answer `status` with a LINE-style error
    /// body, before any other check and without any effect (no token used, no key accepted).
    /// `path` empty matches every request; one ending in '/' matches as a prefix.
    /// Rules queue up: each request consumes from the first matching rule with count left.
    void fail_next(int count, int status, const std::string& path = "");

    /// The next `count` matching requests are handled normally (and recorded) but answered only
    /// after `delay`, to provoke client timeouts: like LINE, the work may be done although the
    /// client gave up. Combines with fail_next.
    void delay_next(int count, std::chrono::milliseconds delay, const std::string& path = "");

    /// The next `count` matching requests are handled normally, but the fake then closes their
    /// connection without writing any response: the answer is lost on the way back, as when a
    /// connection breaks after LINE did the work. Each is recorded with the status LINE decided
    /// (200 for a valid push/multicast, whose X-Line-Retry-Key is then accepted, so a resend
    /// with that key gets 409; accepted() counts it) and with `dropped` set. Matches paths like
    /// fail_next. Combines with fail_next (the failure is recorded, nothing takes effect, and
    /// still no answer) and with delay_next (the connection is closed after the delay).
    void drop_after_next(int count, const std::string& path = "");

    /// Closes every open connection now (as a server's idle timeout would), returning once done.
    void drop_connections();

    // --- recording -----------------------------------------------------------------------------

    /// All requests so far, in the order they were read.
    std::vector<RecordedRequest> requests() const;

    /// Those whose path matches `path` (exact, or prefix when it ends in '/').
    std::vector<RecordedRequest> requests(const std::string& path) const;

    /// Matching requests answered with 2xx: what LINE accepted for delivery.
    std::vector<RecordedRequest> accepted(const std::string& path = "") const;

    /// Waits until `predicate(requests())` holds or `timeout` passes; returns whether it held.
    /// The predicate runs under the fake's lock: it must not call the fake.
    bool wait_for(
        const std::function<bool(const std::vector<RecordedRequest>&)>& predicate,
        std::chrono::milliseconds timeout
    ) const;

    /// Waits until at least `count` requests were recorded.
    bool wait_for(std::size_t count, std::chrono::milliseconds timeout) const;

    /// Waits until at least `count` matching requests were accepted (2xx).
    bool wait_for_accepted(
        std::size_t count,
        std::chrono::milliseconds timeout,
        const std::string& path = ""
    ) const;

    /// TCP connections accepted so far.
    std::size_t connections_accepted() const;

    /// Forgets recorded requests and resets the connection count. LINE's state (tokens,
    /// profiles, accepted retry keys) and pending fault rules stay.
    void clear();

    // --- helpers -------------------------------------------------------------------------------

    /// A well-formed LINE user id ("U" + 32 hex digits) derived from n, for tests.
    static std::string user_id(unsigned n);

    /// True for "U"/"C"/"R" + 32 lower-case hex digits (user, group, room).
    static bool is_line_id(const std::string& id);

    /// True for a UUID in 8-4-4-4-12 hex form.
    static bool is_uuid(const std::string& s);

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sapo::line
