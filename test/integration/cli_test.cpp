// The sapo command line: help, version, and one clear line for a bad configuration.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <unistd.h>

#include "test/support/harness.hpp"

using namespace sapo::test;
using std::chrono::seconds;

namespace {

struct Run {
    int code;
    std::string output;
};

Run run(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    SapoProcess p(std::move(args), std::move(env));
    p.start();
    int code = p.wait(seconds(20));
    return {code, p.log()};
}

}  // namespace

TEST_CASE("cli: --help and version", "[cli]") {
    auto help = run({"--help"});
    CHECK(help.code == 0);
    CHECK(help.output.find("usage: sapo") != std::string::npos);
    CHECK(help.output.find("serve") != std::string::npos);
    auto version = run({"version"});
    CHECK(version.code == 0);
    CHECK(version.output.rfind("sapo ", 0) == 0);
}

TEST_CASE("cli: unknown command or option -> exit 2", "[cli]") {
    CHECK(run({"frobnicate"}).code == 2);
    CHECK(run({"serve", "--bogus"}).code == 2);
}

TEST_CASE("cli: a bad config value stops start-up with one line naming the key, exit 2", "[cli]") {
    auto bad_listen = run({"serve"}, {{"SAPO_LISTEN", "127.0.0.1:99999"}, {"DATABASE_URL", "postgresql://x@127.0.0.1/x"}});
    CHECK(bad_listen.code == 2);
    CHECK(bad_listen.output.find("SAPO_LISTEN") != std::string::npos);

    auto no_secret = run({"serve"}, {{"DATABASE_URL", "postgresql://x@127.0.0.1/x"}, {"LINE_CHANNEL_ACCESS_TOKEN", "t"}});
    CHECK(no_secret.code == 2);
    CHECK(no_secret.output.find("LINE_CHANNEL_SECRET") != std::string::npos);

    auto no_db = run({"migrate"});
    CHECK(no_db.code == 2);
    CHECK(no_db.output.find("DATABASE_URL") != std::string::npos);

    auto bad_url = run({"serve"}, {{"LINE_API_BASE_URL", "ftp://example"}});
    CHECK(bad_url.code == 2);
    CHECK(bad_url.output.find("LINE_API_BASE_URL") != std::string::npos);
    // one line
    CHECK(std::count(bad_url.output.begin(), bad_url.output.end(), '\n') == 1);
}

TEST_CASE("cli: a config file with an unknown key or a secret is refused", "[cli]") {
    auto path = std::string("/tmp/sapo-cli-test-") + std::to_string(::getpid()) + ".json";
    {
        std::ofstream f(path);
        f << R"({"listen": "127.0.0.1:8080", "dispatch_wrokers": 4})";
    }
    auto typo = run({"--config", path, "serve"});
    CHECK(typo.code == 2);
    CHECK(typo.output.find("dispatch_wrokers") != std::string::npos);
    {
        std::ofstream f(path);
        f << R"({"channel_secret": "abc"})";
    }
    auto secret = run({"--config", path, "serve"});
    CHECK(secret.code == 2);
    CHECK(secret.output.find("environment") != std::string::npos);
    std::remove(path.c_str());
}

TEST_CASE("cli: migrate against an unreachable database fails with exit 1", "[cli]") {
    auto r = run({"migrate"}, {{"DATABASE_URL", "postgresql://postgres@127.0.0.1:" + std::to_string(free_port()) + "/x"}});
    CHECK(r.code == 1);
    CHECK(r.output.find("database") != std::string::npos);
}
