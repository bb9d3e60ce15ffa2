#include "bot/line/http_client.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_set>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bot/line/rate_limiter.hpp"
#include "bot/log.hpp"
#include "bot/random.hpp"
#include "bot/metrics.hpp"

namespace sapo::line {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using Request = http::request<http::string_body>;

// LINE answers with small JSON documents; anything bigger is not LINE talking.
constexpr std::uint64_t kResponseBodyLimit = 1024 * 1024;
// An idle keep-alive connection older than this is more likely closed by a middlebox than
// alive; a fresh connect is cheaper than a failed request.
constexpr auto kMaxIdle = std::chrono::seconds(30);
constexpr std::size_t kMaxMessages = 5;
constexpr double kLoadingRateLimit = 100;  // BRIEF 2.5: display a loading animation

const std::string kShuttingDown = "client is shutting down";

// --- base URL ----------------------------------------------------------------------------------

struct Target {
    bool tls = false;
    std::string host;         // for resolve, SNI and certificate check (IPv6 without brackets)
    bool host_is_name = false;  // SNI must not carry an IP literal (RFC 6066 3)
    std::string port;
    std::string host_header;  // host[:port] as written in the URL
    std::string base_path;    // prefix without trailing '/'
};

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return s;
}

Target parse_base_url(const std::string& base_url) {
    auto parsed = boost::urls::parse_absolute_uri(base_url);
    if (!parsed) {
        throw std::invalid_argument("HttpClient: base_url is not an absolute URL");
    }
    const auto& url = *parsed;
    Target t;
    if (url.scheme_id() == boost::urls::scheme::https) {
        t.tls = true;
    } else if (url.scheme_id() != boost::urls::scheme::http) {
        throw std::invalid_argument("HttpClient: base_url must start with https:// (or http:// for a loopback host)");
    }
    if (!url.has_authority() || url.encoded_host().empty()) {
        throw std::invalid_argument("HttpClient: base_url has no host");
    }
    // A token in the URL would end up in error messages and proxies' logs.
    if (url.has_userinfo()) throw std::invalid_argument("HttpClient: base_url must not contain credentials");
    if (url.has_query()) throw std::invalid_argument("HttpClient: base_url must not have a query");
    // Boost.URL 1.81 reads "http://127.0.0.1.example.com" as host 127.0.0.1 and path
    // ".example.com" (boostorg/url#755); a path after an authority must start with '/'.
    if (!url.encoded_path().empty() && url.encoded_path().front() != '/') {
        throw std::invalid_argument("HttpClient: base_url has a malformed host");
    }

    bool loopback = false;
    switch (url.host_type()) {
        case boost::urls::host_type::ipv4:
            t.host = url.host_ipv4_address().to_string();
            loopback = url.host_ipv4_address().to_bytes()[0] == 127;
            break;
        case boost::urls::host_type::ipv6:
            t.host = url.host_ipv6_address().to_string();
            loopback = url.host_ipv6_address().is_loopback();
            break;
        case boost::urls::host_type::name:
            t.host = lower(url.host());
            t.host_is_name = true;
            loopback = t.host == "localhost";
            break;
        default:
            throw std::invalid_argument("HttpClient: base_url has an unsupported host");
    }
    if (!t.tls && !loopback) {
        throw std::invalid_argument(
            "HttpClient: plain http:// is allowed only for a loopback host (127.0.0.0/8, localhost, ::1); "
            "use https:// for " + t.host
        );
    }
    if (url.has_port()) {
        if (url.port_number() == 0) throw std::invalid_argument("HttpClient: base_url has an invalid port");
        t.port = std::string(url.port());
    } else {
        t.port = t.tls ? "443" : "80";
    }
    t.host_header = std::string(url.encoded_host_and_port());
    t.base_path = std::string(url.encoded_path());
    while (!t.base_path.empty() && t.base_path.back() == '/') t.base_path.pop_back();
    return t;
}

// --- one attempt on the I/O thread -------------------------------------------------------------

/// What one HTTP exchange produced: a response, or why there is none.
struct Outcome {
    int status = 0;
    std::string body;
    std::string request_id;
    std::string accepted_request_id;
    std::string error;          // set when status == 0
    bool timed_out = false;
    bool nothing_sent = false;  // not one byte of the request left this process
    bool cancelled = false;     // the client is being destroyed
};

