#include "flows/normalize.hpp"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/uniset.h>
#include <unicode/unistr.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace sapo::flows {
namespace {

// --- ICU objects ---------------------------------------------------------------------------------

/// NFKC_Casefold: NFKC + full case folding (+ removal of default-ignorable code points such as
/// variation selectors and zero-width joiners, which only matter for display). The instance is a
/// process-wide singleton owned by ICU and is thread safe.
const icu::Normalizer2& nfkc_casefold() {
    static const icu::Normalizer2* instance = [] {
        UErrorCode status = U_ZERO_ERROR;
        const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
        if (U_FAILURE(status) || n == nullptr) {
            throw std::runtime_error(std::string("ICU NFKC_Casefold unavailable: ") + u_errorName(status));
        }
        return n;
    }();
    return *instance;
}

/// ICU's "Katakana-Hiragana" rules, built once per thread (transliterators are not thread safe and
/// are expensive to create).
///
/// Two adjustments, both for speed or consistency, not for the mapping itself:
/// - ICU's transliterator is a compound "NFKC; <rules>; NFC". Our input is already NFKC_Casefold,
///   and the rules' output is NFC, so only the rule pass is kept (halves the cost).
/// - A filter hides the long-vowel mark: the rules turn "ノー" into "のお", which would make a
///   katakana word differ from the same word typed in hiragana ("のー").
std::unique_ptr<icu::Transliterator> make_katakana_to_hiragana() {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> compound(
        icu::Transliterator::createInstance(icu::UnicodeString(u"Katakana-Hiragana"), UTRANS_FORWARD, status));
    if (U_FAILURE(status) || !compound) {
        throw std::runtime_error(std::string("ICU Katakana-Hiragana unavailable: ") + u_errorName(status));
    }
    std::unique_ptr<icu::Transliterator> rules;
    for (std::int32_t i = 0; i < compound->countElements(); ++i) {
        UErrorCode element_status = U_ZERO_ERROR;
        const icu::Transliterator& element = compound->getElement(i, element_status);
        if (U_FAILURE(element_status)) break;
        const icu::UnicodeString& id = element.getID();
        if (id.startsWith(icu::UnicodeString(u"NFC")) || id.startsWith(icu::UnicodeString(u"NFKC")) ||
            id.startsWith(icu::UnicodeString(u"NFD")) || id.startsWith(icu::UnicodeString(u"NFKD"))) {
            continue;
        }
        if (rules) {  // more than one rule pass: unexpected layout, keep the whole compound
            rules.reset();
            break;
        }
        rules.reset(element.clone());
    }
    std::unique_ptr<icu::Transliterator> t = rules ? std::move(rules) : std::move(compound);
    status = U_ZERO_ERROR;
    auto filter = std::make_unique<icu::UnicodeSet>(icu::UnicodeString(u"[^\\u30FC]"), status);
    if (U_FAILURE(status)) throw std::runtime_error(std::string("ICU UnicodeSet: ") + u_errorName(status));
    t->adoptFilter(filter.release());
    return t;
}

icu::Transliterator& katakana_to_hiragana() {
    thread_local std::unique_ptr<icu::Transliterator> instance = make_katakana_to_hiragana();
    return *instance;
}

/// A grapheme-cluster break iterator, one per thread (BreakIterator is stateful).
icu::BreakIterator& grapheme_iterator() {
    thread_local std::unique_ptr<icu::BreakIterator> instance = [] {
        UErrorCode status = U_ZERO_ERROR;
        std::unique_ptr<icu::BreakIterator> b(icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), status));
        if (U_FAILURE(status) || !b) {
            throw std::runtime_error(std::string("ICU character BreakIterator unavailable: ") + u_errorName(status));
        }
        return b;
    }();
    return *instance;
}

// --- helpers -------------------------------------------------------------------------------------

