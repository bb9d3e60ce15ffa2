#include "bot/http/server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

#include <mutex>
#include <optional>
#include <map>

#include "bot/log.hpp"

namespace sapo::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

Response json_response(unsigned status, std::string body, unsigned version, bool keep_alive) {
    Response res{static_cast<bhttp::status>(status), version};
    res.set(bhttp::field::server, "sapo");
    res.set(bhttp::field::content_type, "application/json; charset=utf-8");
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

class Session;

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
    Impl(asio::io_context& context, Handler h, ServerOptions o)
        : ioc(context), acceptor(asio::make_strand(context)), handler(std::move(h)), options(o) {}

    asio::io_context& ioc;
    tcp::acceptor acceptor;
    Handler handler;
    ServerOptions options;

    mutable std::mutex mutex;
    std::map<Session*, std::weak_ptr<Session>> sessions;
    bool stopping = false;

    void accept();
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket&& socket, std::shared_ptr<Server::Impl> server)
        : stream_(std::move(socket)), server_(std::move(server)) {}

    void run() {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
    }

    /// Called by Server::stop through the strand: idle connections close now, busy ones after
    /// their response.
    void drain() {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            self->draining_ = true;
            if (!self->busy_) self->close();
        });
    }

    ~Session() {
        std::lock_guard lock(server_->mutex);
        server_->sessions.erase(this);
    }

private:
    void read() {
        if (draining_) return close();
        parser_.emplace();
        parser_->body_limit(server_->options.max_body_bytes);
        parser_->header_limit(16 * 1024);
        // A new connection waits for its first request as long as for any later one.
        stream_.expires_after(server_->options.idle_timeout);
        bhttp::async_read_header(
            stream_,
            buffer_,
            *parser_,
            beast::bind_front_handler(&Session::on_header, shared_from_this())
        );
    }

    void on_header(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        busy_ = true;
        stream_.expires_after(server_->options.read_timeout);
        bhttp::async_read(
            stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this())
        );
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        stream_.expires_never();  // the handler may take its time (a commit); it has its own deadline
        auto req = parser_->release();
        version_ = req.version();
        keep_alive_ = req.keep_alive();
        auto self = shared_from_this();
        server_->handler(std::move(req), [self](Response res) {
            asio::post(self->stream_.get_executor(), [self, r = std::move(res)]() mutable {
                self->write(std::move(r));
            });
        });
    }

    void on_read_error(beast::error_code ec) {
        if (ec == bhttp::error::body_limit) {
            busy_ = true;
            keep_alive_ = false;
            version_ = parser_->get().version();
            return write(json_response(
                413, R"({"message":"request body too large"})", version_, false
            ));
        }
        if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
            ec == beast::error::timeout || ec == asio::error::connection_reset ||
            ec == asio::error::eof) {
            return close();
        }
        if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
            // A malformed request: say so, then close (the stream is no longer in sync).
            busy_ = true;
            keep_alive_ = false;
            return write(json_response(400, R"({"message":"malformed HTTP request"})", 11, false));
        }
        close();
    }

    void write(Response res) {
        res.version(version_);
        bool keep = keep_alive_ && !draining_ && res.keep_alive();
        res.keep_alive(keep);
        response_ = std::make_shared<Response>(std::move(res));
        stream_.expires_after(server_->options.write_timeout);
        bhttp::async_write(
            stream_,
            *response_,
            beast::bind_front_handler(&Session::on_write, shared_from_this(), keep)
        );
    }

    void on_write(bool keep, beast::error_code ec, std::size_t) {
        busy_ = false;
        response_.reset();
        if (ec) return close();
        if (!keep) return linger_close();
        read();
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.socket().close(ignored);
    }

    /// After a response that ends the connection (an error, often sent before the request was
    /// read to its end), closing at once with unread bytes would make the kernel send a reset
    /// that can destroy the response in the client's buffer. So: stop sending, read and discard
    /// what the client still sends for a moment, then close.
    void linger_close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.expires_after(std::chrono::seconds(2));
        discard_until_eof();
    }

    void discard_until_eof() {
        buffer_.clear();
        stream_.async_read_some(
            buffer_.prepare(4096),
            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec) return self->close();
                self->discard_until_eof();
            }
        );
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::shared_ptr<Response> response_;
    std::shared_ptr<Server::Impl> server_;
    unsigned version_ = 11;
    bool keep_alive_ = true;
    bool busy_ = false;
    bool draining_ = false;
};

void Server::Impl::accept() {
    acceptor.async_accept(
        asio::make_strand(ioc),
        [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
            if (ec) {
                if (ec == asio::error::operation_aborted) return;
                log::warn("accept failed", {{"error", ec.message()}});
            } else {
                beast::error_code ignored;
                socket.set_option(tcp::no_delay(true), ignored);
                auto session = std::make_shared<Session>(std::move(socket), self);
                {
                    std::lock_guard lock(self->mutex);
                    if (self->stopping) return;  // socket closes with the session
                    self->sessions.emplace(session.get(), session);
                }
                session->run();
            }
            std::lock_guard lock(self->mutex);
            if (!self->stopping) self->accept();
        }
    );
}

Server::Server(
    asio::io_context& ioc,
    const tcp::endpoint& endpoint,
    Handler handler,
    ServerOptions options
)
    : impl_(std::make_shared<Impl>(ioc, std::move(handler), options)) {
    auto& a = impl_->acceptor;
    a.open(endpoint.protocol());
    a.set_option(asio::socket_base::reuse_address(true));
    a.bind(endpoint);
    a.listen(asio::socket_base::max_listen_connections);
}

Server::~Server() { stop(); }

tcp::endpoint Server::local_endpoint() const { return impl_->acceptor.local_endpoint(); }

void Server::start() {
    asio::dispatch(impl_->acceptor.get_executor(), [impl = impl_] { impl->accept(); });
}

void Server::stop() {
    std::vector<std::shared_ptr<Session>> live;
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->stopping) return;
        impl_->stopping = true;
        for (auto& [ptr, w] : impl_->sessions) {
            if (auto s = w.lock()) live.push_back(std::move(s));
        }
    }
    asio::dispatch(impl_->acceptor.get_executor(), [impl = impl_] {
        beast::error_code ignored;
        impl->acceptor.close(ignored);
    });
    for (auto& s : live) s->drain();
}

std::size_t Server::open_connections() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->sessions.size();
}

}  // namespace sapo::http
