#include "test/support/bench_support.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace sapo::test {

long env_number(const char* name, long fallback, long min, long max) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    char* end = nullptr;
    errno = 0;
    long n = std::strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < min || n > max) {
        throw std::runtime_error(std::string(name) + "=" + v + ": must be a whole number from " + std::to_string(min) +
                                 " to " + std::to_string(max));
    }
    return n;
}

namespace {

/// The pids of the live children of `parent`, from /proc.
std::vector<int> children_of(int parent) {
    std::vector<int> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        if (!std::getline(stat, line)) continue;
        auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 2));
        char state = 0;
        int ppid = 0;
        rest >> state >> ppid;
        if (ppid == parent) out.push_back(std::stoi(name));
    }
    return out;
}

}  // namespace

int find_sapo_pid() {
    std::error_code ec;
    const auto binary = std::filesystem::weakly_canonical(SAPO_BINARY, ec);
    for (int pid : children_of(static_cast<int>(getpid()))) {
        std::error_code lec;
        auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", lec);
        if (!lec && exe == binary) return pid;
    }
    return -1;
}

std::string proc_status_field(int pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) == 0) {
            auto v = line.substr(field.size() + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            return v;
        }
    }
    return "n/a";
}

long proc_status_kb(int pid, const std::string& field) {
    if (pid <= 0) return -1;
    const std::string v = proc_status_field(pid, field);
    char* end = nullptr;
    const long kb = std::strtol(v.c_str(), &end, 10);
    return end == v.c_str() ? -1 : kb;
}

double cpu_seconds(int pid, bool children) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return -1;
    auto close = line.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long ticks = 0;
    for (int i = 3; i <= 17 && rest >> field; ++i) {
        if (i == 14 || i == 15 || (children && (i == 16 || i == 17))) ticks += std::stoull(field);
    }
    return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double postgres_cpu_seconds(const std::string& data_directory) {
    std::ifstream pidfile(data_directory + "/postmaster.pid");
    int postmaster = 0;
    if (data_directory.empty() || !(pidfile >> postmaster) || postmaster <= 0) return -1;
    double total = cpu_seconds(postmaster, true);
    if (total < 0) return -1;
    for (int backend : children_of(postmaster)) total += std::max(0.0, cpu_seconds(backend));
    return total;
}

double own_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return tv(u.ru_utime) + tv(u.ru_stime);
}

std::string fmt_cpu(double seconds_used, double wall) {
    if (seconds_used < 0) return "n/a";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f s (%.0f%% of a core)", seconds_used, wall > 0 ? 100.0 * seconds_used / wall : 0.0);
    return buf;
}

std::string tail_lines(const std::string& text, std::size_t n) {
    std::size_t at = text.size();
    for (std::size_t k = 0; k <= n && at != std::string::npos && at > 0; ++k) at = text.rfind('\n', at - 1);
    return at == std::string::npos ? text : text.substr(at + 1);
}

std::string json_string_member(const rapidjson::Value& v, const char* key) {
    if (!v.IsObject()) return "";
    auto it = v.FindMember(key);
    return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength()) : "";
}

}  // namespace sapo::test
