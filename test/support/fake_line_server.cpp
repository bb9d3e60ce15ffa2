#include "test/support/fake_line_server.hpp"

#include "bot/line/http_client.hpp"
#include "bot/random.hpp"
#include "bot/line/json_fields.hpp"
#include "bot/line/message_rules.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace sapo::line {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Json = rapidjson::Value;

constexpr std::uint64_t kMaxBody = 2 * 1024 * 1024;  // LINE: 413 above 2 MB
constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr std::size_t kMaxMulticast = kMulticastChunk;

/// LINE's request ids are UUID-like; any unique string would do for the tests.
std::string new_request_id() {
    auto h = random_hex(16);
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

std::string new_message_id() {
    std::string out;
    for (char c : random_hex(9)) out += static_cast<char>('0' + (c % 10));
    return out;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return s;
}

bool path_matches(const std::string& pattern, const std::string& path) {
    if (pattern.empty()) return true;
    if (pattern.back() == '/') return path.compare(0, pattern.size(), pattern) == 0;
    return path == pattern;
}

std::string percent_decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// --- answers -----------------------------------------------------------------------------------

struct Answer {
    int status = 200;
    std::string body = "{}";
    std::vector<std::pair<std::string, std::string>> headers;
};

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer& w, const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

Answer answer_of(const ApiError& error) { return Answer{error.status, error.body(), {}}; }

Answer error_answer(int status, const std::string& message) { return answer_of(ApiError{status, message, {}}); }

Answer invalid_request(ErrorDetails details) { return answer_of(invalid_body(std::move(details))); }

std::string default_message(int status) {
    switch (status) {
        case 400:
            return "Bad Request";
        case 401:
            return "Authentication failed due to the following reason: invalid token. Confirm that the access token "
                   "in the authorization header is valid.";
        case 403:
            return "Access to this API is not available for your account";
        case 404:
            return "Not found";
        case 409:
            return "The retry key is already accepted";
        case 410:
            return "Gone";
        case 413:
            return "Request Entity Too Large";
        case 415:
            return "Unsupported Media Type";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "Error";
    }
}

std::string sent_messages_json(const std::vector<std::string>& ids) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartArray();
    for (const auto& id : ids) {
        w.StartObject();
        w.Key("id");
        put(w, id);
        w.Key("quoteToken");
        put(w, "q" + id);
        w.EndObject();
    }
    w.EndArray();
    return buf.GetString();
}

// --- body checks (message objects: bot/line/message_rules) ----------------------------------

using json::idx;

using json::member;

using json::sv;

void check_id(const Json& body, const char* name, ErrorDetails& out) {
    const Json* v = member(body, name);
    if (v == nullptr || !v->IsString()) {
        out.emplace_back("must be specified", name);
    } else if (!is_line_id(sv(*v))) {
        out.emplace_back("The property, '" + std::string(name) + "', in the request body is invalid", name);
    }
}

// --- recorded state ----------------------------------------------------------------------------

struct Rule {
    int remaining;
    int status;
    std::chrono::milliseconds delay;
    std::string path;
};

struct AcceptedKey {
    std::string request_id;
    std::string sent_messages;  // JSON array, repeated in the 409 body of a push
};

}  // namespace

// --- RecordedRequest ---------------------------------------------------------------------------

std::string RecordedRequest::header(const std::string& name) const {
    auto it = headers.find(lower(name));
    return it == headers.end() ? std::string() : it->second;
}

// --- FakeLineServer::Impl ----------------------------------------------------------------------

class FakeLineServer::Impl {
public:
    class Session;

