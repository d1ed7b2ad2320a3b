// SQL of the webhooks module's tables: webhook_endpoints, events + outbox, webhook_deliveries +
// webhook_attempts. Only these functions read or write them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lp/common/api_result.hpp"
#include "lp/common/principal.hpp"
#include "lp/store/store.hpp"
#include "lp/webhooks/endpoints.hpp"

namespace lp::webhooks {

namespace endpoints_repo {

struct NewRow {
  std::string id, merchant_id;
  Mode mode = Mode::kTest;
  std::string url;
  std::vector<std::string> enabled_events;
  std::optional<std::string> description;
  std::string secret_blob;
  int64_t now_us = 0;
};
Result<void> Insert(store::Tx& tx, const NewRow& row);
// The caller's endpoint `id` unless deleted.
Result<std::optional<Endpoint>> Load(store::Tx& tx, const Principal& p, std::string_view id);
// Endpoints not deleted, of the merchant in the mode.
Result<int64_t> CountActive(store::Tx& tx, const Principal& p);
struct Changes {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> enabled_events;
  std::optional<std::string> description, status;
};
Result<void> Update(store::Tx& tx, std::string_view id, const Changes& c, int64_t now_us);
Result<void> MarkDeleted(store::Tx& tx, std::string_view id, int64_t now_us);
Result<Page<Endpoint>> List(store::Tx& tx, const Principal& p, const ListParams& params);
// The current sealed secret of the caller's endpoint (nullopt: no such endpoint).
Result<std::optional<std::string>> SecretBlob(store::Tx& tx, const Principal& p,
                                              std::string_view id);
// Replaces the secret if it is still `current_blob`; false when it changed meanwhile.
Result<bool> RotateSecret(store::Tx& tx, std::string_view id, std::string_view current_blob,
                          std::string_view new_blob, std::string_view old_blob,
                          int64_t old_expires_us, int64_t now_us);
// (id, enabled events) of the merchant's endpoints that receive events (enabled or failing).
Result<std::vector<std::pair<std::string, std::vector<std::string>>>> Receiving(
    store::Tx& tx, const std::string& merchant_id, std::string_view mode);
Result<bool> AnyReceiving(store::Tx& tx, const std::string& merchant_id, Mode mode);
// What a send needs: url, status, sealed secrets and the previous secret's expiry.
struct SendInfo {
  std::string url, status, secret_blob, old_blob;
  int64_t old_expires_us = 0;
};
Result<std::optional<SendInfo>> LoadSendInfo(store::Tx& tx, std::string_view endpoint_id);
// After a delivery: a success puts a failing endpoint back to enabled; a final failure marks an
// enabled endpoint failing.
Result<void> MarkRecovered(store::Tx& tx, std::string_view endpoint_id);
Result<void> MarkFailing(store::Tx& tx, std::string_view endpoint_id, int64_t now_us);

}  // namespace endpoints_repo

namespace events_repo {

Result<void> Insert(store::Tx& tx, std::string_view id, const std::string& merchant_id, Mode mode,
                    std::string_view type, std::string_view object_id, std::string_view body,
                    int64_t now_us, bool with_outbox, std::string_view sealed_body = {});
// The stored event body of the caller's event.
Result<std::optional<std::string>> Load(store::Tx& tx, const Principal& p, std::string_view id);
struct EventRow {
  std::string type, object_id, data;
  int64_t seq = 0;
};
Result<std::optional<EventRow>> LoadRow(store::Tx& tx, const Principal& p, std::string_view id);
// What the dispatcher sends: the stored body, or the sealed one when the event has one.
struct Delivered {
  std::string data;
  std::string sealed;  // a key-ring blob of the delivered body; empty: `data` is delivered
};
Result<std::optional<Delivered>> DataOf(store::Tx& tx, std::string_view event_id);
// Newest first by seq, filtered by type and created bounds.
Result<Page<std::string>> List(store::Tx& tx, const Principal& p, const ListParams& params,
                               const std::optional<std::string>& type);
struct OutboxRow {
  int64_t outbox_seq = 0;
  std::string event_id, merchant_id, mode, type, object_id, data;
  int64_t event_seq = 0;
};
Result<std::vector<OutboxRow>> PendingOutbox(store::Tx& tx, int64_t limit);
Result<void> MarkOutboxDone(store::Tx& tx, int64_t outbox_seq);

}  // namespace events_repo

namespace deliveries_repo {

struct NewRow {
  std::string id, event_id;
  int64_t event_seq = 0;
  std::string object_id, endpoint_id, merchant_id;
  int64_t now_us = 0;
};
Result<void> Insert(store::Tx& tx, const NewRow& row);
// Every delivery of an event with its attempts, oldest first.
Result<std::vector<Delivery>> OfEvent(store::Tx& tx, std::string_view event_id);
// One endpoint's deliveries with their attempts, newest first, keyset-paginated over
// (created, id); `params.status` filters. A cursor that is not a delivery of this endpoint is
// 400 resource_missing naming the parameter.
Result<Page<Delivery>> OfEndpoint(store::Tx& tx, std::string_view endpoint_id,
                                  const ListParams& params);
struct Due {
  std::string delivery_id, event_id, endpoint_id;
  int64_t attempts = 0;
};
// Pending deliveries due at `now_us` with no earlier pending delivery of the same object to the
// same endpoint (per-payment order), oldest first.
Result<std::vector<Due>> DueAt(store::Tx& tx, int64_t now_us, int64_t limit);
struct AttemptRecord {
  std::string delivery_id;
  int64_t attempt = 0, time_us = 0;
  int status_code = 0;  // 0 = no HTTP answer
  int64_t latency_us = 0;
  std::string error;  // empty = success
  std::string state;  // succeeded | failed | pending
  int64_t next_attempt_us = 0, now_us = 0;
};
Result<void> RecordAttempt(store::Tx& tx, const AttemptRecord& a);
struct Queue {
  int64_t pending = 0;
  std::optional<int64_t> oldest_due_us;
};
Result<Queue> QueueAt(store::Tx& tx, int64_t now_us);

}  // namespace deliveries_repo

}  // namespace lp::webhooks
