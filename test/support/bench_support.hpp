#pragma once
/// @file
/// @brief What the benchmarks (test/bench) share: settings from the environment, and the
/// memory and CPU time of sapo, PostgreSQL and the benchmark itself read from /proc.

#include <rapidjson/document.h>

#include <cstddef>
#include <string>

namespace sapo::test {

/// A whole number from the environment variable `name`, or `fallback` when unset; throws
/// std::runtime_error naming the variable when it is not a number in [min, max].
long env_number(const char* name, long fallback, long min, long max);

/// The pid of our child running SAPO_BINARY (SapoProcess keeps its pid to itself), or -1.
int find_sapo_pid();

/// A field of /proc/<pid>/status as written there ("21236 kB"), or "n/a".
std::string proc_status_field(int pid, const std::string& field);
/// The same field in kB, or -1.
long proc_status_kb(int pid, const std::string& field);

/// utime + stime of a process, in seconds (-1 when unknown); with `children`, also the time of
/// its children that it has waited for (cutime + cstime).
double cpu_seconds(int pid, bool children = false);
/// CPU seconds of a local PostgreSQL: its postmaster (with the backends it reaped) and every
/// live child of it. -1 when its data directory or processes can't be read.
double postgres_cpu_seconds(const std::string& data_directory);
/// This process's CPU seconds.
double own_cpu_seconds();

/// "3.2 s (64% of a core)", or "n/a" for a negative time.
std::string fmt_cpu(double seconds_used, double wall);

/// The last `n` lines of a text (a log).
std::string tail_lines(const std::string& text, std::size_t n);

/// The string member `key` of `v`, "" when absent.
std::string json_string_member(const rapidjson::Value& v, const char* key);

}  // namespace sapo::test
