// order-service: creates or cancels an order and writes its outbox event in the same
// transaction, so the event exists exactly when the order change does (no dual write).
//
//   order-service create --dsn DSN --customer C --amount N    prints the new order id
//   order-service cancel --dsn DSN --order-id ID
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "examples/common/service.h"

namespace {

const char* const kService = "order-service";

// Inserts the outbox row the relay turns into a record on `<aggregate_type lower>.events`.
void write_outbox(examples::Db& db, const std::string& table, const std::string& order_id,
                  const std::string& event_type) {
  db.query("INSERT INTO " + table +
               " (id, aggregate_type, aggregate_id, event_type, payload)"
               " SELECT gen_random_uuid(), 'Order', o.id::text, $2,"
               "        jsonb_build_object('orderId', o.id, 'customer', o.customer,"
               "                           'amount', o.amount)"
               " FROM orders o WHERE o.id = $1::uuid",
           {order_id, event_type});
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Reference order service: orders and their outbox events in one transaction"};
  std::string dsn, customer, amount, order_id, table = "outbox_events";
  app.add_option("--dsn", dsn, "libpq connection string")->required();
  app.add_option("--outbox-table", table, "the outbox table")->capture_default_str();
  app.fallthrough();  // --dsn before or after the sub-command (set before adding them)
  auto* create = app.add_subcommand("create", "create an order (OrderCreated)");
  create->add_option("--customer", customer)->required();
  create->add_option("--amount", amount, "a positive number")->required();
  auto* cancel = app.add_subcommand("cancel", "cancel an order (OrderCancelled)");
  cancel->add_option("--order-id", order_id)->required();
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);

  try {
    examples::Db db(dsn);
    if (create->parsed()) {
      order_id = db.transaction([&] {
        const auto rows = db.query(
            "INSERT INTO orders (id, customer, amount, status)"
            " VALUES (gen_random_uuid(), $1, $2::numeric, 'created') RETURNING id",
            {customer, amount});
        write_outbox(db, table, rows.at(0).at(0), "OrderCreated");
        return rows.at(0).at(0);
      });
      examples::log(kService, "order " + order_id + " created for " + customer + " (" + amount +
                                  "), OrderCreated in the outbox");
    } else {
      const bool cancelled = db.transaction([&] {
        const auto rows = db.query(
            "UPDATE orders SET status = 'cancelled' WHERE id = $1::uuid AND status = 'created'"
            " RETURNING id",
            {order_id});
        if (rows.empty()) return false;
        write_outbox(db, table, order_id, "OrderCancelled");
        return true;
      });
      if (!cancelled) {
        examples::log(kService, "no open order " + order_id);
        return 1;
      }
      examples::log(kService, "order " + order_id + " cancelled, OrderCancelled in the outbox");
    }
    std::cout << order_id << std::endl;
    return 0;
  } catch (const std::exception& error) {
    examples::log(kService, std::string("error: ") + error.what());
    return 1;
  }
}
