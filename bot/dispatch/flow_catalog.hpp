#pragma once
/// @file
/// @brief The flows the dispatcher runs, parsed once and shared by all workers. Published
/// versions never change, so each is parsed once and cached; which version is the newest is
/// re-read at most every `refresh` (a publish reaches new conversations within that time).

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "flows/conversation.hpp"
#include "flows/model.hpp"
#include "storage/conversation_store.hpp"

namespace sapo::dispatch {

class FlowCatalog {
public:
    FlowCatalog(flows::Registry registry, std::chrono::milliseconds refresh);

    /// The catalog as a FlowSource for one event, reading what it lacks through `store` (the
    /// event's transaction).
    class View final : public flows::FlowSource {
    public:
        View(FlowCatalog& catalog, storage::ConversationStore& store) : catalog_(catalog), store_(store) {}
        std::shared_ptr<const flows::Flow> published(std::string_view id) const override;
        std::shared_ptr<const flows::Flow> version(std::string_view id, int version) const override;
        std::vector<std::shared_ptr<const flows::Flow>> all_published() const override;

    private:
        FlowCatalog& catalog_;
        storage::ConversationStore& store_;
    };

    View view(storage::ConversationStore& store) { return View(*this, store); }
    const flows::Registry& registry() const { return registry_; }

    /// Forget which versions are newest (after a publish in this process).
    void invalidate();

private:
    using Versions = std::map<std::string, int, std::less<>>;
    /// The newest published version of each flow, re-read when older than `refresh_` (the read
    /// happens outside the lock: other workers keep the previous answer meanwhile).
    std::shared_ptr<const Versions> newest(storage::ConversationStore& store);
    std::shared_ptr<const flows::Flow> load(storage::ConversationStore& store, std::string_view id, int version);

    const flows::Registry registry_;
    const std::chrono::milliseconds refresh_;
    std::mutex mutex_;
    std::shared_ptr<const Versions> published_;
    std::chrono::steady_clock::time_point refreshed_at_{};
    std::map<std::pair<std::string, int>, std::shared_ptr<const flows::Flow>> cache_;
};

}  // namespace sapo::dispatch
