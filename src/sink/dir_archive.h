// DirArchive: the archive in a local folder ("dir:PATH", the default "dir:ctdl-archive").
// Key "a/b/c" is the file PATH/a/b/c ('/' maps to subfolders, created on demand).
// Put is atomic and durable: the bytes go to a temp file ".<name>.tmp-<pid>-<n>" in the same folder,
// which is fsync'd, renamed over the final name, and the folder is fsync'd (and so is the parent of
// any folder Put created). Readers see the old object, the new one, or nothing; never a torn file.
// Temp files left by a crash start with '.', so List never shows them (keys may not start with '.').
// Errors: kInvalidArgument (bad key, see archive_key.h), kNotFound (Get of a missing key), kIo
// (anything the file system refuses; the message names the path and the OS error).
// Thread safety: safe to call from several threads and from several processes on one folder.
#pragma once

#include <memory>
#include <string>

#include "sink/archive.h"

namespace ctdl {

// Never fails: the folder is created (with parents) by the first Put. List of a missing folder is
// empty.
std::unique_ptr<Archive> OpenDirArchive(std::string path);

}  // namespace ctdl
