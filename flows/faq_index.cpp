#include "flows/faq_index.hpp"

// How a question finds its entry, and why it is built this way.
//
// Documents. Every enabled entry's question and each of its phrasings is one document. Phrasings
// are other ways of asking, so a query should only have to look like one of them, not like their
// sum: an entry scores as its best document, plus a smaller share for the entry as a whole (all
// its texts as one set of terms), which rewards covering different parts of the query in
// different texts ("ワクチン打ったら熱出た": ワクチン in the question, 熱が出た in a phrasing).
//
// Text. normalize_compact() (NFKC, case folding, katakana -> hiragana, no spaces or punctuation)
// makes ＰＣＲ/pcr, ﾜｸﾁﾝ/ワクチン/わくちん meet. Then a few question endings and particles
// (ですか, ください, たいです, の, は …) are cut from the end, on documents and queries alike, so
// "予約方法は？" and "予約方法を教えてください" are not kept apart by politeness; endings are cut
// only while at least two characters remain.
//
// Terms. Japanese has no spaces and we carry no dictionary, so terms are character bigrams (which
// survive a typo: one wrong character costs two bigrams, not the whole word), every kanji on its
// own (a kanji carries meaning: 熱 in 発熱 and 熱が出た) and the digit shape of bigrams with
// digits (39度 and 38度 share "#度"). A one-character text is its own term. Two hiragana in a
// row weigh half: they are mostly grammar (どう, って, れば), and without that "体温はどうやって送
// ればいい" goes to "ごみはどうやって捨てればいい".
//
// Ranking. BM25 over an inverted index built once: terms are 64-bit keys of code points mapped to
// dense ids, postings are flat arrays holding each document's precomputed BM25 contribution, so a
// query is one normalisation, a few hash look-ups and additions into per-thread buffers.
//
// Deciding. BM25 ranks but its scale depends on the query, so the verdict uses shares instead:
//   query share     how much of the query's weight (sum of idf of its terms) the best document
//                   contains. Unknown terms weigh as much as the rarest known term: a query about
//                   the weather is mostly words no entry has, and that must count against it.
//   document share  how much of the best document's weight the query contains: "予約" alone is
//                   all found in "ワクチンの予約はどこでできますか" but says little about it.
//   margin          the second entry's score relative to the first.
// confident = both shares high and a clear margin, or the query is (after normalising) exactly one
// entry's question or phrasing; none = both shares low; ambiguous = in between, offering the
// best two entries and a third when it scores close to them (one only when no other entry shares
// a term with the query).
//
// The constants below were chosen on the starter set (config/faq/starter.json) with its
// paraphrase table and off-topic list (test/flows/faq_accuracy_test.cpp): about 87 % top-1, no
// off-topic line confident, and most of them none. Neighbouring values score within a few
// paraphrases of that; retune there when the set changes a lot.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>

#include "flows/normalize.hpp"

