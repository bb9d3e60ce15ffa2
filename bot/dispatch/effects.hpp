#pragma once
/// @file
/// @brief Effects: the named C++ actions flows ask for (`checkin.record`, `health.save`, …). The
/// engine only names them; these handlers apply them inside the event's transaction, so an effect,
/// the new session and the event's processed mark commit together or not at all.

#include <functional>
#include <map>
#include <string>

#include "flows/clock.hpp"
#include "flows/engine.hpp"
#include "flows/model.hpp"
#include "storage/conversation_store.hpp"

namespace sapo::dispatch {

struct EffectContext {
    std::string user_id;
    storage::ConversationStore& store;
    const Clock& clock;
    std::int64_t event_ms = 0;  ///< when the user acted (the LINE event's timestamp)
    std::string language = "ja";
};

/// An effect's parameter as rendered for this event; "" when the flow gave none.
inline std::string effect_param(const flows::Effect& e, const char* name) {
    auto it = e.params.find(name);
    return it == e.params.end() ? "" : it->second;
}

/// Applies an effect; returns its outputs (by name, as declared in its spec). Throws to fail the
/// event (it is then retried as a whole).
using EffectHandler = std::function<flows::Variables(const flows::Effect&, EffectContext&)>;

class EffectRegistry {
public:
    /// Registers an effect; a second registration of the same name replaces the first.
    void add(flows::EffectSpec spec, EffectHandler handler);

    const flows::EffectSpec* spec(const std::string& name) const;
    /// Applies `effect`; an unknown name throws (flows are validated against this registry, so it
    /// means the binary lost an effect that a published flow uses).
    flows::Variables apply(const flows::Effect& effect, EffectContext& context) const;

    /// The specs, for flow validation.
    std::map<std::string, flows::EffectSpec, std::less<>> specs() const;

private:
    struct Entry {
        flows::EffectSpec spec;
        EffectHandler handler;
    };
    std::map<std::string, Entry, std::less<>> entries_;
};

/// The effects every sapo has: `user.set_language` (params: language = ja | en; outputs: language).
EffectRegistry builtin_effects();

}  // namespace sapo::dispatch