struct Connection {
    Connection(asio::io_context& ioc, ssl::context* tls_ctx) {
        if (tls_ctx != nullptr) {
            tls.emplace(ioc, *tls_ctx);
        } else {
            plain.emplace(ioc);
        }
    }

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

    /// Calls f with the stream HTTP is spoken over, whichever type it is.
    template <class F>
    void with_stream(F&& f) {
        if (tls) {
            f(*tls);
        } else {
            f(*plain);
        }
    }

    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
    beast::flat_buffer buffer;
    SteadyClock::time_point idle_since;
};

class Exchange;

/// Owns the io_context, its thread and the keep-alive pool. Everything but the constructor,
/// destructor, run() and cancel_all() runs on the I/O thread only.
class Transport {
public:
    Transport(Target target, std::chrono::milliseconds timeout, std::size_t pool_size)
        : target_(std::move(target)), timeout_(timeout), pool_size_(pool_size) {
        if (target_.tls) {
            tls_ctx_.emplace(ssl::context::tls_client);
            tls_ctx_->set_options(
                ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1
            );
            tls_ctx_->set_default_verify_paths();
            tls_ctx_->set_verify_mode(ssl::verify_peer);
        }
        thread_ = std::thread([this] { ioc_.run(); });
    }

    ~Transport() {
        // Callers have left (HttpClient::Impl waits for them), so whatever is still queued
        // belongs to nobody: drop it instead of draining it.
        work_.reset();
        ioc_.stop();
        thread_.join();
        idle_.clear();
    }

    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    /// Runs one exchange on the I/O thread and blocks the caller until it is over.
    Outcome run(Request request, bool idempotent);

    /// Makes every exchange in flight finish now with `cancelled`, and every later one too.
    void cancel_all();

    const Target& target() const { return target_; }

private:
    friend class Exchange;

    std::shared_ptr<Connection> take_idle();
    void give_back(std::shared_ptr<Connection> conn);
    static bool still_open(Connection& conn);

    const Target target_;
    const std::chrono::milliseconds timeout_;
    const std::size_t pool_size_;
    std::optional<ssl::context> tls_ctx_;
    std::vector<std::shared_ptr<Connection>> idle_;
    std::unordered_set<Exchange*> live_;
    bool closing_ = false;
    // Declared after everything its pending handlers may touch, so it is destroyed first.
    asio::io_context ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
    std::thread thread_;
};

/// One request/response on a pooled or fresh connection. Kept alive by its handler chain.
class Exchange : public std::enable_shared_from_this<Exchange> {
public:
    Exchange(Transport& transport, Request request, bool idempotent, std::promise<Outcome> promise)
        : t_(transport), request_(std::move(request)), idempotent_(idempotent), promise_(std::move(promise)) {}

    ~Exchange() { t_.live_.erase(this); }

    Exchange(const Exchange&) = delete;
    Exchange& operator=(const Exchange&) = delete;

    void start() {
        if (t_.closing_) {
            Outcome o;
            o.cancelled = true;
            o.nothing_sent = true;
            o.error = kShuttingDown;
            finish(std::move(o));
            return;
        }
        t_.live_.insert(this);
        deadline_ = SteadyClock::now() + t_.timeout_;
        conn_ = t_.take_idle();
        if (conn_) {
            reused_ = true;
            send();
        } else {
            connect_fresh();
        }
    }

