#include "bot/dispatch/flow_catalog.hpp"

#include "bot/log.hpp"
#include "flows/loader.hpp"

namespace sapo::dispatch {

FlowCatalog::FlowCatalog(flows::Registry registry, std::chrono::milliseconds refresh)
    : registry_(std::move(registry)), refresh_(refresh) {
}

void FlowCatalog::invalidate() {
    std::lock_guard lock(mutex_);
    published_.reset();
}

std::shared_ptr<const FlowCatalog::Versions> FlowCatalog::newest(storage::ConversationStore& store) {
    auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        if (published_ && now - refreshed_at_ < refresh_) return published_;
    }
    auto fresh = std::make_shared<Versions>();
    for (auto& [id, version] : store.published_versions()) (*fresh)[id] = version;
    std::lock_guard lock(mutex_);
    published_ = std::move(fresh);
    refreshed_at_ = now;
    return published_;
}

std::shared_ptr<const flows::Flow> FlowCatalog::load(storage::ConversationStore& store, std::string_view id, int version) {
    auto key = std::make_pair(std::string(id), version);
    {
        std::lock_guard lock(mutex_);
        auto it = cache_.find(key);
        if (it != cache_.end()) return it->second;
    }
    auto json = store.flow_definition(key.first, version);
    if (!json) return nullptr;
    auto loaded = flows::load_flow(*json, registry_);
    if (!loaded.flow) {
        // It was valid when published; this binary may lack an effect or template it needs.
        log::error(
            "a stored flow version does not load",
            {{"flow", key.first}, {"version", std::to_string(version)},
             {"problem", loaded.problems.empty() ? "" : flows::format_problem(key.first, loaded.problems.front())}}
        );
        return nullptr;
    }
    loaded.flow->version = version;
    auto flow = std::make_shared<const flows::Flow>(std::move(*loaded.flow));
    std::lock_guard lock(mutex_);
    return cache_.emplace(key, std::move(flow)).first->second;
}

std::shared_ptr<const flows::Flow> FlowCatalog::View::published(std::string_view id) const {
    auto versions = catalog_.newest(store_);
    auto it = versions->find(id);
    if (it == versions->end()) return nullptr;
    return catalog_.load(store_, id, it->second);
}

std::shared_ptr<const flows::Flow> FlowCatalog::View::version(std::string_view id, int version) const {
    return catalog_.load(store_, id, version);
}

std::vector<std::shared_ptr<const flows::Flow>> FlowCatalog::View::all_published() const {
    std::vector<std::shared_ptr<const flows::Flow>> out;
    auto versions = catalog_.newest(store_);
    for (const auto& [id, version] : *versions) {
        if (auto f = catalog_.load(store_, id, version)) out.push_back(std::move(f));
    }
    return out;
}

}  // namespace sapo::dispatch