namespace sapo::flows::faq {
namespace {

// --- tuning --------------------------------------------------------------------------------------

// BM25 over single questions and phrasings. k1 a little above the usual 1.2 (anything from 1.2
// to 2.0 does well on the paraphrase table; 1.6 did best).
constexpr double kK1 = 1.6;
constexpr double kB = 0.75;
/// BM25 over whole entries (all their texts as one set of terms): length matters less there, an
/// entry with many phrasings is not "long" the way a rambling document is.
constexpr double kEntryB = 0.3;
/// An entry's score = its best document's + kEntryWeight x its whole-entry score. The whole entry
/// rewards covering different parts of the query in different phrasings ("ワクチン" in the
/// question, "熱が出た" in a phrasing).
constexpr double kEntryWeight = 2.0;
/// Two hiragana in a row count this much (see term_factor()).
constexpr double kHiraganaWeight = 0.5;

/// None: less than about a third of the query is in the best document, and less than a quarter
/// of that document is in the query; neither side says much about the other.
constexpr double kNoneQueryShare = 0.35;
constexpr double kNoneDocShare = 0.25;
/// Confident needs this much of the query in the best document ...
constexpr double kConfidentQueryShare = 0.6;
/// ... this much of the best document in the query ...
constexpr double kConfidentDocShare = 0.4;
/// ... and the second entry at most this fraction of the first's score.
constexpr double kConfidentMargin = 0.8;
/// Ambiguous offers the best two entries, and a third scoring at least this fraction of the best.
constexpr double kChoiceRatio = 0.5;
constexpr std::size_t kMaxTop = 3;

// --- text ----------------------------------------------------------------------------------------

/// Endings cut from the end of normalised text, longest first within a family. All in the
/// normalised form (hiragana; kanji as written).
constexpr std::string_view kEndings[] = {
    "でしょうか", "でしょう", "くださいませんか", "くださいませ", "ください", "下さい", "くれませんか",
    "くれますか", "もらえますか", "もらえませんか", "いただけますか", "ほしいです", "欲しいです", "ほしい", "欲しい",
    "のですが", "んですが", "んですけど", "んだけど", "ですけど", "ですが", "ですよね", "ですね", "ですか",
    "ませんか", "ますか", "たいです", "たいんです", "たい", "です", "ます", "だよね", "だよ", "だね", "かな",
    "けど", "って", "か", "ね", "よ", "な", "の", "は", "が", "を", "に", "へ", "で", "も", "と", "だ"};

/// Decodes valid UTF-8 (normalize() output) into code points.
void decode(std::string_view s, std::vector<char32_t>& out) {
    out.clear();
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        char32_t cp;
        std::size_t len;
        if (c < 0x80) {
            cp = c;
            len = 1;
        } else if ((c >> 5) == 0x6) {
            cp = c & 0x1Fu;
            len = 2;
        } else if ((c >> 4) == 0xE) {
            cp = c & 0x0Fu;
            len = 3;
        } else {
            cp = c & 0x07u;
            len = 4;
        }
        if (i + len > s.size()) break;
        for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
        out.push_back(cp);
        i += len;
    }
}

std::size_t code_points(std::string_view s) {
    std::size_t n = 0;
    for (const char ch : s) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80 ? 1 : 0;
    return n;
}

/// Cuts question endings while at least two characters would remain.
std::string_view strip_endings(std::string_view s) {
    for (int rounds = 0; rounds < 8; ++rounds) {
        bool cut = false;
        for (const std::string_view e : kEndings) {
            if (s.size() > e.size() && s.substr(s.size() - e.size()) == e && code_points(s.substr(0, s.size() - e.size())) >= 2) {
                s.remove_suffix(e.size());
                cut = true;
                break;
            }
        }
        if (!cut) break;
    }
    return s;
}

/// The text as matched: compact normalisation, endings cut.
std::string match_form(std::string_view text) {
    std::string compact = normalize_compact(text);
    const std::string_view stripped = strip_endings(compact);
    compact.resize(stripped.size());
    return compact;
}

bool is_kanji(char32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0x20000 && c <= 0x3FFFF) || c == 0x3005;  // 々
}

bool is_digit(char32_t c) { return c >= U'0' && c <= U'9'; }

/// Terms as 64-bit keys: a bigram is (a << 21 | b), below 2^42; a unigram has bit 63 set; a
/// bigram's digit shape (below) has bit 62 set.
constexpr std::uint64_t kUnigram = std::uint64_t{1} << 63;
constexpr std::uint64_t kShape = std::uint64_t{1} << 62;

std::uint64_t bigram(char32_t a, char32_t b) { return (std::uint64_t{a} << 21) | b; }

/// Appends the terms of `cps` (with repeats) to `keys`: bigrams, each kanji alone, and for a
/// bigram with a digit also its shape with digits as '#', so "39度" meets "38度の熱" and "10時"
/// meets "9時" while "119" and "7119" still differ in their own bigrams.
void terms(const std::vector<char32_t>& cps, std::vector<std::uint64_t>& keys) {
    keys.clear();
    if (cps.size() == 1) {
        keys.push_back(kUnigram | cps[0]);
        return;
    }
    for (std::size_t i = 0; i < cps.size(); ++i) {
        if (is_kanji(cps[i])) keys.push_back(kUnigram | cps[i]);
        if (i + 1 < cps.size()) {
            const char32_t a = cps[i];
            const char32_t b = cps[i + 1];
            keys.push_back(bigram(a, b));
            if (is_digit(a) || is_digit(b)) keys.push_back(kShape | bigram(is_digit(a) ? U'#' : a, is_digit(b) ? U'#' : b));
        }
    }
}

