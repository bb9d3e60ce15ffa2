#include "bot/faq/catalog.hpp"

namespace sapo::faq {

std::shared_ptr<const flows::faq::Index> Catalog::index(storage::FaqTx& tx) {
    const auto version = tx.version();
    {
        std::lock_guard lock(mutex_);
        if (index_ && version == version_) return index_;
    }
    // built outside the lock: other workers keep answering with the index they have
    auto built = std::make_shared<const flows::faq::Index>(tx.entries());
    std::lock_guard lock(mutex_);
    if (version > version_ || !index_) {
        version_ = version;
        index_ = built;
    }
    return version == version_ ? index_ : built;
}

}  // namespace sapo::faq
