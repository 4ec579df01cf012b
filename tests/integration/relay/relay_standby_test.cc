// Leader and standbys on one slot (relay/leader_lease.h), with real processes under load: a
// leader killed, stopped or cut off from its lock session is replaced by a standby, the old one
// streams and confirms nothing more, and Kafka ends up holding every committed row with each
// key's first deliveries in commit order.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/support/delivery_audit.h"
#include "tests/integration/support/http.h"
#include "tests/integration/support/json_object.h"
#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/notify_socket.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/wait_until.h"
#include "tests/integration/support/workload.h"

namespace outbox::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The lease the tests run with: short, so that a stopped leader is replaced quickly.
constexpr auto kLease = 2000ms;

std::string tail(const std::string& text, std::size_t size = 3000) {
  return text.size() <= size ? text : "..." + text.substr(text.size() - size);
}

// Whether the relay's log says it streams now: its last "streaming" line comes after its last
// "session ended" line.
bool streams(const RelayProcess& relay) {
  const std::string log = relay.err();
  const auto streaming = log.rfind(" relay: streaming ");
  if (streaming == std::string::npos) return false;
  const auto ended = log.rfind(" relay: session ended ");
  return ended == std::string::npos || ended < streaming;
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// One slot, relays started on it at will, a writer committing outbox rows meanwhile.
class StandbyTest : public ::testing::Test {
 protected:
  StandbyTest() : fixture_("standby") {
    for (const auto& type : types_) {
      topics_.push_back(fixture_.topic_of_type(type));
      topic_of_type_[type] = topics_.back();
    }
  }

  void SetUp() override {
    ASSERT_TRUE(kafka_.create(topics_, 3));
    config_ = fixture_.config_file();
  }

  // A relay on the slot, started without waiting for it to stream (a standby never does).
  std::unique_ptr<RelayProcess> start(std::vector<std::string> extra = {},
                                      std::vector<std::string> environment = {}) {
    std::vector<std::string> args = {"run", "--config", config_, "--set",
                                     "source.leader_lease_ms=" + std::to_string(kLease.count())};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<RelayProcess>(args, std::move(environment));
  }

  // A relay that streams (a test failure when it does not within a minute).
  std::unique_ptr<RelayProcess> start_leader(std::vector<std::string> extra = {}) {
    auto relay = start(std::move(extra));
    EXPECT_TRUE(wait_until([&] { return streams(*relay); }, 60s)) << tail(relay->err());
    return relay;
  }

  // A relay that waits for leadership (a test failure when it does not say so within a minute).
  std::unique_ptr<RelayProcess> start_standby(std::vector<std::string> extra = {}) {
    auto relay = start(std::move(extra));
    EXPECT_TRUE(relay->wait_for_log("standby: another relay leads this slot", 60s))
        << tail(relay->err());
    return relay;
  }

  void start_writer() {
    WorkloadOptions options;
    options.seed = 4711;
    options.aggregate_types = types_;
    options.keys = 40;
    options.max_rows_per_transaction = 10;
    options.rollback_share = 0.1;
    options.no_event_share = 0.05;
    options.min_pause = 0ms;
    options.max_pause = 10ms;
    options.max_duration = 90s;
    writer_ = std::make_unique<OutboxWriter>(fixture_.database(), options);
    writer_->start();
  }

  // Stops the writer, waits until the slot is confirmed past its last commit, and checks what
  // Kafka holds. `logs` go to the output when something is wrong.
  void stop_writer_and_audit(const std::string& logs) {
    writer_->stop();
    ASSERT_EQ(writer_->error(), "");
    ASSERT_FALSE(writer_->committed().empty());
    const std::string last_commit = writer_->wal_lsn_after_last_commit();
    const bool caught_up =
        wait_until([&] { return fixture_.slot_confirmed_at_least(last_commit); }, 60s);
    EXPECT_TRUE(caught_up) << "the slot was not confirmed past " << last_commit
                           << " within 60 s of the writer's end (confirmed "
                           << fixture_.confirmed_lsn() << ")\n"
                           << logs;
    const auto payload_of = outbox_payloads(fixture_.sql());
    const auto records = kafka_.read_all(topics_, 60s);
    const DeliveryAudit audit = audit_delivery(records, *writer_, payload_of, topic_of_type_);
    for (const auto& line : audit.problem_lines) ADD_FAILURE() << line;
    EXPECT_EQ(audit.missing, 0) << "committed events missing from Kafka, e.g." << audit.missing_ids;
    EXPECT_EQ(audit.problems, 0) << audit.problems << " problems (the first 20 reported above)";
    std::cout << writer_->committed().size() << " events committed, " << records.size()
              << " records in Kafka, " << audit.duplicates << " duplicates\n";
    if (HasFailure()) std::cout << logs;
  }

  // Ends the lease session of `leader` from the server; {"true"} when there was one to end.
  std::vector<std::string> terminate_lease_session(const RelayProcess& leader) {
    return fixture_.sql().column(
        "SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity WHERE application_name "
        "LIKE 'outbox-relay leader % pid " +
        std::to_string(leader.pid()) + " %'");
  }

  RelayFixture fixture_;
  const std::vector<std::string> types_ = {"Order", "Payment", "Shipment"};
  std::vector<std::string> topics_;
  std::map<std::string, std::string> topic_of_type_;
  KafkaTopics kafka_;
  std::string config_;
  std::unique_ptr<OutboxWriter> writer_;
};

TEST_F(StandbyTest, KilledLeaderIsReplacedByTheStandbyWithinTwoSecondsAndNothingIsLost) {
  auto leader = start_leader();
  ASSERT_FALSE(HasFailure());
  const int port = free_tcp_port();
  auto standby = start_standby({"--set", "metrics.listen=127.0.0.1:" + std::to_string(port)});
  ASSERT_FALSE(HasFailure());
  EXPECT_NE(standby->err().find("leader=\"backend pid "), std::string::npos)
      << "the standby's log does not name the leader:\n"
      << tail(standby->err());
  // A healthy standby is ready, and says what it is.
  const auto ready = http_get(port, "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.body, "ok: standby, waiting for leadership\n");
  EXPECT_EQ(http_get(port, "/healthz").status, 200);
  const auto metrics = http_get(port, "/metrics");
  EXPECT_NE(metrics.body.find("\noutbox_relay_standby 1"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("\noutbox_relay_leader 0"), std::string::npos) << metrics.body;
  // Waiting is alive: the standby's wait turns at least once a second (heartbeat, watchdog,
  // the time it counts as standby).
  auto standby_seconds = [&] {
    const auto text = http_get(port, "/metrics").body;
    const auto at = text.find("\noutbox_relay_standby_seconds_total ");
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + 36));
  };
  const double waited = standby_seconds();
  EXPECT_GT(waited, 0.0) << metrics.body;
  std::this_thread::sleep_for(1500ms);
  EXPECT_GT(standby_seconds(), waited + 0.5) << "the standby's wait stopped turning";

  start_writer();
  std::this_thread::sleep_for(2s);  // load on the leader when it dies
  const auto killed_at = Clock::now();
  leader->kill_hard();
  ASSERT_TRUE(wait_until([&] { return streams(*standby); }, 10s, 5ms)) << tail(standby->err());
  const double takeover = seconds_between(killed_at, Clock::now());
  std::cout << "takeover after kill -9: " << takeover << " s\n";
  RecordProperty("takeover_ms", std::to_string(static_cast<int>(takeover * 1000)));
  EXPECT_LT(takeover, 2.0) << tail(standby->err());
  const auto led = http_get(port, "/metrics");
  EXPECT_NE(led.body.find("\noutbox_relay_leader 1"), std::string::npos) << led.body;
  EXPECT_NE(led.body.find("\noutbox_relay_leadership_changes_total 1"), std::string::npos)
      << led.body;

  std::this_thread::sleep_for(2s);  // load on the new leader
  stop_writer_and_audit("--- killed leader ---\n" + tail(leader->err()) + "\n--- new leader ---\n" +
                        tail(standby->err()) + "\n");
  EXPECT_EQ(standby->stop(), 0);
}

TEST_F(StandbyTest, StatusAndCheckNameTheLeaderAndCountTheStandbys) {
  auto leader = start_leader();
  auto standby = start_standby();
  ASSERT_FALSE(HasFailure());
  const std::string leader_pid = " pid " + std::to_string(leader->pid()) + " ";

  const auto status = run_relay_command({"status", "--config", config_, "--json"});
  EXPECT_EQ(status.status, 0) << status.out << status.err;
  std::string error;
  const auto json = parse_json_object(status.out, &error);
  ASSERT_TRUE(json.has_value()) << error << "\n" << status.out;
  ASSERT_EQ(json->count("leadership"), 1u) << status.out;
  const auto leadership = parse_json_object(json->at("leadership").text, &error);
  ASSERT_TRUE(leadership.has_value()) << error << "\n" << status.out;
  EXPECT_EQ(leadership->at("standbys").text, "1") << status.out;
  const auto held_by = parse_json_object(leadership->at("leader").text, &error);
  ASSERT_TRUE(held_by.has_value()) << error << "\n" << status.out;
  const std::string name = held_by->at("application_name").text;
  EXPECT_EQ(name.rfind("outbox-relay leader 20", 0), 0u) << status.out;
  EXPECT_NE(name.find(leader_pid), std::string::npos) << status.out;
  EXPECT_EQ(held_by->at("client_addr").text, "127.0.0.1") << status.out;

  const auto text = run_relay_command({"status", "--config", config_});
  EXPECT_NE(text.out.find("leadership:    held by outbox-relay leader 20"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("; 1 standby waiting\n"), std::string::npos) << text.out;

  // check passes while the leader streams, and says who leads.
  const auto check = run_relay_command({"check", "--config", config_});
  EXPECT_EQ(check.status, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("ok    leadership: held by outbox-relay leader 20"), std::string::npos)
      << check.out;
  EXPECT_NE(check.out.find("; streaming to walsender PID "), std::string::npos) << check.out;

  leader->kill_hard();
  ASSERT_TRUE(wait_until([&] { return streams(*standby); }, 10s)) << tail(standby->err());
  const auto after = run_relay_command({"status", "--config", config_});
  EXPECT_NE(after.out.find(" pid " + std::to_string(standby->pid()) + " "), std::string::npos)
      << after.out;
  EXPECT_NE(after.out.find("; 0 standbys waiting\n"), std::string::npos) << after.out;
  EXPECT_EQ(standby->stop(), 0);
}

TEST_F(StandbyTest, ARelayThatCouldNotStreamIsNoStandby) {
  auto leader = start_leader();
  ASSERT_FALSE(HasFailure());
  // The same slot, but a table the server does not have: it would fail at takeover, so it fails
  // now, as a start would, instead of waiting as a standby.
  auto broken = start({"--set", "source.table=public.no_such_outbox"});
  const auto status = broken->wait(30s);
  ASSERT_TRUE(status.has_value()) << "it did not exit\n" << tail(broken->err());
  EXPECT_EQ(*status, 1) << tail(broken->err());
  EXPECT_NE(broken->err().find("no_such_outbox"), std::string::npos) << tail(broken->err());
  EXPECT_EQ(broken->err().find("standby: another relay leads"), std::string::npos)
      << tail(broken->err());
  EXPECT_TRUE(streams(*leader));
  EXPECT_EQ(leader->stop(), 0);
}

TEST_F(StandbyTest, AStandbyTellsSystemdItIsReadyAndWaitingThenStreamingOnceItLeads) {
  auto leader = start_leader();
  ASSERT_FALSE(HasFailure());
  NotifySocket systemd;
  auto started = start({}, {systemd.environment()});
  RelayProcess& standby = *started;
  const auto ready = systemd.wait_for("READY=1", 30s);
  ASSERT_TRUE(ready.has_value()) << "a standby sent no READY=1 within 30 s\n"
                                 << systemd.transcript() << tail(standby.err());
  EXPECT_EQ(
      ready->value("STATUS"),
      std::optional<std::string>("standby: waiting for leadership of slot " + fixture_.slot()))
      << systemd.transcript();
  EXPECT_FALSE(streams(standby));

  leader->kill_hard();
  ASSERT_TRUE(wait_until([&] { return streams(standby); }, 10s)) << tail(standby.err());
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& message : systemd.messages()) {
          const auto status = message.value("STATUS");
          if (status && status->rfind("streaming", 0) == 0) return true;
        }
        return false;
      },
      10s))
      << "no STATUS=streaming... after the standby took over\n"
      << systemd.transcript();
  EXPECT_EQ(standby.stop(), 0);
}

