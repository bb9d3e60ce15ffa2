#pragma once
/// @file
/// @brief Finding the FAQ entry a resident's question is about, in Japanese without spaces:
/// text normalised with ICU (flows/normalize), questions and phrasings indexed by character
/// n-grams, ranked with BM25. Pure and in memory; built once per version of the entry set and
/// then read by any number of threads.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flows/faq_entries.hpp"

namespace sapo::flows::faq {

struct Match {
    enum class Kind {
        confident,  ///< top.front() answers it
        ambiguous,  ///< one of top (2 or 3) probably does: let the user pick
        none        ///< nothing fits: hand over to people
    };
    Kind kind = Kind::none;
    std::vector<std::size_t> top;  ///< indices into Index::entries(), best first, at most 3
    std::vector<double> scores;    ///< the same order
};

class Index {
public:
    /// Disabled entries are kept (entries() is the whole set) but never matched.
    explicit Index(std::vector<Entry> entries);

    Match match(std::string_view question) const;

    const std::vector<Entry>& entries() const { return entries_; }

    Index(const Index&) = delete;
    Index& operator=(const Index&) = delete;
    Index(Index&&) noexcept;
    Index& operator=(Index&&) noexcept;
    ~Index();

private:
    struct Impl;
    std::vector<Entry> entries_;
    std::unique_ptr<Impl> impl_;
};

/// Groups of similar texts (unanswered questions), biggest first: each group's texts and a
/// representative. Similar = the same after normalisation, or sharing most character n-grams.
struct MissGroup {
    std::string representative;
    std::vector<std::size_t> members;  ///< indices into the input
};
std::vector<MissGroup> group_similar(const std::vector<std::string>& texts);

}  // namespace sapo::flows::faq
