// Secrets never reach a log line or `check` output: these take them out of what the
// configuration shows.
#pragma once

#include <string>
#include <string_view>

namespace outbox {

inline constexpr std::string_view kRedacted = "<redacted>";

// A libpq connection string with every secret value replaced by "<redacted>", read the way
// libpq reads it (conninfo_parse, conninfo_uri_parse) and, where a string is ambiguous, hiding
// more rather than less:
//  - key=value form: the value of any keyword containing "password" or "secret" (password,
//    sslpassword, oauth_client_secret), in any case, quoted or not. A string that does not parse
//    as key=value, or has a keyword that is not a word, is replaced as a whole, since what part
//    of it is secret cannot be told.
//  - URI form (postgresql:// or postgres://, lower case, as libpq requires): the password in
//    user:password@ (up to the last '@' before the query string, so that an unencoded '@', '/'
//    or '?' in it does not leak its tail), and any query parameter whose name, percent-decoded,
//    contains "password" or "secret".
// Everything else is kept as written.
std::string redact_dsn(std::string_view dsn);

// True for librdkafka properties that carry secrets: a name containing "password" or "secret"
// (sasl.password, ssl.key.password, ssl.keystore.password, sasl.oauthbearer.client.secret),
// sasl.oauthbearer.config and ssl.key.pem (an inline private key).
bool is_secret_kafka_property(std::string_view name);

}  // namespace outbox