    explicit Impl(std::string token) : token_(std::move(token)) {
        tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(asio::socket_base::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen(asio::socket_base::max_listen_connections);
        port_ = acceptor_.local_endpoint().port();
        accept();
        thread_ = std::thread([this] { ioc_.run(); });
    }

    ~Impl() { stop(); }

    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    void stop() {
        if (stopped_.exchange(true)) return;
        asio::post(ioc_, [this] {
            acceptor_.close();
            close_sessions();
        });
        // With the listener and every socket closed, run() returns once the aborted handlers ran.
        work_.reset();
        thread_.join();
    }

    void drop_connections() {
        if (stopped_) return;
        std::promise<void> done;
        auto future = done.get_future();
        asio::post(ioc_, [this, &done] {
            close_sessions();
            done.set_value();
        });
        future.wait();
    }

    /// Everything LINE would do with one request; called on the I/O thread. Sets `delay` when
    /// the answer is to wait (delay_next) and `drop` when the connection is to be closed instead
    /// of answering (drop_after_next).
    Answer handle(const http::request<http::string_body>& req, std::size_t connection, std::chrono::milliseconds& delay,
                  bool& drop);

    /// Records a request whose body was over LINE's limit and answers 413.
    Answer too_large(const http::request<http::string_body>& req, std::size_t connection);

    void accept();
    void close_sessions();

    // Shared state, under mutex_.
    mutable std::mutex mutex_;
    mutable std::condition_variable cv_;
    std::vector<RecordedRequest> requests_;
    std::set<std::string> reply_tokens_;
    std::set<std::string> used_reply_tokens_;
    bool any_reply_token_ = false;
    bool keep_alive_ = true;
    std::map<std::string, Profile> profiles_;
    std::map<std::string, AcceptedKey> accepted_keys_;
    std::deque<Rule> failures_;
    std::deque<Rule> delays_;
    std::deque<Rule> drops_;
    std::size_t connections_ = 0;
    std::size_t connection_seq_ = 0;  // never reset, so numbers stay unique across clear()

    const std::string token_;
    unsigned short port_ = 0;
    std::atomic<bool> stopped_{false};

    // I/O thread only.
    std::vector<std::weak_ptr<Session>> sessions_;

    asio::io_context ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
    tcp::acceptor acceptor_{ioc_};
    std::thread thread_;

private:
    Answer reply(const Json& body, const RecordedRequest& rec);
    Answer send(const Json& body, const RecordedRequest& rec, bool multicast);
    Answer loading(const Json& body);
    Answer profile(const std::string& path);
    static std::optional<int> consume(std::deque<Rule>& rules, const std::string& path);
};

/// One keep-alive connection: read a request, answer (maybe late), repeat.
class FakeLineServer::Impl::Session : public std::enable_shared_from_this<Session> {
public:
    Session(Impl& server, tcp::socket socket, std::size_t number)
        : server_(server), stream_(std::move(socket)), timer_(server.ioc_), number_(number) {}

    void run() { read(); }

    void close() {
        closed_ = true;
        timer_.cancel();
        stream_.close();
    }

private:
    void read() {
        if (closed_) return;
        parser_.emplace();
        parser_->body_limit(kMaxBody);
        stream_.expires_after(kIdleTimeout);
        http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_read(ec);
        });
    }

    void on_read(beast::error_code ec) {
        if (closed_) return;
        if (ec == http::error::body_limit) {
            respond(server_.too_large(parser_->get(), number_), false, std::chrono::milliseconds(0), false);
            return;
        }
        if (ec) {
            // end_of_stream: the client closed an idle keep-alive connection; anything else is
            // a broken or timed-out connection. Either way there is nobody to answer.
            beast::error_code ignored;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            return;
        }
        const auto& req = parser_->get();
        std::chrono::milliseconds delay{0};
        bool drop = false;
        Answer answer = server_.handle(req, number_, delay, drop);
        bool keep_alive = req.keep_alive();
        {
            std::lock_guard lock(server_.mutex_);
            keep_alive = keep_alive && server_.keep_alive_;
        }
        respond(std::move(answer), keep_alive, delay, drop);
    }

    void respond(Answer answer, bool keep_alive, std::chrono::milliseconds delay, bool drop) {
        if (drop) {
            // drop_after_next: the request took effect, but its answer is lost with the connection
            if (delay.count() <= 0) return close();
            timer_.expires_after(delay);
            timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
                if (ec || self->closed_) return;
                self->close();
            });
            return;
        }
        response_.emplace(static_cast<http::status>(answer.status), 11);
        response_->set(http::field::server, "fake-line");
        response_->set(http::field::content_type, "application/json");
        for (const auto& [name, value] : answer.headers) response_->set(name, value);
        response_->body() = std::move(answer.body);
        response_->keep_alive(keep_alive);
        response_->prepare_payload();
        if (delay.count() <= 0) return write();
        timer_.expires_after(delay);
        timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec || self->closed_) return;
            self->write();
        });
    }

    void write() {
        stream_.expires_after(kIdleTimeout);
        http::async_write(stream_, *response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_write(ec);
        });
    }

    void on_write(beast::error_code ec) {
        if (ec || closed_) return;
        if (!response_->keep_alive()) {
            beast::error_code ignored;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            // Lingering close: closing with unread request bytes (a 413 body still arriving)
            // would reset the connection and the client would never read our answer.
            drain();
            return;
        }
        read();
    }

    void drain() {
        stream_.expires_after(std::chrono::seconds(5));
        stream_.async_read_some(asio::buffer(drain_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec || self->closed_) return;
            self->drain();
        });
    }

    Impl& server_;
    beast::tcp_stream stream_;
    asio::steady_timer timer_;
    const std::size_t number_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::optional<http::response<http::string_body>> response_;
    std::array<char, 16 * 1024> drain_{};
    bool closed_ = false;
};