    void cancel() {
        cancelled_ = true;
        if (resolver_) resolver_->cancel();
        if (resolve_timer_) resolve_timer_->cancel();
        if (conn_) conn_->lowest().close();
    }

private:
    void connect_fresh() {
        reused_ = false;
        conn_ = std::make_shared<Connection>(t_.ioc_, t_.tls_ctx_ ? &*t_.tls_ctx_ : nullptr);
        resolver_ = std::make_shared<tcp::resolver>(t_.ioc_);
        // tcp_stream deadlines do not cover name resolution.
        resolve_timer_ = std::make_shared<asio::steady_timer>(t_.ioc_);
        resolve_timer_->expires_at(deadline_);
        resolve_timer_->async_wait([weak = weak_from_this(), resolver = resolver_](beast::error_code ec) {
            if (ec) return;
            if (auto self = weak.lock()) self->resolve_timed_out_ = true;
            resolver->cancel();
        });
        resolver_->async_resolve(
            t_.target_.host,
            t_.target_.port,
            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
                self->on_resolve(ec, std::move(results));
            }
        );
    }

    void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
        resolve_timer_->cancel();
        if (resolve_timed_out_) ec = beast::error::timeout;
        if (ec) return fail(ec, "resolve", true);
        conn_->lowest().expires_at(deadline_);
        conn_->lowest().async_connect(
            results,
            [self = shared_from_this()](beast::error_code cec, const tcp::endpoint&) { self->on_connect(cec); }
        );
    }

    void on_connect(beast::error_code ec) {
        if (ec) return fail(ec, "connect", true);
        if (!conn_->tls) return send();
        auto& stream = *conn_->tls;
        if (t_.target_.host_is_name &&
            SSL_ctrl(
                stream.native_handle(),
                SSL_CTRL_SET_TLSEXT_HOSTNAME,
                TLSEXT_NAMETYPE_host_name,
                const_cast<char*>(t_.target_.host.c_str())
            ) != 1) {
            return fail(
                beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()),
                "tls sni",
                true
            );
        }
        stream.set_verify_callback(ssl::host_name_verification(t_.target_.host));
        conn_->lowest().expires_at(deadline_);
        stream.async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code hec) {
            self->on_handshake(hec);
        });
    }

    void on_handshake(beast::error_code ec) {
        if (ec) return fail(ec, "tls handshake", true);
        send();
    }

    void send() {
        conn_->lowest().expires_at(deadline_);
        conn_->with_stream([this](auto& stream) {
            http::async_write(
                stream,
                request_,
                [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_write(ec, n); }
            );
        });
    }

    void on_write(beast::error_code ec, std::size_t written) {
        if (ec) {
            // An incomplete request is never acted on, but for reply we promise more: only a
            // request of which no byte left may be sent again.
            if (reused_ && (idempotent_ || written == 0) && retry_on_fresh(ec)) return;
            return fail(ec, "write", written == 0);
        }
        parser_.emplace();
        parser_->body_limit(kResponseBodyLimit);
        conn_->lowest().expires_at(deadline_);
        conn_->with_stream([this](auto& stream) {
            http::async_read(
                stream,
                conn_->buffer,
                *parser_,
                [self = shared_from_this()](beast::error_code ec2, std::size_t) { self->on_read(ec2); }
            );
        });
    }

    void on_read(beast::error_code ec) {
        if (ec) {
            // A pooled connection the server closed while idle fails here with EOF/RST and no
            // response byte. The server may still have read the request, so only requests that
            // are safe to repeat (retry key, GET, loading) go again.
            if (reused_ && idempotent_ && !parser_->got_some() && retry_on_fresh(ec)) return;
            return fail(ec, "read", false);
        }
        auto& response = parser_->get();
        Outcome o;
        o.status = static_cast<int>(response.result_int());
        o.body = std::move(response.body());
        o.request_id = std::string(response["X-Line-Request-Id"]);
        o.accepted_request_id = std::string(response["X-Line-Accepted-Request-Id"]);
        const bool reusable = response.keep_alive() && conn_->buffer.size() == 0;
        if (reusable) {
            t_.give_back(std::move(conn_));
        } else {
            conn_->lowest().close();
        }
        conn_.reset();
        finish(std::move(o));
    }

    bool retry_on_fresh(beast::error_code ec) {
        if (stale_retried_ || cancelled_ || t_.closing_ || ec == beast::error::timeout) return false;
        stale_retried_ = true;
        log::debug("line: pooled connection was stale, reconnecting", {{"error", ec.message()}});
        conn_->lowest().close();
        conn_.reset();
        connect_fresh();
        return true;
    }

    void fail(beast::error_code ec, const char* stage, bool nothing_sent) {
        Outcome o;
        o.nothing_sent = nothing_sent;
        if (cancelled_ || t_.closing_) {
            o.cancelled = true;
            o.error = kShuttingDown;
        } else if (ec == beast::error::timeout) {
            o.timed_out = true;
            o.error = std::string(stage) + ": timed out after " + std::to_string(t_.timeout_.count()) + " ms";
        } else {
            o.error = std::string(stage) + ": " + ec.message();
        }
        if (conn_) {
            conn_->lowest().close();
            conn_.reset();
        }
        finish(std::move(o));
    }

    void finish(Outcome o) {
        if (done_) return;
        done_ = true;
        t_.live_.erase(this);
        promise_.set_value(std::move(o));
    }

    Transport& t_;
    Request request_;
    const bool idempotent_;
    std::promise<Outcome> promise_;
    bool done_ = false;
    bool cancelled_ = false;
    bool reused_ = false;
    bool stale_retried_ = false;
    bool resolve_timed_out_ = false;
    SteadyClock::time_point deadline_;
    std::shared_ptr<Connection> conn_;
    std::shared_ptr<tcp::resolver> resolver_;
    std::shared_ptr<asio::steady_timer> resolve_timer_;
    std::optional<http::response_parser<http::string_body>> parser_;
};