double idf(std::size_t docs, std::size_t df) {
    const double n = static_cast<double>(docs);
    const double d = static_cast<double>(df);
    return std::log(1.0 + (n - d + 0.5) / (d + 0.5));
}

bool is_hiragana(char32_t c) { return c >= 0x3041 && c <= 0x309F; }

/// How much a term counts beyond its idf. Two hiragana in a row are mostly grammar (どう, って,
/// れば, いい: "体温はどうやって送ればいい" must not be pulled to "ごみはどうやって捨てればいい"),
/// though katakana words folded to hiragana (ますく) pay for it too, equally everywhere.
double term_factor(std::uint64_t key) {
    if ((key & (kUnigram | kShape)) != 0) return 1.0;
    const auto a = static_cast<char32_t>(key >> 21);
    const auto b = static_cast<char32_t>(key & 0x1FFFFF);
    return is_hiragana(a) && is_hiragana(b) ? kHiraganaWeight : 1.0;
}

/// Per-thread buffers for match(): sized once, cleared by what they touched.
struct Scratch {
    std::vector<char32_t> cps;
    std::vector<std::uint64_t> keys;
    std::vector<float> doc_score;
    std::vector<float> doc_matched;  // weight of the query terms the document contains
    std::vector<std::uint32_t> touched_docs;
    std::vector<float> entry_score;       // whole-entry BM25, by target in Impl::whole
    std::vector<std::uint32_t> best_doc;  // per entry, kNoIndex when untouched
    std::vector<std::uint32_t> touched_entries;
    std::vector<float> final_score;  // per entry
};

constexpr std::uint32_t kNoIndex = 0xFFFFFFFFu;

/// An inverted index over "targets" (documents or whole entries): term id -> postings, each with
/// the term's precomputed BM25 contribution. Built from each target's distinct terms and counts.
struct Postings {
    struct Posting {
        std::uint32_t target;
        float bm25;
    };
    std::vector<std::uint32_t> offsets;  // term id -> [offsets[id], offsets[id + 1])
    std::vector<Posting> list;
    std::vector<float> weight;  // term id -> idf x term_factor
    std::vector<float> mass;    // target -> sum of the weights of its distinct terms
    float unknown_weight = 0;   // a term no target has: as rare as the rarest known one

    void build(const std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>>& targets,
               const std::vector<double>& factors, double b) {
        const std::size_t terms_n = factors.size();
        std::vector<std::uint32_t> df(terms_n, 0);
        double total_length = 0;
        for (const auto& t : targets) {
            for (const auto& [term, tf] : t) {
                ++df[term];
                total_length += tf;
            }
        }
        const std::size_t n = targets.size();
        const double avg_length = n > 0 && total_length > 0 ? total_length / static_cast<double>(n) : 1.0;
        weight.resize(terms_n);
        for (std::size_t t = 0; t < terms_n; ++t) weight[t] = static_cast<float>(idf(n, df[t]) * factors[t]);
        unknown_weight = static_cast<float>(idf(std::max<std::size_t>(n, 1), 1));
        offsets.assign(terms_n + 1, 0);
        for (std::size_t t = 0; t < terms_n; ++t) offsets[t + 1] = offsets[t] + df[t];
        list.resize(offsets.back());
        std::vector<std::uint32_t> fill(offsets.begin(), offsets.end() - 1);
        mass.assign(n, 0);
        for (std::size_t i = 0; i < n; ++i) {
            double length = 0;
            for (const auto& [term, tf] : targets[i]) length += tf;
            const double norm = kK1 * (1.0 - b + b * length / avg_length);
            for (const auto& [term, tf] : targets[i]) {
                const double w = weight[term] * (tf * (kK1 + 1.0)) / (tf + norm);
                list[fill[term]++] = {static_cast<std::uint32_t>(i), static_cast<float>(w)};
                mass[i] += weight[term];
            }
        }
    }
};

}  // namespace

