#pragma once
/// @file
/// @brief Reads a flow document, checks everything an operator can get wrong, and builds the
/// Flow the engine runs. All problems are reported, not the first, each with the node id and a
/// sentence a non-programmer understands: this is what `sapo flows validate` and the admin API's
/// 422 show.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flows/model.hpp"

namespace sapo::flows {

struct Problem {
    std::string node;  ///< empty for problems of the flow as a whole
    std::string message;
};

struct LoadResult {
    std::optional<Flow> flow;  ///< only when there are no problems
    std::vector<Problem> problems;
    std::string id;  ///< the document's "id" when it could be read (for messages about the file)
};

/// Parses and validates a flow document against what the service provides (effects, templates,
/// other flows).
LoadResult load_flow(std::string_view json, const Registry& registry);

/// One line per problem: `FILE: node "ID": message` (or `FILE: message`).
std::string format_problem(std::string_view file, const Problem& p);

/// Parses a template document `{"id": ..., "message": {"ja": {LINE message}, "en": {...}}}`.
std::optional<Template> load_template(std::string_view json, std::vector<std::string>& problems);

/// The {{name}} placeholders in a text, in order (names trimmed).
std::vector<std::string> placeholders_in(std::string_view text);

/// LINE's limits that flows are checked against (and output is cut to).
inline constexpr std::size_t kMaxTextLength = 5000;       ///< text message, UTF-16 units
inline constexpr std::size_t kMaxQuickReplies = 13;
inline constexpr std::size_t kMaxLabelLength = 20;        ///< quick-reply label, characters
inline constexpr std::size_t kMaxPostbackData = 300;
inline constexpr std::size_t kMaxMessagesPerReply = 5;

}  // namespace sapo::flows
