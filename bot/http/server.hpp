#pragma once
/// @file
/// @brief The HTTP/1.1 server: one strand per connection, a deadline on every read and write,
/// keep-alive, a body limit, and a graceful stop that lets requests in flight finish.
///
/// The server only moves bytes; what a request means is the Handler's business, so handlers are
/// testable without sockets.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

namespace sapo::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

/// Delivers the response. May be called from any thread, exactly once.
using Respond = std::function<void(Response)>;

/// Called on the connection's strand for each complete request. It may answer at once or later
/// (after a database commit, say) through `respond`.
using Handler = std::function<void(Request&&, Respond)>;

struct ServerOptions {
    std::size_t max_body_bytes = 1024 * 1024;
    std::chrono::milliseconds read_timeout{10000};   ///< from the first byte to the whole request
    std::chrono::milliseconds write_timeout{10000};
    std::chrono::milliseconds idle_timeout{60000};   ///< between requests on a kept-alive connection
};

class Server {
public:
    Server(
        boost::asio::io_context& ioc,
        const boost::asio::ip::tcp::endpoint& endpoint,
        Handler handler,
        ServerOptions options
    );
    ~Server();

    /// The bound endpoint (port 0 resolves to the real port).
    boost::asio::ip::tcp::endpoint local_endpoint() const;

    void start();

    /// Stops accepting, closes idle connections, and lets busy ones finish their current request
    /// (then close). Thread-safe; idempotent.
    void stop();

    /// Connections still open.
    std::size_t open_connections() const;

    struct Impl;  ///< shared with the connections, which outlive a call to stop()

private:
    std::shared_ptr<Impl> impl_;
};

/// A JSON response with the given status and body.
Response json_response(unsigned status, std::string body, unsigned version = 11, bool keep_alive = true);

}  // namespace sapo::http
