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

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// libpq decodes %XX in URI parameter names too, so "pass%77ord" is "password".
std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
        hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// libpq's keywords are case-sensitive and "PASSWORD" is not one of them, but a connection string
// holding it is still printed when the connection fails, so any case counts. "secret" covers
// oauth_client_secret (libpq 18).
bool names_secret(std::string_view key) {
  const std::string name = lower(percent_decoded(key));
  return name.find("password") != std::string::npos || name.find("secret") != std::string::npos;
}

// isspace() in the C locale, which is what libpq's conninfo_parse uses.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_keyword_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The key=value form, read the way libpq's conninfo_parse reads it: keyword, optional blanks,
// '=', optional blanks, then a value that is either single-quoted (backslash escapes anything)
// or runs to the next blank (backslash escapes anything). nullopt when it does not parse, or
// when a keyword is not a word: then the string is something else (" postgresql://u:p@h" with a
// leading blank, "Postgresql://..."), and what part of it is secret cannot be told.
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
    while (i < n && is_keyword_char(dsn[i])) ++i;
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
    if (names_secret(key)) {
      out += kRedacted;
    } else {
      out.append(dsn.substr(value_start, i - value_start));
    }
  }
}

// Where the query string of a URI (after the scheme) begins: the first '?' followed by a
// parameter name and '='. A '?' that is not followed by one is more likely part of an unencoded
// password ("u:p?ss@h") than the start of parameters.
std::size_t query_start(std::string_view rest) {
  for (std::size_t q = rest.find('?'); q != std::string_view::npos; q = rest.find('?', q + 1)) {
    std::size_t i = q + 1;
    while (i < rest.size() && (is_keyword_char(rest[i]) || rest[i] == '%')) ++i;
    if (i > q + 1 && i < rest.size() && rest[i] == '=') return q;
  }
  return std::string_view::npos;
}

// Where the user information of a URI (after the scheme) ends: the '@' before the hosts, or npos
// when there is none. libpq ends it at the first '@' when that comes before any '/'
// ("u:p@h/db"). The last '@' before the query string is taken when there is one, so that a
// password with an unencoded '@' or '/' ("u:p@ss/w@h") does not leak its tail, while an '@' in a
// parameter value ("h/db?user=relay@server") is not taken for the end of a password.
std::size_t user_info_end(std::string_view rest) {
  const std::size_t first_at = rest.find('@');
  if (first_at == std::string_view::npos) return std::string_view::npos;
  const std::size_t before_query = rest.substr(0, query_start(rest)).rfind('@');
  if (before_query != std::string_view::npos) return before_query;
  return rest.find('/') > first_at ? first_at : std::string_view::npos;
}

// "name=value" parameters separated by '&', each secret one's value replaced. Pieces without '='
// right after a secret are taken as part of its value: libpq refuses them, and they are more
// likely an unencoded '&' in a password than anything else.
void append_parameters(std::string& out, std::string_view parameters) {
  bool in_secret = false;
  bool first = true;
  while (true) {
    const std::size_t amp = parameters.find('&');
    const std::string_view parameter = parameters.substr(0, amp);
    const std::size_t equals = parameter.find('=');
    if (equals == std::string_view::npos && in_secret) {
      // Swallowed into the redacted value before it.
    } else {
      if (!first) out += '&';
      first = false;
      in_secret = equals != std::string_view::npos && names_secret(parameter.substr(0, equals));
      if (in_secret) {
        out.append(parameter.substr(0, equals + 1));
        out += kRedacted;
      } else {
        out.append(parameter);
      }
    }
    if (amp == std::string_view::npos) return;
    parameters = parameters.substr(amp + 1);
  }
}

// Hosts, database name and query string. Parameters are looked for before the '?' too: when
// libpq misreads a URI ("postgresql://db?user=a@h&password=x" has no '/', so libpq takes
// "db?user=a" for the user), what follows the '@' is still printed with the connection error.
void append_hosts_and_parameters(std::string& out, std::string_view text) {
  const std::size_t question = text.find('?');
  append_parameters(out, text.substr(0, question));
  if (question == std::string_view::npos) return;
  out += '?';
  append_parameters(out, text.substr(question + 1));
}

std::string redact_uri(std::string_view dsn, std::size_t scheme_length) {
  std::string out(dsn.substr(0, scheme_length));
  std::string_view rest = dsn.substr(scheme_length);
  const std::size_t at = user_info_end(rest);
  if (at != std::string_view::npos) {
    const std::string_view user_info = rest.substr(0, at);
    const std::size_t colon = user_info.find(':');
    if (colon != std::string_view::npos) {
      out.append(user_info.substr(0, colon + 1));
      out += kRedacted;
    } else {
      append_hosts_and_parameters(out, user_info);
    }
    out += '@';
    rest = rest.substr(at + 1);
  }
  append_hosts_and_parameters(out, rest);
  return out;
}

}  // namespace

std::string redact_dsn(std::string_view dsn) {
  // libpq's own test: the scheme exactly as written, lower case, at the very start.
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
