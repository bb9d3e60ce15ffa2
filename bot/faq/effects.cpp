#include "bot/faq/effects.hpp"

#include <charconv>
#include <cstdio>
#include <stdexcept>

#include "flows/normalize.hpp"
#include "flows/tokyo_time.hpp"

namespace sapo::faq {
namespace {

using flows::Value;
using flows::Variables;
constexpr auto param = dispatch::effect_param;

std::string hh_mm(int minutes) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%d:%02d", (minutes / 60) % 100, minutes % 60);
    return buf;
}

int minutes_of(std::string_view s) {
    auto colon = s.find(':');
    if (colon == std::string_view::npos) return -1;
    int h = -1;
    int m = -1;
    auto r1 = std::from_chars(s.data(), s.data() + colon, h);
    auto r2 = std::from_chars(s.data() + colon + 1, s.data() + s.size(), m);
    if (r1.ec != std::errc{} || r1.ptr != s.data() + colon || r2.ec != std::errc{} || r2.ptr != s.data() + s.size()) return -1;
    if (h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) || s.size() - colon != 3) return -1;
    return h * 60 + m;
}

/// The entry's answer in the user's language, with its links after it.
std::string answer_text(const flows::faq::Entry& e, const std::string& language) {
    std::string text = language == "en" ? e.answer_en : e.answer_ja;
    for (const auto& l : e.links) text += "\n" + l.label + ": " + l.url;
    return text;
}

Variables show_entry(const flows::faq::Entry& e, const std::string& language) {
    return {{"status", Value("answer")},
            {"entry_id", Value(e.id)},
            {"question", Value(e.question)},
            {"answer", Value(answer_text(e, language))}};
}

Variables answer(Catalog& catalog, const flows::Effect& effect, dispatch::EffectContext& c) {
    const std::string question = param(effect, "question");
    Variables out{{"urgent", Value(sounds_urgent(question) ? "yes" : "no")}};
    if (flows::normalize_compact(question).empty()) {
        out["status"] = Value("none");
        return out;
    }
    auto index = catalog.index(c.store.faq());
    const auto match = index->match(question);
    const auto& entries = index->entries();
    using Kind = flows::faq::Match::Kind;
    if (match.kind == Kind::confident && !match.top.empty()) {
        for (auto& [k, v] : show_entry(entries[match.top.front()], c.language)) out[k] = v;
        return out;
    }
    if (match.kind == Kind::ambiguous && match.top.size() >= 2) {
        std::string list;
        for (std::size_t i = 0; i < match.top.size() && i < 3; ++i) {
            const auto& e = entries[match.top[i]];
            const std::string n = std::to_string(i + 1);
            out["c" + n] = Value(e.id);
            list += (list.empty() ? "" : "\n") + n + ". " + e.question;
        }
        out["status"] = Value("choices");
        out["choices"] = Value(list);
        return out;
    }
    c.store.faq().record_miss(question, "no_match", "");
    out["status"] = Value("none");
    return out;
}

Variables show(Catalog& catalog, const flows::Effect& effect, dispatch::EffectContext& c) {
    const std::string id = param(effect, "id");
    auto index = catalog.index(c.store.faq());
    for (const auto& e : index->entries()) {
        if (e.id == id && e.enabled) return show_entry(e, c.language);
    }
    return {{"status", Value("gone")}};
}

Variables miss(const flows::Effect& effect, dispatch::EffectContext& c) {
    std::string reason = param(effect, "reason");
    if (reason != "not_helpful") reason = "no_match";
    const std::string question = param(effect, "question");
    if (!flows::normalize_compact(question).empty()) c.store.faq().record_miss(question, reason, param(effect, "entry_id"));
    return {};
}

Variables hours_now(const Hours& h, const flows::Effect&, dispatch::EffectContext& c) {
    const int now = flows::tokyo_minute_of_day(c.clock.now_ms());
    const bool open = now >= h.open_minute && now < h.close_minute;
    const bool en = c.language == "en";
    std::string next;
    if (!open) {
        next = now < h.open_minute ? (en ? "today at " : "本日") + hh_mm(h.open_minute)
                                   : (en ? "tomorrow at " : "明日") + hh_mm(h.open_minute);
    }
    return {{"open_now", Value(open ? "yes" : "no")},
            {"hours", Value(hh_mm(h.open_minute) + (en ? "-" : "〜") + hh_mm(h.close_minute))},
            {"next_open", Value(next)}};
}

Catalog& need(const std::shared_ptr<Catalog>& catalog) {
    if (!catalog) throw std::logic_error("FAQ effects are applied only by a serving sapo");
    return *catalog;
}

}  // namespace

std::optional<Hours> parse_hours(const std::string& text) {
    auto dash = text.find('-');
    if (dash == std::string::npos) return std::nullopt;
    const int open = minutes_of(std::string_view(text).substr(0, dash));
    const int close = minutes_of(std::string_view(text).substr(dash + 1));
    if (open < 0 || close < 0 || open >= close) return std::nullopt;
    return Hours{open, close};
}

bool sounds_urgent(const std::string& question) {
    // compared after normalisation (katakana -> hiragana, NFKC), so the list is written in hiragana
    // where people write either
    static const std::vector<std::string> kSigns = [] {
        std::vector<std::string> out;
        for (const char* s : {"息苦し", "息ができな", "息が苦し", "呼吸が苦し", "呼吸ができな", "意識がな", "意識が朦朧",
                              "意識がもうろう", "反応がな", "胸が痛", "胸の痛", "唇が紫", "くちびるが紫", "顔色が悪",
                              "けいれん", "痙攣", "倒れ", "救急車", "119"}) {
            out.push_back(flows::normalize_compact(s));
        }
        return out;
    }();
    const std::string q = flows::normalize_compact(question);
    for (const auto& s : kSigns) {
        if (q.find(s) != std::string::npos) return true;
    }
    return false;
}

void add_faq_effects(dispatch::EffectRegistry& registry, std::shared_ptr<Catalog> catalog, Hours hours) {
    registry.add({"faq.answer", "Matches a question against the FAQ: an answer, up to three choices, or none.",
                  {"question"},
                  {"status", "urgent", "entry_id", "question", "answer", "choices", "c1", "c2", "c3"}},
                 [catalog](const flows::Effect& e, dispatch::EffectContext& c) { return answer(need(catalog), e, c); });
    registry.add({"faq.show", "One FAQ entry's answer, by id.", {"id"}, {"status", "entry_id", "question", "answer"}},
                 [catalog](const flows::Effect& e, dispatch::EffectContext& c) { return show(need(catalog), e, c); });
    registry.add({"faq.miss", "Keeps an unanswered or unhelpful question for operators (no user id).",
                  {"reason", "question"}, {}},
                 miss);
    registry.add({"faq.hours", "Whether the consultation centre is open now, its hours, when it opens next.", {},
                  {"open_now", "hours", "next_open"}},
                 [hours](const flows::Effect& e, dispatch::EffectContext& c) { return hours_now(hours, e, c); });
}

}  // namespace sapo::faq