TEST_F(StandbyTest, StoppedLeaderLosesItsLeaseAndResumesAsAStandbyConfirmingNothing) {
  // The first relay logs every confirmation (debug), to show it confirms nothing once resumed.
  auto first = start_leader({"--set", "log.level=debug"});
  ASSERT_FALSE(HasFailure());
  auto second = start_standby();
  ASSERT_FALSE(HasFailure());

  start_writer();
  std::this_thread::sleep_for(2s);
  const auto stopped_at = Clock::now();
  first->signal(SIGSTOP);
  ASSERT_TRUE(wait_until([&] { return streams(*second); }, kLease + 10s, 10ms))
      << tail(second->err());
  const double takeover = seconds_between(stopped_at, Clock::now());
  std::cout << "takeover after SIGSTOP (lease " << kLease.count() << " ms): " << takeover << " s\n";
  RecordProperty("takeover_ms", std::to_string(static_cast<int>(takeover * 1000)));
  EXPECT_LT(takeover, std::chrono::duration<double>(kLease + 2s).count()) << tail(second->err());

  std::this_thread::sleep_for(1s);
  const std::size_t log_before_resume = first->err().size();
  first->signal(SIGCONT);
  ASSERT_TRUE(first->wait_for_log("lost leadership: stopped streaming at once", 10s))
      << tail(first->err());
  ASSERT_TRUE(wait_until(
      [&] {
        return first->err().find("standby: another relay leads", log_before_resume) !=
               std::string::npos;
      },
      10s))
      << tail(first->err());
  std::this_thread::sleep_for(1s);
  const std::string resumed = first->err().substr(log_before_resume);
  EXPECT_EQ(resumed.find(" relay: streaming "), std::string::npos) << resumed;
  EXPECT_EQ(resumed.find(" confirmed lsn="), std::string::npos)
      << "the resumed relay confirmed a position:\n"
      << resumed;

  stop_writer_and_audit("--- stopped and resumed ---\n" + tail(first->err()) +
                        "\n--- new leader ---\n" + tail(second->err()) + "\n");
  EXPECT_TRUE(streams(*second));
  EXPECT_EQ(first->stop(), 0);
  EXPECT_EQ(second->stop(), 0);
}