Outcome Transport::run(Request request, bool idempotent) {
    std::promise<Outcome> promise;
    auto future = promise.get_future();
    auto exchange = std::make_shared<Exchange>(*this, std::move(request), idempotent, std::move(promise));
    // Hand over the only reference: the exchange must die on the I/O thread, which owns live_
    // and the sockets, never here after the promise is set.
    asio::post(ioc_, [exchange = std::move(exchange)] { exchange->start(); });
    try {
        return future.get();
    } catch (const std::future_error&) {
        // Only when the io_context dropped the exchange, i.e. during destruction.
        Outcome o;
        o.cancelled = true;
        o.error = kShuttingDown;
        return o;
    }
}

void Transport::cancel_all() {
    asio::post(ioc_, [this] {
        closing_ = true;
        // cancel() may finish an exchange and so erase it from live_: iterate over a copy.
        std::vector<Exchange*> live(live_.begin(), live_.end());
        for (auto* exchange : live) exchange->cancel();
        for (auto& conn : idle_) conn->lowest().close();
        idle_.clear();
    });
}

std::shared_ptr<Connection> Transport::take_idle() {
    const auto now = SteadyClock::now();
    while (!idle_.empty()) {
        // Most recently used first: it is the least likely to have been closed by the server.
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        if (now - conn->idle_since < kMaxIdle && still_open(*conn)) return conn;
        conn->lowest().close();
    }
    return nullptr;
}

void Transport::give_back(std::shared_ptr<Connection> conn) {
    if (closing_ || idle_.size() >= pool_size_) {
        conn->lowest().close();
        return;
    }
    conn->lowest().expires_never();
    conn->idle_since = SteadyClock::now();
    idle_.push_back(std::move(conn));
}

bool Transport::still_open(Connection& conn) {
    auto& socket = conn.lowest().socket();
    if (!socket.is_open()) return false;
    char byte = 0;
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return false;  // the server closed it while it sat in the pool
    // Plain HTTP: bytes nobody asked for mean the stream is out of step. TLS: could be a late
    // session ticket, which is harmless.
    if (n > 0) return conn.tls.has_value();
    return errno == EAGAIN || errno == EWOULDBLOCK;
}

// --- policy helpers ----------------------------------------------------------------------------

enum class Endpoint { reply, push, multicast, profile, loading };

const char* endpoint_name(Endpoint e) {
    switch (e) {
        case Endpoint::reply:
            return "reply";
        case Endpoint::push:
            return "push";
        case Endpoint::multicast:
            return "multicast";
        case Endpoint::profile:
            return "profile";
        case Endpoint::loading:
            return "loading";
    }
    return "unknown";
}

std::string status_label(const Outcome& o) {
    if (o.status != 0) return std::to_string(o.status);
    return o.timed_out ? "timeout" : "error";
}

/// LINE's error body is {"message": ..., "details": [...]}; the message is not user data.
std::string error_message(const std::string& body) {
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject()) return {};
    auto it = doc.FindMember("message");
    if (it == doc.MemberEnd() || !it->value.IsString()) return {};
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

Result failed(std::string error) {
    Result r;
    r.error = std::move(error);
    return r;
}

