#include "test/support/harness.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "bot/webhook/signature.hpp"

namespace sapo::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string random_suffix() {
    static std::mt19937_64 rng{std::random_device{}()};
    static std::mutex m;
    std::lock_guard lock(m);
    return std::to_string(getpid()) + "_" + std::to_string(rng() % 1000000000ULL);
}

/// Replaces the database name (the path) of a postgresql:// URL.
std::string with_database(const std::string& url, const std::string& db) {
    auto scheme_end = url.find("://");
    auto slash = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    auto query = url.find('?');
    std::string base = slash == std::string::npos ? url.substr(0, query) : url.substr(0, slash);
    std::string rest = query == std::string::npos ? "" : url.substr(query);
    return base + "/" + db + rest;
}

std::string run_command(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("cannot run " + cmd);
    char buf[512];
    while (fgets(buf, sizeof buf, p)) out += buf;
    int rc = pclose(p);
    if (rc != 0) throw std::runtime_error(cmd + " failed:\n" + out);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

}  // namespace

std::string test_server_url() {
    const char* v = std::getenv("SAPO_TEST_DATABASE_URL");
    return v ? v : "";
}

bool have_test_postgres() {
    if (!test_server_url().empty()) return true;
    WARN("SAPO_TEST_DATABASE_URL is not set: skipping (scripts/test sets it)");
    return false;
}

TempDatabase::TempDatabase() : name_("sapo_t_" + random_suffix()) {
    if (test_server_url().empty()) {
        throw std::runtime_error("SAPO_TEST_DATABASE_URL is not set; run the tests with scripts/test");
    }
    exec_sql(test_server_url(), "CREATE DATABASE " + name_);
    url_ = with_database(test_server_url(), name_);
}

TempDatabase::~TempDatabase() {
    try {
        exec_sql(test_server_url(), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
        // a leftover database in a throwaway cluster is harmless
    }
}

TempCluster::TempCluster() : port_(free_port()) {
    char tmpl[] = "/tmp/sapo-cluster-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    start();
}

TempCluster::~TempCluster() {
    try {
        run_command(std::string(SAPO_SOURCE_DIR) + "/scripts/pg destroy " + dir_ + " 2>&1");
    } catch (...) {
    }
}

void TempCluster::start() {
    run_command(std::string(SAPO_SOURCE_DIR) + "/scripts/pg start " + dir_ + " " + std::to_string(port_) + " 2>&1");
}

void TempCluster::stop() { run_command(std::string(SAPO_SOURCE_DIR) + "/scripts/pg stop " + dir_ + " 2>&1"); }

std::string TempCluster::url() const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

std::vector<std::vector<std::string>> query_rows(const std::string& url, const std::string& sql) {
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : tx.exec(sql)) {
        std::vector<std::string> row;
        for (const auto& f : r) row.emplace_back(f.is_null() ? "" : f.c_str());
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string query_value(const std::string& url, const std::string& sql) {
    auto rows = query_rows(url, sql);
    if (rows.empty() || rows[0].empty()) return "";
    return rows[0][0];
}

void exec_sql(const std::string& url, const std::string& sql) {
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    tx.exec(sql);
}

int free_port() {
    asio::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

HttpResult http_request(
    int port,
    const std::string& method,
    const std::string& target,
    const std::string& body,
    const std::map<std::string, std::string>& headers,
    std::chrono::milliseconds timeout
) {
    HttpResult result;
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.set(bhttp::field::content_type, "application/json; charset=utf-8");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    stream.expires_after(timeout);
    stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)),
        [&](beast::error_code ec) {
            if (ec) return;
            bhttp::async_write(stream, req, [&](beast::error_code wec, std::size_t) {
                if (wec && wec != asio::error::connection_reset && wec != asio::error::broken_pipe) return;
                bhttp::async_read(stream, buffer, parser, [&](beast::error_code rec, std::size_t) {
                    if (rec) return;
                    auto& res = parser.get();
                    result.status = static_cast<int>(res.result_int());
                    result.body = res.body();
                    for (const auto& f : res) {
                        std::string name(f.name_string());
                        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                        result.headers[name] = std::string(f.value());
                    }
                });
            });
        });
    ioc.run();
    return result;
}

