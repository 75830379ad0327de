/* api_incidents.h: POST /api/incidents {"category": C, "unit": U}.
 *
 * Registers that an incident (avvik) of category C happened in org unit U
 * and nothing else: no person, no description, and a body with any other
 * field is refused. It is stored as an xAPI statement (through
 * lrs_store_internal, authority Vern) whose actor is the unit as an
 * identified Group, so plugins see it in on_statement (avvik_training
 * assigns the matching course to the unit's staff) and the LRS keeps it:
 *
 *   actor  {"objectType": "Group", "name": unit name,
 *           "account": {"homePage": PUBLIC_URL/enheter, "name": U}}
 *   verb   PLUGIN_INCIDENT_VERB
 *   object {"id": "urn:vern:avvik:C"}
 *
 * Answers 201 {"id": statement id, "category", "unit"}. The caller is the
 * municipality's incident system, machine to machine, so it takes LRS
 * client Basic credentials with scope "all" (people sign in elsewhere). */
#ifndef VERN_PLUGIN_API_INCIDENTS_H
#define VERN_PLUGIN_API_INCIDENTS_H

#define PLUGIN_INCIDENT_VERB "urn:vern:verb:avvik-meldt"
#define PLUGIN_INCIDENT_ACTIVITY "urn:vern:avvik:"

struct http_request;

void api_incidents_post(struct http_request *req);

#endif
