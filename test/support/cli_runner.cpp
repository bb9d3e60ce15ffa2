#include "test/support/cli_runner.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

namespace sapo::test {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string read_source_file(const std::string& relative) {
    const std::string path = std::string(SAPO_SOURCE_DIR) + "/" + relative;
    INFO(path);
    REQUIRE(std::filesystem::exists(path));
    return slurp(path);
}

void write_file(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    REQUIRE(out);
    out << content;
}

TempDir::TempDir() {
    char tmpl[] = "/tmp/sapo-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
}

CliRun run_sapo(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                const std::string& input, std::chrono::seconds timeout) {
    TempDir io;
    const auto in_path = io.file("stdin"), out_path = io.file("stdout"), err_path = io.file("stderr");
    write_file(in_path, input);

    std::vector<std::string> env_strings{"PATH=/usr/bin:/bin"};
    if (const char* v = std::getenv("ASAN_OPTIONS")) env_strings.push_back(std::string("ASAN_OPTIONS=") + v);
    if (const char* v = std::getenv("UBSAN_OPTIONS")) env_strings.push_back(std::string("UBSAN_OPTIONS=") + v);
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<std::string> argv_strings{SAPO_BINARY};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv, envp;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int in = ::open(in_path.c_str(), O_RDONLY);
        int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || err < 0) _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        if (chdir("/") != 0) _exit(126);
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
    CliRun r;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            r.code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
            break;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    r.out = slurp(out_path);
    r.err = slurp(err_path);
    return r;
}

}  // namespace sapo::test
