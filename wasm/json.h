// JSON string literals for the hand-written JSON of the CLI and the bindings.
#pragma once

#include <string>

namespace camscope {

// Appends `s` as a JSON string literal: quotes, backslashes and control characters escaped,
// invalid UTF-8 bytes replaced by U+FFFD so the document stays valid.
void json_string(std::string& out, const std::string& s);

// `s` as a JSON string literal (as above).
std::string json_string(const std::string& s);

}  // namespace camscope
