// scripts/bench-faq: FAQ questions matched per second, single-threaded (flows/faq_index: ICU
// normalisation, character n-grams, BM25 and the confident/ambiguous/none decision). Pure
// matching; no database. Target (issue): >= 20,000 queries/s over 1,000 entries.
//
// The index: the starter set (config/faq/starter.json) plus entries generated from it up to
// 1,000: each starter entry's first noun (its first run of two or more kanji/katakana, e.g. 検査,
// 自宅療養, パルスオキシメーター) swapped for another everyday municipal noun in the question and
// its phrasings (prefixed "<noun>の" where a phrasing lacks it), so the generated entries share
// the starter set's grammar and most of its n-grams, as a real, larger FAQ would. The queries:
// test/fixtures/faq/paraphrases.tsv and off_topic.txt, round-robin.
//
// Usage: bench_faq [source dir] [--show]   (--show also prints a sample of the generated entries)

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "flows/faq_entries.hpp"
#include "flows/faq_index.hpp"

namespace {

using namespace sapo::flows::faq;

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty() && line[0] != '#') out.push_back(line);
    }
    return out;
}

/// Code point at `i` of valid UTF-8 and its length.
char32_t code_point(const std::string& s, std::size_t i, std::size_t& len) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
        len = 1;
        return c;
    }
    len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    char32_t cp = c & (len == 2 ? 0x1Fu : len == 3 ? 0x0Fu : 0x07u);
    for (std::size_t k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    return cp;
}

bool noun_char(char32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x30A1 && c <= 0x30FA) || c == 0x30FC || c == 0x3005;
}

/// The runs of kanji/katakana in `s` (nouns, mostly), as [begin, end) byte offsets.
std::vector<std::pair<std::size_t, std::size_t>> noun_runs(const std::string& s) {
    std::vector<std::pair<std::size_t, std::size_t>> runs;
    std::size_t start = std::string::npos;
    for (std::size_t i = 0; i <= s.size();) {
        std::size_t len = 1;
        const bool in = i < s.size() && noun_char(code_point(s, i, len));
        if (in && start == std::string::npos) start = i;
        if (!in && start != std::string::npos) {
            runs.emplace_back(start, i);
            start = std::string::npos;
        }
        i += len;
    }
    return runs;
}

/// The first noun of two or more characters (a single kanji is often part of a verb: 集めた).
std::string first_noun(const std::string& s) {
    for (const auto& [b, e] : noun_runs(s)) {
        std::size_t chars = 0;
        for (std::size_t i = b; i < e; ++i) chars += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 ? 1 : 0;
        if (chars >= 2) return s.substr(b, e - b);
    }
    return "";
}

/// `s` with every whole run equal to `from` replaced by `to` (not inside longer nouns: 通知 stays
/// when swapping 知); `replaced` tells whether there was one.
std::string swap_noun(const std::string& s, const std::string& from, const std::string& to, bool& replaced) {
    std::string out;
    std::size_t copied = 0;
    replaced = false;
    for (const auto& [b, e] : noun_runs(s)) {
        if (s.compare(b, e - b, from) != 0) continue;
        out.append(s, copied, b - copied);
        out += to;
        copied = e;
        replaced = true;
    }
    out.append(s, copied, std::string::npos);
    return out;
}

/// The starter set plus generated entries, `total` in all.
std::vector<Entry> thousand(const std::vector<Entry>& starter, std::size_t total) {
    static const char* kNouns[] = {
        "住民票",     "マイナンバーカード", "粗大ごみ",   "児童手当",   "国民健康保険", "介護保険",   "保育園",
        "図書館",     "市民プール",         "健康診断",   "がん検診",   "住民税",       "固定資産税", "水道料金",
        "避難所",     "防災無線",           "パスポート", "印鑑登録",   "転入届",       "婚姻届",     "出生届",
        "児童館",     "放課後クラブ",       "給付金",     "奨学金",     "空き家",       "自転車駐輪場", "市営住宅",
        "下水道",     "ふるさと納税",       "成人式",     "敬老パス",   "コミュニティバス", "公民館",   "スポーツ施設",
        "特定健診",   "歯科検診",           "予防接種",   "犬の登録",   "狂犬病予防",   "地域包括支援センター",
        "子育て支援", "ひとり親家庭",       "障害者手帳", "生活保護",   "年金",         "選挙",       "期日前投票",
    };
    std::vector<Entry> out = starter;
    std::size_t n = 0;
    for (const char* noun : kNouns) {
        for (const auto& base : starter) {
            if (out.size() >= total) return out;
            const std::string from = first_noun(base.question);
            if (from.empty()) continue;
            Entry e = base;
            e.id = "gen-" + std::to_string(++n);
            bool replaced = false;
            e.question = swap_noun(base.question, from, noun, replaced);
            for (auto& p : e.phrasings) {
                p = swap_noun(p, from, noun, replaced);
                if (!replaced) p = std::string(noun) + "の" + p;
            }
            out.push_back(std::move(e));
        }
    }
    return out;
}

std::size_t heap_in_use() { return mallinfo2().uordblks; }

