// flows/faq_index: matching questions to FAQ entries on a small synthetic set (the shipped
// starter set is checked in faq_accuracy_test.cpp), and grouping unanswered questions.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "flows/faq_index.hpp"

namespace {

using sapo::flows::faq::Entry;
using sapo::flows::faq::group_similar;
using sapo::flows::faq::Index;
using sapo::flows::faq::Match;

Entry entry(std::string id, std::string question, std::vector<std::string> phrasings, bool enabled = true) {
    Entry e;
    e.id = std::move(id);
    e.category = "test";
    e.question = std::move(question);
    e.phrasings = std::move(phrasings);
    e.answer_ja = "答え";
    e.answer_en = "Answer";
    e.enabled = enabled;
    return e;
}

std::vector<Entry> synthetic() {
    return {
        entry("vaccine-booking", "ワクチン接種の予約はどうすればいいですか", {"ワクチンの予約方法を教えて", "接種の予約をしたい"}),
        entry("fever-clinic", "熱が出たときはどこの病院に行けばいいですか", {"発熱外来を探しています", "熱がある時の受診先"}),
        entry("garbage-day", "ゴミの収集日はいつですか", {"ごみの日を知りたい", "燃えるゴミは何曜日"}),
        entry("pcr-test", "PCR検査はどこで受けられますか", {"PCR検査を受けたい", "検査を受けられる場所"}),
        entry("mask", "マスクの着用は必要ですか", {"マスクはつけないといけませんか"}),
        entry("parking", "市役所に駐車場はありますか", {"車で行けますか"}, false),
        entry("adult-shots", "大人の予防接種の予約", {}),
        entry("child-shots", "子供の予防接種の予約", {}),
        entry("library-hours", "図書館の開館時間を教えてください", {"図書館は何時まで開いていますか"}),
        entry("tax-payment", "住民税の支払い方法", {"住民税はコンビニで払えますか"}),
    };
}

std::size_t index_of(const Index& index, const std::string& id) {
    for (std::size_t i = 0; i < index.entries().size(); ++i) {
        if (index.entries()[i].id == id) return i;
    }
    FAIL("no entry " << id);
    return 0;
}

std::string kind_name(Match::Kind k) {
    switch (k) {
        case Match::Kind::confident: return "confident";
        case Match::Kind::ambiguous: return "ambiguous";
        case Match::Kind::none: return "none";
    }
    return "?";
}

/// The match is confident and names `id`.
void check_confident(const Index& index, const std::string& text, const std::string& id) {
    INFO("query: " << text);
    const Match m = index.match(text);
    INFO("kind: " << kind_name(m.kind) << ", top: " << (m.top.empty() ? std::string("-") : index.entries()[m.top[0]].id));
    CHECK(m.kind == Match::Kind::confident);
    REQUIRE(!m.top.empty());
    CHECK(index.entries()[m.top.front()].id == id);
    CHECK(m.top.size() == m.scores.size());
}

void check_none(const Index& index, const std::string& text) {
    INFO("query: " << text);
    const Match m = index.match(text);
    INFO("kind: " << kind_name(m.kind) << ", top: " << (m.top.empty() ? std::string("-") : index.entries()[m.top[0]].id));
    CHECK(m.kind == Match::Kind::none);
    CHECK(m.top.empty());
    CHECK(m.scores.empty());
}

}  // namespace

TEST_CASE("faq index: an entry's own question and phrasings are confident", "[unit][faq]") {
    const Index index(synthetic());
    for (const auto& e : index.entries()) {
        if (!e.enabled) continue;
        check_confident(index, e.question, e.id);
        for (const auto& p : e.phrasings) check_confident(index, p, e.id);
    }
}

TEST_CASE("faq index: kana, width, case and small changes meet the same entry", "[unit][faq]") {
    const Index index(synthetic());
    // katakana / hiragana / half-width katakana
    check_confident(index, "わくちん接種の予約はどうすればいいですか", "vaccine-booking");
    check_confident(index, "ﾜｸﾁﾝ接種の予約はどうすればいいですか", "vaccine-booking");
    check_confident(index, "ごみの収集日はいつですか", "garbage-day");
    check_confident(index, "ますくの着用は必要ですか", "mask");
    // full-width letters, case, punctuation and spaces
    check_confident(index, "ＰＣＲ検査はどこで受けられますか？", "pcr-test");
    check_confident(index, "pcr 検査は どこで 受けられますか!!", "pcr-test");
    // kanji / kana spelling of the same word, polite and casual endings
    check_confident(index, "熱が出た時はどこの病院に行けばいい？", "fever-clinic");
    check_confident(index, "ゴミの収集日っていつ", "garbage-day");
    check_confident(index, "図書館の開館時間を教えて", "library-hours");
    check_confident(index, "住民税の支払い方法を知りたいです", "tax-payment");
    // a typo
    check_confident(index, "ワクチン接種の予約はどうすればいいでづか", "vaccine-booking");
    check_confident(index, "図書館の開館時間をおしえてくださいい", "library-hours");
}