/// Checks client-side what LINE would reject anyway, to save a doomed call.
bool valid_messages(const std::vector<std::string>& messages, std::string& error) {
    if (messages.empty() || messages.size() > kMaxMessages) {
        error = "1 to 5 messages per request, got " + std::to_string(messages.size());
        return false;
    }
    for (std::size_t i = 0; i < messages.size(); ++i) {
        rapidjson::Document doc;
        doc.Parse(messages[i].data(), messages[i].size());
        if (doc.HasParseError() || !doc.IsObject()) {
            error = "message " + std::to_string(i) + " is not a JSON object";
            return false;
        }
    }
    return true;
}

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(JsonWriter& w, const std::string& s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void write_messages(JsonWriter& w, const std::vector<std::string>& messages) {
    w.Key("messages");
    w.StartArray();
    // Already checked to be JSON objects; embedded as written to keep the caller's bytes.
    for (const auto& m : messages) w.RawValue(m.data(), m.size(), rapidjson::kObjectType);
    w.EndArray();
}

std::mt19937_64& rng() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return engine;
}

}  // namespace

// --- public free functions ---------------------------------------------------------------------

std::string make_retry_key() {
    auto hex = random_hex(16);
    hex[12] = '4';                                                    // version 4
    hex[16] = "89ab"[static_cast<unsigned char>(hex[16]) & 0x03];     // RFC 4122 variant
    return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' + hex.substr(16, 4) + '-' +
           hex.substr(20);
}

bool is_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

// --- HttpClient::Impl: the retry policy, logging and metrics -----------------------------------

class HttpClient::Impl {
public:
    explicit Impl(HttpClientOptions options)
        : options_(std::move(options)),
          limiter_(options_.rate_limit_per_s),
          loading_limiter_(std::min(options_.rate_limit_per_s, kLoadingRateLimit)) {
        if (options_.max_attempts < 1) throw std::invalid_argument("HttpClient: max_attempts must be >= 1");
        if (options_.timeout.count() <= 0) throw std::invalid_argument("HttpClient: timeout must be > 0");
        if (options_.backoff_base.count() < 0 || options_.backoff_max.count() < 0) {
            throw std::invalid_argument("HttpClient: backoff must be >= 0");
        }
        if (options_.pool_size < 0) throw std::invalid_argument("HttpClient: pool_size must be >= 0");
        transport_ = std::make_unique<Transport>(
            parse_base_url(options_.base_url),
            options_.timeout,
            static_cast<std::size_t>(options_.pool_size)
        );
        user_agent_ = std::string("sapo/") + SAPO_VERSION;
    }

    ~Impl() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
        transport_->cancel_all();
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [this] { return active_ == 0; });
        }
        transport_.reset();
    }

    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    struct Call {
        Endpoint endpoint;
        http::verb verb;
        std::string path;       // below the base URL, already encoded
        std::string body;       // JSON, or empty for GET
        std::string retry_key;  // empty: none
    };

    Result execute(const Call& call) {
        ActiveCall guard(*this);
        if (!guard.entered) return failed(kShuttingDown);

        const Request request = build(call);
        const std::string endpoint = endpoint_name(call.endpoint);
        Result result;
        for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
            if (!pace(call.endpoint)) return shutting_down(result);
            result.attempts = attempt;
            Outcome o = transport_->run(request, call.endpoint != Endpoint::reply);
            if (o.cancelled) return shutting_down(result);
            count(endpoint, o);

            result.status = o.status;
            result.body = o.body;
            result.request_id = o.request_id;
            const std::string attempt_s = std::to_string(attempt);
            const std::string status_s = status_label(o);

            if (o.status >= 200 && o.status < 300) {
                log::debug(
                    "line: api call ok",
                    {{"endpoint", endpoint}, {"status", status_s}, {"request_id", o.request_id}, {"attempt", attempt_s}}
                );
                result.ok = true;
                result.error.clear();
                return result;
            }
            if (o.status == 409 && !call.retry_key.empty()) {
                // An earlier attempt that we saw fail (timeout, 5xx) was in fact accepted.
                log::warn(
                    "line: retry key already accepted, treating as sent",
                    {{"endpoint", endpoint},
                     {"status", status_s},
                     {"request_id", o.request_id},
                     {"accepted_request_id", o.accepted_request_id},
                     {"attempt", attempt_s}}
                );
                result.ok = true;
                result.error.clear();
                result.accepted_request_id = o.accepted_request_id;
                return result;
            }

            result.error = describe(o);
            const bool retryable = call.endpoint == Endpoint::reply
                                       ? o.status == 0 && o.nothing_sent
                                       : o.status == 0 || o.status == 429 || o.status >= 500;
            const bool again = retryable && attempt < options_.max_attempts;
            log::warn(
                again ? "line: api call failed, retrying" : "line: api call failed",
                {{"endpoint", endpoint},
                 {"status", status_s},
                 {"request_id", o.request_id},
                 {"attempt", attempt_s},
                 {"error", o.status == 0 ? o.error : std::string()}}
            );
            if (!again) return result;
            if (!sleep(backoff(attempt - 1, o.status == 429))) return shutting_down(result);
        }
        return result;
    }