struct Index::Impl {
    std::unordered_map<std::uint64_t, std::uint32_t> term_ids;  ///< term key -> dense id
    Postings docs;   ///< every question and phrasing
    Postings whole;  ///< every entry, all its texts together
    std::vector<std::uint32_t> doc_entry;                   ///< document -> entry index
    std::vector<std::uint32_t> entry_target;                ///< entry index -> target in `whole`
    std::vector<std::vector<std::uint32_t>> exact_entries;  ///< match form -> entries (via exact)
    std::unordered_map<std::string, std::uint32_t> exact;   ///< match form -> slot in exact_entries
    std::size_t entry_count = 0;

    explicit Impl(const std::vector<Entry>& entries);
    Match match(std::string_view question) const;
};

Index::Impl::Impl(const std::vector<Entry>& entries) : entry_count(entries.size()) {
    using Counted = std::vector<std::pair<std::uint32_t, std::uint32_t>>;  // term id, count
    std::vector<Counted> doc_terms;
    std::vector<Counted> entry_terms;  // distinct terms of all the entry's texts, count 1
    std::vector<char32_t> cps;
    std::vector<std::uint64_t> keys;
    std::vector<double> term_factors;  // term id -> term_factor()
    entry_target.assign(entries.size(), kNoIndex);
    for (std::size_t e = 0; e < entries.size(); ++e) {
        if (!entries[e].enabled) continue;
        std::vector<std::uint32_t> all;
        auto add = [&](const std::string& text) {
            const std::string form = match_form(text);
            if (form.empty()) return;
            auto [slot, inserted] = exact.try_emplace(form, static_cast<std::uint32_t>(exact_entries.size()));
            if (inserted) exact_entries.emplace_back();
            auto& owners = exact_entries[slot->second];
            if (std::find(owners.begin(), owners.end(), e) != owners.end()) return;  // same text twice in one entry
            owners.push_back(static_cast<std::uint32_t>(e));

            decode(form, cps);
            terms(cps, keys);
            std::sort(keys.begin(), keys.end());
            Counted counted;
            for (std::size_t i = 0; i < keys.size();) {
                std::size_t j = i;
                while (j < keys.size() && keys[j] == keys[i]) ++j;
                auto [it, fresh] = term_ids.try_emplace(keys[i], static_cast<std::uint32_t>(term_factors.size()));
                if (fresh) term_factors.push_back(term_factor(keys[i]));
                counted.emplace_back(it->second, static_cast<std::uint32_t>(j - i));
                all.push_back(it->second);
                i = j;
            }
            doc_terms.push_back(std::move(counted));
            doc_entry.push_back(static_cast<std::uint32_t>(e));
        };
        add(entries[e].question);
        for (const auto& p : entries[e].phrasings) add(p);
        std::sort(all.begin(), all.end());
        all.erase(std::unique(all.begin(), all.end()), all.end());
        Counted counted;
        for (const auto t : all) counted.emplace_back(t, 1);
        entry_target[e] = static_cast<std::uint32_t>(entry_terms.size());
        entry_terms.push_back(std::move(counted));
    }
    docs.build(doc_terms, term_factors, kB);
    whole.build(entry_terms, term_factors, kEntryB);
}