TEST_CASE("faq index: disabled entries are kept but never matched", "[unit][faq]") {
    const Index index(synthetic());
    const std::size_t parking = index_of(index, "parking");
    CHECK(index.entries().size() == synthetic().size());
    for (const std::string q : {"市役所に駐車場はありますか", "車で行けますか", "駐車場", "市役所の駐車場"}) {
        const Match m = index.match(q);
        INFO(q);
        CHECK(std::find(m.top.begin(), m.top.end(), parking) == m.top.end());
    }
}

TEST_CASE("faq index: two entries equally close are ambiguous", "[unit][faq]") {
    const Index index(synthetic());
    const Match m = index.match("予防接種の予約");
    CHECK(m.kind == Match::Kind::ambiguous);
    REQUIRE(m.top.size() >= 2);
    std::vector<std::size_t> first_two{m.top[0], m.top[1]};
    std::sort(first_two.begin(), first_two.end());
    CHECK(first_two == std::vector<std::size_t>{index_of(index, "adult-shots"), index_of(index, "child-shots")});
    CHECK(m.scores[0] == Approx(m.scores[1]));
    // the tie is broken by entry order, the same every time
    CHECK(m.top[0] == index_of(index, "adult-shots"));
}

TEST_CASE("faq index: unrelated, empty and symbol-only text finds nothing", "[unit][faq]") {
    const Index index(synthetic());
    for (const std::string q : {"", " ", "\u3000\u3000", "\n\t", "？？？", "。", "😀", "😀😀😀🎉", "今日の天気はどうですか",
                                "おはようございます", "ありがとう", "asdfghjkl", "ほげほげ", "明日は雨が降るかな"}) {
        check_none(index, q);
    }
}

TEST_CASE("faq index: top has at most 3 entries, best first, with their scores", "[unit][faq]") {
    std::vector<Entry> many;
    for (const std::string who : {"大人", "子供", "高齢者", "妊婦", "学生", "乳児"}) {
        many.push_back(entry("shots-" + std::to_string(many.size()), who + "の予防接種の予約", {}));
    }
    many.push_back(entry("garbage", "ゴミの収集日はいつですか", {}));
    const Index index(std::move(many));
    const Match m = index.match("予防接種の予約");
    CHECK(m.kind == Match::Kind::ambiguous);
    CHECK(m.top.size() == 3);
    CHECK(m.scores.size() == m.top.size());
    CHECK(std::is_sorted(m.scores.begin(), m.scores.end(), [](double a, double b) { return a > b; }));

    const Index small(synthetic());
    for (const std::string q : {"予約", "検査", "病院", "ゴミ", "予防接種", "時間", "方法", "接種の予約", "ワクチン"}) {
        const Match r = small.match(q);
        INFO(q << " -> " << kind_name(r.kind));
        CHECK(r.top.size() <= 3);
        CHECK(r.top.size() == r.scores.size());
        CHECK(std::is_sorted(r.scores.begin(), r.scores.end(), [](double a, double b) { return a > b; }));
        if (r.kind == Match::Kind::confident) CHECK(r.top.size() == 1);
        if (r.kind == Match::Kind::none) CHECK(r.top.empty());
        if (r.kind == Match::Kind::ambiguous) CHECK(!r.top.empty());
    }
}

TEST_CASE("faq index: results are deterministic", "[unit][faq]") {
    const Index a(synthetic());
    const Index b(synthetic());
    for (const std::string q : {"予防接種の予約", "予約", "熱がある", "ゴミの日", "天気", "PCR", "図書館", "住民税"}) {
        const Match first = a.match(q);
        for (int i = 0; i < 3; ++i) {
            for (const Index* idx : {&a, &b}) {
                const Match again = idx->match(q);
                INFO(q);
                CHECK(again.kind == first.kind);
                CHECK(again.top == first.top);
                CHECK(again.scores == first.scores);
            }
        }
    }
}

