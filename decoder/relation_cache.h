// The relations the server has described, by relation id.
//
// pgoutput sends a Relation message before the first change of a relation in a session and again
// whenever its definition changes (ALTER TABLE ... ADD COLUMN), so the latest message for an id
// always describes the tuples that follow it. The cache owns copies of the names: Relation
// messages are rare, the changes that refer to them are not.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "decoder/pgoutput_message.h"

namespace outbox {

struct CachedColumn {
  std::string name;
  std::uint32_t type_id;
  std::int32_t type_modifier;
  bool is_key;
};

struct CachedRelation {
  std::uint32_t relation_id = 0;
  std::string namespace_name;
  std::string relation_name;
  char replica_identity = 'd';
  std::vector<CachedColumn> columns;

  // "namespace.name", as the relation is named in configuration and messages.
  std::string qualified_name() const;
};

class RelationCache {
 public:
  // Stores (or replaces) the relation a Relation message describes.
  const CachedRelation& update(const Relation& message);

  // The latest description of `relation_id`, or nullptr when the server has not sent one.
  const CachedRelation* find(std::uint32_t relation_id) const;

  std::size_t size() const { return relations_.size(); }
  void clear() { relations_.clear(); }

 private:
  std::unordered_map<std::uint32_t, CachedRelation> relations_;
};

}  // namespace outbox