Match Index::Impl::match(std::string_view question) const {
    Match out;
    const std::string form = match_form(question);
    if (form.empty() || docs.list.empty()) return out;

    // Buffers are per thread and shared by every index; each call leaves them all zero (also
    // when it throws), clearing only what it touched.
    thread_local Scratch s;
    struct Clear {
        Scratch& s;
        const Impl& index;
        ~Clear() {
            for (const auto d : s.touched_docs) s.doc_score[d] = s.doc_matched[d] = 0;
            for (const auto e : s.touched_entries) {
                s.best_doc[e] = kNoIndex;
                s.entry_score[index.entry_target[e]] = 0;  // a touched target always has a touched document
            }
            s.touched_docs.clear();
            s.touched_entries.clear();
        }
    } clear{s, *this};
    if (s.doc_score.size() < doc_entry.size()) {
        s.doc_score.resize(doc_entry.size(), 0);
        s.doc_matched.resize(doc_entry.size(), 0);
    }
    if (s.best_doc.size() < entry_count) {
        s.best_doc.resize(entry_count, kNoIndex);
        s.entry_score.resize(entry_count, 0);
        s.final_score.resize(entry_count, 0);
    }

    decode(form, s.cps);
    terms(s.cps, s.keys);
    std::sort(s.keys.begin(), s.keys.end());
    s.keys.erase(std::unique(s.keys.begin(), s.keys.end()), s.keys.end());

    double query_mass = 0;
    for (const auto key : s.keys) {
        const auto it = term_ids.find(key);
        if (it == term_ids.end()) {
            query_mass += docs.unknown_weight * term_factor(key);
            continue;
        }
        const std::uint32_t t = it->second;
        const float w = docs.weight[t];
        query_mass += w;
        for (std::uint32_t p = docs.offsets[t]; p < docs.offsets[t + 1]; ++p) {
            const auto& post = docs.list[p];
            if (s.doc_matched[post.target] == 0) s.touched_docs.push_back(post.target);
            s.doc_score[post.target] += post.bm25;
            s.doc_matched[post.target] += w;
        }
        for (std::uint32_t p = whole.offsets[t]; p < whole.offsets[t + 1]; ++p) {
            s.entry_score[whole.list[p].target] += whole.list[p].bm25;
        }
    }
    if (s.touched_docs.empty()) return out;

    // An entry's best document (ties: the earlier one, for determinism).
    for (const auto d : s.touched_docs) {
        const std::uint32_t e = doc_entry[d];
        std::uint32_t& best = s.best_doc[e];
        if (best == kNoIndex) {
            s.touched_entries.push_back(e);
            best = d;
        } else if (s.doc_score[d] > s.doc_score[best] || (s.doc_score[d] == s.doc_score[best] && d < best)) {
            best = d;
        }
    }
    for (const auto e : s.touched_entries) {
        s.final_score[e] = s.doc_score[s.best_doc[e]] + static_cast<float>(kEntryWeight) * s.entry_score[entry_target[e]];
    }
    auto better = [&](std::uint32_t a, std::uint32_t b) {
        return s.final_score[a] != s.final_score[b] ? s.final_score[a] > s.final_score[b] : a < b;
    };
    const std::size_t ranked = std::min(s.touched_entries.size(), kMaxTop + 1);
    std::partial_sort(s.touched_entries.begin(), s.touched_entries.begin() + static_cast<std::ptrdiff_t>(ranked),
                      s.touched_entries.end(), better);

    const std::uint32_t first = s.touched_entries[0];
    const std::uint32_t first_doc = s.best_doc[first];
    const double first_score = s.final_score[first];
    const double second_score = ranked > 1 ? s.final_score[s.touched_entries[1]] : 0.0;
    const double query_share = query_mass > 0 ? s.doc_matched[first_doc] / query_mass : 0.0;
    const double doc_share = docs.mass[first_doc] > 0 ? s.doc_matched[first_doc] / docs.mass[first_doc] : 0.0;

    // Exactly an entry's question or phrasing: that entry, unless two entries share the text.
    const auto exact_it = exact.find(form);
    if (exact_it != exact.end() && exact_entries[exact_it->second].size() == 1) {
        const std::uint32_t e = exact_entries[exact_it->second].front();
        out.kind = Match::Kind::confident;
        out.top.push_back(e);
        out.scores.push_back(s.final_score[e]);
        return out;
    }

    if (query_share < kNoneQueryShare && doc_share < kNoneDocShare) return out;

    const bool clear_margin = second_score <= kConfidentMargin * first_score;
    if (query_share >= kConfidentQueryShare && doc_share >= kConfidentDocShare && clear_margin) {
        out.kind = Match::Kind::confident;
        out.top.push_back(first);
        out.scores.push_back(first_score);
        return out;
    }

    out.kind = Match::Kind::ambiguous;
    for (std::size_t i = 0; i < std::min(ranked, kMaxTop); ++i) {
        const std::uint32_t e = s.touched_entries[i];
        const double score = s.final_score[e];
        if (i >= 2 && score < kChoiceRatio * first_score) break;  // two choices whenever there are two
        out.top.push_back(e);
        out.scores.push_back(score);
    }
    return out;
}

Index::Index(std::vector<Entry> entries) : entries_(std::move(entries)), impl_(std::make_unique<Impl>(entries_)) {}

Match Index::match(std::string_view question) const {
    if (!impl_) return {};  // moved from
    return impl_->match(question);
}

