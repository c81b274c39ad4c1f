#pragma once
// UTF-8 text helpers for the template interpreter. The reference renderer (@huggingface/jinja)
// runs on JavaScript strings, so whitespace, case mapping, lengths and number formatting
// follow JavaScript's rules here, not Python's.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.h"

namespace hearth::chat::text {

// Decodes the code point starting at s[pos] and advances pos. A byte that does not start a
// well-formed sequence decodes as itself (0x80..0xFF), so arbitrary bytes survive a round trip
// through decode + encode.
uint32_t next_code_point(std::string_view s, size_t& pos);
using hearth::append_utf8;
// The string split into code points (each a view into s).
std::vector<std::string_view> split_code_points(std::string_view s);

// JavaScript's String.prototype.length: UTF-16 code units.
size_t utf16_length(std::string_view s);

// JavaScript's \s / String.prototype.trim() whitespace set.
bool is_js_space(uint32_t cp);
std::string_view trim_js(std::string_view s, bool left = true, bool right = true);
// Python's str.strip(chars): strips code points contained in chars.
std::string_view trim_chars(std::string_view s, std::string_view chars, bool left, bool right);

// Unicode case mapping for the common alphabets (Latin, Greek, Cyrillic, Armenian, full-width);
// other code points are left unchanged.
std::string to_upper(std::string_view s);
std::string to_lower(std::string_view s);
// The reference's title(): /\b\w/g upper-cased, ASCII word characters only, rest untouched.
std::string title_js(std::string_view s);
// The reference's capitalize(): first code point upper-cased, rest untouched.
std::string capitalize_js(std::string_view s);

// JSON.stringify of a string; ensure_ascii escapes U+007F and above as \uXXXX (UTF-16 units).
void append_json_quoted(std::string& out, std::string_view s, bool ensure_ascii);

// String.prototype.localeCompare in the root locale, approximated: ASCII follows the CLDR
// root collation (punctuation < digits < letters, case compared after letters), other code
// points sort after ASCII letters by code point. Returns <0, 0 or >0.
int locale_compare(std::string_view a, std::string_view b);

// Number.prototype.toString() (shortest round-trip digits, exponent form outside 1e-7..1e21).
std::string js_number(double d);
// Number.prototype.toFixed(1) for integral values, as the reference prints floats like 3.0.
std::string js_float_display(double d);
// parseInt(s, 10) and parseFloat(s): leading whitespace, longest numeric prefix, nullopt for NaN.
std::optional<double> js_parse_int(std::string_view s);
std::optional<double> js_parse_float(std::string_view s);
// Number(s) as used by JavaScript's loose equality: NaN (nullopt) unless the whole trimmed
// string is a number; the empty string is 0.
std::optional<double> js_to_number(std::string_view s);

}  // namespace hearth::chat::text
