// Writes outbox rows at a fixed rate: transaction k of K rows is due at start + k * K / rate, an
// open-loop schedule (a slow commit does not slow the schedule down; the writer catches up, and
// a writer that cannot keep up shows as an achieved rate below the target). Several connections
// share the schedule, so one commit's round trip does not cap the rate.
//
// Every transaction is one INSERT of its K rows, which returns the transaction id: with
// track_commit_timestamp on, the server gives each transaction's commit time afterwards
// (commit_times()), whatever a contender later does to the rows (a polling relay updates them).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace outbox::bench {

struct WriterOptions {
  std::string dsn;    // libpq conninfo; empty: the PG* environment
  std::string table;  // schema-qualified, quoted as needed
  std::uint32_t run_tag = 0;
  double rate = 1000;  // events per second
  int rows_per_transaction = 1;
  int connections = 4;
};

class PacedWriter {
 public:
  explicit PacedWriter(WriterOptions options) : options_(std::move(options)) {}

  // Writes events [first, first + count) on schedule; blocks until all are committed. An error
  // text, empty on success.
  std::string write(std::uint64_t first, std::uint64_t count);

  // Writes one probe event (its own transaction) now; an error text, empty on success.
  std::string write_probe(std::uint64_t index);

  // Writes events [0, count) as fast as the server takes them, `per_transaction` rows a
  // transaction, each made by the server (generate_series): a backlog. Returns the WAL position
  // after it in `wal_end`; an error text, empty on success.
  std::string write_backlog(std::uint64_t count, int per_transaction, std::string& wal_end);

  // Events committed so far (by this writer, over all calls).
  std::uint64_t committed() const { return committed_; }

  // The commit time (Unix microseconds) of each event in [0, events), from the server; 0 for an
  // event that was never committed. An error text in `error` when the query fails.
  std::vector<std::int64_t> commit_times(std::uint64_t events, std::string& error) const;

 private:
  struct Transaction {
    std::uint64_t first_event;
    std::uint32_t rows;
    std::uint32_t xid;
  };
  std::string insert_sql(int rows) const;

  WriterOptions options_;
  std::atomic<std::uint64_t> committed_{0};
  mutable std::mutex mutex_;
  std::vector<Transaction> transactions_;
};

}  // namespace outbox::bench