void FakeLineServer::Impl::accept() {
    acceptor_.async_accept(ioc_, [this](beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (!ec) {
            std::size_t number = 0;
            {
                std::lock_guard lock(mutex_);
                ++connections_;
                number = ++connection_seq_;
            }
            auto session = std::make_shared<Session>(*this, std::move(socket), number);
            // Forget sessions that ended, so a long test does not grow the list without bound.
            sessions_.erase(
                std::remove_if(sessions_.begin(), sessions_.end(), [](const auto& w) { return w.expired(); }),
                sessions_.end()
            );
            sessions_.push_back(session);
            session->run();
        }
        accept();
    });
}

void FakeLineServer::Impl::close_sessions() {
    for (auto& weak : sessions_) {
        if (auto session = weak.lock()) session->close();
    }
    sessions_.clear();
}

std::optional<int> FakeLineServer::Impl::consume(std::deque<Rule>& rules, const std::string& path) {
    for (auto it = rules.begin(); it != rules.end(); ++it) {
        if (!path_matches(it->path, path)) continue;
        const int value = it->status != 0 ? it->status : static_cast<int>(it->delay.count());
        if (--it->remaining <= 0) rules.erase(it);
        return value;
    }
    return std::nullopt;
}

namespace {

RecordedRequest record_of(const http::request<http::string_body>& req, std::size_t connection) {
    RecordedRequest rec;
    rec.method = std::string(req.method_string());
    rec.target = std::string(req.target());
    rec.path = rec.target.substr(0, rec.target.find('?'));
    for (const auto& field : req) rec.headers[lower(std::string(field.name_string()))] = std::string(field.value());
    rec.body = req.body();
    rec.connection = connection;
    rec.received_at = std::chrono::steady_clock::now();
    rec.request_id = new_request_id();
    return rec;
}

}  // namespace

Answer FakeLineServer::Impl::too_large(const http::request<http::string_body>& req, std::size_t connection) {
    RecordedRequest rec = record_of(req, connection);
    rec.body.clear();  // only partly read
    Answer answer = error_answer(413, default_message(413));
    answer.headers.emplace_back("X-Line-Request-Id", rec.request_id);
    rec.status = answer.status;
    std::lock_guard lock(mutex_);
    requests_.push_back(std::move(rec));
    cv_.notify_all();
    return answer;
}

Answer FakeLineServer::Impl::handle(
    const http::request<http::string_body>& req,
    std::size_t connection,
    std::chrono::milliseconds& delay,
    bool& drop
) {
    RecordedRequest rec = record_of(req, connection);
    std::lock_guard lock(mutex_);
    if (auto d = consume(delays_, rec.path)) delay = std::chrono::milliseconds(*d);
    drop = consume(drops_, rec.path).has_value();
    rec.dropped = drop;

    Answer answer = [&]() -> Answer {
        if (auto status = consume(failures_, rec.path)) return error_answer(*status, default_message(*status));
        if (rec.header("authorization") != "Bearer " + token_) return error_answer(401, default_message(401));

        const bool is_post = req.method() == http::verb::post;
        const bool is_get = req.method() == http::verb::get;
        const bool known_post = rec.path == kReplyPath || rec.path == kPushPath || rec.path == kMulticastPath ||
                                rec.path == kLoadingPath;
        const bool known_get = rec.path.rfind(kProfilePrefix, 0) == 0 && rec.path.size() > std::strlen(kProfilePrefix);
        if (!known_post && !known_get) return error_answer(404, default_message(404));
        if ((known_post && !is_post) || (known_get && !is_get)) return error_answer(405, "Method Not Allowed");
        if (known_get) return profile(rec.path);

        if (lower(rec.header("content-type")).rfind("application/json", 0) != 0) {
            return error_answer(415, default_message(415));
        }
        rapidjson::Document body;
        body.Parse<rapidjson::kParseValidateEncodingFlag>(rec.body.data(), rec.body.size());
        if (body.HasParseError() || !body.IsObject()) {
            return error_answer(400, "The request body could not be parsed as JSON");
        }
        if (rec.path == kReplyPath) return reply(body, rec);
        if (rec.path == kPushPath) return send(body, rec, false);
        if (rec.path == kMulticastPath) return send(body, rec, true);
        return loading(body);
    }();

    answer.headers.emplace_back("X-Line-Request-Id", rec.request_id);
    rec.status = answer.status;
    requests_.push_back(std::move(rec));
    cv_.notify_all();
    return answer;
}

