// Drops the whitespace between the tokens of a JSON text as it arrives in chunks. nats-server
// indents its monitoring JSON: half of a /jsz with consumers (12 MB at 10,000) and of a /connz
// page is indentation, which would otherwise be held in memory and scanned. What remains parses
// to the same values, and a text that is not JSON stays not JSON: a whitespace run between two
// tokens that could run together (two numbers, a number and a literal) becomes one space.
#pragma once

#include <string>
#include <string_view>

namespace farrier {

class JsonWhitespaceFilter {
 public:
  // Appends `chunk` without its whitespace between tokens to `out`; chunks may split anything.
  void Append(std::string_view chunk, std::string& out);

 private:
  bool in_string_ = false;
  bool escaped_ = false;        // the last character in the string was an unescaped backslash
  bool pending_space_ = false;  // whitespace seen since the last character kept
  char last_ = '\0';            // the last character kept outside a string ('\0': none yet)
};

}  // namespace farrier
