#pragma once
// JSON Schema → GBNF, so `--json-schema` output is valid JSON that fits the schema.
//
// Supported: type (one or a list), object (properties in their written order, required,
// additionalProperties false / true / a schema; when absent it is false if `properties` is
// given and true otherwise), array (items, minItems, maxItems), string (minLength, maxLength,
// format date / time / date-time / uuid; other formats are annotations and ignored), number
// and integer (minimum, maximum; exclusiveMinimum/Maximum for integers; bounds on numbers must
// be integral), boolean, null, enum, const, anyOf, oneOf (as anyOf: exclusivity is not
// enforced), allOf of one schema, $ref to "#/..." (so $defs and definitions, recursion
// allowed). Keywords that would constrain output but cannot be honoured (pattern, multipleOf,
// allOf of several schemas, prefixItems, remote $ref) are a hearth::Error naming the keyword
// and where it is, rather than being silently ignored.
//
// Whitespace between tokens is limited ("", " ", or a newline and up to 20 spaces/tabs), and
// unbounded numbers are limited to 16 integer and 16 fraction digits, so a constrained model
// cannot run on forever inside one value.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hearth::sampling::grammar {

std::string json_schema_to_gbnf(const nlohmann::ordered_json& schema);
// Parses the schema text first; malformed JSON is a hearth::Error.
std::string json_schema_to_gbnf(std::string_view schema_text);

// Any JSON value (the built-in grammar behind `--json`).
std::string any_json_gbnf();

}  // namespace hearth::sampling::grammar