TEST_F(StandbyTest, LeaderWhoseLockSessionIsTerminatedStopsWithinASecond) {
  auto first = start_leader();
  ASSERT_FALSE(HasFailure());
  auto second = start_standby();
  ASSERT_FALSE(HasFailure());

  start_writer();
  std::this_thread::sleep_for(2s);
  const auto terminated = terminate_lease_session(*first);
  const auto terminated_at = Clock::now();
  ASSERT_EQ(terminated, std::vector<std::string>{"true"});
  ASSERT_TRUE(first->wait_for_log("lost leadership: stopped streaming at once", 5s))
      << tail(first->err());
  const double stopped = seconds_between(terminated_at, Clock::now());
  std::cout << "stopped streaming " << stopped << " s after its lock session ended\n";
  EXPECT_LT(stopped, 1.0);
  // Leadership moves (the standby was waiting first) or is won back; either way one streams.
  EXPECT_TRUE(wait_until([&] { return streams(*first) || streams(*second); }, 5s));

  std::this_thread::sleep_for(1s);
  stop_writer_and_audit("--- first ---\n" + tail(first->err()) + "\n--- second ---\n" +
                        tail(second->err()) + "\n");
  EXPECT_EQ(first->stop(), 0);
  EXPECT_EQ(second->stop(), 0);
}