void append_utf8(std::string& out, UChar32 c) {
    const auto u = static_cast<std::uint32_t>(c);
    if (u < 0x80) {
        out.push_back(static_cast<char>(u));
    } else if (u < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (u >> 6)));
        out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
    } else if (u < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (u >> 12)));
        out.push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (u >> 18)));
        out.push_back(static_cast<char>(0x80 | ((u >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
    }
}

bool is_ascii(std::string_view s) {
    for (const char ch : s) {
        if ((static_cast<unsigned char>(ch) & 0x80) != 0) return false;
    }
    return true;
}

bool is_ascii_space(char ch) {
    // The ASCII characters with the Unicode White_Space property.
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

/// Katakana that the transliterator changes (after NFKC, so half-width forms are already gone).
/// U+30FB (middle dot) and U+30FC (long-vowel mark) are shared with hiragana and left alone.
bool needs_kana_folding(UChar c) {
    return (c >= 0x30A1 && c <= 0x30FA) || (c >= 0x30FD && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF);
}

/// ASCII-only input: NFKC_Casefold is just ASCII lower-casing, so ICU is skipped.
std::string normalize_ascii(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    bool pending_space = false;
    for (const char ch : s) {
        if (is_ascii_space(ch)) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) {
            out.push_back(' ');
            pending_space = false;
        }
        out.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch);
    }
    return out;
}

/// NFKC_Casefold + katakana to hiragana, in UTF-16. Invalid UTF-8 becomes U+FFFD (fromUTF8).
icu::UnicodeString fold(std::string_view utf8) {
    const icu::UnicodeString source = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<std::int32_t>(utf8.size())));
    UErrorCode status = U_ZERO_ERROR;
    icu::UnicodeString folded = nfkc_casefold().normalize(source, status);
    if (U_FAILURE(status)) folded = source;  // only on out-of-memory; keep going rather than throw
    const UChar* buffer = folded.getBuffer();
    const std::int32_t length = folded.length();
    for (std::int32_t i = 0; i < length; ++i) {
        if (needs_kana_folding(buffer[i])) {
            katakana_to_hiragana().transliterate(folded);
            break;
        }
    }
    return folded;
}

/// Appends `folded` to UTF-8, trimming White_Space at both ends and collapsing inner runs.
std::string collapse_spaces(const icu::UnicodeString& folded) {
    std::string out;
    out.reserve(static_cast<std::size_t>(folded.length()) * 3);
    bool pending_space = false;
    const std::int32_t length = folded.length();
    for (std::int32_t i = 0; i < length;) {
        const UChar32 c = folded.char32At(i);
        i += U16_LENGTH(c);
        if (u_isUWhiteSpace(c)) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) {
            out.push_back(' ');
            pending_space = false;
        }
        append_utf8(out, c);
    }
    return out;
}

/// What normalize_compact() drops everywhere: white space, punctuation (general category P*:
/// 。、，．！？!?,.・〜 quotes brackets …) and a few symbols used the same way. "ー" is Lm, not
/// punctuation, and is handled separately.
bool is_compact_droppable(UChar32 c) {
    if (u_isUWhiteSpace(c)) return true;
    switch (u_charType(c)) {
        case U_DASH_PUNCTUATION:
        case U_START_PUNCTUATION:
        case U_END_PUNCTUATION:
        case U_CONNECTOR_PUNCTUATION:
        case U_OTHER_PUNCTUATION:
        case U_INITIAL_PUNCTUATION:
        case U_FINAL_PUNCTUATION:
            return true;
        default:
            break;
    }
    switch (c) {
        case U'~':       // Sm; "～" becomes "~" under NFKC
        case U'^':       // "はい^^"
        case U'`':
        case U'\u266A':  // ♪
        case U'\u266B':  // ♫
        case U'\u2606':  // ☆
        case U'\u2605':  // ★
        case U'\u2661':  // ♡
        case U'\u2665':  // ♥
        case U'\u301C':  // 〜 (Pd already, listed for clarity)
        case U'\u3030':  // 〰
            return true;
        default:
            return false;
    }
}

