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

// The scalar that starts last in the file, or an undefined node when there is none.
YAML::Node last_scalar(const YAML::Node& node) {
  if (node.IsScalar()) return node;
  YAML::Node last;
  const auto later = [&](const YAML::Node& candidate) {
    if (candidate.IsDefined() && (!last.IsDefined() || candidate.Mark().pos > last.Mark().pos)) {
      last = candidate;
    }
  };
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      later(last_scalar(it->first));
      later(last_scalar(it->second));
    }
  } else if (node.IsSequence()) {
    for (auto it = node.begin(); it != node.end(); ++it) later(last_scalar(*it));
  }
  return last;
}

// The opening quote of a quoted scalar that is never closed (a null mark when yaml-cpp gives no
// place for it); nullopt when every quote is closed.
//
// yaml-cpp 0.7 refuses an end of file inside a quoted scalar only in the middle of a line: when
// the file ends with a line break, `dsn: "host=x` quietly takes every line after it into the
// value, and what the relay would report is a key missing from those lines. So the text is
// parsed again without its trailing blanks, which puts the end of file in the middle of the
// scalar's last line, where yaml-cpp does refuse it: its own scanner tells escapes, '' in single
// quotes, and quotes in plain scalars, comments and block scalars apart. Parsed with one line
// break after it, the same text loads, with the unclosed scalar running to the end of the file:
// the last scalar of the file, whose mark is its opening quote.
std::optional<YAML::Mark> unclosed_quote(const std::string& text) {
  const std::string trimmed = text.substr(0, text.find_last_not_of(" \t\r\n") + 1);
  try {
    YAML::Load(trimmed);
    return std::nullopt;
  } catch (const YAML::Exception& error) {
    if (error.msg != YAML::ErrorMsg::EOF_IN_SCALAR) return std::nullopt;
  }
  try {
    const YAML::Node scalar = last_scalar(YAML::Load(trimmed + "\n"));
    if (scalar.IsDefined() && !scalar.Mark().is_null()) {
      const auto at = static_cast<std::size_t>(scalar.Mark().pos);
      if (at < trimmed.size() && (trimmed[at] == '"' || trimmed[at] == '\'')) return scalar.Mark();
    }
  } catch (const std::exception&) {
    // A yaml-cpp that refuses this too gives no place for the quote.
  }
  return YAML::Mark::null_mark();
}

// "<path>:<line>:<column>", or the path alone for a null mark.
std::string located(const std::string& path, const YAML::Mark& mark) {
  if (mark.is_null()) return path;
  return path + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
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
    if (const auto quote = unclosed_quote(*text)) {
      problems.add_line(located(path, *quote) +
                        ": not valid YAML: this quoted value is never closed (the file ends "
                        "inside it)");
      return false;
    }
    root = YAML::Load(*text);
  } catch (const YAML::Exception& error) {
    problems.add_line(located(path, error.mark) + ": not valid YAML: " + error.msg);
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
