#pragma once
/// @file
/// @brief Integration-test support: throwaway databases on the test Postgres, a sapo process,
/// a blocking HTTP client, and waiting without fixed sleeps.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace sapo::test {

/// The server from SAPO_TEST_DATABASE_URL (started by scripts/test); empty when not set.
std::string test_server_url();

/// Skips (with a note) a test that needs Postgres when none is configured.
bool have_test_postgres();

/// A fresh, empty database on the test server, dropped on destruction.
class TempDatabase {
public:
    TempDatabase();
    ~TempDatabase();
    TempDatabase(const TempDatabase&) = delete;
    TempDatabase& operator=(const TempDatabase&) = delete;

    const std::string& url() const { return url_; }
    const std::string& name() const { return name_; }

private:
    std::string name_;
    std::string url_;
};

/// A private PostgreSQL cluster (scripts/pg), for tests that stop and start the database.
class TempCluster {
public:
    TempCluster();
    ~TempCluster();
    void start();
    void stop();
    std::string url() const;

private:
    std::string dir_;
    int port_;
};

/// Runs one SQL query and returns the first column of the first row as text ("" if no rows).
std::string query_value(const std::string& url, const std::string& sql);

/// Runs one SQL query and returns every row's columns as text.
std::vector<std::vector<std::string>> query_rows(const std::string& url, const std::string& sql);

void exec_sql(const std::string& url, const std::string& sql);

/// A free TCP port on 127.0.0.1.
int free_port();

struct HttpResult {
    int status = 0;  ///< 0 when no response arrived
    std::string body;
    std::map<std::string, std::string> headers;  ///< lower-case names
};

/// One blocking HTTP/1.1 request to 127.0.0.1:port (a new connection each time).
HttpResult http_request(
    int port,
    const std::string& method,
    const std::string& target,
    const std::string& body = "",
    const std::map<std::string, std::string>& headers = {},
    std::chrono::milliseconds timeout = std::chrono::seconds(10)
);

/// Writes raw bytes to 127.0.0.1:port and returns the first line of the answer ("" if none):
/// for requests no HTTP client would send.
std::string raw_exchange(int port, const std::string& bytes, std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// POSTs a body to /webhook signed with `secret`.
HttpResult post_webhook(int port, const std::string& body, const std::string& secret);

/// The sapo binary in a child process, with its stderr kept in a file for failure reports.
class SapoProcess {
public:
    /// `env` is added to a minimal environment (PATH, HOME); SAPO_LISTEN is set to `port`.
    SapoProcess(std::vector<std::string> args, std::map<std::string, std::string> env);
    ~SapoProcess();

    /// Starts `sapo serve` and waits until /healthz answers (fails the test after 20 s).
    void start_serving();
    /// Starts the process and returns at once.
    void start();

    int port() const { return port_; }
    /// Sends a signal.
    void signal(int signo);
    /// Waits for the exit; returns the exit code, or 128+signal. -1 on timeout.
    int wait(std::chrono::milliseconds timeout);
    bool running();
    std::string log() const;

private:
    std::vector<std::string> args_;
    std::map<std::string, std::string> env_;
    int port_;
    int pid_ = -1;
    std::string log_path_;
};

/// Polls `done` every 20 ms until it is true or `timeout` passes; returns its last value.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

/// The contents of a file under test/fixtures.
std::string fixture(const std::string& relative_path);

}  // namespace sapo::test
