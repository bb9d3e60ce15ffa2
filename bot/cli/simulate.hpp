#pragma once
/// @file
/// @brief `sapo flows simulate`: talk to a flow in the terminal, without LINE and without a
/// database. Each input line is a user message; a number picks that quick reply (a leading '
/// sends it as text instead: '1); "/follow" acts as adding the bot as a friend. Effects are printed, not applied (their outputs are taken from
/// the parameters of the same name, else empty).

#include <iosfwd>
#include <string>
#include <vector>

namespace sapo::cli {

struct SimulateOptions {
    std::string flow_id;
    std::string language = "ja";
    /// (file name, JSON) of every flow to load; the flow to start must be among them.
    std::vector<std::pair<std::string, std::string>> flows;
    std::string call_center_phone;
};

/// Returns the exit code: 0 after end of input, 1 when the flows do not load (problems printed
/// to `err`).
int simulate(const SimulateOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace sapo::cli
