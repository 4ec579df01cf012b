#include "bench/loadgen/paced_writer.h"

#include <libpq-fe.h>

#include <cstdio>
#include <memory>
#include <thread>

#include "bench/loadgen/event_ids.h"

namespace outbox::bench {
namespace {

struct ConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

Conn connect(const std::string& dsn, std::string& error) {
  Conn conn(PQconnectdb(dsn.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    error = std::string("cannot connect to PostgreSQL: ") + PQerrorMessage(conn.get());
    return nullptr;
  }
  return conn;
}

// A payload of about 300 bytes, as an order event might carry.
std::string payload(std::uint64_t index) {
  const std::string n = std::to_string(index);
  return R"({"orderId":)" + n + R"(,"customerId":"cust-)" + std::to_string(index % 100000) +
         R"(","currency":"EUR","total":)" + std::to_string(index % 900 + 100) +
         R"(.95,"items":[{"sku":"SKU-)" + std::to_string(index % 10000) +
         R"(","quantity":2,"price":19.99},{"sku":"SKU-)" + std::to_string(index * 7 % 10000) +
         R"(","quantity":1,"price":45.5}],"shipping":{"method":"standard","country":"DE",)"
         R"("postcode":"10115"},"placedAt":"2026-11-25T10:15:30.123456+00:00"})";
}

}  // namespace

std::string PacedWriter::insert_sql(int rows) const {
  std::string sql = "INSERT INTO " + options_.table +
                    " (id, aggregate_type, aggregate_id, event_type, payload) VALUES ";
  for (int row = 0; row < rows; ++row) {
    const int p = row * 3;
    if (row > 0) sql += ", ";
    sql += "($" + std::to_string(p + 1) + "::uuid, 'Order', $" + std::to_string(p + 2) +
           ", 'OrderCreated', $" + std::to_string(p + 3) + "::jsonb)";
  }
  // The transaction's id (the low 32 bits of its 64-bit id: the xid), for its commit time later.
  return sql + " RETURNING (pg_current_xact_id()::text::bigint % 4294967296)::text";
}

