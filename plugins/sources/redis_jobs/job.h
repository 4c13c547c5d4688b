// A job as it sits in the jobs stream, and what redis_source and redis_sink share about
// the jobs running in this process.
//
// An entry of the jobs stream has a field "job" holding a JSON object, and for an image
// sent inline a field "image" holding its bytes (JPEG, PNG, ... as a file would):
//
//   XADD sluice:jobs * job '{"id":"cam3-0001","uri":"/data/clips/cam3-0001.mp4"}'
//   XADD sluice:jobs * job '{"id":"photo-17"}' image <the JPEG's bytes>
//
// "id" (a string, or a number taken as its decimal text) names the job in its results;
// "uri" is anything uri_source opens (a video or image file, rtsp://, http://, ...).
// Exactly one of "uri" and the "image" field. Other keys are the submitter's own: they
// are kept and ignored.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sluice/sluice.h"

namespace sluice::sources {

struct Job {
  std::string entry_id;              // the stream entry's id, which XACK takes
  std::string id;                    // the submitter's name for it
  std::string uri;                   // empty for an inline image
  std::vector<unsigned char> image;  // the inline image's bytes
  std::string json;                  // the "job" field as sent, for the dead-letter stream
};

// The job of one stream entry; an error says what is wrong with it, naming the entry.
Result<Job> parse_job(const std::string& entry_id,
                      const std::vector<std::pair<std::string, std::string>>& fields);

// What redis_sink needs to know of a job running here, found by the run's stream id.
struct JobInfo {
  std::string id;
  std::string worker;      // the consumer that took it
  int64_t deliveries = 1;  // how many times it has been handed out, this time included
};

// The jobs running in this process, by the run's stream id. One table per process,
// shared by the nodes of this library (stream ids are the run's, unique across sources).
// redis_source adds a job before its first frame and removes it once every sink is done;
// redis_sink looks it up and, when it could not write a job's final record, holds it so
// that the job is not acknowledged (another worker does it again).
class JobTable {
 public:
  static JobTable& instance();

  void add(uint32_t stream_id, JobInfo job);
  std::optional<JobInfo> find(uint32_t stream_id) const;
  void hold(uint32_t stream_id);
  // Removes it; true when a sink held it.
  bool remove(uint32_t stream_id);

 private:
  struct Entry {
    JobInfo job;
    bool held = false;
  };
  mutable std::mutex mu_;
  std::unordered_map<uint32_t, Entry> jobs_;
};

}  // namespace sluice::sources
