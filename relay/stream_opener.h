// Everything between "connect" and "streaming", for `run`: connect, look for the slot, prepare
// (relay/bootstrap.h), open the replication connection, identify the server, and start the
// stream at the right position.
//
// The right position: the later of the slot's and the relay's last confirmed one, while both
// belong to one history. A new slot, or another server (a failover, a restore), starts where
// that slot stands, since the remembered position would skip everything between the two; the
// probe counts it as a recreated slot. A slot the relay streamed from that is gone stops for an
// operator under source.on_slot_lost: stop.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "common/lsn.h"
#include "config/config.h"
#include "relay/relay_probe.h"
#include "relay/replication_stream.h"
#include "relay/server_identity.h"

namespace outbox {

// What the runner remembers between sessions.
struct StreamHistory {
  Lsn resume;                                   // the last position confirmed to the server
  std::optional<ServerIdentity> streamed_from;  // nullopt until a session streamed
};

struct OpenedStream {
  std::unique_ptr<ReplicationStream> stream;
  Lsn start;
  ServerIdentity server;
};

// A step that failed. What the runner does about it is disposition_of(error.code()); the two
// texts are what it logs then: `fatal` when no retry helps (empty: already logged), `transient`
// before a retry.
struct StepFailure {
  std::string fatal;
  std::string transient;
  Error error;
};

// `leading`: this relay holds the slot's leadership lock (relay/leader_lease.h), so a walsender
// still holding the slot is a previous leader's, which it ends before it starts.
std::variant<OpenedStream, StepFailure> open_stream(const Config& config,
                                                    const StreamHistory& history, RelayProbe& probe,
                                                    bool leading);

}  // namespace outbox