Index::Index(Index&&) noexcept = default;
Index& Index::operator=(Index&&) noexcept = default;
Index::~Index() = default;

// --- group_similar -------------------------------------------------------------------------------

namespace {

/// Group similarity: Jaccard of the distinct terms, or one text nearly contained in the other
/// ("予約の仕方" in "ワクチンの予約の仕方を教えて"). Containment needs kMinContained terms in the
/// smaller text, so a bare word such as "予約" (3 terms) is not swallowed by every question using it.
constexpr double kGroupJaccard = 0.5;
constexpr double kGroupContainment = 0.8;
constexpr std::size_t kMinContained = 5;

bool similar(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
    if (a.empty() || b.empty()) return false;
    std::size_t common = 0;
    for (std::size_t i = 0, j = 0; i < a.size() && j < b.size();) {
        if (a[i] < b[j]) ++i;
        else if (b[j] < a[i]) ++j;
        else {
            ++common;
            ++i;
            ++j;
        }
    }
    const std::size_t smaller = std::min(a.size(), b.size());
    const double jaccard = static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
    const double containment = static_cast<double>(common) / static_cast<double>(smaller);
    return jaccard >= kGroupJaccard || (smaller >= kMinContained && containment >= kGroupContainment);
}

}  // namespace

std::vector<MissGroup> group_similar(const std::vector<std::string>& texts) {
    // 1. The same compact text is the same question.
    struct Key {
        std::string compact;
        std::vector<std::size_t> members;
        std::vector<std::uint64_t> terms;  // of the match form, sorted, distinct
    };
    std::vector<Key> keys;
    std::unordered_map<std::string, std::size_t> by_compact;
    std::vector<char32_t> cps;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        std::string compact = normalize_compact(texts[i]);
        auto [it, fresh] = by_compact.try_emplace(compact, keys.size());
        if (fresh) {
            Key k;
            decode(strip_endings(compact), cps);
            terms(cps, k.terms);
            std::sort(k.terms.begin(), k.terms.end());
            k.terms.erase(std::unique(k.terms.begin(), k.terms.end()), k.terms.end());
            k.compact = std::move(compact);
            keys.push_back(std::move(k));
        }
        keys[it->second].members.push_back(i);
    }

    // 2. Leader clustering, most asked first: a text joins the group whose leader (its most asked
    //    text) it is most like, else starts one. Comparing with leaders only keeps groups from
    //    drifting through chains of small differences.
    std::vector<std::size_t> order(keys.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return keys[a].members.size() > keys[b].members.size(); });
    std::vector<std::size_t> leaders;                  // key index of each group's leader
    std::vector<std::vector<std::size_t>> group_keys;  // key indices per group
    for (const std::size_t k : order) {
        std::size_t joined = leaders.size();
        for (std::size_t g = 0; g < leaders.size(); ++g) {
            if (similar(keys[k].terms, keys[leaders[g]].terms)) {
                joined = g;
                break;
            }
        }
        if (joined == leaders.size()) {
            leaders.push_back(k);
            group_keys.emplace_back();
        }
        group_keys[joined].push_back(k);
    }

    // 3. Members in input order; the representative is the text asked most often as written
    //    (ties: the one asked first).
    std::vector<MissGroup> groups;
    groups.reserve(group_keys.size());
    for (const auto& gk : group_keys) {
        MissGroup g;
        for (const std::size_t k : gk) g.members.insert(g.members.end(), keys[k].members.begin(), keys[k].members.end());
        std::sort(g.members.begin(), g.members.end());
        std::unordered_map<std::string_view, std::size_t> counts;
        for (const std::size_t m : g.members) ++counts[texts[m]];
        std::size_t best_count = 0;
        for (const std::size_t m : g.members) {  // input order, so the first asked wins ties
            const std::size_t c = counts[texts[m]];
            if (c > best_count) {
                best_count = c;
                g.representative = texts[m];
            }
        }
        groups.push_back(std::move(g));
    }
    std::stable_sort(groups.begin(), groups.end(), [](const MissGroup& a, const MissGroup& b) {
        return a.members.size() != b.members.size() ? a.members.size() > b.members.size()
                                                     : a.members.front() < b.members.front();
    });
    return groups;
}

}  // namespace sapo::flows::faq
