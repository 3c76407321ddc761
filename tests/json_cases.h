/* tests/json_cases.h: strict RFC 8259 conformance cases (valid / invalid). */
#ifndef BCE_TEST_JSON_CASES_H
#define BCE_TEST_JSON_CASES_H
#include <stddef.h>

/*
 * Each case is one complete input document.  `len` is the byte length of
 * `doc`; 0 means strlen(doc).  Cases containing NUL bytes carry an explicit
 * length.  Non-ASCII bytes are written as C hex escapes; where a hex escape
 * would otherwise be followed by a hex digit, the literal is split.
 *
 * Rules encoded here (strict RFC 8259 plus the tokenizer's extra rules):
 *  - whitespace is only SP, HT, LF, CR; exactly one top-level value of any
 *    type; empty / whitespace-only input is invalid; no UTF-8 BOM;
 *  - lone surrogate \u escapes (high or low) are invalid;
 *  - raw bytes must be well-formed UTF-8 (no overlongs, no encoded
 *    surrogates, nothing above U+10FFFF, no truncated sequences);
 *  - duplicate object keys are valid.
 */
typedef struct json_case_t {
    const char *doc;     /* the document */
    size_t len;          /* its length; 0 means strlen(doc) (use explicit length for docs containing NUL bytes) */
    int valid;           /* 1 valid, 0 invalid */
    const char *what;    /* short description */
} json_case_t;

