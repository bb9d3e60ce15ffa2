#pragma once
/// @file
/// @brief The FAQ index each instance matches against: rebuilt when the set's version in the
/// database changed (a PUT or PATCH anywhere), shared by the dispatcher's workers otherwise.

#include <cstdint>
#include <memory>
#include <mutex>

#include "flows/faq_index.hpp"
#include "storage/faq_tx.hpp"

namespace sapo::faq {

class Catalog {
public:
    /// The index of the set as `tx` sees it: one version read; the entries are read and indexed
    /// only when the version differs from the one built last.
    std::shared_ptr<const flows::faq::Index> index(storage::FaqTx& tx);

private:
    std::mutex mutex_;
    std::int64_t version_ = -1;
    std::shared_ptr<const flows::faq::Index> index_;
};

}  // namespace sapo::faq
