#include "bot/health/prompts.hpp"

#include "bot/dispatch/flow_setup.hpp"

namespace sapo::health {

PromptMessages prompt_messages(storage::PromptSlot slot, const flows::Variables& globals) {
    auto by_language = dispatch::shipped_message_json(std::string("health/") + storage::prompt_slot_name(slot) + ".json", globals);
    return {by_language.at("ja"), by_language.at("en")};
}

}  // namespace sapo::health