std::string raw_exchange(int port, const std::string& bytes, std::chrono::milliseconds timeout) {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    std::string received;
    std::string first_line;
    stream.expires_after(timeout);
    stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)),
        [&](beast::error_code ec) {
            if (ec) return;
            asio::async_write(stream, asio::buffer(bytes), [&](beast::error_code wec, std::size_t) {
                if (wec) return;
                // dynamic_buffer(string) is a view, so `received` itself fills (a flat_buffer
                // would be copied by async_read_until and stay empty here)
                asio::async_read_until(stream, asio::dynamic_buffer(received), "\r\n", [&](beast::error_code rec, std::size_t n) {
                    if (!rec) first_line = received.substr(0, n - 2);
                });
            });
        });
    ioc.run();
    return first_line;
}

HttpResult post_webhook(int port, const std::string& body, const std::string& secret) {
    return http_request(port, "POST", "/webhook", body, {{"x-line-signature", webhook::sign(secret, body)}});
}

SapoProcess::SapoProcess(std::vector<std::string> args, std::map<std::string, std::string> env)
    : args_(std::move(args)), env_(std::move(env)), port_(free_port()) {
    log_path_ = "/tmp/sapo-test-" + random_suffix() + ".log";
}

SapoProcess::~SapoProcess() {
    if (pid_ > 0 && running()) {
        signal(SIGKILL);
        wait(std::chrono::seconds(10));
    }
    std::remove(log_path_.c_str());
}

void SapoProcess::start() {
    std::vector<std::string> env_strings{"PATH=/usr/bin:/bin", "SAPO_LISTEN=127.0.0.1:" + std::to_string(port_)};
    if (const char* v = std::getenv("ASAN_OPTIONS")) env_strings.push_back(std::string("ASAN_OPTIONS=") + v);
    if (const char* v = std::getenv("UBSAN_OPTIONS")) env_strings.push_back(std::string("UBSAN_OPTIONS=") + v);
    for (const auto& [k, v] : env_) env_strings.push_back(k + "=" + v);
    std::vector<std::string> argv_strings{SAPO_BINARY};
    argv_strings.insert(argv_strings.end(), args_.begin(), args_.end());

    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        std::vector<char*> argv;
        for (auto& a : argv_strings) argv.push_back(a.data());
        argv.push_back(nullptr);
        std::vector<char*> envp;
        for (auto& e : env_strings) envp.push_back(e.data());
        envp.push_back(nullptr);
        // SAPO_CONFIG is not set: the process reads no config file unless the test says so.
        if (chdir("/") != 0) _exit(126);
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
}

void SapoProcess::start_serving() {
    start();
    bool up = wait_until([&] { return http_request(port_, "GET", "/healthz", "", {}, std::chrono::milliseconds(500)).status == 200 || !running(); }, std::chrono::seconds(20));
    INFO("sapo log:\n" << log());
    REQUIRE(up);
    REQUIRE(running());
}

void SapoProcess::signal(int signo) {
    if (pid_ > 0) ::kill(pid_, signo);
}

int SapoProcess::wait(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return -1;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            pid_ = -1;
            if (WIFEXITED(status)) return WEXITSTATUS(status);
            if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
            return -1;
        }
        if (std::chrono::steady_clock::now() > deadline) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

bool SapoProcess::running() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

std::string SapoProcess::log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() > deadline) return done();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string fixture(const std::string& relative_path) {
    std::ifstream in(std::string(SAPO_FIXTURES_DIR) + "/" + relative_path, std::ios::binary);
    if (!in) throw std::runtime_error("missing fixture " + relative_path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace sapo::test