TEST_CASE("faq index: indexes of different sizes and threads do not disturb each other", "[unit][faq]") {
    // match() keeps per-thread buffers shared by every index: alternate a big and a small index
    // and compare with each one's answers on its own.
    std::vector<Entry> big_entries = synthetic();
    for (int i = 0; i < 200; ++i) {
        big_entries.push_back(entry("extra-" + std::to_string(i), "追加の質問その" + std::to_string(i) + "について", {}));
    }
    const Index big(big_entries);
    const Index small(std::vector<Entry>{entry("garbage", "ゴミの収集日はいつですか", {}), entry("library", "図書館の開館時間", {})});
    const std::vector<std::string> queries{"ゴミの収集日", "追加の質問その150", "図書館", "予約", "天気", "ゴミの日はいつ"};
    std::vector<Match> big_alone;
    std::vector<Match> small_alone;
    for (const auto& q : queries) big_alone.push_back(big.match(q));
    for (const auto& q : queries) small_alone.push_back(small.match(q));
    for (int round = 0; round < 3; ++round) {
        for (std::size_t i = 0; i < queries.size(); ++i) {
            INFO(queries[i]);
            const Match b = big.match(queries[i]);
            const Match s = small.match(queries[i]);
            CHECK(b.top == big_alone[i].top);
            CHECK(b.scores == big_alone[i].scores);
            CHECK(s.top == small_alone[i].top);
            CHECK(s.scores == small_alone[i].scores);
        }
    }

    // The same from several threads at once.
    std::vector<std::vector<Match>> seen(4);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < seen.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 50; ++round) {
                for (const auto& q : queries) seen[t].push_back((round + t) % 2 == 0 ? big.match(q) : small.match(q));
            }
        });
    }
    for (auto& th : threads) th.join();
    for (std::size_t t = 0; t < seen.size(); ++t) {
        REQUIRE(seen[t].size() == 50 * queries.size());
        for (std::size_t k = 0; k < seen[t].size(); ++k) {
            const std::size_t round = k / queries.size();
            const std::size_t i = k % queries.size();
            const Match& expected = (round + t) % 2 == 0 ? big_alone[i] : small_alone[i];
            CHECK(seen[t][k].top == expected.top);
            CHECK(seen[t][k].scores == expected.scores);
        }
    }
}

TEST_CASE("faq index: an index can be moved", "[unit][faq]") {
    Index a(synthetic());
    Index b(std::move(a));
    CHECK(b.entries().size() == synthetic().size());
    check_confident(b, "ゴミの収集日はいつですか", "garbage-day");

    Index c(std::vector<Entry>{entry("only", "図書館の開館時間", {})});
    c = std::move(b);
    check_confident(c, "PCR検査はどこで受けられますか", "pcr-test");
    CHECK(c.entries().size() == synthetic().size());

    const Index empty(std::vector<Entry>{});
    check_none(empty, "ゴミの収集日はいつですか");
    const Index all_disabled(std::vector<Entry>{entry("off", "ゴミの収集日はいつですか", {}, false)});
    check_none(all_disabled, "ゴミの収集日はいつですか");
}

TEST_CASE("faq group_similar: same text after normalising and near variants form one group", "[unit][faq]") {
    CHECK(group_similar({}).empty());

    const std::vector<std::string> texts{
        "ゴミの日は？",        // 0
        "駐車場はありますか",  // 1
        "ごみの日は",          // 2
        "ゴミの日は？",        // 3
        "ｺﾞﾐの日はいつ",       // 4
        "駐車場ある？",        // 5
        "図書館で本を借りたい",  // 6
        "ゴミの日は？",        // 7
    };
    const auto groups = group_similar(texts);
    REQUIRE(groups.size() == 3);
    CHECK(groups[0].members == std::vector<std::size_t>{0, 2, 3, 4, 7});
    CHECK(groups[0].representative == "ゴミの日は？");
    CHECK(groups[1].members == std::vector<std::size_t>{1, 5});
    CHECK(groups[1].representative == "駐車場はありますか");  // one each: the first asked
    CHECK(groups[2].members == std::vector<std::size_t>{6});
    CHECK(groups[2].representative == "図書館で本を借りたい");

    // every input is in exactly one group
    std::vector<std::size_t> all;
    for (const auto& g : groups) all.insert(all.end(), g.members.begin(), g.members.end());
    std::sort(all.begin(), all.end());
    CHECK(all == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7});
}

TEST_CASE("faq group_similar: unrelated texts stay apart and biggest groups come first", "[unit][faq]") {
    const std::vector<std::string> texts{"図書館の場所", "ワクチンの副反応", "住民税の納付", "ワクチンの副反応について",
                                         "ワクチンの副反応は？", "", "  "};
    const auto groups = group_similar(texts);
    REQUIRE(groups.size() == 4);
    CHECK(groups[0].members == std::vector<std::size_t>{1, 3, 4});
    CHECK(groups[0].representative == "ワクチンの副反応");
    CHECK(groups[1].members == std::vector<std::size_t>{5, 6});  // both empty once normalised
    CHECK(groups[2].members == std::vector<std::size_t>{0});
    CHECK(groups[3].members == std::vector<std::size_t>{2});

    // a short text is not pulled into a long one by a shared word
    const auto apart = group_similar({"予約", "ワクチンの予約をキャンセルしたい", "図書館の本の予約"});
    CHECK(apart.size() == 3);
}
