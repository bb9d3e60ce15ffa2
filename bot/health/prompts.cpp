#include "bot/health/prompts.hpp"

#include <stdexcept>

#include "bot/assets.hpp"
#include "flows/loader.hpp"
#include "flows/render.hpp"

namespace sapo::health {

PromptMessages prompt_messages(storage::PromptSlot slot, const flows::Variables& globals) {
    const std::string path = std::string("health/") + storage::prompt_slot_name(slot) + ".json";
    for (const auto& file : assets::shipped_templates()) {
        if (file.path != path) continue;
        std::vector<std::string> problems;
        auto t = flows::load_template(file.content, problems);
        if (!t) throw std::runtime_error("templates/" + path + ": " + (problems.empty() ? "unreadable" : problems.front()));
        auto lookup = [&globals](std::string_view name) {
            auto it = globals.find(name);
            return it == globals.end() ? flows::Value{} : it->second;
        };
        return {"[" + flows::render_template(*t, "ja", {}, lookup) + "]", "[" + flows::render_template(*t, "en", {}, lookup) + "]"};
    }
    throw std::runtime_error("templates/" + path + " is not built into this sapo");
}

}  // namespace sapo::health
