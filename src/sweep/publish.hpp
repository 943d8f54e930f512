#pragma once
// Publishing a sweep's files (results.json, results.csv, the report) as one set, so that a
// kill at any moment leaves either the old complete set or the new one, never a new
// results.json beside a stale results.csv. Write-ahead, in three steps:
//   1. stage: every file is written (O_EXCL, fsync'd) into a fresh DIR/.publish-tmp-XXXXXX
//      with a MANIFEST (`put NAME` per new file, `remove NAME` per file of the old set that the
//      new one lacks), and the staging directory is fsync'd;
//   2. commit: the staging directory is renamed to DIR/.publish (one atomic rename) and DIR
//      is fsync'd. Before this point the old set is untouched; after it the new set is the
//      published one;
//   3. roll forward: each `put` file is renamed into DIR, each `remove` file unlinked, DIR
//      fsync'd, DIR/.publish removed. Every step is idempotent.
// A kill during step 3 leaves DIR/.publish: finish_publication() (run by every switchsim
// command that reads or writes DIR: sweep, sweep --resume, report) completes it, and
// read_published() reads a file through it, so switchsim never sees a mixed set. Staging
// directories of a run killed before its commit are removed (one writer per directory).

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace switchsim::sweep {

struct PublishedFile {
  std::string name;  // bare file name inside the directory
  std::string content;
};

// Called after each durable step (file staged, commit, file moved...) with its number from 0;
// tests use it to kill the process at every step. Production code passes nothing.
using PublishStepHook = std::function<void(int step)>;

// Publishes `files` into `dir` as one set. `owned` names the files a set may contain
// (e.g. the report's plots): those that exist in `dir` but are not in `files` are removed
// as part of the same publication, so no stale plot outlives its results. Throws
// std::invalid_argument (message naming the path) when a target exists and is not a regular
// file, std::runtime_error on I/O errors (the old set then stays as it was).
void publish_files(const std::filesystem::path& dir, const std::vector<PublishedFile>& files,
                   const std::vector<std::string>& owned, const PublishStepHook& hook = {});

// Completes a publication that was committed but not finished, and removes staging
// directories of publications that never committed. Returns whether it rolled one forward.
bool finish_publication(const std::filesystem::path& dir);

}  // namespace switchsim::sweep