struct Run {
    double queries_per_s;
    double us_per_query;
};

/// Matches `queries` round-robin for about `seconds`, five times; the median rate.
Run measure(const Index& index, const std::vector<std::string>& queries, double seconds, std::size_t& sink) {
    std::vector<double> rates;
    for (int run = 0; run < 5; ++run) {
        long n = 0;
        std::size_t next = 0;
        const auto start = std::chrono::steady_clock::now();
        std::chrono::duration<double> elapsed{};
        do {
            for (int i = 0; i < 256; ++i) {
                const Match m = index.match(queries[next]);
                sink += m.top.size() + static_cast<std::size_t>(m.kind);
                next = next + 1 == queries.size() ? 0 : next + 1;
            }
            n += 256;
            elapsed = std::chrono::steady_clock::now() - start;
        } while (elapsed.count() < seconds);
        rates.push_back(static_cast<double>(n) / elapsed.count());
    }
    std::sort(rates.begin(), rates.end());
    return {rates[2], 1e6 / rates[2]};
}

}  // namespace

int main(int argc, char** argv) {
    const std::string root = argc > 1 ? argv[1] : SAPO_SOURCE_DIR;
    std::vector<EntryProblem> problems;
    const auto starter = parse_entries(read(root + "/config/faq/starter.json"), problems);
    if (!problems.empty() || starter.empty()) {
        std::fprintf(stderr, "config/faq/starter.json does not load%s%s\n", problems.empty() ? "" : ": ",
                     problems.empty() ? "" : format_problem(problems[0]).c_str());
        return 1;
    }
    std::vector<std::string> paraphrases;
    std::vector<std::string> expected;
    for (const auto& line : lines(read(root + "/test/fixtures/faq/paraphrases.tsv"))) {
        const auto tab = line.find('\t');
        if (tab == std::string::npos || line == "text\texpected_id") continue;
        paraphrases.push_back(line.substr(0, tab));
        expected.push_back(line.substr(tab + 1));
    }
    const auto off_topic = lines(read(root + "/test/fixtures/faq/off_topic.txt"));
    if (paraphrases.empty() || off_topic.empty()) {
        std::fprintf(stderr, "test/fixtures/faq/paraphrases.tsv or off_topic.txt is missing or empty\n");
        return 1;
    }
    std::vector<std::string> queries = paraphrases;
    queries.insert(queries.end(), off_topic.begin(), off_topic.end());

    std::size_t sink = 0;
    {  // ICU loads its data and per-thread transliterator on first use: not part of any index
        const Index warm_up(thousand(starter, starter.size()));
        sink += warm_up.match("ワクチンの予約").top.size();
    }
    if (argc > 2 && std::string(argv[2]) == "--show") {  // a look at what was generated
        const auto all = thousand(starter, 1000);
        for (std::size_t i = starter.size(); i < all.size(); i += 97) {
            std::printf("%s: %s | %s\n", all[i].id.c_str(), all[i].question.c_str(),
                        all[i].phrasings.empty() ? "" : all[i].phrasings[0].c_str());
        }
    }
    std::printf("%-44s %8s %8s %10s %12s %10s %9s %10s\n", "faq benchmark (single thread, median of 5)", "entries",
                "texts", "build ms", "index KiB", "queries/s", "us/query", "top-1");
    for (const std::size_t total : {starter.size(), std::size_t{1000}}) {
        auto entries = thousand(starter, total);
        std::size_t texts = 0;
        for (const auto& e : entries) texts += 1 + e.phrasings.size();
        const std::size_t count = entries.size();
        // The index owns the entries it is given (moved in, not copied): the heap growth while
        // building is the index's own structures.
        const std::size_t heap_before = heap_in_use();
        const auto build_start = std::chrono::steady_clock::now();
        const Index index(std::move(entries));
        const std::chrono::duration<double, std::milli> build_ms = std::chrono::steady_clock::now() - build_start;
        const std::size_t heap_after = heap_in_use();
        const double index_kib = heap_after > heap_before ? static_cast<double>(heap_after - heap_before) / 1024.0 : 0.0;

        // The same paraphrases against the bigger set: how much the generated look-alikes cost.
        std::size_t hits = 0;
        for (std::size_t i = 0; i < paraphrases.size(); ++i) {
            const Match m = index.match(paraphrases[i]);
            hits += !m.top.empty() && index.entries()[m.top.front()].id == expected[i] ? 1 : 0;
        }
        for (const auto& q : queries) sink += index.match(q).top.size();  // warm up

        const Run r = measure(index, queries, 0.4, sink);
        char name[64];
        std::snprintf(name, sizeof name, "%s, paraphrases + off-topic", total == starter.size() ? "starter set" : "1,000 entries");
        std::printf("%-44s %8zu %8zu %10.1f %12.0f %10.0f %9.2f %9.1f%%\n", name, count, texts, build_ms.count(), index_kib,
                    r.queries_per_s, r.us_per_query, 100.0 * static_cast<double>(hits) / static_cast<double>(paraphrases.size()));
    }
    return sink == 0 ? 1 : 0;
}
