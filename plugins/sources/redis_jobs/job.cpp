#include "job.h"

#include <nlohmann/json.hpp>

namespace sluice::sources {

Result<Job> parse_job(const std::string& entry_id,
                      const std::vector<std::pair<std::string, std::string>>& fields) {
  const std::string where = "entry " + entry_id + ": ";
  const std::string* job_text = nullptr;
  const std::string* image = nullptr;
  for (const auto& [name, value] : fields) {
    if (name == "job") job_text = &value;
    if (name == "image") image = &value;
  }
  if (job_text == nullptr)
    return invalid_argument(where + "no \"job\" field (a JSON object with an \"id\")");
  Job job;
  job.entry_id = entry_id;
  job.json = *job_text;
  const auto doc = nlohmann::json::parse(*job_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return invalid_argument(where + "the \"job\" field is not JSON");
  if (!doc.is_object()) return invalid_argument(where + "the \"job\" field is not a JSON object");
  const auto id = doc.find("id");
  if (id == doc.end()) return invalid_argument(where + "the job has no \"id\"");
  if (id->is_string())
    job.id = id->get<std::string>();
  else if (id->is_number_integer())
    job.id = std::to_string(id->get<int64_t>());
  else
    return invalid_argument(where + "the job's \"id\" is neither a string nor an integer");
  if (job.id.empty()) return invalid_argument(where + "the job's \"id\" is empty");
  const std::string named = where + "job " + nlohmann::json(job.id).dump() + ": ";
  const auto uri = doc.find("uri");
  if (uri != doc.end()) {
    if (!uri->is_string() || uri->get<std::string>().empty())
      return invalid_argument(named + "\"uri\" is not a non-empty string");
    job.uri = uri->get<std::string>();
  }
  if (image != nullptr) job.image.assign(image->begin(), image->end());
  if (job.uri.empty() && image == nullptr)
    return invalid_argument(named + "neither a \"uri\" nor an \"image\" field");
  if (!job.uri.empty() && image != nullptr)
    return invalid_argument(named + "both a \"uri\" and an \"image\" field: send one");
  return job;
}

JobTable& JobTable::instance() {
  static JobTable table;
  return table;
}

void JobTable::add(uint32_t stream_id, JobInfo job) {
  std::lock_guard lock(mu_);
  jobs_[stream_id] = {std::move(job), false};
}

std::optional<JobInfo> JobTable::find(uint32_t stream_id) const {
  std::lock_guard lock(mu_);
  const auto it = jobs_.find(stream_id);
  if (it == jobs_.end()) return std::nullopt;
  return it->second.job;
}

void JobTable::hold(uint32_t stream_id) {
  std::lock_guard lock(mu_);
  const auto it = jobs_.find(stream_id);
  if (it != jobs_.end()) it->second.held = true;
}

bool JobTable::remove(uint32_t stream_id) {
  std::lock_guard lock(mu_);
  const auto it = jobs_.find(stream_id);
  if (it == jobs_.end()) return false;
  const bool held = it->second.held;
  jobs_.erase(it);
  return held;
}

}  // namespace sluice::sources