private:
    /// Counts a calling thread in and out, so the destructor can wait for all of them.
    struct ActiveCall {
        explicit ActiveCall(Impl& impl) : impl_(impl) {
            std::lock_guard lock(impl_.mutex_);
            entered = !impl_.stopping_;
            if (entered) ++impl_.active_;
        }
        ~ActiveCall() {
            if (!entered) return;
            std::lock_guard lock(impl_.mutex_);
            if (--impl_.active_ == 0) impl_.cv_.notify_all();
        }
        ActiveCall(const ActiveCall&) = delete;
        ActiveCall& operator=(const ActiveCall&) = delete;
        Impl& impl_;
        bool entered = false;
    };

    Request build(const Call& call) const {
        const auto& target = transport_->target();
        Request req{call.verb, target.base_path + call.path, 11};
        req.set(http::field::host, target.host_header);
        req.set(http::field::authorization, "Bearer " + options_.access_token);
        req.set(http::field::user_agent, user_agent_);
        if (call.verb != http::verb::get) {
            req.set(http::field::content_type, "application/json");
            req.body() = call.body;
        }
        if (!call.retry_key.empty()) req.set("X-Line-Retry-Key", call.retry_key);
        req.keep_alive(true);
        req.prepare_payload();
        return req;
    }

    static std::string describe(const Outcome& o) {
        if (o.status == 0) return o.error;
        std::string out = "LINE answered HTTP " + std::to_string(o.status);
        const auto message = error_message(o.body);
        if (!message.empty()) out += ": " + message;
        return out;
    }

    static Result shutting_down(Result r) {
        r.ok = false;
        r.status = 0;
        r.error = kShuttingDown;
        return r;
    }

    static void count(const std::string& endpoint, const Outcome& o) {
        metrics::global()
            .counter(
                "sapo_line_requests_total",
                "LINE API calls by endpoint and status",
                {{"endpoint", endpoint}, {"status", status_label(o)}}
            )
            .inc();
    }

    /// Full jitter: a random wait in [0, min(max, base * 2^n)], so that callers that failed
    /// together do not retry together. After 429 LINE asked us to slow down, so the wait is at
    /// least that cap (up to twice it).
    std::chrono::milliseconds backoff(int n, bool rate_limited) const {
        const auto base = static_cast<double>(options_.backoff_base.count());
        const auto max = static_cast<double>(options_.backoff_max.count());
        const double cap = std::min(max, base * static_cast<double>(std::uint64_t{1} << std::min(n, 30)));
        double low = 0;
        double high = cap;
        if (rate_limited) {
            low = cap;
            high = std::max(cap, std::min(2 * cap, max));
        }
        std::uniform_real_distribution<double> dist(low, high);
        return std::chrono::milliseconds(static_cast<std::int64_t>(high > low ? dist(rng()) : low));
    }

    /// Waits `d` unless the client is being destroyed; false then.
    bool sleep(std::chrono::nanoseconds d) {
        std::unique_lock lock(mutex_);
        return !cv_.wait_for(lock, d, [this] { return stopping_; });
    }

    bool pace(Endpoint endpoint) {
        auto wait = limiter_.reserve();
        if (endpoint == Endpoint::loading) wait = std::max(wait, loading_limiter_.reserve());
        if (wait.count() <= 0) {
            std::lock_guard lock(mutex_);
            return !stopping_;
        }
        return sleep(wait);
    }

    const HttpClientOptions options_;
    std::string user_agent_;
    RateLimiter limiter_;
    RateLimiter loading_limiter_;  // LINE allows the loading animation 100 req/s, not 2,000
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    int active_ = 0;
    std::unique_ptr<Transport> transport_;
};