Answer FakeLineServer::Impl::reply(const Json& body, const RecordedRequest& rec) {
    if (rec.headers.count("x-line-retry-key") != 0) {
        return error_answer(400, "The retry key is not supported for this API");
    }
    ErrorDetails details;
    const Json* token = member(body, "replyToken");
    if (token == nullptr || !token->IsString() || token->GetStringLength() == 0) {
        details.emplace_back("must be specified", "replyToken");
    }
    const std::size_t count = check_messages(member(body, "messages"), details);
    if (!details.empty()) return invalid_request(std::move(details));

    const std::string t(sv(*token));
    const bool known = reply_tokens_.count(t) != 0 || any_reply_token_;
    if (!known || used_reply_tokens_.count(t) != 0) return error_answer(400, "Invalid reply token");
    used_reply_tokens_.insert(t);

    std::vector<std::string> ids;
    for (std::size_t i = 0; i < count; ++i) ids.push_back(new_message_id());
    return Answer{200, "{\"sentMessages\":" + sent_messages_json(ids) + "}", {}};
}

Answer FakeLineServer::Impl::send(const Json& body, const RecordedRequest& rec, bool multicast) {
    const std::string key = rec.header("x-line-retry-key");
    const bool has_key = rec.headers.count("x-line-retry-key") != 0;
    if (has_key && !FakeLineServer::is_uuid(key)) {
        return error_answer(400, "The value of the X-Line-Retry-Key header is invalid");
    }
    if (has_key) {
        if (auto it = accepted_keys_.find(lower(key)); it != accepted_keys_.end()) {
            Answer a;
            a.status = 409;
            a.body = multicast ? "{\"message\":\"The retry key is already accepted\"}"
                               : "{\"message\":\"The retry key is already accepted\",\"sentMessages\":" +
                                     it->second.sent_messages + "}";
            a.headers.emplace_back("X-Line-Accepted-Request-Id", it->second.request_id);
            return a;
        }
    }

    ErrorDetails details;
    if (multicast) {
        const Json* to = member(body, "to");
        if (to == nullptr || !to->IsArray()) {
            details.emplace_back("must be specified", "to");
        } else {
            if (to->Size() < 1 || to->Size() > kMaxMulticast) {
                details.emplace_back("Size must be between 1 and " + std::to_string(kMaxMulticast), "to");
            }
            for (rapidjson::SizeType i = 0; i < to->Size(); ++i) {
                const auto& v = (*to)[i];
                // Multicast goes to users only, never groups or rooms.
                if (!v.IsString() || !is_user_id(sv(v))) {
                    details.emplace_back("The property, 'to', in the request body is invalid", idx("to", i));
                }
            }
        }
    } else {
        check_id(body, "to", details);
    }
    const std::size_t count = check_messages(member(body, "messages"), details);
    if (!details.empty()) return invalid_request(std::move(details));

    std::vector<std::string> ids;
    for (std::size_t i = 0; i < count; ++i) ids.push_back(new_message_id());
    const std::string sent = sent_messages_json(ids);
    if (has_key) accepted_keys_[lower(key)] = AcceptedKey{rec.request_id, sent};
    if (multicast) return Answer{200, "{}", {}};
    return Answer{200, "{\"sentMessages\":" + sent + "}", {}};
}

Answer FakeLineServer::Impl::loading(const Json& body) {
    ErrorDetails details;
    check_id(body, "chatId", details);
    if (const Json* s = member(body, "loadingSeconds")) {
        if (!s->IsInt() || !valid_loading_seconds(s->GetInt())) {
            details.emplace_back("must be a multiple of 5 between 5 and 60", "loadingSeconds");
        }
    }
    if (!details.empty()) return invalid_request(std::move(details));
    return Answer{202, "{}", {}};
}

Answer FakeLineServer::Impl::profile(const std::string& path) {
    const std::string user = percent_decode(path.substr(std::strlen(kProfilePrefix)));
    auto it = profiles_.find(user);
    if (it == profiles_.end()) return error_answer(404, default_message(404));
    const Profile& p = it->second;
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("displayName");
    put(w, p.display_name);
    w.Key("userId");
    put(w, p.user_id);
    // LINE omits what the user has not set or not shared.
    if (!p.language.empty()) {
        w.Key("language");
        put(w, p.language);
    }
    if (!p.picture_url.empty()) {
        w.Key("pictureUrl");
        put(w, p.picture_url);
    }
    w.EndObject();
    return Answer{200, buf.GetString(), {}};
}

