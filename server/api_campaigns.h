/* api_campaigns.h: the campaign admin JSON API (admins only).
 *
 *   GET    /api/campaigns                 list with counts
 *   POST   /api/campaigns                 create a draft from a definition
 *   POST   /api/campaigns/preview         preview an unsaved definition
 *   GET    /api/campaigns/ID              definition, status and statistics
 *   PUT    /api/campaigns/ID              change a draft or paused campaign
 *   DELETE /api/campaigns/ID              delete a draft
 *   POST   /api/campaigns/ID/preview      audience size and a sample email
 *   POST   /api/campaigns/ID/start        draft or paused -> active
 *   POST   /api/campaigns/ID/pause        active -> paused (unsent email waits)
 *   POST   /api/campaigns/ID/finish       -> finished (unsent email is dropped)
 *
 * A definition: {"name", "audience": {"units": [id or external id],
 * "roles": [code]}, "lessons": [{"course", "send_at": "YYYY-MM-DD[THH:MM]"
 * or null (at start)}], "schedule": {"start", "every_days", "time"},
 * "due_days", "reminder_days", "max_reminders", "digest": null or
 * {"weekday": 1-7, "hour"}, "template", "reminder_template",
 * "skip_completed"}. See campaign.h. */
#ifndef VERN_API_CAMPAIGNS_H
#define VERN_API_CAMPAIGNS_H

struct http_request;

void api_campaigns(struct http_request *req);        /* /api/campaigns */
void api_campaign(struct http_request *req);         /* /api/campaigns/ID */
void api_campaign_action(struct http_request *req);  /* /api/campaigns/ID/ACTION */

#endif