// --- HttpClient --------------------------------------------------------------------------------

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

Result HttpClient::reply(const std::string& reply_token, const std::vector<std::string>& messages) {
    std::string error;
    if (reply_token.empty()) return failed("empty reply token");
    if (!valid_messages(messages, error)) return failed(error);
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("replyToken");
    write_string(w, reply_token);
    write_messages(w, messages);
    w.EndObject();
    return impl_->execute({Endpoint::reply, http::verb::post, "/v2/bot/message/reply", buf.GetString(), ""});
}

Result HttpClient::push(
    const std::string& to,
    const std::vector<std::string>& messages,
    const std::string& retry_key
) {
    std::string error;
    if (to.empty()) return failed("empty push recipient");
    if (!valid_messages(messages, error)) return failed(error);
    if (!retry_key.empty() && !is_uuid(retry_key)) return failed("retry key is not a UUID");
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("to");
    write_string(w, to);
    write_messages(w, messages);
    w.EndObject();
    // Created before the first attempt: a request sent without a key can never be retried safely.
    std::string key = retry_key.empty() ? make_retry_key() : retry_key;
    return impl_->execute({Endpoint::push, http::verb::post, "/v2/bot/message/push", buf.GetString(), std::move(key)});
}

std::vector<Result> HttpClient::multicast(
    const std::vector<std::string>& to,
    const std::vector<std::string>& messages,
    const std::string& retry_key
) {
    std::vector<Result> results;
    std::string error;
    if (!valid_messages(messages, error)) error = error;
    else if (!retry_key.empty() && !is_uuid(retry_key)) error = "retry key is not a UUID";
    else if (!retry_key.empty() && to.size() > kMulticastChunk) error = "a retry key covers one multicast of at most 500";
    if (!error.empty()) {
        results.push_back(failed(error));
        return results;
    }
    for (std::size_t begin = 0; begin < to.size(); begin += kMulticastChunk) {
        const std::size_t end = std::min(to.size(), begin + kMulticastChunk);
        rapidjson::StringBuffer buf;
        JsonWriter w(buf);
        w.StartObject();
        w.Key("to");
        w.StartArray();
        for (std::size_t i = begin; i < end; ++i) write_string(w, to[i]);
        w.EndArray();
        write_messages(w, messages);
        w.EndObject();
        results.push_back(impl_->execute(
            {Endpoint::multicast, http::verb::post, "/v2/bot/message/multicast", buf.GetString(),
             retry_key.empty() ? make_retry_key() : retry_key}
        ));
    }
    return results;
}

std::optional<Profile> HttpClient::get_profile(const std::string& user_id) {
    if (user_id.empty()) return std::nullopt;
    // An id with '/', '?' or '%' must not be able to reach another path.
    const std::string segment = boost::urls::encode(user_id, boost::urls::unreserved_chars);
    const Result r = impl_->execute({Endpoint::profile, http::verb::get, "/v2/bot/profile/" + segment, "", ""});
    if (!r.ok) return std::nullopt;
    rapidjson::Document doc;
    doc.Parse(r.body.data(), r.body.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        log::warn("line: profile response is not a JSON object", {{"request_id", r.request_id}});
        return std::nullopt;
    }
    auto str = [&doc](const char* name) {
        auto it = doc.FindMember(name);
        if (it == doc.MemberEnd() || !it->value.IsString()) return std::string();
        return std::string(it->value.GetString(), it->value.GetStringLength());
    };
    Profile p;
    p.user_id = str("userId");
    if (p.user_id.empty()) p.user_id = user_id;
    p.display_name = str("displayName");
    p.language = str("language");
    p.picture_url = str("pictureUrl");
    return p;
}

Result HttpClient::show_loading(const std::string& user_id, int seconds) {
    if (user_id.empty()) return failed("empty chat id");
    if (seconds < 5 || seconds > 60 || seconds % 5 != 0) {
        return failed("loading seconds must be 5..60 in steps of 5, got " + std::to_string(seconds));
    }
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("chatId");
    write_string(w, user_id);
    w.Key("loadingSeconds");
    w.Int(seconds);
    w.EndObject();
    return impl_->execute({Endpoint::loading, http::verb::post, "/v2/bot/chat/loading/start", buf.GetString(), ""});
}

}  // namespace sapo::line