// The value of `key=` in the last line of `log` that contains `message`, or -1.
long field_of_last(const std::string& log, const std::string& message, const std::string& key) {
  const auto line_at = log.rfind(message);
  if (line_at == std::string::npos) return -1;
  const auto line_end = log.find('\n', line_at);
  const std::string line = log.substr(line_at, line_end - line_at);
  const auto at = line.find(" " + key + "=");
  if (at == std::string::npos) return -1;
  return std::stol(line.substr(at + key.size() + 2));
}

TEST_F(StandbyTest, ALeaderThatKeepsLosingItsLockWaitsLongerEachTimeBeforeLeadingAgain) {
  const std::string retrying = "leadership lost again within 30 s of leading; retrying";
  auto relay = start_leader();
  ASSERT_FALSE(HasFailure());
  start_writer();
  // The first loss seeks leadership again at once; each loss soon after it waits the backoff.
  for (long expected_attempt = 0; expected_attempt <= 2; ++expected_attempt) {
    std::this_thread::sleep_for(500ms);
    const std::size_t log_before = relay->err().size();
    const auto terminated = terminate_lease_session(*relay);
    const auto terminated_at = Clock::now();
    ASSERT_EQ(terminated, std::vector<std::string>{"true"});
    ASSERT_TRUE(wait_until(
        [&] { return relay->err().find(" relay: streaming ", log_before) != std::string::npos; },
        60s))
        << tail(relay->err());
    const double back_after = seconds_between(terminated_at, Clock::now());
    const std::string since = relay->err().substr(log_before);
    ASSERT_NE(since.find("lost leadership: stopped streaming at once"), std::string::npos) << since;
    if (expected_attempt == 0) {
      EXPECT_EQ(since.find(retrying), std::string::npos) << since;
      std::cout << "lock session ended: streaming again after " << back_after << " s\n";
      continue;
    }
    const long attempt = field_of_last(since, retrying, "attempt");
    const long delay_ms = field_of_last(since, retrying, "delay_ms");
    EXPECT_EQ(attempt, expected_attempt) << since;
    EXPECT_GE(delay_ms, 500) << since;
    std::cout << "lock session ended again (attempt " << attempt << "): waited " << delay_ms
              << " ms, streaming again after " << back_after << " s\n";
    // It did not stream while it waited.
    EXPECT_GE(back_after * 1000, static_cast<double>(delay_ms)) << since;
  }
  stop_writer_and_audit(tail(relay->err()));
  EXPECT_EQ(relay->stop(), 0);
}

