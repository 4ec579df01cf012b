#include "common/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>

namespace outbox {
namespace {

// What `body` writes to standard error (the file descriptor, as the logger writes to it).
std::string captured_stderr(const std::function<void()>& body) {
  std::FILE* sink = std::tmpfile();
  EXPECT_NE(sink, nullptr);
  if (sink == nullptr) return {};
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(::fileno(sink), STDERR_FILENO);
  body();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::rewind(sink);
  std::string text;
  char buffer[4096];
  for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, sink)) > 0;) {
    text.append(buffer, got);
  }
  std::fclose(sink);
  return text;
}

// The line without its leading time stamp ("2024-...Z ").
std::string without_time(const std::string& line) { return line.substr(line.find(' ') + 1); }

class LogLines : public ::testing::Test {
 protected:
  void TearDown() override { set_log_format(LogFormat::kText); }
  const Logger log_{"postgres"};
};

TEST_F(LogLines, KeepAMultiLineMessageOnOneTextLine) {
  const std::string message =
      "ERROR:  relation \"outbox\" does not exist\nDETAIL: x\r\n"
      "2024-01-01T00:00:00.000Z error relay: forged";
  const std::string line = captured_stderr([&] { log_.error(message, {{"slot", "s"}}); });
  EXPECT_EQ(without_time(line),
            "error postgres: ERROR:  relation \"outbox\" does not exist\\nDETAIL: x\\r\\n"
            "2024-01-01T00:00:00.000Z error relay: forged slot=s\n");
}

TEST_F(LogLines, EscapeBackslashesAndControlCharactersOfATextMessage) {
  const std::string line = captured_stderr([&] { log_.warn("a\\nb\ttab \x1b[31mred\x7f"); });
  EXPECT_EQ(without_time(line), "warn postgres: a\\\\nb\\ttab \\u001b[31mred\x7f\n");
}

TEST_F(LogLines, EscapeTextFieldValuesAsJsonStrings) {
  const std::string line = captured_stderr([&] {
    log_.info("m", {{"detail", "a\nb \"c\""}, {"plain", "x\\y"}});
  });
  EXPECT_EQ(without_time(line), "info postgres: m detail=\"a\\nb \\\"c\\\"\" plain=x\\y\n");
}

TEST_F(LogLines, StayValidJsonWithAMultiLineMessage) {
  set_log_format(LogFormat::kJson);
  const std::string line = captured_stderr([&] {
    log_.error("a \"quoted\"\nline\\two\x01", {{"k", "v\n"}});
  });
  const std::string tail = line.substr(line.find("\",\"level\""));
  EXPECT_EQ(tail,
            "\",\"level\":\"error\",\"logger\":\"postgres\",\"message\":\"a \\\"quoted\\\"\\nline"
            "\\\\two\\u0001\",\"k\":\"v\\n\"}\n");
}

}  // namespace
}  // namespace outbox
