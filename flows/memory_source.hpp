#pragma once
/// @file
/// @brief Flows held in memory: what `sapo flows simulate` and the engine's tests run on.

#include <map>
#include <memory>
#include <string>

#include "flows/conversation.hpp"

namespace sapo::flows {

class MemoryFlowSource final : public FlowSource {
public:
    /// Adds `flow` as the newest published version of its id (older versions stay reachable).
    void publish(Flow flow) {
        auto shared = std::make_shared<const Flow>(std::move(flow));
        newest_[shared->id] = shared;
        versions_[{shared->id, shared->version}] = shared;
    }

    std::shared_ptr<const Flow> published(std::string_view id) const override {
        auto it = newest_.find(id);
        return it == newest_.end() ? nullptr : it->second;
    }

    std::shared_ptr<const Flow> version(std::string_view id, int version) const override {
        auto it = versions_.find({std::string(id), version});
        return it == versions_.end() ? nullptr : it->second;
    }

    std::vector<std::shared_ptr<const Flow>> all_published() const override {
        std::vector<std::shared_ptr<const Flow>> out;
        for (const auto& [id, f] : newest_) out.push_back(f);
        return out;
    }

private:
    std::map<std::string, std::shared_ptr<const Flow>, std::less<>> newest_;
    std::map<std::pair<std::string, int>, std::shared_ptr<const Flow>> versions_;
};

}  // namespace sapo::flows
