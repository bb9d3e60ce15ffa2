#include "bot/dispatch/effects.hpp"

#include <stdexcept>

namespace sapo::dispatch {

void EffectRegistry::add(flows::EffectSpec spec, EffectHandler handler) {
    auto name = spec.name;
    entries_[name] = Entry{std::move(spec), std::move(handler)};
}

const flows::EffectSpec* EffectRegistry::spec(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second.spec;
}

flows::Variables EffectRegistry::apply(const flows::Effect& effect, EffectContext& context) const {
    auto it = entries_.find(effect.name);
    if (it == entries_.end()) throw std::runtime_error("unknown effect \"" + effect.name + "\"");
    return it->second.handler(effect, context);
}

std::map<std::string, flows::EffectSpec, std::less<>> EffectRegistry::specs() const {
    std::map<std::string, flows::EffectSpec, std::less<>> out;
    for (const auto& [name, e] : entries_) out.emplace(name, e.spec);
    return out;
}

EffectRegistry builtin_effects() {
    EffectRegistry r;
    r.add(
        {"user.set_language", "Sets the language sapo speaks with this user (ja or en).", {"language"}, {"language"}},
        [](const flows::Effect& e, EffectContext& c) {
            auto it = e.params.find("language");
            std::string lang = it == e.params.end() ? "" : it->second;
            if (lang != "ja" && lang != "en") throw std::runtime_error("user.set_language: language must be ja or en");
            c.store.set_language(c.user_id, lang);
            return flows::Variables{{"language", flows::Value(lang)}};
        }
    );
    return r;
}

}  // namespace sapo::dispatch
