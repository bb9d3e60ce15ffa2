#pragma once
/// @file
/// @brief How typed Japanese is compared: ICU does the work (NFKC, case folding, katakana to
/// hiragana), so ＹＥＳ, yes, ﾊｲ, ハイ and はい all meet on one form.

#include <cstddef>
#include <string>
#include <string_view>

namespace sapo::flows {

/// NFKC (full-width ASCII and digits to half-width, half-width kana to full-width), case folding,
/// katakana to hiragana (ICU transliterator "Katakana-Hiragana"), whitespace (incl. U+3000)
/// trimmed at both ends and runs collapsed to one ASCII space. Invalid UTF-8 is replaced with
/// U+FFFD first, never an error.
std::string normalize(std::string_view utf8);

/// normalize(), then every space and the usual trailing/inner punctuation (。、，．！？!?,.・ー〜~
/// and similar, plus quotes and brackets) removed: for matching whole answers and keywords
/// ("はい。" and "は い!" both give "はい"). Note: the long-vowel mark "ー" is kept inside words.
std::string normalize_compact(std::string_view utf8);

/// Length as LINE counts message text: UTF-16 code units.
std::size_t text_length(std::string_view utf8);

/// Length in user-perceived characters (grapheme clusters, ICU BreakIterator), as LINE counts
/// quick-reply and template labels.
std::size_t label_length(std::string_view utf8);

/// The longest prefix of `utf8` with at most `max_chars` grapheme clusters; when it had to cut,
/// the last character is replaced with "…" so the result still has at most `max_chars`.
std::string truncate_label(std::string_view utf8, std::size_t max_chars);

}  // namespace sapo::flows