TEST_F(StandbyTest, ThreeRelaysWithLeadersKilledOneAfterAnotherLoseNothing) {
  std::vector<std::unique_ptr<RelayProcess>> relays;
  relays.push_back(start_leader());
  relays.push_back(start_standby());
  relays.push_back(start_standby());
  ASSERT_FALSE(HasFailure());
  start_writer();
  std::string killed_logs;
  for (int kill = 1; kill <= 2; ++kill) {
    std::this_thread::sleep_for(1500ms);
    RelayProcess* leader = nullptr;
    for (auto& relay : relays) {
      if (relay->running() && streams(*relay)) leader = relay.get();
    }
    ASSERT_NE(leader, nullptr) << "no relay streams before kill " << kill;
    const auto killed_at = Clock::now();
    leader->kill_hard();
    killed_logs +=
        "--- leader killed (kill " + std::to_string(kill) + ") ---\n" + tail(leader->err()) + "\n";
    ASSERT_TRUE(wait_until(
        [&] {
          for (auto& relay : relays) {
            if (relay.get() != leader && relay->running() && streams(*relay)) return true;
          }
          return false;
        },
        10s, 5ms))
        << killed_logs;
    std::cout << "kill " << kill << ": a standby streams after "
              << seconds_between(killed_at, Clock::now()) << " s\n";
  }
  std::this_thread::sleep_for(1500ms);
  std::string logs = killed_logs;
  for (auto& relay : relays) {
    if (relay->running()) logs += "--- survivor ---\n" + tail(relay->err()) + "\n";
  }
  stop_writer_and_audit(logs);
  for (auto& relay : relays) {
    if (relay->running()) {
      EXPECT_EQ(relay->stop(), 0);
    }
  }
}

}  // namespace
}  // namespace outbox::testing