std::string PacedWriter::write(std::uint64_t first, std::uint64_t count) {
  const int rows = options_.rows_per_transaction;
  const std::uint64_t transactions = (count + rows - 1) / rows;
  const auto start = std::chrono::steady_clock::now();
  const double seconds_per_transaction = rows / options_.rate;
  std::mutex error_mutex;
  std::string first_error;
  std::vector<std::thread> threads;
  for (int worker = 0; worker < options_.connections; ++worker) {
    threads.emplace_back([&, worker] {
      std::string error;
      Conn conn = connect(options_.dsn, error);
      if (!conn) {
        std::lock_guard lock(error_mutex);
        if (first_error.empty()) first_error = error;
        return;
      }
      std::vector<std::string> values;
      std::vector<const char*> params;
      for (std::uint64_t t = worker; t < transactions; t += options_.connections) {
        const auto due = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(t * seconds_per_transaction));
        std::this_thread::sleep_until(due);
        const std::uint64_t begin = first + t * rows;
        const auto in_this = static_cast<int>(std::min<std::uint64_t>(rows, first + count - begin));
        values.clear();
        for (int row = 0; row < in_this; ++row) {
          const std::uint64_t index = begin + row;
          values.push_back(event_id(options_.run_tag, EventKind::kEvent, index));
          values.push_back("order-" + std::to_string(index % 1000));
          values.push_back(payload(index));
        }
        params.clear();
        for (const auto& value : values) params.push_back(value.c_str());
        ResultPtr result(PQexecParams(conn.get(), insert_sql(in_this).c_str(),
                                      static_cast<int>(params.size()), nullptr, params.data(),
                                      nullptr, nullptr, 0));
        if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
          std::lock_guard lock(error_mutex);
          if (first_error.empty()) {
            first_error = std::string("INSERT failed: ") + PQerrorMessage(conn.get());
          }
          return;
        }
        const auto xid = static_cast<std::uint32_t>(std::stoul(PQgetvalue(result.get(), 0, 0)));
        committed_ += static_cast<std::uint64_t>(in_this);
        std::lock_guard lock(mutex_);
        transactions_.push_back({begin, static_cast<std::uint32_t>(in_this), xid});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  return first_error;
}

std::string PacedWriter::write_probe(std::uint64_t index) {
  std::string error;
  Conn conn = connect(options_.dsn, error);
  if (!conn) return error;
  const std::string id = event_id(options_.run_tag, EventKind::kProbe, index);
  const std::string body = payload(index);
  const char* params[] = {id.c_str(), "probe", body.c_str()};
  ResultPtr result(
      PQexecParams(conn.get(), insert_sql(1).c_str(), 3, nullptr, params, nullptr, nullptr, 0));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    return std::string("probe INSERT failed: ") + PQerrorMessage(conn.get());
  }
  return {};
}

std::string PacedWriter::write_backlog(std::uint64_t count, int per_transaction,
                                       std::string& wal_end) {
  std::string error;
  Conn conn = connect(options_.dsn, error);
  if (!conn) return error;
  char tag[9];
  std::snprintf(tag, sizeof tag, "%08x", options_.run_tag);
  // The same ids as event_id() makes, and a payload like payload()'s, built by the server.
  const std::string sql =
      "INSERT INTO " + options_.table +
      " (id, aggregate_type, aggregate_id, event_type, payload) "
      "SELECT format('%s-0000-4000-8000-%s', $1::text, lpad(to_hex(n), 12, '0'))::uuid, "
      "'Order', 'order-' || (n % 1000), 'OrderCreated', "
      "jsonb_build_object('orderId', n, 'customerId', 'cust-' || (n % 100000), "
      "'currency', 'EUR', 'total', (n % 900) + 100.95, 'items', jsonb_build_array("
      "jsonb_build_object('sku', 'SKU-' || (n % 10000), 'quantity', 2, 'price', 19.99), "
      "jsonb_build_object('sku', 'SKU-' || ((n * 7) % 10000), 'quantity', 1, 'price', 45.5)), "
      "'shipping', jsonb_build_object('method', 'standard', 'country', 'DE', 'postcode', "
      "'10115'), 'placedAt', '2026-11-25T10:15:30.123456+00:00') "
      "FROM generate_series($2::bigint, $3::bigint) n";
  for (std::uint64_t first = 0; first < count; first += per_transaction) {
    const std::uint64_t last = std::min<std::uint64_t>(count, first + per_transaction) - 1;
    const std::string from = std::to_string(first), to = std::to_string(last);
    const char* params[] = {tag, from.c_str(), to.c_str()};
    ResultPtr result(
        PQexecParams(conn.get(), sql.c_str(), 3, nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return std::string("backlog INSERT failed: ") + PQerrorMessage(conn.get());
    }
    committed_ += last - first + 1;
  }
  ResultPtr end(PQexec(conn.get(), "SELECT pg_current_wal_lsn()::text"));
  if (PQresultStatus(end.get()) != PGRES_TUPLES_OK) {
    return std::string("cannot read the WAL position: ") + PQerrorMessage(conn.get());
  }
  wal_end = PQgetvalue(end.get(), 0, 0);
  return {};
}

std::vector<std::int64_t> PacedWriter::commit_times(std::uint64_t events,
                                                    std::string& error) const {
  std::vector<std::int64_t> times(events, 0);
  Conn conn = connect(options_.dsn, error);
  if (!conn) return times;
  std::vector<Transaction> transactions;
  {
    std::lock_guard lock(mutex_);
    transactions = transactions_;
  }
  constexpr std::size_t kBatch = 5000;
  for (std::size_t from = 0; from < transactions.size(); from += kBatch) {
    std::string xids = "{";
    const std::size_t to = std::min(transactions.size(), from + kBatch);
    for (std::size_t i = from; i < to; ++i) {
      if (i > from) xids += ',';
      xids += std::to_string(transactions[i].xid);
    }
    xids += '}';
    const char* params[] = {xids.c_str()};
    ResultPtr result(PQexecParams(
        conn.get(),
        "SELECT (extract(epoch FROM pg_xact_commit_timestamp(x::xid)) * 1000000)::bigint "
        "FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n",
        1, nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK ||
        static_cast<std::size_t>(PQntuples(result.get())) != to - from) {
      error = std::string("cannot read commit timestamps (is track_commit_timestamp on?): ") +
              PQerrorMessage(conn.get());
      return times;
    }
    for (std::size_t i = from; i < to; ++i) {
      const char* value = PQgetvalue(result.get(), static_cast<int>(i - from), 0);
      const std::int64_t micros = value[0] == '\0' ? 0 : std::stoll(value);
      const Transaction& t = transactions[i];
      for (std::uint32_t row = 0; row < t.rows && t.first_event + row < events; ++row) {
        times[t.first_event + row] = micros;
      }
    }
  }
  return times;
}

}  // namespace outbox::bench
