#include "flows/input_parsers.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "flows/normalize.hpp"

namespace sapo::flows {
namespace {

// --- small UTF-8 helpers (input is already normalised, hence valid UTF-8) ------------------------

std::u32string decode(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        char32_t c = 0;
        std::size_t n = 1;
        if (b0 < 0x80) {
            c = b0;
        } else if ((b0 & 0xE0) == 0xC0) {
            c = b0 & 0x1Fu;
            n = 2;
        } else if ((b0 & 0xF0) == 0xE0) {
            c = b0 & 0x0Fu;
            n = 3;
        } else if ((b0 & 0xF8) == 0xF0) {
            c = b0 & 0x07u;
            n = 4;
        } else {
            out.push_back(U'\uFFFD');
            ++i;
            continue;
        }
        if (i + n > s.size()) {
            out.push_back(U'\uFFFD');
            break;
        }
        for (std::size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
        out.push_back(c);
        i += n;
    }
    return out;
}

bool is_digit(char32_t c) { return c >= U'0' && c <= U'9'; }
int digit_value(char32_t c) { return static_cast<int>(c - U'0'); }

bool ends_with(std::u32string_view s, std::u32string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void trim_spaces(std::u32string_view& s) {
    while (!s.empty() && s.front() == U' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == U' ') s.remove_suffix(1);
}

/// Drops what people put after an answer without changing it: sentence-final punctuation (after
/// NFKC: 。 . ! ? 、 ,) and a polite "です", in any order ("20歳です。").
void strip_trailing_noise(std::u32string_view& s) {
    for (bool changed = true; changed;) {
        changed = false;
        trim_spaces(s);
        while (!s.empty() && (s.back() == U'\u3002' || s.back() == U'.' || s.back() == U'!' || s.back() == U'?' ||
                              s.back() == U'\u3001' || s.back() == U',')) {
            s.remove_suffix(1);
            changed = true;
        }
        if (ends_with(s, U"\u3067\u3059")) {  // です
            s.remove_suffix(2);
            changed = true;
        }
    }
}

// --- yes / no -------------------------------------------------------------------------------------

enum class Word { yes, no, unknown, filler };

struct VocabEntry {
    const char* text;
    Word word;
};

// Written naturally; compared after normalize_compact, so width, case and kana variants (ﾊｲ, ハイ,
// ＹＥＳ) and punctuation need no entries of their own. An answer may be several of these in a row
// ("はい、あります", "いいえ、ないです"), as long as they agree.
constexpr std::array kYesNoVocabulary{
    // yes
    VocabEntry{"はい", Word::yes},
    VocabEntry{"はーい", Word::yes},
    VocabEntry{"うん", Word::yes},
    VocabEntry{"ええ", Word::yes},
    VocabEntry{"そう", Word::yes},
    VocabEntry{"その通り", Word::yes},
    VocabEntry{"そのとおり", Word::yes},
    VocabEntry{"もちろん", Word::yes},
    VocabEntry{"ある", Word::yes},
    VocabEntry{"あります", Word::yes},
    VocabEntry{"あり", Word::yes},
    VocabEntry{"あった", Word::yes},
    VocabEntry{"ありました", Word::yes},
    VocabEntry{"有", Word::yes},
    VocabEntry{"有り", Word::yes},
    VocabEntry{"有る", Word::yes},
    VocabEntry{"いる", Word::yes},
    VocabEntry{"います", Word::yes},
    VocabEntry{"イエス", Word::yes},
    VocabEntry{"yes", Word::yes},
    VocabEntry{"y", Word::yes},
    VocabEntry{"yeah", Word::yes},
    VocabEntry{"yep", Word::yes},
    VocabEntry{"yup", Word::yes},
    VocabEntry{"sure", Word::yes},
    VocabEntry{"of course", Word::yes},
    VocabEntry{"ok", Word::yes},
    VocabEntry{"okay", Word::yes},
    VocabEntry{"true", Word::yes},
    VocabEntry{"\u25CB", Word::yes},  // ○
    VocabEntry{"\u25EF", Word::yes},  // ◯
    VocabEntry{"\u3007", Word::yes},  // 〇
    VocabEntry{"\u2B55", Word::yes},  // ⭕
    // no
    VocabEntry{"いいえ", Word::no},
    VocabEntry{"いえ", Word::no},
    VocabEntry{"いや", Word::no},
    VocabEntry{"いいや", Word::no},
    VocabEntry{"ううん", Word::no},
    VocabEntry{"ない", Word::no},
    VocabEntry{"無い", Word::no},
    VocabEntry{"なし", Word::no},
    VocabEntry{"無し", Word::no},
    VocabEntry{"無", Word::no},
    VocabEntry{"ありません", Word::no},
    VocabEntry{"なかった", Word::no},
    VocabEntry{"いない", Word::no},
    VocabEntry{"いません", Word::no},
    VocabEntry{"いなかった", Word::no},
    VocabEntry{"ちがう", Word::no},
    VocabEntry{"違う", Word::no},
    VocabEntry{"ちがいます", Word::no},
    VocabEntry{"違います", Word::no},
    VocabEntry{"ノー", Word::no},
    VocabEntry{"no", Word::no},
    VocabEntry{"n", Word::no},
    VocabEntry{"nope", Word::no},
    VocabEntry{"nah", Word::no},
    VocabEntry{"none", Word::no},
    VocabEntry{"false", Word::no},
    VocabEntry{"\u00D7", Word::no},  // ×
    VocabEntry{"\u2715", Word::no},  // ✕
    VocabEntry{"\u2716", Word::no},  // ✖
    VocabEntry{"\u274C", Word::no},  // ❌
    // unknown
    VocabEntry{"わからない", Word::unknown},
    VocabEntry{"分からない", Word::unknown},
    VocabEntry{"判らない", Word::unknown},
    VocabEntry{"解らない", Word::unknown},
    VocabEntry{"わかりません", Word::unknown},
    VocabEntry{"分かりません", Word::unknown},
    VocabEntry{"判りません", Word::unknown},
    VocabEntry{"解りません", Word::unknown},
    VocabEntry{"わかんない", Word::unknown},
    VocabEntry{"分かんない", Word::unknown},
    VocabEntry{"わからん", Word::unknown},
    VocabEntry{"分からん", Word::unknown},
    VocabEntry{"不明", Word::unknown},
    VocabEntry{"知らない", Word::unknown},
    VocabEntry{"しらない", Word::unknown},
    VocabEntry{"知りません", Word::unknown},
    VocabEntry{"しりません", Word::unknown},
    VocabEntry{"覚えていない", Word::unknown},
    VocabEntry{"覚えてない", Word::unknown},
    VocabEntry{"おぼえてない", Word::unknown},
    VocabEntry{"覚えていません", Word::unknown},
    VocabEntry{"unknown", Word::unknown},
    VocabEntry{"don't know", Word::unknown},
    VocabEntry{"i don't know", Word::unknown},
    VocabEntry{"do not know", Word::unknown},
    VocabEntry{"idk", Word::unknown},
    VocabEntry{"dunno", Word::unknown},
    VocabEntry{"not sure", Word::unknown},
    VocabEntry{"unsure", Word::unknown},
    VocabEntry{"no idea", Word::unknown},
    // polite or emphatic endings that do not change the answer
    VocabEntry{"です", Word::filler},
    VocabEntry{"でした", Word::filler},
    VocabEntry{"だ", Word::filler},
    VocabEntry{"よ", Word::filler},
    VocabEntry{"ね", Word::filler},
    VocabEntry{"よね", Word::filler},
};

struct CompiledEntry {
    std::string text;
    Word word;
};

const std::vector<CompiledEntry>& yes_no_vocabulary() {
    static const std::vector<CompiledEntry> compiled = [] {
        std::vector<CompiledEntry> out;
        auto add = [&](std::string text, Word w) {
            if (text.empty()) return;
            for (const auto& e : out) {
                if (e.text == text) return;
            }
            out.push_back({std::move(text), w});
        };
        for (const auto& e : kYesNoVocabulary) {
            add(normalize_compact(e.text), e.word);
            // normalize_compact drops a word-final "ー" ("ノー" -> "の"); inside a longer answer
            // ("ノーです") it stays, so the form with the mark is known too.
            std::string with_mark = normalize_compact(std::string(e.text) + "x");
            if (!with_mark.empty() && with_mark.back() == 'x') {
                with_mark.pop_back();
                add(std::move(with_mark), e.word);
            }
        }
        return out;
    }();
    return compiled;
}

/// Splits `s` into vocabulary words that all mean the same answer (fillers aside). `seen` is the
/// answer so far (filler = none yet). Depth-first with memoised failures per (offset, seen), so
/// ambiguous splits ("よね" = "よ"+"ね") cannot make it exponential.
class Segmenter {
public:
    explicit Segmenter(std::string_view s) : s_(s), failed_(s.size() + 1, 0) {}

    std::optional<Word> run(std::size_t pos, Word seen) {
        if (pos == s_.size()) {
            if (seen == Word::filler) return std::nullopt;
            return seen;
        }
        const auto bit = static_cast<std::uint8_t>(1u << static_cast<unsigned>(seen));
        if ((failed_[pos] & bit) != 0) return std::nullopt;
        const std::string_view rest = s_.substr(pos);
        for (const auto& e : yes_no_vocabulary()) {
            if (rest.substr(0, e.text.size()) != e.text) continue;
            Word next = seen;
            if (e.word != Word::filler) {
                if (seen != Word::filler && seen != e.word) continue;
                next = e.word;
            }
            if (auto r = run(pos + e.text.size(), next)) return r;
        }
        failed_[pos] |= bit;
        return std::nullopt;
    }

private:
    std::string_view s_;
    std::vector<std::uint8_t> failed_;
};

// --- numbers ---------------------------------------------------------------------------------------

struct ScannedNumber {
    std::size_t end = 0;  ///< index after the number
    std::string int_digits;
    std::string frac_digits;  ///< empty when there was no separator
    bool has_separator = false;
};

/// Reads digits [sep digits] at `pos` (which must be a digit).
ScannedNumber scan_number(std::u32string_view s, std::size_t pos) {
    ScannedNumber n;
    std::size_t i = pos;
    while (i < s.size() && is_digit(s[i])) n.int_digits.push_back(static_cast<char>(s[i++]));
    if (i + 1 < s.size() && (s[i] == U'.' || s[i] == U',') && is_digit(s[i + 1])) {
        n.has_separator = true;
        ++i;
        while (i < s.size() && is_digit(s[i])) n.frac_digits.push_back(static_cast<char>(s[i++]));
    }
    n.end = i;
    return n;
}

std::optional<double> to_double(const ScannedNumber& n, bool negative) {
    std::string text = n.int_digits;
    if (n.has_separator) text += "." + n.frac_digits;
    double v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
    return negative ? -v : v;
}

std::vector<std::u32string> split_units(std::string_view csv) {
    std::vector<std::u32string> out;
    std::size_t start = 0;
    while (start <= csv.size()) {
        std::size_t comma = csv.find(',', start);
        if (comma == std::string_view::npos) comma = csv.size();
        std::string unit = normalize(csv.substr(start, comma - start));
        if (!unit.empty()) out.push_back(decode(unit));
        start = comma + 1;
    }
    return out;
}

// --- temperature -----------------------------------------------------------------------------------

constexpr char32_t kDo = U'\u5EA6';      // 度
constexpr char32_t kBu = U'\u5206';      // 分
constexpr char32_t kDegree = U'\u00B0';  // ° (℃ is "°c" after NFKC_Casefold)

struct TempToken {
    bool malformed = false;
    bool has_unit = false;  ///< 度, °, °c, c
    bool excluded = false;  ///< clearly another quantity: 7時, 37歳, 11/21, 7:30
    std::int64_t tenths = 0;
    double value = 0;  ///< used when tenths would overflow
    bool huge = false;
};

/// Tenths of `int_digits.frac_digits`, rounded half up on the decimal digits.
std::optional<std::int64_t> tenths_of(const std::string& int_digits, const std::string& frac_digits) {
    if (int_digits.size() > 12) return std::nullopt;
    std::int64_t t = 0;
    for (const char c : int_digits) t = t * 10 + (c - '0');
    t *= 10;
    if (!frac_digits.empty()) t += frac_digits[0] - '0';
    if (frac_digits.size() >= 2 && frac_digits[1] >= '5') t += 1;
    return t;
}

bool is_other_quantity_suffix(char32_t c) {
    switch (c) {
        case U'\u6642':  // 時
        case U'\u6B73':  // 歳
        case U'\u624D':  // 才
        case U'\u65E5':  // 日
        case U'\u6708':  // 月
        case U'\u5E74':  // 年
        case U'\u56DE':  // 回
        case U'\u5206':  // 分 (not after 度)
        case U'\u79D2':  // 秒
        case U'%':
        case U':':
        case U'/':
        case U'-':
            return true;
        default:
            return false;
    }
}

bool is_ascii_letter(char32_t c) { return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z'); }

// --- dates -----------------------------------------------------------------------------------------

/// Reads 1..max_digits digits at `pos`.
std::optional<int> read_int(std::u32string_view s, std::size_t& pos, std::size_t min_digits, std::size_t max_digits) {
    std::size_t i = pos;
    int v = 0;
    while (i < s.size() && is_digit(s[i]) && i - pos < max_digits) v = v * 10 + digit_value(s[i++]);
    const std::size_t count = i - pos;
    if (count < min_digits || (i < s.size() && is_digit(s[i]))) return std::nullopt;
    pos = i;
    return v;
}

std::optional<CivilDate> checked(CivilDate d) {
    if (!valid_date(d)) return std::nullopt;
    return d;
}

CivilDate add_days(CivilDate d, std::int64_t n) { return civil_from_days(days_from_civil(d) + n); }

bool is_weekday_char(char32_t c) {
    switch (c) {
        case U'\u65E5':  // 日
        case U'\u6708':  // 月
        case U'\u706B':  // 火
        case U'\u6C34':  // 水
        case U'\u6728':  // 木
        case U'\u91D1':  // 金
        case U'\u571F':  // 土
            return true;
        default:
            return false;
    }
}

/// Drops a trailing weekday in brackets: "11月21日(土)", "11/21（土曜日）".
void strip_weekday(std::u32string_view& s) {
    if (s.empty() || s.back() != U')') return;
    const std::size_t open = s.rfind(U'(');
    if (open == std::u32string_view::npos) return;
    std::u32string_view inside = s.substr(open + 1, s.size() - open - 2);
    trim_spaces(inside);
    if (ends_with(inside, U"\u66DC\u65E5")) inside.remove_suffix(2);  // 曜日
    else if (ends_with(inside, U"\u66DC")) inside.remove_suffix(1);  // 曜
    if (inside.size() == 1 && is_weekday_char(inside[0])) s = s.substr(0, open);
}

}  // namespace

// --- public ------------------------------------------------------------------------------------------

std::optional<YesNo> parse_yes_no(std::string_view text) {
    const std::string compact = normalize_compact(text);
    if (compact.empty() || compact.size() > 96) return std::nullopt;
    const auto word = Segmenter(compact).run(0, Word::filler);
    if (!word) return std::nullopt;
    switch (*word) {
        case Word::yes:
            return YesNo::yes;
        case Word::no:
            return YesNo::no;
        case Word::unknown:
            return YesNo::unknown;
        case Word::filler:
            break;
    }
    return std::nullopt;
}

const char* yes_no_name(YesNo v) {
    switch (v) {
        case YesNo::yes:
            return "yes";
        case YesNo::no:
            return "no";
        case YesNo::unknown:
            return "unknown";
    }
    return "unknown";
}

std::optional<double> parse_number(std::string_view text, std::string_view units_csv) {
    const std::u32string all = decode(normalize(text));
    std::u32string_view s = all;
    trim_spaces(s);
    bool negative = false;
    if (!s.empty() && (s.front() == U'-' || s.front() == U'\u2212' || s.front() == U'+')) {
        negative = s.front() != U'+';
        s.remove_prefix(1);
    }
    if (s.empty() || !is_digit(s.front())) return std::nullopt;
    const ScannedNumber n = scan_number(s, 0);
    std::u32string_view rest = s.substr(n.end);
    strip_trailing_noise(rest);
    const auto value = to_double(n, negative);
    if (!value) return std::nullopt;
    if (rest.empty()) return value;
    for (const auto& unit : split_units(units_csv)) {
        if (rest == unit) return value;
    }
    return std::nullopt;
}

Temperature parse_temperature(std::string_view text) {
    const std::u32string s = decode(normalize(text));
    std::vector<TempToken> tokens;
    for (std::size_t i = 0; i < s.size();) {
        if (!is_digit(s[i])) {
            ++i;
            continue;
        }
        TempToken t;
        const std::size_t start = i;
        const ScannedNumber n = scan_number(s, i);
        i = n.end;
        // "36.5.5", "36,5.5": a second decimal part is garbage, not two numbers.
        if (i + 1 < s.size() && (s[i] == U'.' || s[i] == U',') && is_digit(s[i + 1])) {
            return Temperature{};
        }
        if (start > 0 && (s[start - 1] == U':' || s[start - 1] == U'/')) t.excluded = true;
        if (start > 0 && is_ascii_letter(s[start - 1])) t.excluded = true;  // "covid19"
        const bool negative = start > 0 && (s[start - 1] == U'-' || s[start - 1] == U'\u2212') &&
                              (start < 2 || !is_digit(s[start - 2]));
        std::size_t j = i;
        while (j < s.size() && s[j] == U' ') ++j;
        std::optional<int> bu;  // the digit of "36度5分"
        if (j < s.size() && s[j] == kDo) {
            t.has_unit = true;
            std::size_t k = j + 1;
            while (k < s.size() && s[k] == U' ') ++k;
            if (k < s.size() && is_digit(s[k])) {
                std::size_t m = k;
                while (m < s.size() && is_digit(s[m])) ++m;
                std::size_t after = m;
                while (after < s.size() && s[after] == U' ') ++after;
                const bool has_bu = after < s.size() && s[after] == kBu;
                if (m - k != 1 || n.has_separator) return Temperature{};  // "36度12分", "36.5度2分"
                bu = digit_value(s[k]);
                i = has_bu ? after + 1 : m;
            } else {
                i = j + 1;
            }
        } else if (j < s.size() && s[j] == kDegree) {
            t.has_unit = true;
            i = j + 1;
            if (i < s.size() && (s[i] == U'c' || s[i] == U'f')) ++i;
        } else if (j < s.size() && s[j] == U'c' && (j + 1 >= s.size() || !is_ascii_letter(s[j + 1]))) {
            t.has_unit = true;
            i = j + 1;
        } else if (j < s.size() && is_other_quantity_suffix(s[j])) {
            t.excluded = true;
        } else if (j < s.size() && is_ascii_letter(s[j])) {
            t.excluded = true;  // "5g", "3rd"
        }
        const auto tenths = tenths_of(n.int_digits, n.frac_digits);
        if (!tenths) {
            t.huge = true;
            t.value = to_double(n, negative).value_or(1e300);
        } else if (bu) {
            t.tenths = *tenths + *bu;
        } else if (!n.has_separator && n.int_digits.size() == 3) {
            t.tenths = *tenths / 10;  // HER-SYS: "365" is 36.5
        } else {
            t.tenths = *tenths;
        }
        if (negative) t.tenths = -t.tenths;
        tokens.push_back(t);
    }

    auto in_range = [](const TempToken& t) { return !t.huge && t.tenths >= 340 && t.tenths <= 420; };
    auto pick = [&](auto&& predicate) -> const TempToken* {
        const TempToken* found = nullptr;
        for (const auto& t : tokens) {
            if (!predicate(t)) continue;
            if (found != nullptr) return nullptr;
            found = &t;
        }
        return found;
    };
    const TempToken* chosen = pick([](const TempToken& t) { return !t.excluded; });
    if (chosen == nullptr) chosen = pick([](const TempToken& t) { return t.has_unit; });
    if (chosen == nullptr) chosen = pick([&](const TempToken& t) { return !t.excluded && in_range(t); });
    if (chosen == nullptr) return Temperature{};

    Temperature result;
    if (chosen->huge) {
        result.status = Temperature::Status::out_of_range;
        result.celsius = std::round(chosen->value * 10) / 10;
        return result;
    }
    result.celsius = static_cast<double>(chosen->tenths) / 10.0;
    result.status = in_range(*chosen) ? Temperature::Status::ok : Temperature::Status::out_of_range;
    return result;
}

std::optional<std::string> parse_postal_code(std::string_view text) {
    const std::u32string all = decode(normalize(text));
    std::u32string_view s = all;
    trim_spaces(s);
    if (!s.empty() && s.front() == U'\u3012') {  // 〒 (〶 is 〒 after NFKC)
        s.remove_prefix(1);
        trim_spaces(s);
    }
    std::string digits;
    std::size_t i = 0;
    auto take_digits = [&](std::size_t count) {
        for (std::size_t k = 0; k < count; ++k, ++i) {
            if (i >= s.size() || !is_digit(s[i])) return false;
            digits.push_back(static_cast<char>(s[i]));
        }
        return true;
    };
    if (!take_digits(3)) return std::nullopt;
    if (i < s.size() && !is_digit(s[i])) {
        const char32_t sep = s[i];
        const bool dash_like = sep == U'-' || sep == U' ' || (sep >= U'\u2010' && sep <= U'\u2015') ||
                               sep == U'\u2212' || sep == U'\u30FC' || sep == U'\u2500' || sep == U'\u2501' ||
                               sep == U'\u301C' || sep == U'\u2043' || sep == U'\uFE63';
        if (!dash_like) return std::nullopt;
        ++i;
    }
    if (!take_digits(4)) return std::nullopt;
    if (i != s.size()) return std::nullopt;
    return digits;
}

std::optional<CivilDate> parse_date(std::string_view text, CivilDate today) {
    // Relative days, compared whole.
    std::string word = normalize_compact(text);
    if (word.size() > 6 && word.ends_with("\u3067\u3059")) word.resize(word.size() - 6);  // "昨日です"
    struct Relative {
        const char* word;
        int offset;
    };
    static const std::vector<std::pair<std::string, int>> relatives = [] {
        static constexpr std::array kRelatives{
            Relative{"今日", 0},     Relative{"きょう", 0},     Relative{"本日", 0},
            Relative{"today", 0},    Relative{"昨日", -1},      Relative{"きのう", -1},
            Relative{"yesterday", -1}, Relative{"一昨日", -2},  Relative{"おととい", -2},
            Relative{"おとつい", -2}, Relative{"明日", 1},       Relative{"あした", 1},
            Relative{"あす", 1},     Relative{"tomorrow", 1},   Relative{"明後日", 2},
            Relative{"あさって", 2},
        };
        std::vector<std::pair<std::string, int>> out;
        for (const auto& r : kRelatives) out.emplace_back(normalize_compact(r.word), r.offset);
        return out;
    }();
    for (const auto& [w, offset] : relatives) {
        if (word == w) {
            if (!valid_date(today)) return std::nullopt;
            return add_days(today, offset);
        }
    }

    // Numeric forms, without spaces and trailing noise.
    const std::u32string decoded = decode(normalize(text));
    std::u32string compacted;
    for (const char32_t c : decoded) {
        if (c != U' ') compacted.push_back(c);
    }
    std::u32string_view s = compacted;
    strip_trailing_noise(s);
    strip_weekday(s);
    if (s.empty() || !is_digit(s.front())) return std::nullopt;

    std::size_t pos = 0;
    const auto first = read_int(s, pos, 1, 4);
    if (!first || pos >= s.size()) return std::nullopt;
    const std::size_t first_len = pos;
    const char32_t sep = s[pos];

    // 2026-11-21, 2026/11/21, 2026.11.21 and 11/21
    if (sep == U'-' || sep == U'/' || sep == U'.') {
        ++pos;
        const auto second = read_int(s, pos, 1, 2);
        if (!second) return std::nullopt;
        if (pos == s.size()) {
            if (sep != U'/' || first_len > 2) return std::nullopt;
            return checked(CivilDate{today.year, *first, *second});
        }
        if (first_len != 4 || s[pos] != sep) return std::nullopt;
        ++pos;
        const auto third = read_int(s, pos, 1, 2);
        if (!third || pos != s.size()) return std::nullopt;
        return checked(CivilDate{*first, *second, *third});
    }

    // [2026年]11月21日
    constexpr char32_t kYear = U'\u5E74';   // 年
    constexpr char32_t kMonth = U'\u6708';  // 月
    constexpr char32_t kDay = U'\u65E5';    // 日
    int year = today.year;
    int month = 0;
    if (sep == kYear) {
        if (first_len != 4) return std::nullopt;
        year = *first;
        ++pos;
        const auto m = read_int(s, pos, 1, 2);
        if (!m || pos >= s.size() || s[pos] != kMonth) return std::nullopt;
        month = *m;
    } else if (sep == kMonth) {
        if (first_len > 2) return std::nullopt;
        month = *first;
    } else {
        return std::nullopt;
    }
    ++pos;  // past 月
    const auto d = read_int(s, pos, 1, 2);
    if (!d) return std::nullopt;
    if (pos < s.size() && s[pos] == kDay) ++pos;
    if (pos != s.size()) return std::nullopt;
    return checked(CivilDate{year, month, *d});
}

}  // namespace sapo::flows
