#include "decoder/relation_cache.h"

namespace outbox {

std::string CachedRelation::qualified_name() const {
  return (namespace_name.empty() ? std::string("pg_catalog") : namespace_name) + "." +
         relation_name;
}

const CachedRelation& RelationCache::update(const Relation& message) {
  CachedRelation& relation = relations_[message.relation_id];
  relation.relation_id = message.relation_id;
  relation.namespace_name.assign(message.namespace_name);
  relation.relation_name.assign(message.relation_name);
  relation.replica_identity = message.replica_identity;
  relation.columns.clear();
  relation.columns.reserve(message.columns.size());
  for (const RelationColumn& column : message.columns) {
    relation.columns.push_back(
        {std::string(column.name), column.type_id, column.type_modifier, column.is_key()});
  }
  return relation;
}

const CachedRelation* RelationCache::find(std::uint32_t relation_id) const {
  const auto it = relations_.find(relation_id);
  return it == relations_.end() ? nullptr : &it->second;
}

}  // namespace outbox