static const json_case_t json_cases[] = {
    /* ---------------------------------------------------------------- */
    /* Top level: any single value, surrounded only by whitespace        */
    /* ---------------------------------------------------------------- */
    { "{}", 0, 1, "empty object" },
    { "[]", 0, 1, "empty array" },
    { "0", 0, 1, "top-level zero" },
    { "\"\"", 0, 1, "top-level empty string" },
    { "\"bitcart\"", 0, 1, "top-level string" },
    { "true", 0, 1, "top-level true" },
    { "false", 0, 1, "top-level false" },
    { "null", 0, 1, "top-level null" },
    { " 42 ", 0, 1, "top-level number with spaces" },
    { "[]\n", 0, 1, "array then trailing newline" },
    { "\n\t\r null \r\n\t", 0, 1, "all four whitespace chars around null" },
    { "\r\n[\r\n]\r\n", 0, 1, "CRLF whitespace around and inside array" },
    { "", 0, 0, "empty input" },
    { " \t\n\r ", 0, 0, "whitespace only" },
    { "[] []", 0, 0, "two arrays" },
    { "{}x", 0, 0, "garbage after object" },
    { "1 2", 0, 0, "two numbers" },
    { "\"a\"\"b\"", 0, 0, "two adjacent strings" },
    { "]", 0, 0, "lone close bracket" },
    { ",", 0, 0, "lone comma" },
    { "[]]", 0, 0, "extra close bracket" },
    { "\f[]", 0, 0, "form feed is not whitespace (leading)" },
    { "[1\f]", 0, 0, "form feed is not whitespace (inside)" },
    { "\xC2\xA0" "1", 0, 0, "no-break space is not whitespace" },
    { "\xEF\xBB\xBF{}", 0, 0, "UTF-8 BOM before object" },
    { "\xEF\xBB\xBF", 0, 0, "UTF-8 BOM only" },
    { " \xEF\xBB\xBF[]", 0, 0, "BOM after leading space" },
    { "\x80", 0, 0, "stray continuation byte at top level" },
    { "\xC3\xA9", 0, 0, "non-ASCII character outside a string" },

    /* ---------------------------------------------------------------- */
    /* Literals                                                          */
    /* ---------------------------------------------------------------- */
    { "[true,false,null]", 0, 1, "all three literals in an array" },
    { "{\"t\":true,\"f\":false,\"n\":null}", 0, 1, "literals as object values" },
    { "tru", 0, 0, "truncated true" },
    { "nul", 0, 0, "truncated null" },
    { "True", 0, 0, "capitalised True" },
    { "NULL", 0, 0, "upper-case NULL" },
    { "NaN", 0, 0, "NaN" },
    { "Infinity", 0, 0, "Infinity" },
    { "-Infinity", 0, 0, "negative Infinity" },
    { "undefined", 0, 0, "undefined" },
    { "truee", 0, 0, "true with extra letter" },
    { "[truefalse]", 0, 0, "two literals without separator" },
    { "{\"rate\":NaN}", 0, 0, "NaN as object value" },

    /* ---------------------------------------------------------------- */
    /* Numbers                                                           */
    /* ---------------------------------------------------------------- */
    { "-0", 0, 1, "negative zero" },
    { "-0.0", 0, 1, "negative zero with fraction" },
    { "1.5e-10", 0, 1, "fraction with negative exponent" },
    { "1E+2", 0, 1, "upper-case E with plus sign" },
    { "-0E+0", 0, 1, "negative zero with signed exponent" },
    { "1e05", 0, 1, "leading zero in exponent is allowed" },
    { "1E+00", 0, 1, "exponent of all zeros" },
    { "3.141592653589793", 0, 1, "many fraction digits" },
    { "-123.456e+78", 0, 1, "full number syntax" },
    { "1e400", 0, 1, "exponent beyond double range is still valid JSON" },
    { "123456789012345678901234567890", 0, 1, "huge integer" },
    { "-123456789012345678901234567890.5e-1000", 0, 1, "huge negative with tiny exponent" },
    { "[0,-0,1,-1,0.5,-0.5,1e1,1E1]", 0, 1, "number list" },
    { "{\"amount\":100000,\"fee\":0.0001}", 0, 1, "numbers as object values" },
    { "01", 0, 0, "leading zero" },
    { "-01", 0, 0, "negative leading zero" },
    { "+1", 0, 0, "leading plus sign" },
    { ".5", 0, 0, "missing integer part" },
    { "5.", 0, 0, "missing fraction digits" },
    { "1.e5", 0, 0, "dot directly before exponent" },
    { "1e", 0, 0, "missing exponent digits" },
    { "1e+", 0, 0, "missing exponent digits after plus" },
    { "1e+-5", 0, 0, "two exponent signs" },
    { "1e5e5", 0, 0, "two exponents" },
    { "-", 0, 0, "lone minus" },
    { "--1", 0, 0, "double minus" },
    { "0x10", 0, 0, "hexadecimal" },
    { "1.2.3", 0, 0, "two decimal points" },
    { "\xD9\xA3", 0, 0, "Arabic-Indic digit three" },
    { "[01]", 0, 0, "leading zero in array" },
    { "[2.]", 0, 0, "missing fraction digits in array" },
    { "{\"a\":01}", 0, 0, "leading zero as object value" },

    /* ---------------------------------------------------------------- */
    /* Strings: escapes                                                  */
    /* ---------------------------------------------------------------- */
    { "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 0, 1, "every short escape" },
    { "[\"a/b\"]", 0, 1, "unescaped solidus" },
    { "[\"a\\/b\"]", 0, 1, "escaped solidus" },
    { "\"\\u0041\"", 0, 1, "\\u escape of ASCII letter" },
    { "\"\\u00e9\\u00E9\"", 0, 1, "\\u escape lower- and upper-case hex" },
    { "\"\\u0000\"", 0, 1, "\\u0000 escape is valid" },
    { "\"\\uFFFF\"", 0, 1, "\\uFFFF" },
    { "\"\\uFEFF\"", 0, 1, "escaped BOM inside string" },
    { "\"\\uD7FF\\uE000\"", 0, 1, "code points just outside surrogate range" },
    { "\"\\uD834\\uDD1E\"", 0, 1, "surrogate pair (G clef)" },
    { "\"\\ud834\\udd1e\"", 0, 1, "surrogate pair lower-case hex" },
    { "\"\\uD800\\uDC00\"", 0, 1, "lowest surrogate pair (U+10000)" },
    { "\"\\uDBFF\\uDFFF\"", 0, 1, "highest surrogate pair (U+10FFFF)" },
    { "{\"\\u0041\\n\\t\":\"\\r\\b\\f\"}", 0, 1, "escapes in key and value" },
    { "\"\\\\u0041\"", 0, 1, "escaped backslash followed by u0041 text" },
    { "\"\\v\"", 0, 0, "invalid escape \\v" },
    { "\"\\x41\"", 0, 0, "invalid escape \\x" },
    { "\"\\'\"", 0, 0, "invalid escape \\'" },
    { "\"\\U0041\"", 0, 0, "upper-case \\U escape" },
    { "\"\\\n\"", 0, 0, "backslash followed by raw newline" },
    { "\"\\u12\"", 0, 0, "\\u with two hex digits" },
    { "\"\\u\"", 0, 0, "\\u with no hex digits" },
    { "\"\\u12G4\"", 0, 0, "\\u with non-hex digit" },
    { "\"\\u00", 0, 0, "\\u truncated at end of input" },
    { "\"\\", 0, 0, "backslash at end of input" },
    { "\"\\\"", 0, 0, "escaped quote then end of input" },

    /* ---------------------------------------------------------------- */
    /* Strings: surrogate escapes must be paired                         */
    /* ---------------------------------------------------------------- */
    { "\"\\uD800\"", 0, 0, "lone high surrogate D800" },
    { "\"\\uDC00\"", 0, 0, "lone low surrogate DC00" },
    { "\"\\uD834x\"", 0, 0, "high surrogate followed by text" },
    { "\"\\uD834\\u0041\"", 0, 0, "high surrogate followed by non-surrogate escape" },
    { "\"\\uD834\\uD834\"", 0, 0, "two high surrogates" },
    { "\"\\uDD1E\\uD834\"", 0, 0, "low then high surrogate (reversed)" },
    { "\"\\uD834\\uDD1E\\uDD1E\"", 0, 0, "pair followed by extra low surrogate" },
    { "\"\\uD834\\uDD1\"", 0, 0, "high surrogate then truncated low escape" },
    { "{\"\\uD800\":1}", 0, 0, "lone surrogate in object key" },

    /* ---------------------------------------------------------------- */
    /* Strings: raw characters                                           */
    /* ---------------------------------------------------------------- */
    { "\"\x7F\"", 0, 1, "raw DEL is allowed" },
    { "\"it's [a] {b}: c, d\"", 0, 1, "structural characters inside string" },
    { "\"// not a comment\"", 0, 1, "comment-like text inside string" },
    { "\"x\\\\\"", 0, 1, "string ending in escaped backslash" },
    { "'abc'", 0, 0, "single-quoted string" },
    { "\"abc", 0, 0, "unclosed string" },
    { "\"", 0, 0, "lone quote" },
    { "\"\x1F\"", 0, 0, "raw 0x1F in string" },
    { "\"a\tb\"", 0, 0, "raw tab in string" },
    { "\"a\nb\"", 0, 0, "raw newline in string" },
    { "\"a\0b\"", 5, 0, "raw NUL in string" },
    { "{\"k\x1B\":1}", 0, 0, "raw ESC in object key" },

    /* ---------------------------------------------------------------- */
    /* Strings: UTF-8                                                    */
    /* ---------------------------------------------------------------- */
    { "\"\xC2\x80\"", 0, 1, "U+0080 (smallest 2-byte)" },
    { "\"\xDF\xBF\"", 0, 1, "U+07FF (largest 2-byte)" },
    { "\"\xE0\xA0\x80\"", 0, 1, "U+0800 (smallest 3-byte)" },
    { "\"\xEF\xBF\xBF\"", 0, 1, "U+FFFF (largest 3-byte)" },
    { "\"\xF0\x90\x80\x80\"", 0, 1, "U+10000 (smallest 4-byte)" },
    { "\"\xF4\x8F\xBF\xBF\"", 0, 1, "U+10FFFF (largest code point)" },
    { "\"\xED\x9F\xBF\"", 0, 1, "U+D7FF (just below surrogates)" },
    { "\"\xEE\x80\x80\"", 0, 1, "U+E000 (just above surrogates)" },
    { "\"\xEF\xBB\xBF\"", 0, 1, "U+FEFF inside string" },
    { "\"caf\xC3\xA9\"", 0, 1, "Latin-1 supplement letter" },
    { "\"100 \xE2\x82\xAC\"", 0, 1, "euro sign" },
    { "\"\xF0\x9F\x98\x80\"", 0, 1, "emoji (4-byte)" },
    { "\"\xE6\xBC\xA2\xE5\xAD\x97 \xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82\"", 0, 1, "CJK and Cyrillic text" },
    { "{\"\xE2\x82\xBF\":\"\xE2\x82\xBF" "1\"}", 0, 1, "bitcoin sign in key and value" },
    { "\"\xC0\x80\"", 0, 0, "overlong NUL (C0 80)" },
    { "\"\xC1\xBF\"", 0, 0, "overlong U+007F (C1 BF)" },
    { "\"\xE0\x9F\xBF\"", 0, 0, "overlong 3-byte U+07FF" },
    { "\"\xF0\x8F\xBF\xBF\"", 0, 0, "overlong 4-byte U+FFFF" },
    { "\"\xED\xA0\x80\"", 0, 0, "UTF-8 encoded surrogate U+D800" },
    { "\"\xED\xBF\xBF\"", 0, 0, "UTF-8 encoded surrogate U+DFFF" },
    { "\"\xED\xA0\xBD\xED\xB8\x80\"", 0, 0, "UTF-8 encoded surrogate pair (CESU-8)" },
    { "\"\xF4\x90\x80\x80\"", 0, 0, "U+110000 (above maximum)" },
    { "\"\xF5\x80\x80\x80\"", 0, 0, "lead byte F5" },
    { "\"\xF8\x88\x80\x80\x80\"", 0, 0, "5-byte sequence" },
    { "\"\xFF\"", 0, 0, "byte FF" },
    { "\"\x80\"", 0, 0, "lone continuation byte 80" },
    { "\"\xC3\xA9\xA9\"", 0, 0, "extra continuation byte after valid sequence" },
    { "\"\xC3\"", 0, 0, "truncated 2-byte sequence" },
    { "\"\xE2\x82\"", 0, 0, "truncated 3-byte sequence" },
    { "\"\xF0\x9F\x98\"", 0, 0, "truncated 4-byte sequence" },
    { "\"\xC3" "A\"", 0, 0, "2-byte lead followed by ASCII" },
    { "\"\xE2\x28\xA1\"", 0, 0, "3-byte lead with bad second byte" },
    { "\"\xF0\x9F\x98", 0, 0, "truncated sequence at end of input" },
    { "[\"caf\xE9\"]", 0, 0, "Latin-1 encoded e-acute (not UTF-8)" },

    /* ---------------------------------------------------------------- */
    /* Objects                                                           */
    /* ---------------------------------------------------------------- */
    { "{ }", 0, 1, "empty object with space" },
    { "{\"a\":1}", 0, 1, "single member" },
    { "{\"a\":1,\"b\":2}", 0, 1, "two members" },
    { "{\"\":0}", 0, 1, "empty key" },
    { "{\"a\":1,\"a\":2}", 0, 1, "duplicate keys are valid" },
    { "{\"a\":{\"b\":{\"c\":{}}}}", 0, 1, "nested objects" },
    { "{\"list\":[1,{\"x\":[]}],\"obj\":{\"y\":null}}", 0, 1, "objects and arrays mixed" },
    { "{ \"a\" : 1 , \"b\" : [ ] }", 0, 1, "spaces around every token" },
    { "{\n\t\"a\":\r\n\t1\n}", 0, 1, "newlines and tabs between tokens" },
    { "{\"a\":1,}", 0, 0, "trailing comma in object" },
    { "{,}", 0, 0, "object with only a comma" },
    { "{,\"a\":1}", 0, 0, "leading comma in object" },
    { "{\"a\":1,,\"b\":2}", 0, 0, "double comma in object" },
    { "{\"a\"}", 0, 0, "key without colon and value" },
    { "{\"a\":}", 0, 0, "missing value" },
    { "{\"a\" 1}", 0, 0, "missing colon" },
    { "{a:1}", 0, 0, "unquoted key" },
    { "{'a':1}", 0, 0, "single-quoted key" },
    { "{\"a\":1 \"b\":2}", 0, 0, "missing comma between members" },
    { "{1:2}", 0, 0, "number key" },
    { "{null:1}", 0, 0, "null key" },
    { "{", 0, 0, "unclosed empty object" },
    { "{\"a\"", 0, 0, "unclosed after key" },
    { "{\"a\":", 0, 0, "unclosed after colon" },
    { "{\"a\":1", 0, 0, "unclosed after value" },
    { "{\"a\":1]", 0, 0, "object closed with bracket" },
    { "{]", 0, 0, "mismatched empty object" },
    { "{\"a\":[}", 0, 0, "array closed with brace inside object" },

    /* ---------------------------------------------------------------- */
    /* Arrays                                                            */
    /* ---------------------------------------------------------------- */
    { "[ ]", 0, 1, "empty array with space" },
    { "[1]", 0, 1, "single element" },
    { "[1,2,3]", 0, 1, "three elements" },
    { "[[]]", 0, 1, "array in array" },
    { "[[],[[]],{}]", 0, 1, "nested empty containers" },
    { "[null,true,false,\"x\",1,-1.5e3,{},[]]", 0, 1, "every value type" },
    { "[ 1 , 2 , 3 ]", 0, 1, "spaces around elements" },
    { "[\n  1,\n  2\n]", 0, 1, "pretty-printed array" },
    { "[\"a\",\"a\",\"a\"]", 0, 1, "repeated equal strings" },
    { "[1,]", 0, 0, "trailing comma in array" },
    { "[,1]", 0, 0, "leading comma in array" },
    { "[1 2]", 0, 0, "missing comma" },
    { "[{}{}]", 0, 0, "missing comma between objects" },
    { "[1,,2]", 0, 0, "double comma in array" },
    { "[\"a\":1]", 0, 0, "member syntax inside array" },
    { "[", 0, 0, "unclosed empty array" },
    { "[1", 0, 0, "unclosed after element" },
    { "[1,", 0, 0, "unclosed after comma" },
    { "[[]", 0, 0, "inner closed, outer not" },
    { "[}", 0, 0, "mismatched bracket and brace" },
    { "[1}", 0, 0, "array closed with brace" },
    { "[{]}", 0, 0, "interleaved closers" },

    /* ---------------------------------------------------------------- */
    /* Comments are not JSON                                             */
    /* ---------------------------------------------------------------- */
    { "// c\n1", 0, 0, "line comment before value" },
    { "1 // c", 0, 0, "line comment after value" },
    { "/* c */ 1", 0, 0, "block comment before value" },
    { "[1/* c */]", 0, 0, "block comment inside array" },
    { "{\"a\":1 /* c */}", 0, 0, "block comment inside object" },

    /* ---------------------------------------------------------------- */
    /* NUL bytes outside strings (explicit lengths)                      */
    /* ---------------------------------------------------------------- */
    { "\0", 1, 0, "single NUL byte" },
    { "\0[]", 3, 0, "NUL before value" },
    { "[]\0", 3, 0, "NUL after value" },
    { "[1,\0" "2]", 6, 0, "NUL inside array" },
    { "{\"a\"\0:1}", 8, 0, "NUL between key and colon" },
    { "[\"\\u0000\"]\0", 11, 0, "escaped NUL in string, then raw NUL outside" },
    { "tr\0ue", 5, 0, "NUL inside literal" },

    /* ---------------------------------------------------------------- */
    /* Nesting                                                           */
    /* ---------------------------------------------------------------- */
    { "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]", 0, 1, "arrays nested 20 deep" },
    { "{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[{\"a\":[1]}]}]}]}]}]}]}]}]}]}", 0, 1,
      "objects and arrays alternating 20 deep" },
    { "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":"
      "{\"i\":{\"j\":{\"k\":{\"l\":{\"m\":{\"n\":{\"o\":{\"p\":true}}}}}}}}}}}}}}}}", 0, 1,
      "objects nested 16 deep" },
    { "[ [ [ [ [ [ [ [ [ [ 1 ] , 2 ] ] ] ] ] ] ] ] ]", 0, 1, "nested arrays with whitespace" },
    { "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", 0, 0, "20 opens, 19 closes" },
    { "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]", 0, 0, "20 opens, 21 closes" },
    { "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}", 0, 0, "deep nest closed with brace" },
    { "{\"a\":[{\"a\":[{\"a\":[1]}]}]]", 0, 0, "alternating nest with wrong last closer" },

    /* ---------------------------------------------------------------- */
    /* Realistic Bitcart daemon / JSON-RPC traffic                       */
    /* ---------------------------------------------------------------- */
    { "{\"updates\":[{\"event\":\"new_payment\",\"address\":\"d2f0a1b3c4\",\"status\":7,"
      "\"status_str\":\"Unconfirmed\",\"tx_hashes\":[\"9f2ce1\"],\"sent_amount\":\"0.00100000\"}],"
      "\"wallet\":\"vpub5Y\",\"currency\":\"BTC\"}", 0, 1, "daemon new_payment update" },
    { "[{\"event\":\"new_block\",\"height\":2500000},{\"event\":\"new_transaction\",\"tx\":\"9f2c\"}]", 0, 1,
      "get_updates array" },
    { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"get_updates\",\"params\":{\"xpub\":\"vpub5Y\"}}", 0, 1,
      "JSON-RPC request" },
    { "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[],\"error\":null}", 0, 1, "JSON-RPC empty result" },
    { "{\"jsonrpc\":\"2.0\",\"id\":\"req-7\",\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}", 0, 1,
      "JSON-RPC error response" },
    { "{\"event\":\"verified_tx\",\"tx\":\"9f2ce1\",\"height\":null,\"confirmations\":0}", 0, 1,
      "verified_tx with null height" },
    { "{\"event\":\"new_payment\",\"status\":3,\"status_str\":\"Paid\",\"amount\":1e-8,\"ok\":true}", 0, 1,
      "payment with exponent amount" },
    { "{\"currency\":\"LTC\",\"rate\":\"84.12\",\"fiat\":\"EUR \xE2\x82\xAC\",\"label\":\"Caf\xC3\xA9 \\\"Nord\\\"\"}", 0, 1,
      "rate message with UTF-8 and escapes" },
    { "{\r\n  \"updates\": [\r\n    {\r\n      \"event\": \"new_block\",\r\n      \"height\": 2500001\r\n    }\r\n  ],\r\n"
      "  \"wallet\": null\r\n}\r\n", 0, 1, "pretty-printed CRLF message" },
    { "{\"updates\":[],\"wallet\":\"vpub5Y\",\"currency\":\"BTC\",\"currency\":\"BTC\"}", 0, 1,
      "message with duplicate currency key" },
    { "{\"event\":\"new_payment\",\"memo\":\"line1\\nline2\\ttab \\u20AC \\uD83D\\uDCB0\"}", 0, 1,
      "memo with escapes and surrogate pair" },
    { "{\"event\":\"ln_invoice_paid\",\"payment_hash\":\"ab12cd34\",\"amount_msat\":150000,"
      "\"description\":\"Order #42 \\u2014 2 \\u00d7 coffee\"}", 0, 1, "lightning payment with \\u escapes" },
    { "{\"id\":\"inv_1\",\"price\":\"19.99\",\"currency\":\"USD\",\"exchange_rates\":{\"BTC\":\"0.00031\",\"LTC\":\"0.2376\"},"
      "\"payments\":[{\"lightning\":false,\"amount\":\"0.00031\"}],\"metadata\":{}}", 0, 1, "invoice with nested rates and payments" },
    { "[{\"event\":\"new_payment\",\"address\":\"tb1qxy\",\"status\":7,\"tx_hashes\":[],\"extra\":{\"confirmations\":[1,2,3]}},"
      "{\"event\":\"new_block\",\"height\":2500002}]", 0, 1, "get_updates with mixed events" },
    { "{\"wallet\":\"vpub5Y\",\"balance\":"
      "{\"confirmed\":\"0.5\",\"unconfirmed\":\"-0.001\",\"unmatured\":\"0\"},\"synchronized\":true}", 0, 1,
      "wallet balance response" },
    { "{\"updates\":[{\"event\":\"new_payment\",\"address\":\"d2f0a1b3c4\",\"status\":7", 0, 0,
      "truncated daemon message" },
    { "{\"updates\":[{\"event\":\"new_block\",\"height\":2500000},],\"wallet\":\"vpub5Y\"}", 0, 0,
      "trailing comma in updates" },
    { "{'event': 'new_block', 'height': 2500000}", 0, 0, "Python repr instead of JSON" },
    { "{\"event\":\"new_payment\",\"ok\":True}", 0, 0, "Python True in message" },
    { "{\"event\":\"new_block\",\"height\":2500000", 0, 0, "missing closing brace" },
    { "{\"event\":\"new_block\"}{\"event\":\"new_block\"}", 0, 0, "two messages concatenated" },
    { "{\"event\":\"new_block\"}\n{\"event\":\"new_block\"}\n", 0, 0, "two newline-delimited messages" },
    { "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[\"9f2ce1\" \"a0b1\"]}", 0, 0, "missing comma in result list" },
    { "{\"event\":\"new_payment\",\"sent_amount\":0.00100000.0}", 0, 0, "malformed amount" },
    { "{\"event\":\"new_payment\",\"address\":\"d2f0\nb3c4\"}", 0, 0, "raw newline inside address" },
};

#define JSON_CASES_COUNT (sizeof json_cases / sizeof json_cases[0])

#endif /* BCE_TEST_JSON_CASES_H */
