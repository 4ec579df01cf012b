// Secrets never reach a log line or `check` output: these take them out of what the
// configuration shows.
#pragma once

#include <string>
#include <string_view>

namespace outbox {

inline constexpr std::string_view kRedacted = "<redacted>";

// A libpq connection string with every password value replaced by "<redacted>":
//  - key=value form: the value of any keyword containing "password" (password, sslpassword),
//    quoted or not;
//  - URI form (postgresql:// or postgres://): the password in user:password@, and any query
//    parameter whose name contains "password".
// Everything else is kept as written. A key=value string that cannot be parsed is replaced as a
// whole, since what part of it is secret cannot be told.
std::string redact_dsn(std::string_view dsn);

// True for librdkafka properties that carry secrets: a name containing "password" or "secret"
// (sasl.password, ssl.key.password, ssl.keystore.password, sasl.oauthbearer.client.secret),
// sasl.oauthbearer.config and ssl.key.pem (an inline private key).
bool is_secret_kafka_property(std::string_view name);

}  // namespace outbox
