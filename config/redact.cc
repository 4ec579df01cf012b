#include "config/redact.h"

#include <algorithm>
#include <optional>

namespace outbox {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

bool names_password(std::string_view key) {
  return lower(key).find("password") != std::string::npos;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// The key=value form, read the way libpq's conninfo_parse reads it: keyword, optional blanks,
// '=', optional blanks, then a value that is either single-quoted (backslash escapes anything)
// or runs to the next blank (backslash escapes anything). nullopt when it does not parse.
std::optional<std::string> redact_keyword_value(std::string_view dsn) {
  std::string out;
  std::size_t i = 0;
  const std::size_t n = dsn.size();
  while (true) {
    const std::size_t blanks_start = i;
    while (i < n && is_space(dsn[i])) ++i;
    out.append(dsn.substr(blanks_start, i - blanks_start));
    if (i == n) return out;

    const std::size_t key_start = i;
    while (i < n && dsn[i] != '=' && !is_space(dsn[i])) ++i;
    const std::string_view key = dsn.substr(key_start, i - key_start);
    while (i < n && is_space(dsn[i])) ++i;
    if (i == n || dsn[i] != '=' || key.empty()) return std::nullopt;
    ++i;
    while (i < n && is_space(dsn[i])) ++i;
    out.append(dsn.substr(key_start, i - key_start));

    const std::size_t value_start = i;
    if (i < n && dsn[i] == '\'') {
      ++i;
      while (i < n && dsn[i] != '\'') i += (dsn[i] == '\\' && i + 1 < n) ? 2 : 1;
      if (i >= n) return std::nullopt;  // unterminated quote
      ++i;
    } else {
      while (i < n && !is_space(dsn[i])) i += (dsn[i] == '\\' && i + 1 < n) ? 2 : 1;
    }
    if (names_password(key)) {
      out += kRedacted;
    } else {
      out.append(dsn.substr(value_start, i - value_start));
    }
  }
}

std::string redact_uri(std::string_view dsn, std::size_t scheme_length) {
  std::string out(dsn.substr(0, scheme_length));
  std::string_view rest = dsn.substr(scheme_length);

  // The user information ends at the last '@', not the first: a password with an unencoded '@'
  // or '/' must not leak its tail. At worst an '@' later in the string hides more than needed.
  const std::size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view user_info = rest.substr(0, at);
    const std::size_t colon = user_info.find(':');
    if (colon != std::string_view::npos) {
      out.append(user_info.substr(0, colon + 1));
      out += kRedacted;
    } else {
      out.append(user_info);
    }
    out += '@';
    rest = rest.substr(at + 1);
  }

  const std::size_t question = rest.find('?');
  out.append(rest.substr(0, question));
  if (question == std::string_view::npos) return out;
  out += '?';
  std::string_view query = rest.substr(question + 1);
  bool first = true;
  while (true) {
    const std::size_t amp = query.find('&');
    const std::string_view parameter = query.substr(0, amp);
    if (!first) out += '&';
    first = false;
    const std::size_t equals = parameter.find('=');
    if (equals != std::string_view::npos && names_password(parameter.substr(0, equals))) {
      out.append(parameter.substr(0, equals + 1));
      out += kRedacted;
    } else {
      out.append(parameter);
    }
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return out;
}

}  // namespace

std::string redact_dsn(std::string_view dsn) {
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (dsn.starts_with(scheme)) return redact_uri(dsn, scheme.size());
  }
  if (auto redacted = redact_keyword_value(dsn)) return *redacted;
  return std::string(kRedacted);
}

bool is_secret_kafka_property(std::string_view name) {
  const std::string key = lower(name);
  return key.find("password") != std::string::npos || key.find("secret") != std::string::npos ||
         key == "sasl.oauthbearer.config" || key == "ssl.key.pem";
}

}  // namespace outbox