// --- FakeLineServer ----------------------------------------------------------------------------

FakeLineServer::FakeLineServer(std::string access_token) : impl_(std::make_unique<Impl>(std::move(access_token))) {}

FakeLineServer::~FakeLineServer() = default;

void FakeLineServer::stop() { impl_->stop(); }

unsigned short FakeLineServer::port() const { return impl_->port_; }

std::string FakeLineServer::base_url() const { return "http://127.0.0.1:" + std::to_string(impl_->port_); }

const std::string& FakeLineServer::access_token() const { return impl_->token_; }

void FakeLineServer::add_reply_token(const std::string& token) {
    std::lock_guard lock(impl_->mutex_);
    impl_->reply_tokens_.insert(token);
}

void FakeLineServer::accept_any_reply_token(bool on) {
    std::lock_guard lock(impl_->mutex_);
    impl_->any_reply_token_ = on;
}

void FakeLineServer::add_profile(const Profile& profile) {
    std::lock_guard lock(impl_->mutex_);
    impl_->profiles_[profile.user_id] = profile;
}

void FakeLineServer::set_keep_alive(bool on) {
    std::lock_guard lock(impl_->mutex_);
    impl_->keep_alive_ = on;
}

void FakeLineServer::fail_next(int count, int status, const std::string& path) {
    if (count <= 0) return;
    if (status < 100 || status > 599) throw std::invalid_argument("fail_next: status must be an HTTP status");
    std::lock_guard lock(impl_->mutex_);
    impl_->failures_.push_back(Rule{count, status, std::chrono::milliseconds(0), path});
}

void FakeLineServer::delay_next(int count, std::chrono::milliseconds delay, const std::string& path) {
    if (count <= 0 || delay.count() <= 0) return;
    std::lock_guard lock(impl_->mutex_);
    impl_->delays_.push_back(Rule{count, 0, delay, path});
}

void FakeLineServer::drop_after_next(int count, const std::string& path) {
    if (count <= 0) return;
    std::lock_guard lock(impl_->mutex_);
    impl_->drops_.push_back(Rule{count, 0, std::chrono::milliseconds(0), path});
}

void FakeLineServer::drop_connections() { impl_->drop_connections(); }

std::vector<RecordedRequest> FakeLineServer::requests() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->requests_;
}

std::vector<RecordedRequest> FakeLineServer::requests(const std::string& path) const {
    std::lock_guard lock(impl_->mutex_);
    std::vector<RecordedRequest> out;
    for (const auto& r : impl_->requests_) {
        if (path_matches(path, r.path)) out.push_back(r);
    }
    return out;
}

std::vector<RecordedRequest> FakeLineServer::accepted(const std::string& path) const {
    std::lock_guard lock(impl_->mutex_);
    std::vector<RecordedRequest> out;
    for (const auto& r : impl_->requests_) {
        if (r.accepted() && path_matches(path, r.path)) out.push_back(r);
    }
    return out;
}

bool FakeLineServer::wait_for(
    const std::function<bool(const std::vector<RecordedRequest>&)>& predicate,
    std::chrono::milliseconds timeout
) const {
    std::unique_lock lock(impl_->mutex_);
    return impl_->cv_.wait_for(lock, timeout, [&] { return predicate(impl_->requests_); });
}

bool FakeLineServer::wait_for(std::size_t count, std::chrono::milliseconds timeout) const {
    return wait_for([count](const auto& rs) { return rs.size() >= count; }, timeout);
}

bool FakeLineServer::wait_for_accepted(
    std::size_t count,
    std::chrono::milliseconds timeout,
    const std::string& path
) const {
    return wait_for(
        [&](const std::vector<RecordedRequest>& rs) {
            return static_cast<std::size_t>(std::count_if(rs.begin(), rs.end(), [&](const RecordedRequest& r) {
                       return r.accepted() && path_matches(path, r.path);
                   })) >= count;
        },
        timeout
    );
}

std::size_t FakeLineServer::connections_accepted() const {
    std::lock_guard lock(impl_->mutex_);
    return impl_->connections_;
}

void FakeLineServer::clear() {
    std::lock_guard lock(impl_->mutex_);
    impl_->requests_.clear();
    impl_->connections_ = 0;
}

std::string FakeLineServer::user_id(unsigned n) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "U%032x", n);
    return buf;
}

bool FakeLineServer::is_line_id(const std::string& id) { return sapo::line::is_line_id(id); }

bool FakeLineServer::is_uuid(const std::string& s) { return sapo::line::is_uuid(s); }

}  // namespace sapo::line
