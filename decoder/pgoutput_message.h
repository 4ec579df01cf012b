// The messages of PostgreSQL's pgoutput logical replication protocol, versions 1 to 4, as
// "Logical Replication Message Formats" in PostgreSQL's documentation lays them out.
//
// Strings and column values are views: into the bytes that were decoded, and for tuples and
// relation columns into the decoder's scratch space. They stay valid until the decoder decodes
// its next message or the bytes are freed, whichever comes first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

#include "common/lsn.h"
#include "decoder/pg_time.h"

namespace outbox {

// The first byte of every pgoutput message.
enum class MessageType : char {
  Begin = 'B',
  Message = 'M',
  Commit = 'C',
  Origin = 'O',
  Relation = 'R',
  Type = 'Y',
  Insert = 'I',
  Update = 'U',
  Delete = 'D',
  Truncate = 'T',
  StreamStart = 'S',
  StreamStop = 'E',
  StreamCommit = 'c',
  StreamAbort = 'A',
  BeginPrepare = 'b',
  Prepare = 'P',
  CommitPrepared = 'K',
  RollbackPrepared = 'r',
  StreamPrepare = 'p',
};

// "Insert", "Stream Commit", ... for error messages and logs; "unknown" for anything else.
std::string_view message_type_name(char tag);

// How a column value is sent in TupleData.
enum class TupleColumnKind : char {
  Null = 'n',
  UnchangedToast = 'u',  // a TOASTed value that did not change; its bytes are not sent
  Text = 't',
  Binary = 'b',
};

struct TupleColumn {
  TupleColumnKind kind;
  std::string_view value;  // empty unless kind is Text or Binary
};

using Tuple = std::span<const TupleColumn>;

// Which old row image an Update or Delete carries.
enum class OldTupleKind : char {
  None = '\0',
  Key = 'K',  // the replica identity's key columns
  Old = 'O',  // the whole old row (REPLICA IDENTITY FULL)
};

// Present on Relation, Type, Insert, Update, Delete, Truncate and Message when they are sent
// inside a streamed transaction (protocol 2 and later).
using StreamXid = std::optional<std::uint32_t>;

struct Begin {
  Lsn final_lsn;  // the commit's LSN
  PgTimestamp commit_time;
  std::uint32_t xid;
};

struct Commit {
  std::uint8_t flags;  // unused by the server, always 0
  Lsn commit_lsn;
  Lsn end_lsn;  // just past the commit record: the position to confirm once the transaction is done
  PgTimestamp commit_time;
};

struct Origin {
  Lsn origin_commit_lsn;  // the commit's LSN on the origin server
  std::string_view name;
};

struct RelationColumn {
  std::uint8_t flags;  // bit 1: part of the replica identity key
  std::string_view name;
  std::uint32_t type_id;
  std::int32_t type_modifier;

  bool is_key() const { return (flags & 1) != 0; }
};

struct Relation {
  StreamXid xid;
  std::uint32_t relation_id;
  std::string_view namespace_name;  // empty for pg_catalog
  std::string_view relation_name;
  char replica_identity;  // 'd' default, 'n' nothing, 'f' full, 'i' index
  std::span<const RelationColumn> columns;
};

struct Type {
  StreamXid xid;
  std::uint32_t type_id;
  std::string_view namespace_name;  // empty for pg_catalog
  std::string_view type_name;
};

struct Insert {
  StreamXid xid;
  std::uint32_t relation_id;
  Tuple new_tuple;
};

struct Update {
  StreamXid xid;
  std::uint32_t relation_id;
  OldTupleKind old_kind;
  Tuple old_tuple;  // empty when old_kind is None
  Tuple new_tuple;
};

struct Delete {
  StreamXid xid;
  std::uint32_t relation_id;
  OldTupleKind old_kind;  // Key or Old
  Tuple old_tuple;
};

// The relation ids of a Truncate, read in place (big-endian Int32s on the wire).
class RelationIdList {
 public:
  RelationIdList() = default;
  explicit RelationIdList(std::string_view raw) : raw_(raw) {}
  std::size_t size() const { return raw_.size() / 4; }
  std::uint32_t operator[](std::size_t index) const {
    const auto* p = reinterpret_cast<const unsigned char*>(raw_.data() + index * 4);
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
  }

 private:
  std::string_view raw_;
};

struct Truncate {
  StreamXid xid;
  std::uint8_t options;  // bit 1: CASCADE, bit 2: RESTART IDENTITY
  RelationIdList relation_ids;

  bool cascade() const { return (options & 1) != 0; }
  bool restart_identity() const { return (options & 2) != 0; }
};

// pg_logical_emit_message().
struct LogicalMessage {
  StreamXid xid;
  std::uint8_t flags;  // bit 1: transactional
  Lsn lsn;
  std::string_view prefix;
  std::string_view content;

  bool transactional() const { return (flags & 1) != 0; }
};

struct StreamStart {
  std::uint32_t xid;
  bool first_segment;
};

struct StreamStop {};

struct StreamCommit {
  std::uint32_t xid;
  std::uint8_t flags;
  Lsn commit_lsn;
  Lsn end_lsn;
  PgTimestamp commit_time;
};

struct StreamAbort {
  std::uint32_t xid;
  std::uint32_t subxid;  // equals xid when the whole transaction aborted
  // Protocol 4 with parallel streaming only.
  std::optional<Lsn> abort_lsn;
  std::optional<PgTimestamp> abort_time;
};

struct BeginPrepare {
  Lsn prepare_lsn;
  Lsn end_lsn;
  PgTimestamp prepare_time;
  std::uint32_t xid;
  std::string_view gid;
};

// Prepare and Stream Prepare carry the same fields.
struct PreparedTransaction {
  std::uint8_t flags;
  Lsn prepare_lsn;
  Lsn end_lsn;
  PgTimestamp prepare_time;
  std::uint32_t xid;
  std::string_view gid;
};
struct Prepare : PreparedTransaction {};
struct StreamPrepare : PreparedTransaction {};

struct CommitPrepared {
  std::uint8_t flags;
  Lsn commit_lsn;
  Lsn end_lsn;
  PgTimestamp commit_time;
  std::uint32_t xid;
  std::string_view gid;
};

struct RollbackPrepared {
  std::uint8_t flags;
  Lsn prepare_end_lsn;
  Lsn rollback_end_lsn;
  PgTimestamp prepare_time;
  PgTimestamp rollback_time;
  std::uint32_t xid;
  std::string_view gid;
};

using PgoutputMessage =
    std::variant<Begin, Commit, Origin, Relation, Type, Insert, Update, Delete, Truncate,
                 LogicalMessage, StreamStart, StreamStop, StreamCommit, StreamAbort, BeginPrepare,
                 Prepare, StreamPrepare, CommitPrepared, RollbackPrepared>;

}  // namespace outbox
