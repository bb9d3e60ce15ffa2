#pragma once
// The sapo binary run as an operator runs it: a child process with its own stdin, stdout and
// stderr (SapoProcess merges the two outputs and has no stdin), plus the temporary files it needs.

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace sapo::test {

struct CliRun {
    int code = -1;  ///< exit status, 128+signal, -1 on timeout
    std::string out;
    std::string err;
};

/// Runs `sapo ARGS...` with `input` on stdin, in "/", with a minimal environment (PATH and the
/// sanitizer options) plus `env`; killed after `timeout`.
CliRun run_sapo(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                const std::string& input = "", std::chrono::seconds timeout = std::chrono::seconds(30));

std::string slurp(const std::string& path);
/// A file of this source tree (e.g. "config/faq/starter.json"); fails the test when it is missing.
std::string read_source_file(const std::string& relative);
void write_file(const std::string& path, const std::string& content);

/// A directory under /tmp, removed with everything in it at the end of the test.
struct TempDir {
    std::string path;
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return path + "/" + name; }
};

}  // namespace sapo::test
