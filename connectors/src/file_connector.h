// Private: the "file" connector kind — feeds read from disk, for offline demos, replays and
// archives. `path` is one file or a directory, whose regular files ending in .xml .rss .atom .rdf
// or .jsonl are read in name order (others are ignored). XML files are parsed as feeds; JSONL
// files hold one Item (core codec) per line, and a bad line is logged as "path:line: reason",
// counted in PollReport::skipped and skipped — never fatal.
//
// A file is read again only when its size or modification time changed since it was last read
// completely; a poll that finds nothing changed reports not_modified.
//
// Errors: a missing or unreadable path is "io"; a file that is not a feed is "parse" (after the
// other files' items were written); a bad `format` setting is "config".
#pragma once

#include "vigia/connectors/connector.h"

namespace vigia::connectors {

ConnectorKind file_connector_kind();

}  // namespace vigia::connectors