constexpr UChar32 kLongVowel = 0x30FC;  // ー

}  // namespace

// --- public --------------------------------------------------------------------------------------

std::string normalize(std::string_view utf8) {
    if (is_ascii(utf8)) return normalize_ascii(utf8);
    return collapse_spaces(fold(utf8));
}

std::string normalize_compact(std::string_view utf8) {
    const std::string n = normalize(utf8);
    // Split into words at droppable characters; inside each word, "ー" at either end is dropped
    // ("はいー" -> "はい") and kept in the middle ("はーい").
    const icu::UnicodeString s = icu::UnicodeString::fromUTF8(icu::StringPiece(n.data(), static_cast<std::int32_t>(n.size())));
    std::string out;
    out.reserve(n.size());
    const std::int32_t length = s.length();
    std::int32_t i = 0;
    while (i < length) {
        // skip droppable characters
        UChar32 c = s.char32At(i);
        if (is_compact_droppable(c)) {
            i += U16_LENGTH(c);
            continue;
        }
        // a word: [i, end)
        std::int32_t end = i;
        while (end < length) {
            const UChar32 d = s.char32At(end);
            if (is_compact_droppable(d)) break;
            end += U16_LENGTH(d);
        }
        std::int32_t first = i;
        std::int32_t last = end;  // exclusive
        while (first < last && s.charAt(first) == kLongVowel) ++first;
        while (last > first && s.charAt(last - 1) == kLongVowel) --last;
        for (std::int32_t j = first; j < last;) {
            const UChar32 w = s.char32At(j);
            j += U16_LENGTH(w);
            append_utf8(out, w);
        }
        i = end;
    }
    return out;
}

std::size_t text_length(std::string_view utf8) {
    if (is_ascii(utf8)) return utf8.size();
    return static_cast<std::size_t>(
        icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<std::int32_t>(utf8.size()))).length());
}

namespace {

/// Offsets (UTF-16) of every grapheme boundary after 0, in order; the last one is the length.
template <typename F>
void for_each_grapheme_end(const icu::UnicodeString& s, F&& f) {
    icu::BreakIterator& it = grapheme_iterator();
    it.setText(s);
    it.first();
    for (std::int32_t b = it.next(); b != icu::BreakIterator::DONE; b = it.next()) {
        if (!f(b)) break;
    }
    // setText() keeps a reference, not a copy: point the thread-local iterator at a string that
    // outlives it instead of leaving it on `s`.
    static const icu::UnicodeString empty;
    it.setText(empty);
}

}  // namespace

std::size_t label_length(std::string_view utf8) {
    if (utf8.empty()) return 0;
    const icu::UnicodeString s = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<std::int32_t>(utf8.size())));
    std::size_t count = 0;
    for_each_grapheme_end(s, [&](std::int32_t) {
        ++count;
        return true;
    });
    return count;
}

std::string truncate_label(std::string_view utf8, std::size_t max_chars) {
    if (max_chars == 0 || utf8.empty()) return {};
    const icu::UnicodeString s = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<std::int32_t>(utf8.size())));
    // Ends of the first max_chars + 1 clusters are enough to decide.
    std::size_t count = 0;
    std::int32_t keep_end = 0;  // end of cluster number max_chars - 1 (what stays when cutting)
    bool too_long = false;
    for_each_grapheme_end(s, [&](std::int32_t end) {
        ++count;
        if (count == max_chars - 1) keep_end = end;
        if (count > max_chars) {
            too_long = true;
            return false;
        }
        return true;
    });
    std::string out;
    if (!too_long) {
        s.toUTF8String(out);  // identical to the input when it was valid UTF-8
        return out;
    }
    s.tempSubString(0, keep_end).toUTF8String(out);
    out += "\u2026";
    return out;
}

}  // namespace sapo::flows
