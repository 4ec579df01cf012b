#include "config/yaml_file_layer.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <optional>

#include "config/key_paths.h"

namespace outbox::config_internal {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

// The whole file, or the reason (strerror) it could not be read.
std::optional<std::string> read_file(const std::string& path, std::string& reason) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    reason = std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buffer[8192];
  while (true) {
    const std::size_t got = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, got);
    if (got < sizeof buffer) break;
  }
  // A directory opens fine and fails on read (EISDIR).
  if (std::ferror(file.get())) {
    reason = std::strerror(errno);
    return std::nullopt;
  }
  return text;
}

std::string describe_node_type(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (node.IsNull()) return "nothing";
  return "a single value";
}

std::string child_path(std::string_view parent, std::string_view name) {
  return parent.empty() ? std::string(name) : std::string(parent) + "." + std::string(name);
}

std::string joined_children(std::string_view section) {
  std::string text;
  for (auto child : known_children(section)) {
    text += (text.empty() ? "" : ", ") + std::string(child);
  }
  return text;
}

class YamlWalker {
 public:
  YamlWalker(const std::string& path, RawSettings& settings, Problems& problems)
      : path_(path), settings_(settings), problems_(problems) {}

  void walk_root(const YAML::Node& root) {
    if (root.IsNull()) return;  // an empty file: defaults
    if (!root.IsMap()) {
      problems_.add_line(origin(root).lead() + "expected a map of sections (" +
                         joined_children("") + ") at the top level, got " +
                         describe_node_type(root));
      return;
    }
    walk_section(root, "");
  }

 private:
  Origin origin(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    return Origin::file(path_, mark.is_null() ? 0 : mark.line + 1);
  }

  // Calls visit(key node, value node, full path) for each entry of a map, after checking that its
  // keys are plain names and appear once.
  template <typename Visit>
  void for_each_entry(const YAML::Node& map, std::string_view parent, Visit visit) {
    std::map<std::string, int> seen;  // name -> line, to point at the first of a duplicate
    for (auto it = map.begin(); it != map.end(); ++it) {
      // Copies: the iterator's pair is a temporary, and Nodes are cheap handles.
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      if (!key.IsScalar()) {
        problems_.add(origin(key), parent.empty() ? "(top level)" : parent,
                      "keys must be plain names, got " + describe_node_type(key));
        continue;
      }
      const std::string path = child_path(parent, key.Scalar());
      const int line = key.Mark().is_null() ? 0 : key.Mark().line + 1;
      const auto [first, inserted] = seen.emplace(key.Scalar(), line);
      if (!inserted) {
        problems_.add(origin(key), path,
                      "duplicate key (first on line " + std::to_string(first->second) + ")");
        continue;
      }
      visit(key, value, path);
    }
  }

  void walk_section(const YAML::Node& map, const std::string& section) {
    for_each_entry(map, section,
                   [&](const YAML::Node& key, const YAML::Node& value, const std::string& path) {
                     if (const KeySpec* spec = find_key(path)) {
                       read_key(*spec, key, value);
                     } else if (is_section(path)) {
                       if (value.IsMap()) {
                         walk_section(value, path);
                       } else if (!value.IsNull()) {
                         problems_.add(origin(key), path,
                                       "expected a map (keys: " + joined_children(path) +
                                           "), got " + describe_node_type(value));
                       }
                     } else {
                       problems_.add(origin(key), path, unknown_key_problem(path));
                     }
                   });
  }

  void read_key(const KeySpec& spec, const YAML::Node& key, const YAML::Node& value) {
    switch (spec.kind) {
      case KeyKind::kScalar:
        // A key with nothing after it ("created_at:") means the empty value.
        if (value.IsScalar() || value.IsNull()) {
          settings_.scalars[std::string(spec.path)] =
              RawValue{value.IsNull() ? std::string() : value.Scalar(), origin(key)};
        } else {
          problems_.add(origin(key), spec.path,
                        "expected a single value, got " + describe_node_type(value));
        }
        return;
      case KeyKind::kPropertyMap:
        read_map(spec.path, key, value, settings_.kafka,
                 "librdkafka properties are written flat, e.g. \"bootstrap.servers: "
                 "host:9092\"");
        return;
      case KeyKind::kTopicMap:
        read_map(spec.path, key, value, settings_.topics,
                 "each entry maps an aggregate type to a topic, e.g. \"Order: orders.v1\"");
        return;
      case KeyKind::kList:
        read_list(spec.path, key, value);
        return;
    }
  }

  void read_map(std::string_view map_path, const YAML::Node& key, const YAML::Node& value,
                std::map<std::string, RawValue, std::less<>>& into, std::string_view hint) {
    if (value.IsNull()) return;
    if (!value.IsMap()) {
      problems_.add(origin(key), map_path,
                    "expected a map (" + std::string(hint) + "), got " + describe_node_type(value));
      return;
    }
    for_each_entry(
        value, map_path,
        [&](const YAML::Node& entry_key, const YAML::Node& entry_value, const std::string& path) {
          if (entry_value.IsScalar()) {
            into[entry_key.Scalar()] = RawValue{entry_value.Scalar(), origin(entry_key)};
          } else {
            problems_.add(origin(entry_key), path,
                          "expected a single value (" + std::string(hint) + "), got " +
                              describe_node_type(entry_value));
          }
        });
  }

  void read_list(std::string_view list_path, const YAML::Node& key, const YAML::Node& value) {
    RawList list{{}, origin(key)};
    if (value.IsNull()) {
      settings_.headers = std::move(list);
      return;
    }
    if (!value.IsSequence()) {
      problems_.add(origin(key), list_path,
                    "expected a list of column names, e.g. [id, event_type], got " +
                        describe_node_type(value));
      return;
    }
    bool ok = true;
    for (std::size_t i = 0; i < value.size(); ++i) {
      const YAML::Node item = value[i];
      if (item.IsScalar()) {
        list.items.push_back(item.Scalar());
      } else {
        problems_.add(origin(item), list_path,
                      "item " + std::to_string(i + 1) + ": expected a column name, got " +
                          describe_node_type(item));
        ok = false;
      }
    }
    if (ok) settings_.headers = std::move(list);
  }

  const std::string& path_;
  RawSettings& settings_;
  Problems& problems_;
};

}  // namespace

bool read_yaml_file(const std::string& path, RawSettings& settings, Problems& problems) {
  std::string reason;
  const auto text = read_file(path, reason);
  if (!text) {
    problems.add_line(path + ": cannot read the configuration file: " + reason);
    return false;
  }
  // yaml-cpp reports with exceptions; none of them may leave this function.
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& error) {
    std::string line = path;
    if (!error.mark.is_null()) {
      line +=
          ":" + std::to_string(error.mark.line + 1) + ":" + std::to_string(error.mark.column + 1);
    }
    problems.add_line(line + ": not valid YAML: " + error.msg);
    return false;
  } catch (const std::exception& error) {
    problems.add_line(path + ": not valid YAML: " + error.what());
    return false;
  }
  try {
    YamlWalker(path, settings, problems).walk_root(root);
  } catch (const std::exception& error) {
    problems.add_line(path + ": cannot read the configuration: " + error.what());
    return false;
  }
  return true;
}

}  // namespace outbox::config_internal
